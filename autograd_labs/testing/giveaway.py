"""The giveaway gate: how much of each exercise's solution a student can read before submitting.

For every solution region of a lab, count its substantive lines (whitespace squeezed; comments, the solution
markers and lines under 15 characters left out) and find those that appear verbatim in what the student reads:
the lesson notebook of the same lab, and the release notebook (its text, its demo cells and the visible part of
its test cells). A lab passes when no exercise shows more than LIMIT of its solution there.
"""
from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograd_labs.course import REPO_ROOT, notebook_path
from autograd_labs.exercises import SOLUTION_MARKER, nbgrader_meta

LIMIT = 0.20
SHORTEST = 15  # lines shorter than this (`return loss`, `x.backward()`) say nothing about the answer


def squeezed(line: str) -> str:
    """Return a line with its runs of whitespace squeezed to one space and its ends stripped."""
    return " ".join(line.split())


def without_comments(code: str) -> str:
    """Return code with its comments removed (the code unchanged when it does not tokenize)."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type != tokenize.COMMENT]
        return tokenize.untokenize(tokens)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return code


def substantive_lines(code: str) -> list[str]:
    """Return the lines of code that count for the gate, squeezed, in order."""
    lines = (squeezed(line) for line in without_comments(code).splitlines() if not SOLUTION_MARKER.match(line))
    return [line for line in lines if len(line) >= SHORTEST and not line.startswith("#")]


def solution_regions(notebook) -> dict[str, str]:
    """Return {grade_id: the code between a solution cell's BEGIN and END SOLUTION markers}."""
    regions = {}
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or not meta.get("solution") or meta.get("grade"):
            continue
        inside, lines = False, []
        for line in cell.source.splitlines():
            if SOLUTION_MARKER.match(line):
                inside = "BEGIN" in line
            elif inside:
                lines.append(line)
        regions[meta["grade_id"]] = "\n".join(lines)
    return regions


def readable_lines(*notebooks) -> set[str]:
    """Return every line a student can read in these notebooks, squeezed, with and without its comments."""
    found = set()
    for notebook in notebooks:
        for cell in notebook.cells:
            for text in (cell.source, without_comments(cell.source) if cell.cell_type == "code" else ""):
                found.update(squeezed(line) for line in text.splitlines())
    return found


@dataclass
class Overlap:
    """How much of one exercise's solution a student can read: the lines found, out of the lines counted."""

    lab: str
    grade_id: str
    counted: list[str]
    found: list[str]

    @property
    def share(self) -> float:
        """The share of the counted lines that were found (0 when nothing was counted)."""
        return len(self.found) / len(self.counted) if self.counted else 0.0

    def __str__(self) -> str:
        lines = "".join(f"\n    {line}" for line in self.found)
        return (f"{self.lab} / {self.grade_id}: {len(self.found)} of {len(self.counted)} solution lines "
                f"({self.share:.0%}) can be read before submitting:{lines}")


def overlaps(lab: str, source_nb, *readable) -> list[Overlap]:
    """Return, for each solution region of a lab's source notebook, its lines found in the readable notebooks."""
    corpus = readable_lines(*readable)
    result = []
    for grade_id, code in solution_regions(source_nb).items():
        counted = substantive_lines(code)
        result.append(Overlap(lab, grade_id, counted, [line for line in counted if line in corpus]))
    return result


def lab_overlaps(lab: str, root: Path = REPO_ROOT) -> list[Overlap]:
    """Return the overlaps of one lab: its source solutions against its lesson and its release notebook."""
    source = nbformat.read(notebook_path(root, "source", lab), as_version=4)
    release = nbformat.read(notebook_path(root, "release", lab), as_version=4)
    lesson = nbformat.read(Path(root) / "notebooks" / f"{lab}.ipynb", as_version=4)
    return overlaps(lab, source, lesson, release)


def giveaways(lab: str, root: Path = REPO_ROOT, limit: float = LIMIT) -> list[Overlap]:
    """Return the lab's exercises that show more than `limit` of their solution to a student."""
    return [overlap for overlap in lab_overlaps(lab, root) if overlap.share > limit]
