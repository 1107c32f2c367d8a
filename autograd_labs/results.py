"""What grading produced: each student's status and result, the status ledger, and the reports of a run.

A status is one of a small closed set of plain words (Status), used by the report, the CSV and the tests. The
gradebook holds scores but has no place for "timed out" or "invalid": `grade` keeps the last status of each
student in each lab in grading_status/<lab>.csv (the ledger) beside it, and `export` reads it back, so a re-run
for some students updates only their rows. `collect` notes there which resubmission counted.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Status(StrEnum):
    """What happened to one student's submission, in the words the report, the CSV and the tests use."""

    GRADED = "graded"
    MISSING = "missing"
    INVALID = "invalid"
    TIMED_OUT = "timed out"
    KERNEL_DIED = "kernel died"
    WORKER_DIED = "worker died"
    REPAIRED = "repaired"
    BLOCKED = "blocked"
    TAMPERED = "tampered"
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
    sandboxed: bool | None = None  # whether the student's code ran in the sandbox (None: no code of theirs ran)
    unprotected: tuple[str, ...] = ()  # protections that should have applied to this student's code and did not

    @property
    def sandbox_word(self) -> str:
        """Return "yes", "no" or "" (no code ran): how the report, the ledger and the CSV say `sandboxed`."""
        return "" if self.sandboxed is None else "yes" if self.sandboxed else "no"


LEDGER_DIR = "grading_status"
FIELDS = ["student_id", "status", "message", "sandboxed"]


def ledger_path(course_dir: Path, lab: str) -> Path:
    """Return the file holding the lab's statuses."""
    return Path(course_dir) / LEDGER_DIR / f"{lab}.csv"


def read_statuses(course_dir: Path, lab: str) -> dict[str, dict[str, str]]:
    """Return {student: {"status": ..., "message": ..., "sandboxed": "yes", "no" or ""}} for the lab (empty when
    it was never graded)."""
    path = ledger_path(course_dir, lab)
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        return {row["student_id"]: {"sandboxed": "", **row} for row in csv.DictReader(handle)}


def sandboxed_from_word(word: str) -> bool | None:
    """Return the `sandboxed` value a ledger's "yes", "no" or "" stands for."""
    return {"yes": True, "no": False}.get(word)


def write_statuses(course_dir: Path, lab: str, results: Iterable) -> Path:
    """Merge the results' statuses into the lab's ledger and return its path."""
    rows = read_statuses(course_dir, lab)
    for result in results:
        rows[result.student] = {"student_id": result.student, "status": str(result.status), "message": result.message,
                                "sandboxed": result.sandbox_word}
    path = ledger_path(course_dir, lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(rows[student] for student in sorted(rows))
    return path


def notes_path(course_dir: Path, lab: str) -> Path:
    """Return the file holding what collect noted about students of the lab (e.g. which resubmission counts)."""
    return Path(course_dir) / LEDGER_DIR / f"{lab}.collected.csv"


def write_notes(course_dir: Path, lab: str, notes: dict[str, str]) -> None:
    """Replace the lab's notes with collect's latest, {student: note}."""
    rows = notes
    path = notes_path(course_dir, lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "note"])
        writer.writerows(sorted(rows.items()))


def read_notes(course_dir: Path, lab: str) -> dict[str, str]:
    """Return collect's notes for the lab, {student: note} (empty when there are none)."""
    path = notes_path(course_dir, lab)
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        return {row["student_id"]: row["note"] for row in csv.DictReader(handle)}


CSV_COLUMNS = ["student_id", "lab", "status", "score", "max_score", "sandboxed", "message"]


def format_points(value: float) -> str:
    """Return points without a trailing .0 (2.0 -> "2", 1.5 -> "1.5")."""
    return f"{value:g}"


def write_csv(results: Iterable[StudentResult], path: Path) -> Path:
    """Write the results as a CSV file and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for r in results:
            writer.writerow([r.student, r.lab, str(r.status), format_points(r.score), format_points(r.max_score),
                             r.sandbox_word, r.message])
    return path


def format_table(results: Iterable[StudentResult]) -> str:
    """Return the results as an aligned text table, one line per student per lab, then any messages."""
    rows = [["student", "lab", "score", "status", "sandboxed"]]
    messages = []
    for r in results:
        rows.append([r.student, r.lab, f"{format_points(r.score)} / {format_points(r.max_score)}", str(r.status),
                     r.sandbox_word or "-"])
        if r.message:
            messages.append(r.message)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines + messages)
