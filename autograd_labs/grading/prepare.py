"""Prepare one submission for execution: nbgrader's own sanitize step, run by the coordinating process.

The sanitize preprocessors (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
CheckCellMetadata; two of them as nbgrader_steps replaces them) restore every locked and test cell from the
gradebook, hidden tests included, exactly as `nbgrader autograde` does before it executes. Only the coordinator
reads the gradebook; workers get the result.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook
from traitlets.config import Config

from autograd_labs.course import db_url, notebook_path
from autograd_labs.exercises import defined_names, nbgrader_meta
from autograd_labs.grading.nbgrader_steps import duplicated_ids, sanitize_steps
from autograd_labs.grading.worker.tamper import scan


def nbgrader_resources(config: Config, lab: str, student: str) -> dict:
    """Return the resources nbgrader's preprocessors expect for one student's lab notebook."""
    return {"nbgrader": {"student": student, "assignment": lab, "notebook": lab, "db_url": db_url(config)}}


class NotThisLab(ValueError):
    """The submission does not hold this lab's graded cells (another lab's notebook, or metadata stripped)."""


def nbgrader_cells_by_id(nb) -> dict[str, object]:
    """Return {grade_id: cell} for the cells that carry nbgrader metadata."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if nbgrader_meta(c).get("grade_id")}


@dataclass(frozen=True)
class LabCells:
    """The ids of a lab's cells in the gradebook: its graded (test) cells and every cell it knows."""

    graded: frozenset[str]
    known: frozenset[str]


def lab_cells(config: Config, lab: str) -> LabCells:
    """Read the lab's cell ids from the gradebook (once per grading run: they do not change during one)."""
    with Gradebook(db_url(config)) as gb:
        notebook = gb.find_notebook(lab, lab)
        graded = frozenset(cell.name for cell in notebook.grade_cells)
        return LabCells(graded, graded | {cell.name for cell in notebook.source_cells})


def check_is_this_lab(cells: LabCells, lab: str, nb) -> list[str]:
    """Raise NotThisLab unless most of the submission's graded cells are the lab's; return the ids of the others.

    A few cells with another notebook's grading metadata (pasted from another lab) are the student's own cells;
    sanitize keeps them as ordinary cells. A notebook made mostly of another lab's graded cells is that lab's,
    even when one id happens to be shared (two labs may both have a `training_step`).
    """
    graded, known = cells.graded, cells.known
    found = set(nbgrader_cells_by_id(nb))
    if not found:
        raise NotThisLab(f"it has no grading metadata and none of its cells match {lab}'s release version "
                         "(is it another lab's notebook?)")
    foreign = sorted(found - known)
    if not found & graded or len(foreign) > len(found & known):
        raise NotThisLab(f"it holds {'none' if not found & graded else 'few'} of {lab}'s graded cells "
                         "(is it another lab's notebook?)")
    return foreign


def drop_grading_metadata(nb, grade_ids: list[str]) -> None:
    """Turn the cells carrying these grade ids into ordinary cells (their nbgrader metadata removed)."""
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") in grade_ids:
            del cell.metadata["nbgrader"]


# Another lab's release shares at most a tenth of a lab's text cells (the headings every lab has); a student's
# copy of this lab, even with its test cells edited, keeps far more.
THIS_LAB_SHARE = 0.3


def resemblance(submitted, release) -> float:
    """Return the share of the release's text (markdown) cells that appear unchanged in the submission."""
    texts = {cell.source.strip() for cell in submitted.cells}
    wanted = [cell.source.strip() for cell in release.cells if cell.cell_type == "markdown" and cell.source.strip()]
    return sum(text in texts for text in wanted) / len(wanted) if wanted else 0.0


def first_line(cell) -> str:
    """Return a cell's first non-empty line (a test cell's opening docstring), stripped."""
    return next((line.strip() for line in cell.source.splitlines() if line.strip()), "")


def realign(submitted, release) -> int:
    """Give a submission that lost its nbgrader metadata the metadata of the release cells it corresponds to.

    What VS Code or copying cells into a fresh notebook does: the cells are all there, the metadata is not.
    Cells whose type and text equal a release cell's (instructions, locked and test cells) match in order;
    between them, each solution cell of the release matches the student's code cell that defines the same
    names, and each test cell the student's code cell that opens with the same line (its docstring), else the
    next unmatched code cell in order, so an edited test cell (a debug print, an older release) is still found.
    Returns the number of cells matched (changes `submitted`).
    """
    def key(cell):
        return cell.cell_type, cell.source.strip()

    matcher = difflib.SequenceMatcher(None, [key(c) for c in release.cells], [key(c) for c in submitted.cells],
                                      autojunk=False)
    matched = 0

    def adopt(release_cell, cell) -> None:
        nonlocal matched
        if "nbgrader" in release_cell.metadata:
            cell.metadata["nbgrader"] = dict(release_cell.metadata["nbgrader"])
            matched += 1

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                adopt(release.cells[i1 + offset], submitted.cells[j1 + offset])
        elif tag == "replace":
            candidates = [j for j in range(j1, j2) if submitted.cells[j].cell_type == "code"]
            last = j1 - 1  # the student's cell most recently matched in this stretch
            for release_cell in release.cells[i1:i2]:
                meta = nbgrader_meta(release_cell)
                if release_cell.cell_type != "code" or not (meta.get("solution") or meta.get("grade")) \
                        or not candidates:
                    continue
                if meta.get("solution"):
                    wanted = set(defined_names(release_cell.source, assignments=True))
                    j = next((j for j in candidates if wanted & set(defined_names(submitted.cells[j].source,
                                                                                  assignments=True))), candidates[0])
                else:
                    j = next((j for j in candidates if first_line(submitted.cells[j]) == first_line(release_cell)),
                             next((j for j in candidates if j > last), None))
                    if j is None:
                        continue
                candidates.remove(j)
                last = j
                adopt(release_cell, submitted.cells[j])
    return matched


def edited(cell) -> bool:
    """Return whether a locked cell differs from the version handed out (its checksum no longer matches)."""
    return utils.compute_checksum(cell) != cell.metadata["nbgrader"].get("checksum")


def repairs(submitted, sanitized) -> list[str]:
    """Return, in words, what nbgrader's sanitize step restored: missing, edited or retyped graded cells."""
    before, after = nbgrader_cells_by_id(submitted), nbgrader_cells_by_id(sanitized)
    found = []
    for grade_id, cell in after.items():
        original = before.get(grade_id)
        if original is None:
            found.append(f"the deleted cell {grade_id} was restored from the gradebook")
        elif original.cell_type != cell.cell_type:
            found.append(f"{grade_id} was turned back into a {cell.cell_type} cell")
        elif nbgrader_meta(cell).get("locked") and edited(original):
            found.append(f"the edited cell {grade_id} was restored from the gradebook")
    return found


@dataclass
class Prepared:
    """A submission ready to execute: the sanitized notebook, the repairs made, and what nbgrader should record.

    `submission` is the notebook nbgrader's autograde must read in place of the submitted file (the realigned
    one when its metadata was stripped), or None when the submitted file itself will do. `tampering` lists
    what the student's cells rebind that the tests rely on (autograd_labs.grading.worker.tamper.scan).
    """

    notebook: str
    repairs: list[str]
    submission: str | None = None
    tampering: list[str] = field(default_factory=list)


def sanitize(config: Config, lab: str, student: str, notebook_text: str, cells: LabCells | None = None) -> Prepared:
    """Return the submission after nbgrader's sanitize preprocessors, with the repairs made.

    `cells` are the lab's cell ids (read from the gradebook when not given). Raises NotThisLab for another lab's
    notebook, and whatever nbgrader raises for one it cannot grade.
    """
    submitted = nbformat.reads(notebook_text, as_version=4)
    found = []  # what was changed in the student's notebook before nbgrader sees it
    if not nbgrader_cells_by_id(submitted):
        release = nbformat.read(notebook_path(Path(config.CourseDirectory.root), "release", lab), as_version=4)
        if resemblance(submitted, release) < THIS_LAB_SHARE:
            raise NotThisLab(f"it has no grading metadata and too few of its cells match {lab}'s release version "
                             "(is it another lab's notebook?)")
        matched = realign(submitted, release)
        if matched:
            found.append(f"its grading metadata was missing, so {matched} cells were matched to the release "
                         "version by their content")
    foreign = check_is_this_lab(cells or lab_cells(config, lab), lab, submitted)
    if foreign:
        drop_grading_metadata(submitted, foreign)
        found.append(f"{len(foreign)} cell{'s' if len(foreign) > 1 else ''} carried another notebook's grading "
                     f"metadata ({', '.join(foreign)}) and {'were' if len(foreign) > 1 else 'was'} kept as "
                     "ordinary cells")
    copied = []  # nbgrader's sanitize (here and again when it records) keeps the last copy graded
    duplicated = duplicated_ids(submitted)
    if duplicated:
        copied.append(f"{'the cells' if len(duplicated) > 1 else 'the cell'} {', '.join(duplicated)} "
                      f"{'were' if len(duplicated) > 1 else 'was'} copied; only the last copy is graded, the others "
                      "were kept as ordinary cells")
    text = nbformat.writes(submitted)
    submission = text if found else None  # nbgrader must then record the changed notebook, not the submitted file
    nb = nbformat.reads(text, as_version=4)
    resources = nbgrader_resources(config, lab, student)
    for preprocessor_class in sanitize_steps():
        nb, resources = preprocessor_class(config=config).preprocess(nb, resources)
    return Prepared(nbformat.writes(nb), found + copied + repairs(submitted, nb), submission, scan(nb))
