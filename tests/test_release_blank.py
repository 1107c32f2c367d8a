"""No vacuous tests: the release version, handed in unchanged, scores 0 and fails every graded cell."""
from __future__ import annotations

import pytest
from nbgrader.api import Gradebook

from autograd_labs.course import db_url, load_course_config
from autograd_labs.exercises import nbgrader_meta
from autograd_labs.results import Status
from autograd_labs.testing import LABS
from autograd_labs.testing.notebooks import read_notebook


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_blank_release_scores_zero(class_run, lab):
    """Every graded cell of the unmodified release version fails, and its total is 0."""
    student, course = "blank_release", class_run.course_dir
    result = class_run.results[lab, student]
    assert (result.status, result.score) == (Status.GRADED, 0)

    autograded = read_notebook(course, "autograded", lab, student)
    graded_cells = [c for c in autograded.cells if nbgrader_meta(c).get("grade") and c.cell_type == "code"]
    assert graded_cells
    for cell in graded_cells:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors, f"{nbgrader_meta(cell)['grade_id']} passes on the blank release version"
    with Gradebook(db_url(load_course_config(course))) as gb:
        submission = gb.find_submission(lab, student)
        scores = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
    assert scores and set(scores.values()) == {0}
