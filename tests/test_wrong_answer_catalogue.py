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
    """Graded through the real pipeline, each catalogued wrong answer is graded and scores less than full marks;
    a partly right one earns exactly the points the catalogue gives it."""
    lab = path.stem
    if lab not in LABS:
        pytest.skip(f"{lab} is not among the labs of this run")
    entries = class_run.wrong[lab]
    assert len(entries) == sum(len(answers) for answers in load(path).values())
    results = [class_run.results[lab, student] for student in entries]
    full_marks = [f"{entries[r.student].grade_id}: {r.student}" for r in results if r.score >= r.max_score]
    assert full_marks == [], "wrong answers that earn full marks"
    partial = {student: entry for student, entry in entries.items() if entry.points is not None}
    missed = [f"{entry.grade_id}: {entry.name} earned {result.score - (result.max_score - entry.max_points):g} "
              f"of {entry.max_points:g}, not {entry.points:g}"
              for student, entry in partial.items() for result in [class_run.results[lab, student]]
              if abs(result.max_score - result.score - (entry.max_points - entry.points)) > 1e-6]
    assert missed == [], "partly right answers that do not earn exactly their part"
    not_graded = [f"{entries[r.student].grade_id}: {r.student} ({r.status}: {r.message})" for r in results
                  if r.status != Status.GRADED]
    assert not_graded == [], "wrong answers the grader did not grade as it grades any submission"
