"""Keep each lab's "checks" cell identical to autograd_labs/checks.py, the one source of the shared checks."""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from autograd_labs.course import REPO_ROOT, lab_names, notebook_path
from autograd_labs.exercises import nbgrader_meta

CHECKS_GRADE_ID = "checks"
CHECKS_MODULE = Path(__file__).with_name("checks.py")


def checks_cell_source() -> str:
    """Return the text the checks cell must hold: checks.py without its module docstring."""
    text = CHECKS_MODULE.read_text()
    docstring_end = ast.parse(text).body[0].end_lineno
    return "\n".join(text.splitlines()[docstring_end:]).strip() + "\n"


def checks_cell(nb):
    """Return the notebook's checks cell, or None when it has none."""
    return next((c for c in nb.cells if nbgrader_meta(c).get("grade_id") == CHECKS_GRADE_ID), None)


def stale_labs(root: Path = REPO_ROOT) -> list[str]:
    """Return the labs whose checks cell is missing or differs from checks.py."""
    stale = []
    for lab in lab_names(root):
        cell = checks_cell(nbformat.read(notebook_path(root, "source", lab), as_version=4))
        if cell is None or cell.source.strip() != checks_cell_source().strip():
            stale.append(lab)
    return stale


def sync_checks(root: Path = REPO_ROOT) -> list[str]:
    """Rewrite the checks cell of every source notebook that has one; return the labs changed."""
    changed = []
    for lab in lab_names(root):
        path = notebook_path(root, "source", lab)
        nb = nbformat.read(path, as_version=4)
        cell = checks_cell(nb)
        if cell is not None and cell.source.strip() != checks_cell_source().strip():
            cell.source = checks_cell_source().strip()
            nbformat.write(nb, path)
            changed.append(lab)
    return changed
