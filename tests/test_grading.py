"""Round trip through nbgrader: full marks for the solution, and each exercise's points for its own answer alone."""
from __future__ import annotations

import csv
import itertools
import math

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT, notebook_path
from autograd_labs.example_class import grade_example_class, partial_ids
from autograd_labs.exercises import exercises
from autograd_labs.results import Status
from autograd_labs.testing import LABS, QUICK_LAB
from autograd_labs.testing.class_run import EXAMPLE_PARTIAL, separating_subsets
from autograd_labs.testing.notebooks import read_notebook, tree_digest

EXERCISES = [(lab, exercise) for lab in LABS
             for exercise in exercises(nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4))]


@pytest.fixture(scope="module")
def lab_results(class_run):
    """Per lab, the results of the class's students (full solution, partial submissions)."""
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
def test_each_exercise_earns_its_points_exactly_when_solved(class_run, lab, exercise):
    """In submissions that solve different sets of exercises (for any two, one that solves the first and leaves the
    second blank), the exercise earns its full points where it is solved and 0 where it is blank: its credit
    depends on its own answer alone, and no other answer makes it pass."""
    subsets = class_run.subsets[lab]
    assert any(exercise.grade_id in solved for solved, _ in subsets.values())
    assert any(exercise.grade_id not in solved for solved, _ in subsets.values())
    for student, (solved, earned) in subsets.items():
        expected = exercise.points if exercise.grade_id in solved else 0
        assert earned[exercise.grade_id] == expected, f"{student} solves {solved}: {earned}"


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_partial_submissions_score_the_sum_of_their_exercises(class_run, lab):
    """Each of those submissions is graded, and its total is the points of the exercises it solves."""
    points = {e.grade_id: e.points for e in exercises(read_notebook(REPO_ROOT, "source", lab))}
    for student, (solved, _) in class_run.subsets[lab].items():
        result = class_run.results[lab, student]
        assert (result.status, result.score) == (Status.GRADED, sum(points[i] for i in solved)), result.message


@pytest.mark.parametrize("exercises_count", range(1, 13))
def test_the_subsets_separate_every_pair_of_exercises(exercises_count):
    """For any two exercises e and f, some submission solves e and leaves f blank; and no fewer submissions could
    (every exercise needs a set of submissions that contains no other's)."""
    ids = [f"e{i}" for i in range(exercises_count)]
    subsets = separating_subsets(ids)
    for e, f in itertools.permutations(ids, 2):
        assert any(e in solved and f not in solved for solved in subsets), (e, f, subsets)
    assert all(any(e in solved for solved in subsets) and any(e not in solved for solved in subsets) for e in ids)
    fewer = len(subsets) - 1
    assert fewer < 2 or math.comb(fewer, fewer // 2) < exercises_count


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
