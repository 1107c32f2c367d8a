"""Build a small gradebook through nbgrader's own API, for tests that read grades without grading anything."""
from __future__ import annotations

import warnings
from pathlib import Path

from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from autograd_labs.course import db_url, load_course_config
from autograd_labs.results import Status, StudentResult, write_statuses


def build_gradebook(course_dir: Path, *, labs: dict[str, float], students: list[dict],
                    scores: dict[tuple[str, str], float], statuses: dict[tuple[str, str], str] | None = None) -> Path:
    """Create the course's gradebook with `labs` ({lab: max score}, one grade cell each), `students` (nbgrader
    Student fields, `id` first) and a submission scored `scores[(student, lab)]` for each key; write
    `statuses[(student, lab)]` ("timed out", ...) to the status ledger as `grade` would. Return course_dir."""
    course_dir = Path(course_dir)
    course_dir.mkdir(parents=True, exist_ok=True)
    with Gradebook(db_url(load_course_config(course_dir))) as gb:
        for lab, points in labs.items():
            gb.add_assignment(lab)
            gb.add_notebook(lab, lab)
            gb.update_or_create_grade_cell(f"test_{lab}", lab, lab, max_score=points, cell_type="code")
        for student in students:
            gb.add_student(student["id"], **{k: v for k, v in student.items() if k != "id"})
        for (student, lab), score in scores.items():
            with warnings.catch_warnings():  # nbgrader's add_submission trips SQLAlchemy's autoflush warnings
                warnings.simplefilter("ignore", SAWarning)
                gb.add_submission(lab, student)
            gb.find_grade(f"test_{lab}", lab, lab, student).auto_score = score
        gb.db.commit()
    for lab in labs:
        ledger = [StudentResult(student, lab, Status(status), scores.get((student, lab), 0.0), labs[lab],
                                f"{student}: {status} in {lab}")
                  for (student, status_lab), status in (statuses or {}).items() if status_lab == lab]
        if ledger:
            write_statuses(course_dir, lab, ledger)
    return course_dir
