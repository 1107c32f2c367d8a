"""Keep each lab's shared checks in step: the "checks" cell and the hidden-check count in every test cell.

The "checks" cell must be identical to autograd_labs/checks.py, the one source of the shared checks. Each test
cell with hidden tests ends its visible part with `visible_checks_passed(N)`, N being the number of checks
between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`; `sync-checks` writes that line, so N never drifts.
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
ANNOUNCEMENT = re.compile(r"^visible_checks_passed\(\d+\)\n", re.M)


def counts_as_check(node, helpers: set[str]) -> bool:
    """Return whether a statement checks something: an assert, or a call to a check_* or the cell's own helper."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Assert):
            return True
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and (
                inner.func.id.startswith("check") or inner.func.id in helpers):
            return True
    return False


def hidden_check_count(test_source: str) -> int | None:
    """Return how many top-level statements of a test cell's hidden region check something (None: no region)."""
    match = HIDDEN.search(test_source)
    if match is None:
        return None
    try:
        body = ast.parse(match.group("hidden")).body
        helpers = {node.name for node in ast.parse(test_source).body if isinstance(node, ast.FunctionDef)}
    except SyntaxError:  # a region that is not a whole block of its own cannot be counted
        return None
    return sum(counts_as_check(node, helpers) for node in body if not isinstance(node, ast.FunctionDef | ast.ClassDef))


def announced(test_source: str) -> str:
    """Return the test cell with `visible_checks_passed(N)` right before its hidden region, N counted."""
    count = hidden_check_count(test_source)
    if count is None:
        return test_source
    without = ANNOUNCEMENT.sub("", test_source)
    start = HIDDEN.search(without).start()
    return f"{without[:start]}visible_checks_passed({count})\n{without[start:]}"


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
            and all(c.source == announced(c.source) for c in checking_cells(nb)))


def stale_labs(root: Path = REPO_ROOT) -> list[str]:
    """Return the labs whose checks cell is missing or differs from checks.py, or whose counts are wrong."""
    return [lab for lab in lab_names(root)
            if not in_step(nbformat.read(notebook_path(root, "source", lab), as_version=4))]


def sync_checks(root: Path = REPO_ROOT) -> list[str]:
    """Rewrite the checks cell and the hidden-check counts of every source notebook; return the labs changed."""
    changed = []
    for lab in lab_names(root):
        path = notebook_path(root, "source", lab)
        nb = nbformat.read(path, as_version=4)
        if in_step(nb):
            continue
        cell = checks_cell(nb)
        if cell is not None:
            cell.source = checks_cell_source().strip()
        for test in checking_cells(nb):
            test.source = announced(test.source)
        nbformat.write(nb, path)
        changed.append(lab)
    return changed
