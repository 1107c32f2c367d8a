"""The last grading status of each student in each lab, kept in the course directory beside the gradebook.

The gradebook holds scores; it has no place for "timed out" or "invalid". `grade` writes one CSV per lab
(grading_status/<lab>.csv) and `export` reads it back, so a re-run for some students updates only their rows.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

LEDGER_DIR = "grading_status"
FIELDS = ["student_id", "status", "message"]


def ledger_path(course_dir: Path, lab: str) -> Path:
    """Return the file holding the lab's statuses."""
    return Path(course_dir) / LEDGER_DIR / f"{lab}.csv"


def read_statuses(course_dir: Path, lab: str) -> dict[str, dict[str, str]]:
    """Return {student: {"status": ..., "message": ...}} for the lab (empty when it was never graded)."""
    path = ledger_path(course_dir, lab)
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def write_statuses(course_dir: Path, lab: str, results: Iterable) -> Path:
    """Merge the results' statuses into the lab's ledger and return its path."""
    rows = read_statuses(course_dir, lab)
    for result in results:
        rows[result.student] = {"student_id": result.student, "status": str(result.status), "message": result.message}
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
