"""The class a test session grades once: every submission that several test modules judge, in one Dask run.

Per lab: the full solution (`all_right`), one submission per exercise with only it solved (`only_<grade_id>`),
the release version handed in unchanged (`blank_release`), the example class's partial submission
(`example_partial`), the catalogued wrong answers and correct alternatives, several exercises' answers to a
notebook (`wrong_pack_<k>`, `right_pack_<k>`; see packing) or one alone (`wrong_<grade_id>_<n>`); for the
first lab, a student who rebinds `torch.allclose` (`tamper_flagged`) and an honest classmate
(`tamper_bystander`). Grading them together keeps both workers busy to the end and starts the cluster, and each
worker's warm-kernel template, once.
"""
from __future__ import annotations

import pickle
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograd_labs.course import REPO_ROOT, db_url, load_course_config
from autograd_labs.example_class import EXAMPLES_DIR
from autograd_labs.exercises import exercises, with_solutions
from autograd_labs.grading.grade import grade_labs
from autograd_labs.results import Status, StudentResult
from autograd_labs.testing.catalogue import (
    RIGHT,
    WRONG,
    Answer,
    answers,
    attacked,
    catalogue_paths,
    load,
    solved_notebook,
    with_answers,
)
from autograd_labs.testing.notebooks import read_notebook, submit
from autograd_labs.testing.packing import pack, trusted

TAMPER_CELL = "torch.allclose = lambda *args, **kwargs: True"
EXAMPLE_PARTIAL = "example_partial"  # the example class's partial submission, as committed under examples/
KINDS = {WRONG: "wrong", RIGHT: "right"}


@dataclass
class Verdict:
    """How one catalogued answer was graded: the notebook that held it last (a pack or its own), that notebook's
    status and message, and the points the answer's exercise earned there."""

    answer: Answer
    student: str
    status: Status
    message: str
    score: float


@dataclass
class ClassRun:
    """A graded class: its course directory, each (lab, student)'s result, and the verdict on every catalogued
    answer, per lab and answer key (`wrong`, `right`); `regraded` names the answers a pack could not vouch for."""

    course_dir: Path
    results: dict[tuple[str, str], StudentResult]
    wrong: dict[str, dict[str, Verdict]] = field(default_factory=dict)
    right: dict[str, dict[str, Verdict]] = field(default_factory=dict)
    regraded: list[str] = field(default_factory=list)

    def lab(self, lab: str) -> dict[str, StudentResult]:
        """Return {student: result} for one lab."""
        return {student: result for (name, student), result in self.results.items() if name == lab}


def catalogue_answers(course_dir: Path, lab: str, kind: str) -> list[Answer]:
    """Return the lab's catalogued answers of one kind (WRONG or RIGHT), or [] without a file."""
    paths = [p for p in catalogue_paths(kind) if p.stem == lab]
    return answers(course_dir, lab, load(paths[0]), KINDS[kind]) if paths else []


def plan(course_dir: Path, labs: list[str]) -> tuple[dict[str, dict], dict[tuple[str, str], dict[str, list[Answer]]]]:
    """Return ({lab: {student: notebook}}, {(lab, kind): {student: the answers in that student's notebook}})."""
    notebooks, packs = {}, {}
    for lab in labs:
        source, release = read_notebook(course_dir, "source", lab), read_notebook(course_dir, "release", lab)
        ids = [e.grade_id for e in exercises(source)]
        solved = solved_notebook(course_dir, lab)
        students = {"all_right": solved, "blank_release": release,
                    EXAMPLE_PARTIAL: nbformat.read(REPO_ROOT / EXAMPLES_DIR / "submitted" / "partial" / lab /
                                                   f"{lab}.ipynb", as_version=4)}
        students |= {f"only_{grade_id}": with_solutions(release, source, [grade_id]) for grade_id in ids}
        if lab == labs[0]:
            students |= {"tamper_flagged": attacked(solved, TAMPER_CELL), "tamper_bystander": solved}
        for kind, prefix in KINDS.items():
            packs[lab, kind] = pack(catalogue_answers(course_dir, lab, kind), prefix)
            students |= {student: with_answers(solved, chosen) for student, chosen in packs[lab, kind].items()}
        notebooks[lab] = students
    return notebooks, packs


def exercise_scores(course_dir: Path, lab: str, students) -> dict[str, dict[str, float]]:
    """Return {student: {grade_id of an exercise: the points its test cells earned}} from the gradebook."""
    tests = {test_id: e.grade_id for e in exercises(read_notebook(course_dir, "source", lab)) for test_id in e.test_ids}
    scores = {}
    with Gradebook(db_url(load_course_config(course_dir))) as gb:
        for student in students:
            earned: dict[str, float] = dict.fromkeys(tests.values(), 0.0)
            try:
                graded = [g for nb in gb.find_submission(lab, student).notebooks for g in nb.grades]
            except MissingEntry:
                graded = []
            for grade in graded:
                if grade.name in tests:
                    earned[tests[grade.name]] += grade.score or 0.0
            scores[student] = earned
    return scores


def grade_class(generated_course: Path, folder: Path, labs: list[str]) -> ClassRun:
    """Copy a course with the labs generated into folder, submit the class and grade it all in one run; answers
    of a pack that does not look exactly as expected are graded again, each alone (see packing)."""
    course_dir = Path(shutil.copytree(generated_course, folder))
    notebooks, packs = plan(course_dir, labs)
    for lab, students in notebooks.items():
        for student, nb in students.items():
            submit(course_dir, student, lab, nbformat.from_dict(nb))
    results = {(r.lab, r.student): r for r in grade_labs(course_dir, labs)}
    run = ClassRun(course_dir, results)
    maxima = {lab: {e.grade_id: e.points for e in exercises(read_notebook(course_dir, "source", lab))}
              for lab in labs}
    scores = {lab: exercise_scores(course_dir, lab, [s for kind in KINDS for s in packs[lab, kind]]) for lab in labs}
    alone: dict[str, list[Answer]] = {}
    for (lab, kind), lab_packs in packs.items():
        for student, chosen in lab_packs.items():
            graded = results[lab, student].status == Status.GRADED
            if len(chosen) > 1 and not trusted(chosen, graded, scores[lab][student], maxima[lab], kind == WRONG):
                alone.setdefault(lab, []).extend(chosen)
    if alone:
        solved = {lab: solved_notebook(course_dir, lab) for lab in alone}
        for lab, chosen in alone.items():
            for answer in chosen:
                submit(course_dir, answer.key, lab, with_answers(solved[lab], [answer]))
        keys = sorted({a.key for chosen in alone.values() for a in chosen})
        again = [r for r in grade_labs(course_dir, list(alone), keys) if r.status != Status.MISSING]
        results |= {(r.lab, r.student): r for r in again}
        for lab, chosen in alone.items():
            scores[lab] |= exercise_scores(course_dir, lab, [a.key for a in chosen])
            run.regraded += [f"{lab}: {a.key}" for a in chosen]
    regraded = set(run.regraded)
    for (lab, kind), lab_packs in packs.items():
        verdicts = getattr(run, KINDS[kind]).setdefault(lab, {})
        for student, chosen in lab_packs.items():
            for answer in chosen:
                held_by = answer.key if f"{lab}: {answer.key}" in regraded else student
                result = results[lab, held_by]
                verdicts[answer.key] = Verdict(answer, held_by, result.status, result.message,
                                               scores[lab][held_by][answer.grade_id])
    return run


def main(argv: list[str]) -> None:
    """`python -m autograd_labs.testing.class_run GENERATED_COURSE FOLDER RESULT_FILE LAB...`: grade the class into
    FOLDER and pickle the ClassRun to RESULT_FILE (the test session starts this as it begins, in the background)."""
    generated, folder, result_file, *labs = argv
    run = grade_class(Path(generated), Path(folder), labs)
    Path(result_file).write_bytes(pickle.dumps(run))


if __name__ == "__main__":
    from autograd_labs.testing import class_run  # pickle the ClassRun of the importable module, not of __main__

    class_run.main(sys.argv[1:])
