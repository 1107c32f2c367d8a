"""nbgrader's sanitize steps as the grader runs them: a copied graded cell leaves the last copy graded."""
from __future__ import annotations

import copy

import nbformat

from autograd_labs.course import load_course_config
from autograd_labs.exercises import exercises, nbgrader_meta, with_solutions
from autograd_labs.grading.nbgrader_steps import duplicated_ids, sanitize_steps
from autograd_labs.grading.prepare import nbgrader_resources
from autograd_labs.testing import QUICK_LAB
from autograd_labs.testing.notebooks import cell_index, read_notebook


def test_copied_cells_become_the_students_own_and_the_last_copy_is_graded(course):
    """A student copies a test cell and an answer cell: nbgrader's sanitize (with our steps) keeps every cell, the
    last copy of each graded, the earlier copy an ordinary cell with its source unchanged."""
    source, release = read_notebook(course, "source", QUICK_LAB), read_notebook(course, "release", QUICK_LAB)
    first, second = exercises(source)[:2]
    nb = with_solutions(release, source, [first.grade_id, second.grade_id])
    test_at, answer_at = cell_index(nb, first.test_ids[0]), cell_index(nb, second.grade_id)
    copies = {first.test_ids[0]: "# a copy to experiment with\n", second.grade_id: "# my first try\n"}
    for at, grade_id in sorted([(test_at, first.test_ids[0]), (answer_at, second.grade_id)], reverse=True):
        earlier = copy.deepcopy(nb.cells[at])
        earlier.source = copies[grade_id] + earlier.source
        nb.cells.insert(at, earlier)
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)  # fresh cell ids, as Jupyter gives a copied cell
    assert duplicated_ids(nb) == sorted(copies)
    config = load_course_config(course)
    resources = nbgrader_resources(config, QUICK_LAB, "copier")
    for step in sanitize_steps():
        nb, resources = step(config=config).preprocess(nb, resources)

    assert duplicated_ids(nb) == []
    for grade_id, comment in copies.items():
        kept = [c for c in nb.cells if c.source.startswith(comment)]
        graded = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id]
        assert len(kept) == 1 and "nbgrader" not in kept[0].metadata, grade_id
        assert len(graded) == 1 and nb.cells.index(graded[0]) == nb.cells.index(kept[0]) + 1, grade_id
        assert not graded[0].source.startswith(comment)
    assert len(nb.cells) == len(release.cells) + 2
