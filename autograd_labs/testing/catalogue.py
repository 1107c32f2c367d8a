"""Catalogues of other answers to the labs' exercises: wrong ones that must lose points, right ones that must not.

tests/wrong_answers/<lab>.json and tests/right_answers/<lab>.json each map an exercise's grade_id to
{short name: the whole solution cell as a student might write it}. A wrong answer that is partly right is written
{"cell": the solution cell, "points": the exercise's exact score}, so partial credit is checked to the point.
The tests and `make mutants` read them here, check that they still match their lab, and turn each entry into a
submission: the lab's full solution with that one cell replaced.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograd_labs.course import REPO_ROOT, lab_names, notebook_path
from autograd_labs.exercises import exercises, nbgrader_meta, with_solutions
from autograd_labs.testing.notebooks import insert_cell

WRONG = "wrong_answers"
RIGHT = "right_answers"
ATTACKS = "attacks.json"


def catalogue_paths(kind: str, root: Path = REPO_ROOT) -> list[Path]:
    """Return the catalogue files of one kind (WRONG or RIGHT), one per lab, sorted."""
    return sorted((Path(root) / "tests" / kind).glob("*.json"))


def load(path: Path) -> dict[str, dict[str, str]]:
    """Return one catalogue: {grade_id: {name: solution cell}}."""
    return json.loads(Path(path).read_text())


def load_attacks(root: Path = REPO_ROOT) -> dict[str, dict]:
    """Return tests/attacks.json: {attack: {"cell": what the student adds, "defeats": a test it would fool,
    "visible_to_scan": whether the static scan sees it}}."""
    return json.loads((Path(root) / "tests" / ATTACKS).read_text())


def attacked(notebook, cell_source: str):
    """Return a copy of a solved lab notebook with the attack cell added just before its first test cell."""
    first_test = next(i for i, c in enumerate(notebook.cells) if nbgrader_meta(c).get("grade")
                      and not nbgrader_meta(c).get("solution"))
    return insert_cell(notebook, first_test, cell_source)


def load_all(kind: str, root: Path = REPO_ROOT) -> dict[str, dict[str, dict[str, str]]]:
    """Return {lab: catalogue} for every catalogue file of one kind."""
    return {path.stem: load(path) for path in catalogue_paths(kind, root)}


def answer_cell(entry) -> str:
    """Return a catalogue entry's solution cell (an entry is the cell, or {"cell": ..., "points": ...})."""
    return entry["cell"] if isinstance(entry, dict) else entry


def expected_points(entry) -> float | None:
    """Return the exact score a catalogue entry must earn on its exercise, or None when only its side matters."""
    return float(entry["points"]) if isinstance(entry, dict) else None


def exercise_ids(lab: str, root: Path = REPO_ROOT) -> list[str]:
    """Return the grade_ids of the lab's exercises (its solution cells), in notebook order."""
    return [e.grade_id for e in exercises(nbformat.read(notebook_path(root, "source", lab), as_version=4))]


def problems(lab: str, catalogue: dict, root: Path = REPO_ROOT) -> list[str]:
    """Return what is wrong with one lab's catalogue, in words: unknown labs or exercises, code that does not parse."""
    if lab not in lab_names(root):
        return [f"{lab} is not a lab"]
    ids = set(exercise_ids(lab, root))
    found = [f"{grade_id} is not an exercise of {lab}" for grade_id in catalogue if grade_id not in ids]
    for grade_id, entries in catalogue.items():
        for name, entry in entries.items():
            if isinstance(entry, dict) and set(entry) != {"cell", "points"}:
                found.append(f"{grade_id} / {name}: a partial answer holds exactly a cell and its points")
                continue
            try:
                compile(answer_cell(entry), f"{lab}:{grade_id}:{name}", "exec")
            except SyntaxError as error:
                found.append(f"{grade_id} / {name}: {error}")
    return found


def uncovered(lab: str, catalogue: dict, root: Path = REPO_ROOT) -> list[str]:
    """Return the grade_ids of the lab's exercises that have no entry in the catalogue."""
    return [grade_id for grade_id in exercise_ids(lab, root) if not catalogue.get(grade_id)]


@dataclass
class Answer:
    """One catalogued answer: its key (unique in the lab), exercise, name, cell, and the points it must earn."""

    key: str
    grade_id: str
    name: str
    cell: str
    points: float | None  # the exact score it must earn on its exercise, when the catalogue gives one
    max_points: float  # the exercise's maximum


def answers(course_dir: Path, lab: str, catalogue: dict, prefix: str) -> list[Answer]:
    """Return the catalogue's answers in file order, keyed f"{prefix}_{grade_id}_{number}", number counting the
    answers of that exercise from 0."""
    source = nbformat.read(notebook_path(course_dir, "source", lab), as_version=4)
    maximum = {e.grade_id: e.points for e in exercises(source)}
    return [Answer(f"{prefix}_{grade_id}_{number}", grade_id, name, answer_cell(entry), expected_points(entry),
                   maximum.get(grade_id, 0.0))
            for grade_id, entries in catalogue.items() for number, (name, entry) in enumerate(entries.items())]


def solved_notebook(course_dir: Path, lab: str):
    """Return the lab's release version with every exercise's solution filled in."""
    source = nbformat.read(notebook_path(course_dir, "source", lab), as_version=4)
    release = nbformat.read(notebook_path(course_dir, "release", lab), as_version=4)
    return with_solutions(release, source, [e.grade_id for e in exercises(source)])


def with_answers(solved, chosen: list[Answer]):
    """Return a copy of a solved notebook with each chosen answer in place of its exercise's solution."""
    nb = copy.deepcopy(solved)
    cells = {nbgrader_meta(c).get("grade_id"): c for c in nb.cells if nbgrader_meta(c).get("solution")}
    for answer in chosen:
        cells[answer.grade_id].source = answer.cell
    return nb


@dataclass
class Entry:
    """One catalogued answer, as a submission: which exercise, which answer, and the whole notebook."""

    grade_id: str
    name: str
    notebook: nbformat.NotebookNode
    points: float | None = None  # the exact score the answer must earn on its exercise, when the catalogue says
    max_points: float = 0.0  # the exercise's maximum


def submissions(course_dir: Path, lab: str, catalogue: dict, prefix: str) -> dict[str, Entry]:
    """Return {student: Entry}: the lab's full solution with one exercise replaced by a catalogued answer, the
    student named by the answer's key."""
    solved = solved_notebook(course_dir, lab)
    return {a.key: Entry(a.grade_id, a.name, with_answers(solved, [a]), a.points, a.max_points)
            for a in answers(course_dir, lab, catalogue, prefix)}
