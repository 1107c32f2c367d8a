"""The compiled metadata check accepts and refuses exactly what nbgrader's CheckCellMetadata does, with its errors."""
from __future__ import annotations

import copy

import nbformat
import pytest
from nbgrader.preprocessors import CheckCellMetadata

from autograd_labs.course import REPO_ROOT, notebook_path
from autograd_labs.exercises import nbgrader_meta
from autograd_labs.grading.metadata_check import CompiledCheckCellMetadata
from autograd_labs.testing import QUICK_LAB


def first_graded(nb):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade"))


CORRUPTIONS = {
    "points not a number": lambda meta: meta.update(points="three"),
    "an unknown key": lambda meta: meta.update(surprise=True),
    "grade_id missing": lambda meta: meta.pop("grade_id"),
    "an old schema": lambda meta: meta.update(schema_version=1),
    "a newer schema": lambda meta: meta.update(schema_version=99),
    "grade without points": lambda meta: meta.pop("points"),
}


def outcome(preprocessor_class, nb):
    """Return None when the notebook passes, else the error's type and message."""
    try:
        preprocessor_class().preprocess(copy.deepcopy(nb), {})
    except Exception as error:  # noqa: BLE001 - the error itself is what is compared
        return type(error), str(error)
    return None


@pytest.mark.parametrize("where", ["source", "release"])
def test_a_lab_passes_both(where):
    nb = nbformat.read(notebook_path(REPO_ROOT, where, QUICK_LAB), as_version=4)
    assert outcome(CheckCellMetadata, nb) is None and outcome(CompiledCheckCellMetadata, nb) is None


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_corrupted_metadata_fails_both_alike(corruption):
    nb = nbformat.read(notebook_path(REPO_ROOT, "release", QUICK_LAB), as_version=4)
    CORRUPTIONS[corruption](nbgrader_meta(first_graded(nb)))
    expected = outcome(CheckCellMetadata, nb)
    assert expected is not None, "nbgrader accepts this corruption: it tests nothing"
    assert outcome(CompiledCheckCellMetadata, nb) == expected
