"""The `grade` verb: autograde a lab for a whole class, in parallel on Dask, with nbgrader's own scoring.

One straight pipeline per student: plan (who, from submitted/) -> prepare (nbgrader's sanitize, here) ->
execute (a Dask task on a worker) -> record (nbgrader's autograde, replaying the execution, here) -> report.
A broken notebook costs its student alone: the class always finishes, and every student ends with a status.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import nbformat
from distributed import as_completed
from nbgrader.api import Gradebook, MissingEntry
from traitlets.config import Config

from autograd_labs.cluster import dask_client
from autograd_labs.course import notebook_path, tool_env
from autograd_labs.execute import Execution, execute_submission
from autograd_labs.ledger import write_statuses
from autograd_labs.prepare import db_url, load_course_config, sanitize
from autograd_labs.record import record

DEFAULT_CELL_TIMEOUT = 30
DEFAULT_NOTEBOOK_TIMEOUT = 300


class Status(StrEnum):
    """What happened to one student's submission, in the words the report, the CSV and the tests use."""

    GRADED = "graded"
    MISSING = "missing"
    INVALID = "invalid"
    TIMED_OUT = "timed out"
    KERNEL_DIED = "kernel died"
    WORKER_DIED = "worker died"
    FAILED = "grading failed"
    NOT_GRADED = "not graded yet"


@dataclass
class StudentResult:
    """One student's outcome for one lab."""

    student: str
    lab: str
    status: Status
    score: float
    max_score: float
    message: str = ""


def submitted_students(course_dir: Path, lab: str) -> list[str]:
    """Return the students with a folder for `lab` under submitted/, sorted."""
    submitted = Path(course_dir) / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / lab).is_dir())


def unreadable_reason(path: Path) -> str | None:
    """Return why the notebook at path cannot be graded, or None when nbformat reads and validates it."""
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as error:  # noqa: BLE001 - nbformat raises many types for a mangled file
        text = str(error).strip()
        return f"{type(error).__name__}: {text.splitlines()[0] if text else 'unreadable'}"
    return None


def timeouts(config: Config) -> tuple[int, int]:
    """Return (seconds per cell, seconds per notebook) from the course config."""
    cell = config.Execute.get("timeout", DEFAULT_CELL_TIMEOUT)
    notebook = config.AutogradLabs.get("notebook_timeout", DEFAULT_NOTEBOOK_TIMEOUT)
    return int(cell), int(notebook)


def max_score(config: Config, lab: str) -> float:
    """Return the lab's maximum score from the gradebook."""
    with Gradebook(db_url(config)) as gb:
        return gb.find_assignment(lab).max_score


def recorded_score(config: Config, lab: str, student: str) -> float:
    """Return the student's total score for the lab from the gradebook."""
    with Gradebook(db_url(config)) as gb:
        return gb.find_submission(lab, student).score


class Grading:
    """One grading run of one lab: the coordinator's state (config, scratch folder, results)."""

    def __init__(self, course_dir: Path, lab: str, scratch: Path):
        self.course_dir = Path(course_dir).resolve()
        self.lab = lab
        self.config = load_course_config(self.course_dir)
        self.total = max_score(self.config, lab)
        self.executed_dir = Path(scratch) / "executed"

    def result(self, student: str, status: Status, score: float = 0.0, message: str = "") -> StudentResult:
        return StudentResult(student, self.lab, status, score, self.total, message)

    def where(self, student: str) -> str:
        """Return the submission's path relative to the course directory, for messages."""
        return str(notebook_path(self.course_dir, "submitted", self.lab, student).relative_to(self.course_dir))

    def prepare(self, student: str) -> str | StudentResult:
        """Return the sanitized notebook text, or the student's result when it cannot be graded."""
        path = notebook_path(self.course_dir, "submitted", self.lab, student)
        if not path.is_file():
            return self.result(student, Status.MISSING, message=f"{student}: no {self.where(student)}")
        reason = unreadable_reason(path)
        if reason:
            return self.result(student, Status.INVALID, message=(
                f"{student}: {self.where(student)} is not a readable notebook ({reason}); it was not graded"))
        try:
            return sanitize(self.config, self.lab, student, path.read_text())
        except Exception as error:  # noqa: BLE001 - nbgrader refuses the notebook; say why
            return self.result(student, Status.INVALID, message=(
                f"{student}: nbgrader cannot grade {self.where(student)} ({type(error).__name__}: {error})"))

    def record(self, execution: Execution) -> StudentResult:
        """Record a worker's execution in the gradebook through nbgrader and return the student's result."""
        student = execution.student
        if execution.notebook is None:
            return self.result(student, Status.KERNEL_DIED, message=(
                f"{student}: the kernel running {self.where(student)} died ({execution.kernel_died})"))
        executed = self.executed_dir / student / self.lab / f"{self.lab}.ipynb"
        executed.parent.mkdir(parents=True, exist_ok=True)
        executed.write_text(execution.notebook)
        outcome = record(self.config, self.executed_dir, self.lab, student)
        if not outcome["success"]:
            tail = " | ".join((outcome.get("error") or outcome.get("log") or "").strip().splitlines()[-2:])
            return self.result(student, Status.FAILED, message=f"{student}: nbgrader could not record "
                                                                f"{self.where(student)}: {tail}")
        try:
            score = recorded_score(self.config, self.lab, student)
        except MissingEntry:
            return self.result(student, Status.FAILED, message=f"{student}: no score recorded")
        if execution.timed_out_cells:
            return self.result(student, Status.TIMED_OUT, score, (
                f"{student}: {self.where(student)}: {', '.join(execution.timed_out_cells)} ran past the time "
                "limit and was stopped"))
        return self.result(student, Status.GRADED, score)


def grade(course_dir: Path, lab: str, students: list[str] | None = None, jobs: int | None = None,
          scheduler: str | None = None, progress: bool = False) -> list[StudentResult]:
    """Autograde `lab` for the given students (default: everyone under submitted/) and return their results.

    Notebooks execute on Dask: `jobs` local single-threaded workers (default: one per core), or the cluster
    behind `scheduler` (tcp://HOST:PORT). The gradebook is written here alone. The lab must already be in the
    gradebook (generate_assignment).
    """
    os.environ["PATH"] = tool_env()["PATH"]  # nbgrader runs alembic by name
    students = sorted(students or submitted_students(course_dir, lab))
    with tempfile.TemporaryDirectory(prefix="autograd-labs-grade-") as scratch:
        grading = Grading(course_dir, lab, Path(scratch))
        cell_timeout, notebook_timeout = timeouts(grading.config)
        results: dict[str, StudentResult] = {}
        prepared: dict[str, str] = {}
        for student in students:
            outcome = grading.prepare(student)
            if isinstance(outcome, StudentResult):
                results[student] = outcome
            else:
                prepared[student] = outcome
        if prepared:
            with dask_client(jobs, scheduler) as client:
                futures = {client.submit(execute_submission, student, lab, text, cell_timeout, notebook_timeout,
                                         key=f"execute-{lab}-{student}", pure=False, retries=1): student
                           for student, text in prepared.items()}
                bar = _progress(len(futures), lab, progress)
                for future in as_completed(futures):
                    student = futures[future]
                    results[student] = _collect(grading, student, future)
                    bar.update(1)
                bar.close()
        shutil.rmtree(grading.executed_dir, ignore_errors=True)
    ordered = [results[student] for student in students]
    write_statuses(course_dir, lab, ordered)
    return ordered


def _collect(grading: Grading, student: str, future) -> StudentResult:
    """Turn a finished Dask future into the student's result."""
    from distributed import KilledWorker

    try:
        execution = future.result()
    except KilledWorker:
        return grading.result(student, Status.WORKER_DIED, message=(
            f"{student}: the worker executing {grading.where(student)} died twice (killed or out of memory)"))
    except Exception as error:  # noqa: BLE001 - an infrastructure error costs this student alone
        return grading.result(student, Status.FAILED, message=f"{student}: {type(error).__name__}: {error}")
    return grading.record(execution)


def _progress(total: int, lab: str, enabled: bool):
    """Return a tqdm progress bar with an ETA (a silent one when disabled)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"grading {lab}", unit="student", disable=not enabled)
