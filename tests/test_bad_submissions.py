"""Bad submissions do not stop a class: each gets a clear message, the others are graded, nothing is modified."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograd_labs.exercises import exercises, nbgrader_meta, with_solutions
from autograd_labs.grade import Status, grade
from conftest import LABS, read_notebook, submit, tree_digest

FILES = Path(__file__).parent / "files"


@pytest.mark.slow
def test_class_with_broken_notebooks_finishes(course):
    """A notebook that is not JSON and one that loops forever are reported; the good one is graded as usual.

    One lab is enough: the handling does not depend on the lab, and the loop costs a cell's time limit.
    """
    lab = LABS[0]
    source, release = read_notebook(course, "source", lab), read_notebook(course, "release", lab)
    all_ids = [e.grade_id for e in exercises(source)]
    first = exercises(source)[0]

    looping = with_solutions(release, source, all_ids)
    cell = next(c for c in looping.cells if nbgrader_meta(c).get("grade_id") == first.grade_id)
    cell.source = "while True:\n    pass\n\n" + cell.source

    students = {"bad_not_json": (FILES / "not-json.ipynb").read_bytes(), "bad_infinite_loop": looping,
                "good_student": with_solutions(release, source, all_ids)}
    for student, content in students.items():
        submit(course, student, lab, content)
    before = tree_digest(course / "submitted")

    results = {r.student: r for r in grade(course, lab, sorted(students))}

    total = sum(e.points for e in exercises(source))
    where = f"submitted/bad_not_json/{lab}/{lab}.ipynb"
    not_json = results["bad_not_json"]
    assert (not_json.status, not_json.score) == (Status.INVALID, 0)
    assert "bad_not_json" in not_json.message and where in not_json.message and "not a readable notebook" in (
        not_json.message)

    loop = results["bad_infinite_loop"]
    assert (loop.status, loop.score) == (Status.TIMED_OUT, total - first.points)
    assert "bad_infinite_loop" in loop.message and first.grade_id in loop.message
    assert f"submitted/bad_infinite_loop/{lab}/{lab}.ipynb" in loop.message

    assert (results["good_student"].status, results["good_student"].score) == (Status.GRADED, total)
    assert tree_digest(course / "submitted") == before, "grading modified a submission"


@pytest.mark.slow
def test_missing_submission_is_reported(course):
    """A student named on the command line with no notebook gets the status `missing`, not an error."""
    lab = LABS[0]
    (course / "submitted" / "no_notebook" / lab).mkdir(parents=True)
    [result] = grade(course, lab, ["no_notebook"])
    assert (result.status, result.score) == (Status.MISSING, 0)
    assert "no_notebook" in result.message
