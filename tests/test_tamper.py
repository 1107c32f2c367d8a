"""Tamper detection: a student who rebinds what the tests rely on earns nothing from it and is flagged.

Each attack is a fixture: a wrong answer plus one cell that would make its test pass. Executed with the guard,
the test fails as it should and the execution names what was replaced; executed without it (the control), the
attack works, so each fixture proves something. Through the whole pipeline the row says `tampered`.
"""
from __future__ import annotations

import nbformat
import pytest

from autograd_labs.exercises import exercises
from autograd_labs.grading.worker.execute import execute_submission
from autograd_labs.grading.worker.tamper import scan, scan_source
from autograd_labs.results import Status
from autograd_labs.sync_checks import checks_cell_source
from autograd_labs.testing import LABS
from autograd_labs.testing.catalogue import load_attacks
from autograd_labs.testing.class_run import TAMPER_CELL
from autograd_labs.testing.notebooks import read_notebook

WRONG_ANSWER = "def double(x):\n    return (x * 3).tolist()"
# name: {the student's extra cell, the test it defeats, whether the static scan can see it}; make mutants uses it too
ATTACKS = load_attacks()
# The notebooks here are a few lines long: a hang fails in seconds (a cold kernel imports torch well within this).
TINY_LIMITS = {"cell_timeout": 10, "notebook_timeout": 30}


def cell(source: str, **nbgrader):
    made = nbformat.v4.new_code_cell(source)
    if nbgrader:
        made.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": False, "schema_version": 3,
                                     **nbgrader}
    return made


def attacked_notebook(attack: str, test: str):
    """A tiny lab: the shared checks (locked), a wrong answer, the attack, then a graded test cell."""
    return nbformat.v4.new_notebook(cells=[
        cell("import torch"),
        cell(checks_cell_source(), grade_id="checks", locked=True),
        cell(WRONG_ANSWER, grade_id="double", solution=True),
        cell(attack),
        cell(f"x = torch.arange(4.0)\n{test}", grade_id="test_double", grade=True, locked=True, points=1),
    ])


def errors_of_the_test_cell(notebook: str) -> list[str]:
    executed = nbformat.reads(notebook, as_version=4)
    return [o.get("ename") for o in executed.cells[-1].outputs if o.get("output_type") == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ATTACKS)
def test_the_attack_earns_nothing_and_is_named(name):
    """With the guard the wrong answer fails its test and the replaced function is named; without it, it passes."""
    attack, test, visible_to_scan = (ATTACKS[name][key] for key in ("cell", "defeats", "visible_to_scan"))
    nb = nbformat.writes(attacked_notebook(attack, test))
    guarded = execute_submission(name, "lab", nb, **TINY_LIMITS)
    assert errors_of_the_test_cell(guarded.notebook) != [], "the attack beat the guard"
    assert guarded.tampered, "the guard did not name what was replaced"
    control = execute_submission(name, "lab", nb, **TINY_LIMITS, guard=False)
    assert errors_of_the_test_cell(control.notebook) == [], "the control failed: this attack does not work anyway"
    assert control.tampered == ()
    assert bool(scan(attacked_notebook(attack, test))) == visible_to_scan


@pytest.mark.slow
def test_an_honest_notebook_has_nothing_to_restore():
    """The guard stays silent for the same notebook without an attack, and the right answer passes."""
    right = attacked_notebook("y = 1", "check_tensor('double(x)', torch.tensor(double(x)), 2 * x)")
    right.cells[2].source = "def double(x):\n    return (x * 2).tolist()"
    done = execute_submission("honest", "lab", nbformat.writes(right), **TINY_LIMITS)
    assert (errors_of_the_test_cell(done.notebook), done.tampered, scan(right)) == ([], (), [])


@pytest.mark.slow
def test_a_tampering_student_is_flagged_in_the_grade_report(class_run):
    """Through the pipeline: the row says `tampered` and what was replaced; an honest classmate is unaffected."""
    lab = LABS[0]
    rows = class_run.lab(lab)
    total = sum(e.points for e in exercises(read_notebook(class_run.course_dir, "source", lab)))
    flagged = read_notebook(class_run.course_dir, "submitted", lab, "tamper_flagged")
    assert any(c.source == TAMPER_CELL for c in flagged.cells)
    assert (rows["tamper_flagged"].status, rows["tamper_flagged"].score) == (Status.TAMPERED, total)
    assert "torch.allclose" in rows["tamper_flagged"].message and "person should look" in rows["tamper_flagged"].message
    assert (rows["tamper_bystander"].status, rows["tamper_bystander"].score) == (Status.GRADED, total)


@pytest.mark.slow
def test_a_warning_in_a_test_cell_is_not_a_failure():
    """nbgrader scores a test cell that wrote to stderr 0; while grading, warnings go to stdout instead."""
    from nbgrader.utils import determine_grade

    nb = nbformat.v4.new_notebook(cells=[cell("import warnings"), cell(
        "warnings.warn('a correct answer may still make torch warn')", grade_id="test_warns", grade=True,
        locked=True, points=2)])
    scores = {}
    for guard in (True, False):
        done = execute_submission("warns", "lab", nbformat.writes(nb), **TINY_LIMITS,
                                  guard=guard)
        scores[guard] = determine_grade(nbformat.reads(done.notebook, as_version=4).cells[-1])[0]
    assert scores == {True: 2, False: 0}


MAGIC_CELLS = {
    "a cell magic": "%%capture\ntorch.allclose = lambda *args, **kwargs: True\n",
    "a line magic": "%time torch.allclose = lambda *args, **kwargs: True\n",
    "a shell line first": "!echo hello\ntorch.allclose = lambda *args, **kwargs: True\n",
    "a magic inside a magic": "%%time\n%time torch.allclose = lambda *args, **kwargs: True\n",
}


@pytest.mark.parametrize("cell", MAGIC_CELLS.values(), ids=MAGIC_CELLS)
def test_the_scan_reads_cells_as_ipython_runs_them(cell):
    """Magics and shell lines do not hide a rebinding from the scan: cells are read after IPython's transforms."""
    assert any("rebinds torch.allclose" in finding for finding in scan_source(cell, set()))
    assert scan_source(cell.replace("torch.allclose", "close_enough"), set()) == []
