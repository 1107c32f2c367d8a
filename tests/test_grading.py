"""Round trip through nbgrader: full marks for the solution, exactly one exercise's points for one right answer."""
from __future__ import annotations

import csv

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT, notebook_path
from autograd_labs.example_class import grade_example_class, partial_ids
from autograd_labs.exercises import exercises
from autograd_labs.results import Status
from autograd_labs.testing import LABS, QUICK_LAB
from autograd_labs.testing.class_run import EXAMPLE_PARTIAL
from autograd_labs.testing.notebooks import read_notebook, tree_digest

EXERCISES = [(lab, exercise) for lab in LABS
             for exercise in exercises(nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4))]


@pytest.fixture(scope="module")
def lab_results(class_run):
    """Per lab, the results of a full solution and of one submission per exercise with only it solved."""
    return {lab: class_run.lab(lab) for lab in LABS}


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_solution_scores_max(lab_results, lab):
    """The release version with every solution filled in scores max_score."""
    result = lab_results[lab]["all_right"]
    total = sum(e.points for e in exercises(read_notebook(REPO_ROOT, "source", lab)))
    assert (result.status, result.score, result.max_score) == (Status.GRADED, total, total)


@pytest.mark.slow
@pytest.mark.parametrize(("lab", "exercise"), EXERCISES, ids=[f"{lab}-{e.grade_id}" for lab, e in EXERCISES])
def test_one_right_answer_scores_its_points(lab_results, lab, exercise):
    """A submission with exactly one exercise solved scores exactly that exercise's points."""
    result = lab_results[lab][f"only_{exercise.grade_id}"]
    assert (result.status, result.score) == (Status.GRADED, exercise.points), result.message


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_example_partial_scores_its_points(lab_results, lab):
    """The example class's partial submission (examples/, as committed) earns exactly the points of the exercises
    it solves. Its solution and blank submissions are all_right and blank_release, which test_release_sync keeps
    identical to them and the tests above and test_release_blank judge."""
    source = read_notebook(REPO_ROOT, "source", lab)
    points = {e.grade_id: e.points for e in exercises(source)}
    partial = sum(points[i] for i in partial_ids(source))
    result = lab_results[lab][EXAMPLE_PARTIAL]
    assert 0 < partial < sum(points.values())
    assert (result.status, result.score) == (Status.GRADED, partial), result.message


@pytest.mark.slow
def test_example_class(tmp_path, grading_client):
    """`make grade`'s example class, end to end for one lab: solution full marks, blank 0, partial exactly its
    points, feedback for each and the CSV; examples/ unchanged. (Every lab's partial is judged above.)"""
    lab = QUICK_LAB
    course_dir, release_dir = tmp_path / "course", tmp_path / "release"
    before = tree_digest(REPO_ROOT / "examples")
    results = grade_example_class(REPO_ROOT, course_dir, release_dir, labs=[lab], client=grading_client)
    scores = {(r.student, r.lab): (r.status, r.score, r.max_score) for r in results}
    source = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    points = {e.grade_id: e.points for e in exercises(source)}
    total = sum(points.values())
    partial = sum(points[i] for i in partial_ids(source))
    expected = {("solution", lab): (Status.GRADED, total, total), ("blank", lab): (Status.GRADED, 0, total),
                ("partial", lab): (Status.GRADED, partial, total)}
    assert scores == expected
    assert tree_digest(REPO_ROOT / "examples") == before
    with open(course_dir / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(row["student_id"], row["lab"], row["status"], float(row["score"])) for row in rows} == {
        (student, lab, str(status), score) for (student, lab), (status, score, _) in expected.items()}
    for student in ["solution", "blank", "partial"]:
        assert (course_dir / "feedback" / student / lab / f"{lab}.html").is_file()
