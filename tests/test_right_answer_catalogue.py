"""The catalogue of correct alternative answers (tests/right_answers/<lab>.json) stays in step with the labs.

Each file maps an exercise's grade_id to {approach: a correct solution cell written differently from the lab's
own}. Every exercise of every lab must have one; every entry must name a real exercise, be valid Python, and earn
exactly full marks when graded through the real pipeline, so that the tests reward behaviour, not our wording.
"""
from __future__ import annotations

import pytest

from autograd_labs.course import REPO_ROOT, lab_names
from autograd_labs.results import Status
from autograd_labs.testing import LABS
from autograd_labs.testing.catalogue import RIGHT, catalogue_paths, exercise_ids, load, problems, uncovered

CATALOGUE = catalogue_paths(RIGHT)


def test_every_lab_has_a_catalogue():
    """There is one catalogue file per lab, and no file for a lab that does not exist."""
    assert [p.stem for p in CATALOGUE] == lab_names(REPO_ROOT)


@pytest.mark.parametrize("path", CATALOGUE, ids=[p.stem for p in CATALOGUE])
def test_catalogue_matches_the_lab(path):
    """Every entry belongs to an exercise of the lab and compiles."""
    catalogue = load(path)
    assert catalogue and all(catalogue.values())
    assert problems(path.stem, catalogue) == []


@pytest.mark.parametrize("path", CATALOGUE, ids=[p.stem for p in CATALOGUE])
def test_every_exercise_has_an_alternative(path):
    """Each exercise of the lab has at least one correct alternative."""
    assert uncovered(path.stem, load(path)) == []


def test_an_uncovered_exercise_is_reported():
    """An exercise without an alternative is named."""
    lab = lab_names(REPO_ROOT)[0]
    catalogue = load(CATALOGUE[0])
    first = next(iter(catalogue))
    assert uncovered(lab, {**catalogue, first: {}}) == [first]
    assert uncovered(lab, {}) == exercise_ids(lab)


@pytest.mark.slow
@pytest.mark.parametrize("path", CATALOGUE, ids=[p.stem for p in CATALOGUE])
def test_every_alternative_earns_full_marks(path, class_run):
    """Graded through the real pipeline, each correct alternative is graded and its exercise scores exactly full
    marks."""
    lab = path.stem
    if lab not in LABS:
        pytest.skip(f"{lab} is not among the labs of this run")
    verdicts = class_run.right[lab]
    assert len(verdicts) == sum(len(answers) for answers in load(path).values())
    assert all(v.answer.max_points > 0 for v in verdicts.values())
    short = [f"{v.answer.grade_id} / {v.answer.name}: {v.score:g} of {v.answer.max_points:g} ({v.status})"
             for v in verdicts.values() if (v.status, v.score) != (Status.GRADED, v.answer.max_points)]
    assert short == [], "correct alternatives that are not graded with exactly full marks"
