"""Reports of a grading run: a table for the terminal and a CSV with one row per student per lab."""
from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from autograd_labs.grade import StudentResult

CSV_COLUMNS = ["student_id", "lab", "status", "score", "max_score", "message"]


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
                             r.message])
    return path


def format_table(results: Iterable[StudentResult]) -> str:
    """Return the results as an aligned text table, one line per student per lab, then any messages."""
    rows = [["student", "lab", "score", "status"]]
    messages = []
    for r in results:
        rows.append([r.student, r.lab, f"{format_points(r.score)} / {format_points(r.max_score)}", str(r.status)])
        if r.message:
            messages.append(r.message)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines + messages)
