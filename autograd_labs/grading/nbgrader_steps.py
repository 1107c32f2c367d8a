"""nbgrader's own sanitize and autograde steps, two of them replaced by subclasses that keep nbgrader's rules.

- CheckCellMetadata -> CompiledCheckCellMetadata (metadata_check): the same check, its schema compiled once.
- DeduplicateIds -> DeduplicateIdsKeepingCells: a student who copies a graded cell in Jupyter copies its grading
  metadata too. nbgrader keeps the last copy graded and empties the earlier copies' metadata, on which its own
  OverwriteCells (0.9) then fails (KeyError 'grade_id' in add_missing_task_cells); here the earlier copies lose
  their grading metadata altogether, so they are the student's ordinary cells, and the last copy is graded.

prepare (sanitize before executing) and record (nbgrader's autograde) both take their steps from here, so the
notebook a worker executes and the one nbgrader records are sanitized alike.
"""
from __future__ import annotations

from collections import Counter

from nbgrader.converters import Autograde
from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds

from autograd_labs.exercises import nbgrader_meta
from autograd_labs.grading.metadata_check import CompiledCheckCellMetadata


class DeduplicateIdsKeepingCells(DeduplicateIds):
    """nbgrader's DeduplicateIds (the last cell with a grade id is graded), the earlier copies made ordinary cells."""

    def preprocess_cell(self, cell, resources, cell_index):
        graded = bool(cell.metadata.get("nbgrader"))
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if graded and cell.metadata.get("nbgrader") == {}:  # what DeduplicateIds leaves of an earlier copy
            del cell.metadata["nbgrader"]
        return cell, resources


REPLACEMENTS = {CheckCellMetadata: CompiledCheckCellMetadata, DeduplicateIds: DeduplicateIdsKeepingCells}


def replaced(preprocessors: list) -> list:
    """Return a list of nbgrader preprocessors with the replacements above swapped in."""
    return [REPLACEMENTS.get(step, step) for step in preprocessors]


def sanitize_steps() -> list:
    """nbgrader's sanitize preprocessors (Autograde's defaults), with the replacements."""
    return replaced(Autograde.class_traits()["sanitize_preprocessors"].default())


def autograde_steps() -> list:
    """nbgrader's autograde preprocessors (Autograde's defaults), with the replacements."""
    return replaced(Autograde.class_traits()["autograde_preprocessors"].default())


def duplicated_ids(nb) -> list[str]:
    """Return the grade ids that more than one cell of the notebook carries (sorted)."""
    counts = Counter(nbgrader_meta(cell).get("grade_id") for cell in nb.cells)
    return sorted(grade_id for grade_id, count in counts.items() if grade_id and count > 1)
