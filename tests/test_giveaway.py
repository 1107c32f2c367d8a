"""The giveaway gate: no exercise's solution can be read, beyond a fifth of its lines, before submitting."""
from __future__ import annotations

import copy

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT, notebook_path
from autograd_labs.exercises import nbgrader_meta, solution_code
from autograd_labs.testing import LABS
from autograd_labs.testing.giveaway import LIMIT, giveaways, overlaps, substantive_lines


@pytest.mark.parametrize("lab", LABS)
def test_no_exercise_hands_out_its_answer(lab):
    """The lesson, the release notebook and the visible checks show at most 20% of any solution's lines."""
    found = giveaways(lab)
    assert not found, "\n".join(map(str, found))


def read(kind: str, lab: str):
    if kind == "notebooks":
        return nbformat.read(REPO_ROOT / "notebooks" / f"{lab}.ipynb", as_version=4)
    return nbformat.read(notebook_path(REPO_ROOT, kind, lab), as_version=4)


@pytest.mark.parametrize("where", ["notebooks", "release"])
def test_a_solution_copied_into_what_students_read_is_caught(where):
    """A lesson or release notebook that shows a solution fails the gate, naming the lab, exercise and lines."""
    lab = LABS[0]
    source, lesson, release = read("source", lab), read("notebooks", lab), read("release", lab)
    solution = next(c for c in source.cells if nbgrader_meta(c).get("solution") and not nbgrader_meta(c).get("grade"))
    grade_id = nbgrader_meta(solution)["grade_id"]
    leaky = copy.deepcopy(lesson if where == "notebooks" else release)
    leaky.cells.append(nbformat.v4.new_code_cell(solution_code(solution)))
    readable = (leaky, release) if where == "notebooks" else (lesson, leaky)
    overlap = next(o for o in overlaps(lab, source, *readable) if o.grade_id == grade_id)
    assert overlap.share == 1.0 > LIMIT
    assert overlap.found == substantive_lines(solution_code(solution))
    assert f"{lab} / {grade_id}" in str(overlap) and overlap.found[0] in str(overlap)


def test_comments_short_lines_and_markers_are_not_counted():
    """Only substantive lines count: comments, solution markers and lines under 15 characters are left out."""
    code = "### BEGIN SOLUTION\n# a comment that is long enough\nreturn x\nloss = (prediction - labels).sum()  # sum\n"
    assert substantive_lines(code) == ["loss = (prediction - labels).sum()"]
