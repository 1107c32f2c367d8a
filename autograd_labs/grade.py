"""The `grade` verb: autograde every student's submission of a lab, one student at a time.

Each student is graded by its own `nbgrader autograde --student` run, so a broken notebook costs that student
alone: the class always finishes, and every student ends with a status in plain words.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograd_labs.course import notebook_path, run_nbgrader

# nbclient interrupts a cell that runs past Execute.timeout; the cell then ends with one of these errors.
TIMEOUT_ERRORS = {"KeyboardInterrupt", "CellTimeoutError"}


class Status(StrEnum):
    """What happened to one student's submission, in the words the report and the CSV use."""

    GRADED = "graded"
    MISSING = "missing"
    INVALID = "invalid"
    TIMED_OUT = "timed out"
    KERNEL_DIED = "kernel died"
    FAILED = "grading failed"


@dataclass
class StudentResult:
    """One student's outcome for one lab."""

    student: str
    lab: str
    status: Status
    score: float
    max_score: float
    message: str = ""


def gradebook_url(course_dir: Path) -> str:
    """Return the course's default gradebook address (SQLite, in the course directory)."""
    return f"sqlite:///{Path(course_dir).resolve() / 'gradebook.db'}"


def submitted_students(course_dir: Path, lab: str) -> list[str]:
    """Return the students with a folder for `lab` under submitted/, sorted."""
    submitted = Path(course_dir) / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / lab).is_dir())


def unreadable_reason(path: Path) -> str | None:
    """Return why the notebook at path cannot be graded, or None when nbformat reads and validates it."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises many types for a mangled file; each means "not gradable"
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"{type(error).__name__}: {first_line}"
    return None


def timed_out_cells(path: Path) -> list[str]:
    """Return the grade_ids (or cell numbers) of cells in an autograded notebook that hit the time limit."""
    nb = nbformat.read(path, as_version=4)
    hits = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in TIMEOUT_ERRORS:
                hits.append(cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index + 1}"))
                break
    return hits


def max_score(course_dir: Path, lab: str) -> float:
    """Return the lab's maximum score from the gradebook."""
    with Gradebook(gradebook_url(course_dir)) as gb:
        return gb.find_assignment(lab).max_score


def recorded_score(course_dir: Path, lab: str, student: str) -> float:
    """Return the student's total score for the lab from the gradebook."""
    with Gradebook(gradebook_url(course_dir)) as gb:
        return gb.find_submission(lab, student).score


def grade_student(course_dir: Path, lab: str, student: str, total: float) -> StudentResult:
    """Autograde one student's submission and return what happened."""
    course_dir = Path(course_dir)
    path = notebook_path(course_dir, "submitted", lab, student)
    where = path.relative_to(course_dir)
    if not path.is_file():
        return StudentResult(student, lab, Status.MISSING, 0.0, total, f"{student}: no {where}")
    reason = unreadable_reason(path)
    if reason:
        message = f"{student}: {where} is not a readable notebook ({reason}); it was not graded"
        return StudentResult(student, lab, Status.INVALID, 0.0, total, message)

    result = run_nbgrader(["autograde", lab, "--student", student, "--force"], course_dir)
    log = result.stdout + result.stderr
    if result.returncode != 0:
        died = "DeadKernel" in log or "UnresponsiveKernel" in log or "Kernel died" in log
        status = Status.KERNEL_DIED if died else Status.FAILED
        tail = " | ".join(line for line in log.strip().splitlines()[-3:])
        return StudentResult(student, lab, status, 0.0, total, f"{student}: nbgrader could not grade {where}: {tail}")

    try:
        score = recorded_score(course_dir, lab, student)
    except MissingEntry:
        return StudentResult(student, lab, Status.FAILED, 0.0, total, f"{student}: no score recorded for {where}")
    timeouts = timed_out_cells(notebook_path(course_dir, "autograded", lab, student))
    if timeouts:
        message = f"{student}: {where}: {', '.join(timeouts)} ran past the time limit and was stopped"
        return StudentResult(student, lab, Status.TIMED_OUT, score, total, message)
    return StudentResult(student, lab, Status.GRADED, score, total)


def grade(course_dir: Path, lab: str, students: list[str] | None = None) -> list[StudentResult]:
    """Autograde `lab` for the given students (default: everyone under submitted/) and return their results.

    The lab must already be in the course's gradebook (run generate_assignment first).
    """
    total = max_score(course_dir, lab)
    students = students or submitted_students(course_dir, lab)
    return [grade_student(course_dir, lab, student, total) for student in students]
