"""The catalogue of plausible wrong answers (tests/wrong_answers/<lab>.json) stays in step with the labs.

Each file maps an exercise's grade_id to {mistake: the solution cell as a student might write it}. Every entry
must name a real exercise of its lab, be valid Python, and lose points when graded through the real pipeline.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT, lab_names, notebook_path
from autograd_labs.exercises import exercises, nbgrader_meta, with_solutions
from autograd_labs.grade import grade
from conftest import LABS, read_notebook, submit

CATALOGUE = sorted((Path(__file__).parent / "wrong_answers").glob("*.json"))


def problems(lab: str, catalogue: dict) -> list[str]:
    """Return what is wrong with one lab's catalogue, in words."""
    if lab not in lab_names(REPO_ROOT):
        return [f"{lab} is not a lab"]
    ids = {e.grade_id for e in exercises(nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4))}
    found = [f"{grade_id} is not an exercise of {lab}" for grade_id in catalogue if grade_id not in ids]
    for grade_id, mistakes in catalogue.items():
        for mistake, code in mistakes.items():
            try:
                compile(code, f"{lab}:{grade_id}:{mistake}", "exec")
            except SyntaxError as error:
                found.append(f"{grade_id} / {mistake}: {error}")
    return found


@pytest.mark.parametrize("path", CATALOGUE, ids=[p.stem for p in CATALOGUE])
def test_catalogue_matches_the_lab(path):
    """Every entry belongs to an exercise of the lab and compiles."""
    catalogue = json.loads(path.read_text())
    assert catalogue and all(catalogue.values())
    assert problems(path.stem, catalogue) == []


def test_a_stale_entry_is_reported():
    """An exercise that no longer exists, or code that does not parse, is reported."""
    lab = lab_names(REPO_ROOT)[0]
    found = problems(lab, {"renamed_exercise": {"typo": "def f(:\n    pass"}})
    assert any("renamed_exercise is not an exercise" in p for p in found)
    assert any("typo" in p for p in found)


def wrong_submissions(course_dir, lab: str, catalogue: dict) -> dict[str, tuple[str, object]]:
    """Return {student: (grade_id, notebook)}: the full solution with one exercise replaced by a wrong answer."""
    source, release = read_notebook(course_dir, "source", lab), read_notebook(course_dir, "release", lab)
    solved = with_solutions(release, source, [e.grade_id for e in exercises(source)])
    built = {}
    for grade_id, mistakes in catalogue.items():
        for number, code in enumerate(mistakes.values()):
            nb = copy.deepcopy(solved)
            next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id).source = code
            built[f"wrong_{grade_id}_{number}"] = (grade_id, nb)
    return built


@pytest.mark.slow
@pytest.mark.parametrize("path", CATALOGUE, ids=[p.stem for p in CATALOGUE])
def test_every_wrong_answer_loses_points(path, course):
    """Graded through the real pipeline, each catalogued wrong answer scores less than full marks."""
    lab = path.stem
    if lab not in LABS:
        pytest.skip(f"{lab} is not among the labs of this run")
    submissions = wrong_submissions(course, lab, json.loads(path.read_text()))
    for student, (_, nb) in submissions.items():
        submit(course, student, lab, nb)
    results = grade(course, lab, list(submissions))
    full_marks = [f"{submissions[r.student][0]}: {r.student}" for r in results if r.score >= r.max_score]
    assert full_marks == [], "wrong answers that earn full marks"
