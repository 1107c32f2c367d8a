"""The course: where things are in an nbgrader course directory, its configuration (nbgrader's and our own
settings, `AutogradLabs`), the gradebook's address, and how the tool runs nbgrader."""
from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets import Bool, Int
from traitlets.config import Config, Configurable
from traitlets.config.loader import PyFileConfigLoader

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = "nbgrader_config.py"


class AutogradLabs(Configurable):
    """autograd-labs' own settings, set in the course's nbgrader_config.py as `c.AutogradLabs.<name> = ...`."""

    notebook_timeout = Int(300, help="Seconds a whole notebook may run when grading (each cell also stops at "
                                     "c.Execute.timeout)").tag(config=True)
    sandbox = Bool(True, help="Run each student's kernel in a bubblewrap sandbox (no network, no course files) "
                              "where bwrap is installed").tag(config=True)
    memory_mb = Int(4096, help="Data memory (MiB) a student's kernel may use; a warm kernel's count starts with "
                               "the libraries already loaded, about 1 GiB").tag(config=True)
    warm_kernels = Bool(True, help="Fork each student's kernel from a worker's pre-imported template (needs the "
                                   "sandbox); False starts a fresh Python for every notebook").tag(config=True)


def settings_table() -> str:
    """Return our settings as a Markdown table (name, default, help), as the README documents them."""
    rows = ["| setting | default | what it does |", "| --- | --- | --- |"]
    for name, trait in sorted(AutogradLabs.class_traits(config=True).items()):
        rows.append(f"| `c.AutogradLabs.{name}` | `{trait.default()!r}` | {trait.help} |")
    return "\n".join(rows)


def settings(config: Config) -> AutogradLabs:
    """Return our settings as the course's configuration sets them (defaults for the rest)."""
    return AutogradLabs(config=config)


def load_course_config(course_dir: Path) -> Config:
    """Return the course's nbgrader configuration, rooted at course_dir.

    Raises NbgraderError, naming the file, when nbgrader_config.py cannot be loaded.
    """
    course_dir = Path(course_dir).resolve()
    config = Config()
    if (course_dir / CONFIG_FILE).is_file():
        try:
            config = PyFileConfigLoader(CONFIG_FILE, path=str(course_dir)).load_config()
        except Exception as error:  # noqa: BLE001 - any error in the course's own Python file
            raise NbgraderError(f"cannot load {course_dir / CONFIG_FILE}: {type(error).__name__}: {error}") from error
    config.CourseDirectory.root = str(course_dir)
    return config


def db_url(config: Config) -> str:
    """Return the gradebook address the course uses (nbgrader's default: SQLite in the course directory)."""
    return CourseDirectory(config=config).db_url


def lab_names(root: Path = REPO_ROOT) -> list[str]:
    """Return the labs authored under root/source, sorted (each is source/<lab>/<lab>.ipynb)."""
    source = root / "source"
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())


# Our stage names, and the CourseDirectory setting that names each stage's folder in a course.
STAGE_FOLDERS = {"source": "source_directory", "release": "release_directory", "submitted": "submitted_directory",
                 "autograded": "autograded_directory", "feedback": "feedback_directory"}


@functools.lru_cache(maxsize=32)
def _course_directory(root: str, config_version: int) -> CourseDirectory:
    return CourseDirectory(config=load_course_config(Path(root)))


def course_directory(course_dir: Path) -> CourseDirectory:
    """Return nbgrader's CourseDirectory for the course (its nbgrader_config.py is read again when it changes)."""
    root = Path(course_dir).resolve()
    config_file = root / CONFIG_FILE
    return _course_directory(str(root), config_file.stat().st_mtime_ns if config_file.is_file() else 0)


def notebook_path(course_dir: Path, stage: str, lab: str, student: str | None = None) -> Path:
    """Return the path of a lab's notebook in one stage of the course (source, release, submitted, ...), where the
    course's nbgrader settings (folder names, directory_structure) put it."""
    coursedir = course_directory(course_dir)
    folder = getattr(coursedir, STAGE_FOLDERS[stage]) if stage in STAGE_FOLDERS else stage
    return Path(coursedir.format_path(folder, student or ".", lab)) / f"{lab}.ipynb"


def submitted_students(course_dir: Path, lab: str) -> list[str]:
    """Return the students with a submission folder for `lab`, sorted (nbgrader's own listing)."""
    from nbgrader.apps import NbGraderAPI

    # NbGraderAPI also looks at the JupyterHub exchange, which grading does not use; its complaint that the
    # exchange is unwritable ("please contact your instructor") would only mislead the instructor here.
    quiet = logging.getLogger("autograd_labs.nbgrader_api")
    quiet.setLevel(logging.CRITICAL + 1)
    return sorted(NbGraderAPI(coursedir=course_directory(course_dir), log=quiet).get_submitted_students(lab))


def tool_env() -> dict[str, str]:
    """Return the environment for nbgrader subprocesses: this interpreter's bin first on PATH.

    nbgrader starts `alembic` and Jupyter kernels by name, so they must resolve to this environment.
    """
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    path = env.get("PATH", "")
    if path.split(os.pathsep)[0] != bin_dir:  # already first: leave PATH as it is, however often this runs
        env["PATH"] = os.pathsep.join([bin_dir, path])
    return env


class NbgraderError(RuntimeError):
    """nbgrader could not run as configured; the message holds the end of its log."""


class CourseProblem(NbgraderError):
    """Something about the course or the gradebook, no student's work, stops a run: the message says what."""


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
