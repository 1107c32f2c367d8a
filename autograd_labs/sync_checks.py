"""Keep each lab's shared checks in step: the "checks" cell and the check counts in every test cell.

The "checks" cell must be identical to autograd_labs/checks.py, the one source of the shared checks. A test cell
opens with `checks = Checks(points=P, visible=V, hidden=H)`: P is the cell's points, V its `with checks(...)`
blocks outside the hidden region and H those between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`.
`sync-checks` writes that line, so the counts never drift.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from autograd_labs.course import REPO_ROOT, lab_names, notebook_path
from autograd_labs.exercises import nbgrader_meta

CHECKS_GRADE_ID = "checks"
CHECKS_MODULE = Path(__file__).with_name("checks.py")
HIDDEN = re.compile(r"^### BEGIN HIDDEN TESTS\n(?P<hidden>.*?)^### END HIDDEN TESTS", re.S | re.M)
CHECKS_LINE = re.compile(r"^checks = Checks\(.*\)$", re.M)


def check_blocks(code: str) -> int:
    """Return how many top-level `with checks(...)` blocks the code holds (0 when it does not parse)."""
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return 0
    return sum(isinstance(node, ast.With) and any(
        isinstance(item.context_expr, ast.Call) and isinstance(item.context_expr.func, ast.Name)
        and item.context_expr.func.id == "checks" for item in node.items) for node in body)


def checks_line(test_source: str, points) -> str:
    """Return the `checks = Checks(...)` line a test cell must open with, its counts taken from the cell."""
    match = HIDDEN.search(test_source)
    hidden = match.group("hidden") if match else ""
    visible = HIDDEN.sub("", test_source)
    return (f"checks = Checks(points={float(points):g}, visible={check_blocks(visible)}, "
            f"hidden={check_blocks(hidden)})")


def announced(test_source: str, points=0) -> str:
    """Return the test cell with its `checks = Checks(...)` line written from its points and its blocks."""
    return CHECKS_LINE.sub(lambda _: checks_line(test_source, points), test_source, count=1)


def checking_cells(nb):
    """Return the notebook's test cells (graded, not solutions)."""
    return [c for c in nb.cells if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")]


def checks_cell_source() -> str:
    """Return the text the checks cell must hold: checks.py without its module docstring."""
    text = CHECKS_MODULE.read_text()
    docstring_end = ast.parse(text).body[0].end_lineno
    return "\n".join(text.splitlines()[docstring_end:]).strip() + "\n"


def checks_cell(nb):
    """Return the notebook's checks cell, or None when it has none."""
    return next((c for c in nb.cells if nbgrader_meta(c).get("grade_id") == CHECKS_GRADE_ID), None)


def in_step(nb) -> bool:
    """Return whether a notebook's checks cell matches checks.py and every test cell announces its hidden count."""
    cell = checks_cell(nb)
    return (cell is not None and cell.source.strip() == checks_cell_source().strip()
            and all(c.source == announced(c.source, nbgrader_meta(c).get("points", 0)) for c in checking_cells(nb)))


def stale_labs(root: Path = REPO_ROOT, labs: list[str] | None = None) -> list[str]:
    """Return the labs (of `labs`, or all) whose checks cell is missing or differs from checks.py, or whose counts
    are wrong."""
    return [lab for lab in labs or lab_names(root)
            if not in_step(nbformat.read(notebook_path(root, "source", lab), as_version=4))]


def sync_checks(root: Path = REPO_ROOT, labs: list[str] | None = None) -> list[str]:
    """Rewrite the checks cell and the check counts of each source notebook (of `labs`, or every lab); return the
    labs changed."""
    changed = []
    for lab in labs or lab_names(root):
        path = notebook_path(root, "source", lab)
        nb = nbformat.read(path, as_version=4)
        if in_step(nb):
            continue
        cell = checks_cell(nb)
        if cell is not None:
            cell.source = checks_cell_source().strip()
        for test in checking_cells(nb):
            test.source = announced(test.source, nbgrader_meta(test).get("points", 0))
        nbformat.write(nb, path)
        changed.append(lab)
    return changed
