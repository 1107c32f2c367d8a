"""Shared fixtures: a seeded torch hub cache (the tests never use the network) and a scratch nbgrader course."""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT, lab_names, new_course, notebook_path
from autograd_labs.offline import seed_torch_home
from autograd_labs.release import generate

# LABS="lab01_forward_backward lab02_graph" limits a run to some labs (handy while authoring one).
LABS = os.environ.get("LABS", "").split() or lab_names(REPO_ROOT)


@pytest.fixture(scope="session", autouse=True)
def torch_home(tmp_path_factory):
    """Point TORCH_HOME (for this process and every kernel it starts) at a cache holding stand-in weights.

    The checkpoint is a randomly initialised ResNet18 saved under the file name torchvision downloads, so
    `resnet18(weights=ResNet18_Weights.DEFAULT)` loads it without touching the network.
    """
    home = tmp_path_factory.mktemp("torch_home")
    seed_torch_home(home)
    patch = pytest.MonkeyPatch()
    patch.setenv("TORCH_HOME", str(home))
    yield home
    patch.undo()


STRICT_WARNINGS = ("import warnings; warnings.simplefilter('error', DeprecationWarning); "
                   "warnings.simplefilter('error', FutureWarning)")


@pytest.fixture(scope="session", autouse=True)
def strict_python3_kernel(tmp_path_factory):
    """Make every notebook the tests execute run in a kernel where deprecated APIs raise.

    A kernelspec named python3 on JUPYTER_PATH takes precedence over ipykernel's own, so nbval, nbclient and
    nbgrader all start it; it turns DeprecationWarning and FutureWarning into errors, so an API that torch is
    retiring fails CI before it confuses a student.
    """
    jupyter_path = tmp_path_factory.mktemp("jupyter_path")
    spec_dir = jupyter_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
            f"--IPKernelApp.exec_lines={STRICT_WARNINGS}"]
    spec = {"argv": argv, "display_name": "Python 3 (deprecations are errors)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    patch = pytest.MonkeyPatch()
    patch.setenv("JUPYTER_PATH", os.pathsep.join(filter(None, [str(jupyter_path), os.environ.get("JUPYTER_PATH")])))
    yield spec_dir
    patch.undo()


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Path:
    """A scratch course directory with every lab generated (release/ and gradebook), shared by the session.

    Tests add submissions under their own student ids, so they never see each other's work.
    """
    course_dir = new_course(tmp_path_factory.mktemp("course"))
    generate(course_dir, LABS)
    return course_dir


def read_notebook(course_dir: Path, stage: str, lab: str, student: str | None = None):
    """Read a lab's notebook from one stage of a course directory."""
    return nbformat.read(notebook_path(course_dir, stage, lab, student), as_version=4)


def submit(course_dir: Path, student: str, lab: str, content) -> Path:
    """Place a submission (a notebook or raw bytes) at submitted/<student>/<lab>/<lab>.ipynb."""
    path = notebook_path(course_dir, "submitted", lab, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        nbformat.write(content, path)
    return path


def tree_digest(folder: Path) -> dict[str, str]:
    """Return {relative path: sha256} for every file under folder, to prove nothing in it changed."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
