"""Read a lab's exercises from nbgrader cell metadata, and build submissions from the source and release."""
from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field

import nbformat

SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def nbgrader_meta(cell) -> dict:
    """Return a cell's nbgrader metadata ({} for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def defined_names(source: str, assignments: bool = False) -> list[str]:
    """Return the functions and classes a cell defines at top level, in order (with `assignments`, the names it
    assigns too). Code that does not parse, a half-written answer, falls back to the lines that start a definition.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        pattern = r"^(?:def|class)\s+(\w+)|^(\w+)\s*=" if assignments else r"^(?:def|class)\s+(\w+)()"
        return list(dict.fromkeys(name for groups in re.findall(pattern, source, re.M) for name in groups if name))
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif assignments and isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return list(dict.fromkeys(names))


@dataclass
class Exercise:
    """A solution cell and the graded test cells that follow it."""

    grade_id: str
    test_ids: list[str] = field(default_factory=list)
    points: float = 0.0


def exercises(nb: nbformat.NotebookNode) -> list[Exercise]:
    """Return the notebook's exercises in order: each solution cell with the test cells up to the next one."""
    found: list[Exercise] = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and not meta.get("grade"):
            found.append(Exercise(meta["grade_id"]))
        elif meta.get("grade") and cell.cell_type == "code" and found:
            found[-1].test_ids.append(meta["grade_id"])
            found[-1].points += float(meta.get("points", 0))
    return found


def solution_code(source_cell) -> str:
    """Return a source solution cell's code as a student would write it (without the solution markers)."""
    lines = source_cell.source.splitlines()
    return "\n".join(line for line in lines if not SOLUTION_MARKER.match(line))


def with_solutions(release_nb, source_nb, grade_ids) -> nbformat.NotebookNode:
    """Return a copy of the release notebook with the source's solutions filled in for `grade_ids`."""
    solutions = {nbgrader_meta(c).get("grade_id"): c for c in source_nb.cells if nbgrader_meta(c).get("solution")}
    wanted = set(grade_ids)
    missing = wanted - set(solutions)
    if missing:
        raise KeyError(f"no solution cell with grade_id {sorted(missing)}")
    submission = copy.deepcopy(release_nb)
    for cell in submission.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in wanted and nbgrader_meta(cell).get("solution"):
            cell.source = solution_code(solutions[grade_id])
    return submission
