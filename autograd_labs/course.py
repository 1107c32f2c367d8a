"""Where things are in an nbgrader course directory, and how the tool runs nbgrader."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = "nbgrader_config.py"


def lab_names(root: Path = REPO_ROOT) -> list[str]:
    """Return the labs authored under root/source, sorted (each is source/<lab>/<lab>.ipynb)."""
    source = root / "source"
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())


def notebook_path(course_dir: Path, stage: str, lab: str, student: str | None = None) -> Path:
    """Return the path of a lab's notebook in one stage of the course (source, release, submitted, ...)."""
    folder = Path(course_dir) / stage
    if student is not None:
        folder = folder / student
    return folder / lab / f"{lab}.ipynb"


def tool_env() -> dict[str, str]:
    """Return the environment for nbgrader subprocesses: this interpreter's bin first on PATH.

    nbgrader starts `alembic` and Jupyter kernels by name, so they must resolve to this environment.
    """
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    return env


class NbgraderError(RuntimeError):
    """nbgrader could not run as configured; the message holds the end of its log."""


# nbgrader logs a broken nbgrader_config.py and carries on with its defaults; we refuse to.
CONFIG_ERROR = "Exception while loading config file"


def run_nbgrader(args: list[str], course_dir: Path) -> subprocess.CompletedProcess:
    """Run `nbgrader ARGS` in course_dir and return the completed process with its output captured.

    Raises NbgraderError when nbgrader could not load the course's nbgrader_config.py.
    """
    command = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(command, cwd=course_dir, env=tool_env(), capture_output=True, text=True)
    if CONFIG_ERROR in result.stdout + result.stderr:
        raise NbgraderError(f"nbgrader could not load {Path(course_dir) / CONFIG_FILE}:\n{log_tail(result)}")
    return result


def log_tail(result: subprocess.CompletedProcess, lines: int = 30) -> str:
    """Return the last lines of a finished process's output."""
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


def check_nbgrader(args: list[str], course_dir: Path) -> None:
    """Run nbgrader and raise NbgraderError with the tail of its log if it fails."""
    result = run_nbgrader(args, course_dir)
    if result.returncode != 0:
        raise NbgraderError(f"nbgrader {' '.join(args)} failed in {course_dir}:\n{log_tail(result)}")


def new_course(course_dir: Path, root: Path = REPO_ROOT, labs: list[str] | None = None) -> Path:
    """Create a scratch course directory with the course config and the authored labs, and return it."""
    course_dir = Path(course_dir)
    course_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / CONFIG_FILE, course_dir / CONFIG_FILE)
    for lab in labs or lab_names(root):
        target = course_dir / "source" / lab
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(root / "source" / lab, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return course_dir
