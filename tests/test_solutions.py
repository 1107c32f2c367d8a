"""Every lab runs top to bottom with its solutions, and every visible and hidden test passes.

The lab with every solution filled in is the shared class's `all_right`: the grader restores its test cells, hidden
tests included, from the gradebook and executes every cell in a kernel where deprecated APIs raise (the tests'
python3 kernel, which the grader's kernels start with too). test_release_sync keeps the release version, from
which `all_right` is built, generated from source/; test_grading requires its full marks.
"""
from __future__ import annotations

import pytest

from autograd_labs.testing import LABS, QUICK_LAB
from autograd_labs.testing.class_run import DEPRECATION_PROBE
from autograd_labs.testing.notebooks import cell_errors, read_notebook


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_full_solution_runs_without_an_error(class_run, lab):
    """No cell of the executed full solution (demos, predictions, answers, visible and hidden tests) has an error."""
    executed = read_notebook(class_run.course_dir, "autograded", lab, "all_right")
    assert cell_errors(executed) == []


@pytest.mark.slow
def test_an_error_in_any_cell_is_found(class_run):
    """The same check fails on the class's blank release (each exercise's stub raises in its tests) and names the
    cells; and the grader's kernels turn a deprecation warning into an error, as the tests' own kernel does."""
    blank = cell_errors(read_notebook(class_run.course_dir, "autograded", QUICK_LAB, "blank_release"))
    assert blank and all(error.startswith("cell ") and "Error" in error for error in blank), blank
    probe = cell_errors(read_notebook(class_run.course_dir, "autograded", QUICK_LAB, DEPRECATION_PROBE))
    assert len(probe) == 1 and "DeprecationWarning: an API on its way out" in probe[0], probe
