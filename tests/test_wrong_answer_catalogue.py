"""The catalogue of plausible wrong answers (tests/wrong_answers/<lab>.json) stays in step with the labs.

Each file maps an exercise's grade_id to {mistake: the solution cell as a student might write it}. Every entry
must name a real exercise of its lab, be valid Python, and lose points when graded through the real pipeline.
"""
from __future__ import annotations

import pytest

from autograd_labs.course import REPO_ROOT, lab_names
from autograd_labs.results import Status
from autograd_labs.testing import LABS
from autograd_labs.testing.catalogue import WRONG, catalogue_paths, load, problems

CATALOGUE = catalogue_paths(WRONG)


@pytest.mark.parametrize("path", CATALOGUE, ids=[p.stem for p in CATALOGUE])
def test_catalogue_matches_the_lab(path):
    """Every entry belongs to an exercise of the lab and compiles."""
    catalogue = load(path)
    assert catalogue and all(catalogue.values())
    assert problems(path.stem, catalogue) == []


def test_a_stale_entry_is_reported():
    """An exercise that no longer exists, or code that does not parse, is reported."""
    lab = lab_names(REPO_ROOT)[0]
    found = problems(lab, {"renamed_exercise": {"typo": "def f(:\n    pass"}})
    assert any("renamed_exercise is not an exercise" in p for p in found)
    assert any("typo" in p for p in found)


@pytest.mark.slow
@pytest.mark.parametrize("path", CATALOGUE, ids=[p.stem for p in CATALOGUE])
def test_every_wrong_answer_loses_points(path, class_run):
    """Graded through the real pipeline, each catalogued wrong answer is graded and its exercise scores less than
    full marks; a partly right one earns exactly the points the catalogue gives it."""
    lab = path.stem
    if lab not in LABS:
        pytest.skip(f"{lab} is not among the labs of this run")
    verdicts = class_run.wrong[lab]
    assert len(verdicts) == sum(len(answers) for answers in load(path).values())
    full_marks = [f"{v.answer.grade_id}: {v.answer.name}" for v in verdicts.values()
                  if v.answer.points is None and v.score >= v.answer.max_points]
    assert full_marks == [], "wrong answers that earn full marks"
    missed = [f"{v.answer.grade_id}: {v.answer.name} earned {v.score:g} of {v.answer.max_points:g}, "
              f"not {v.answer.points:g}" for v in verdicts.values()
              if v.answer.points is not None and abs(v.score - v.answer.points) > 1e-6]
    assert missed == [], "partly right answers that do not earn exactly their part"
    not_graded = [f"{v.answer.grade_id}: {v.answer.name} ({v.status}: {v.message})" for v in verdicts.values()
                  if v.status != Status.GRADED]
    assert not_graded == [], "wrong answers the grader did not grade as it grades any submission"
