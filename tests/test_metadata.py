"""Metadata lint over source/: valid notebooks, sound nbgrader metadata, no stored outputs, Python 3 kernel."""
from __future__ import annotations

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT, notebook_path
from autograd_labs.exercises import exercises, nbgrader_meta
from autograd_labs.sync_checks import HIDDEN, check_blocks, checking_cells, checks_cell, checks_cell_source, stale_labs
from autograd_labs.testing import LABS


def problems(nb) -> list[str]:
    """Return every metadata problem in a source notebook, in plain words."""
    found = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as error:
        found.append(f"not a valid nbformat notebook: {error.message}")
    kernel = nb.metadata.get("kernelspec", {})
    if kernel.get("name") != "python3" or kernel.get("language") != "python":
        found.append(f"kernelspec is {kernel}, not Python 3")
    ids = [nbgrader_meta(c).get("grade_id") for c in nb.cells if nbgrader_meta(c)]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        found.append(f"grade_ids used more than once: {duplicates}")
    for index, cell in enumerate(nb.cells, start=1):
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            found.append(f"cell {index} has stored outputs or an execution count")
        if meta.get("grade") and not float(meta.get("points", 0)) > 0:
            found.append(f"graded cell {meta.get('grade_id')} has no points")
        if meta.get("solution") and "### BEGIN SOLUTION" not in cell.source and cell.cell_type == "code":
            found.append(f"solution cell {meta.get('grade_id')} has no ### BEGIN SOLUTION region")
    for exercise in exercises(nb):
        if not exercise.test_ids:
            found.append(f"solution cell {exercise.grade_id} is not followed by a graded test cell")
    if not exercises(nb):
        found.append("no exercises")
    return found


@pytest.mark.parametrize("lab", LABS)
def test_source_metadata(lab):
    """Every source notebook passes the lint."""
    nb = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    assert problems(nb) == []


@pytest.mark.parametrize("lab", LABS)
def test_lab_has_at_least_four_graded_exercises(lab):
    """Each lab has at least 4 auto-graded exercises, each with points and a hidden test region."""
    nb = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    assert len(exercises(nb)) >= 4
    tests = [c for c in nb.cells if nbgrader_meta(c).get("grade") and c.cell_type == "code"]
    assert all("### BEGIN HIDDEN TESTS" in c.source for c in tests)


def test_lint_catches_broken_metadata():
    """The lint reports duplicate ids, missing points, outputs, an untested solution and a wrong kernel."""
    nb = nbformat.read(notebook_path(REPO_ROOT, "source", LABS[0]), as_version=4)
    solution = next(c for c in nb.cells if nbgrader_meta(c).get("solution"))
    test = next(c for c in nb.cells if nbgrader_meta(c).get("grade"))
    test.metadata.nbgrader["points"] = 0
    test.metadata.nbgrader["grade_id"] = solution.metadata.nbgrader["grade_id"]
    first_code = next(c for c in nb.cells if c.cell_type == "code")  # give it an output
    first_code.outputs = [nbformat.v4.new_output("stream", text="hi")]
    nb.cells.append(nbformat.v4.new_code_cell("### BEGIN SOLUTION\n### END SOLUTION",
                                              metadata={"nbgrader": {"grade_id": "orphan", "solution": True,
                                                                     "grade": False, "locked": False,
                                                                     "schema_version": 3, "task": False}}))
    nb.metadata.kernelspec = {"name": "ir", "language": "R", "display_name": "R"}
    found = "\n".join(problems(nb))
    for words in ["used more than once", "has no points", "stored outputs", "orphan is not followed", "not Python 3"]:
        assert words in found


def test_checks_cells_match_the_shared_module():
    """Each lab's checks cell is a copy of autograd_labs/checks.py and its counts are right (`make release`)."""
    assert stale_labs(REPO_ROOT, LABS) == []


@pytest.mark.parametrize("lab", LABS)
def test_every_test_cell_gives_credit_per_check(lab):
    """Each test cell counts its checks (one hidden at least), ends with `checks.result()`, and holds no check
    outside a `with checks(...)` block that could cost the whole exercise."""
    nb = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    for cell in checking_cells(nb):
        grade_id = nbgrader_meta(cell)["grade_id"]
        hidden = HIDDEN.search(cell.source)
        assert hidden and check_blocks(hidden.group("hidden")) >= 1, f"{grade_id}: no hidden check"
        assert "checks = Checks(points=" in cell.source, f"{grade_id}: no Checks line"
        assert cell.source.rstrip().endswith("checks.result()"), f"{grade_id}: does not end with checks.result()"
        assert "visible_checks_passed" not in cell.source, f"{grade_id}: still announces checks the old way"


def test_a_wrong_check_count_is_stale(tmp_path):
    """stale_labs notices a test cell whose counts no longer match its checks."""
    lab = LABS[0]
    nb = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    test = checking_cells(nb)[0]
    one_more = 'with checks("one more"):\n    pass\n### END HIDDEN TESTS'
    test.source = test.source.replace("### END HIDDEN TESTS", one_more)
    path = notebook_path(tmp_path, "source", lab)
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    assert stale_labs(tmp_path, [lab]) == [lab]


def test_an_edited_checks_cell_is_stale(tmp_path):
    """stale_labs notices a lab whose checks cell was edited by hand."""
    lab = LABS[0]
    nb = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    checks_cell(nb).source = checks_cell_source().replace("wrong sign", "sign is wrong")
    path = notebook_path(tmp_path, "source", lab)
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    assert stale_labs(tmp_path, [lab]) == [lab]
