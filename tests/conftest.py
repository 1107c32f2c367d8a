"""Shared fixtures: a seeded torch hub cache (the tests never use the network) and a scratch nbgrader course."""
from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograd_labs.course import new_course, tool_env
from autograd_labs.release import generate
from autograd_labs.testing import LABS
from autograd_labs.testing.class_run import ClassRun
from autograd_labs.testing.offline import seed_torch_home


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
def grading_client(torch_home, strict_python3_kernel):
    """A local Dask cluster of two workers, shared by the tests that grade a class without testing the cluster.

    Starting one (two worker processes, each with its warm-kernel template) costs about 12 CPU-seconds; the tests
    of the cluster itself (test_grade_parallel, test_remote_workers) still start their own.
    """
    from autograd_labs.grading.cluster import dask_client

    patch = pytest.MonkeyPatch()
    patch.setenv("PATH", tool_env()["PATH"])  # the workers' environment is this process's as they start
    with dask_client(2) as client:
        yield client
    patch.undo()


@pytest.fixture(scope="session")
def website(tmp_path_factory) -> Path:
    """The course website, built once for the session as `make site` builds it (into a scratch folder)."""
    from autograd_labs.website import build

    return build(tmp_path_factory.mktemp("website") / "site")


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Path:
    """A scratch course directory with every lab generated (release/ and gradebook), shared by the session.

    Tests add submissions under their own student ids, so they never see each other's work.
    """
    course_dir = new_course(tmp_path_factory.mktemp("course"))
    generate(course_dir, LABS)
    return course_dir


def pytest_collection_modifyitems(items):
    """Run the modules that judge the shared class last, and in them the tests that do: every other test runs while
    the class is being graded (pytest-xdist hands out whole modules in this order)."""
    def judges(item) -> bool:
        return "class_run" in getattr(item, "fixturenames", ())

    judging_modules = {item.nodeid.split("::")[0] for item in items if judges(item)}
    items.sort(key=lambda item: (item.nodeid.split("::")[0] in judging_modules, judges(item)))


def shared_folder(tmp_path_factory) -> Path:
    """Return a folder every test process of this run sees (pytest-xdist gives each worker a basetemp of its own,
    side by side)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def class_run_in_background(request, tmp_path_factory):
    """Start grading the shared class as the session begins, in a process of its own, when a test will need it.

    The other tests run meanwhile; many of them leave a core idle, which the class's grading fills. With several
    test processes (pytest-xdist), the first to get here grades the class and the others wait for its result.
    Yields the class's folder; its `exit_status` file appears when the grading ends.
    """
    if not any("class_run" in item.fixturenames for item in request.session.items):
        yield None
        return
    folder = shared_folder(tmp_path_factory) / "class"
    try:
        folder.mkdir()  # atomic: exactly one test process grades the class
    except FileExistsError:
        yield folder
        return
    for environment in ("torch_home", "strict_python3_kernel"):  # the grading process inherits what they set
        request.getfixturevalue(environment)
    course = request.getfixturevalue("course")
    log = (folder / "grading.log").open("w")
    status = folder / "exit_status"
    # the shell writes the exit status once grading ends, for whichever test process waits on it
    command = ['"$@"; echo $? > "$0.part" && mv "$0.part" "$0"', str(status), sys.executable, "-m",
               "autograd_labs.testing.class_run", str(course), str(folder / "course"), str(folder / "run.pickle"),
               *LABS]
    process = subprocess.Popen(["/bin/sh", "-c", *command], env=tool_env(), stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    yield folder
    if os.environ.get("PYTEST_XDIST_WORKER"):
        process.wait()  # another test process may still be waiting for the class
    elif process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)  # the shell and the grading it started
    process.wait()
    log.close()


@pytest.fixture(scope="session")
def class_run(class_run_in_background) -> ClassRun:
    """The class every catalogue, round-trip and blank-release test judges, graded once in one Dask run."""
    folder = class_run_in_background
    status = folder / "exit_status"
    while not status.exists():
        time.sleep(0.5)
    if status.read_text().strip() != "0":
        log = (folder / "grading.log").read_text(errors="replace")
        pytest.fail(f"grading the shared class failed (exit {status.read_text().strip()}):\n{log[-5000:]}")
    return pickle.loads((folder / "run.pickle").read_bytes())
