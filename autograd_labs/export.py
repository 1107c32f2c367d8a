"""The `export` verb: one CSV row per student per lab, with the gradebook's score and a status in plain words, or
the file a learning platform's grade import takes (`--format canvas|moodle|gradescope|blackboard`, see platforms).

Every student the course knows (in the gradebook or with a folder under submitted/) gets a row for every lab,
including those who submitted nothing or a broken notebook.
"""
from __future__ import annotations

from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograd_labs.course import db_url, load_course_config, notebook_path
from autograd_labs.platforms import Export, Person, export_platform
from autograd_labs.results import Status, StudentResult, read_statuses, sandboxed_from_word, write_csv


def known_students(course_dir: Path, gb: Gradebook) -> list[str]:
    """Return every student in the gradebook or under submitted/, sorted."""
    students = {student.id for student in gb.students}
    submitted = Path(course_dir) / "submitted"
    if submitted.is_dir():
        students |= {p.name for p in submitted.iterdir() if p.is_dir()}
    return sorted(students)


def open_gradebook(course_dir: Path) -> Gradebook:
    """Return the course's gradebook, to be used as a context manager."""
    return Gradebook(db_url(load_course_config(course_dir)))


def class_results(course_dir: Path, gb: Gradebook | None = None) -> list[StudentResult]:
    """Return a result for every known student in every lab of the gradebook (gb: the gradebook, if already open)."""
    course_dir = Path(course_dir).resolve()
    if gb is None:
        with open_gradebook(course_dir) as gb:
            return class_results(course_dir, gb)
    results = []
    students = known_students(course_dir, gb)
    for assignment in sorted(gb.assignments, key=lambda a: a.name):
        lab, total = assignment.name, assignment.max_score
        statuses = read_statuses(course_dir, lab)
        for student in students:
            try:
                score = gb.find_submission(lab, student).score
            except MissingEntry:
                score = None
            sandboxed = None
            if student in statuses:
                status, message = Status(statuses[student]["status"]), statuses[student]["message"]
                sandboxed = sandboxed_from_word(statuses[student]["sandboxed"])
            elif score is not None:
                status, message = Status.GRADED, ""
            elif notebook_path(course_dir, "submitted", lab, student).is_file():
                status, message = Status.NOT_GRADED, f"{student}: submitted but not graded yet"
            else:
                status, message = Status.MISSING, f"{student}: nothing submitted for {lab}"
            results.append(StudentResult(student, lab, status, score or 0.0, total, message, sandboxed))
    return results


def class_people(course_dir: Path, gb: Gradebook) -> tuple[list[Person], dict[str, float]]:
    """Return every known student as the open gradebook has them (id only for one known from submitted/ alone),
    and {lab: max score} for each lab of the gradebook."""
    records = {s.id: s for s in gb.students}
    fields = ("first_name", "last_name", "email", "lms_user_id")
    people = [Person(student, *(getattr(records[student], name) or "" for name in fields))
              if student in records else Person(student) for student in known_students(course_dir, gb)]
    return people, {a.name: a.max_score for a in gb.assignments}


def export(course_dir: Path, output: Path) -> Path:
    """Write the class's grades CSV to output and return its path."""
    return write_csv(class_results(course_dir), output)


def export_for_platform(course_dir: Path, platform: str, *, roster: Path, output: Path, match_field: str = "id",
                        column: str | None = None, labs: list[str] | None = None) -> Export:
    """Write the class's grades as `platform`'s grade import takes them, matched to its roster; return what was
    written and the notes to print (see autograd_labs.platforms)."""
    course_dir = Path(course_dir).resolve()
    with open_gradebook(course_dir) as gb:
        results = class_results(course_dir, gb)
        people, max_scores = class_people(course_dir, gb)
    return export_platform(platform, results, people, max_scores, roster_path=roster,
                           output=output, match_field=match_field, column=column, labs=labs)
