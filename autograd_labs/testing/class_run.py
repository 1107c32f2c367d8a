"""The class a test session grades once: every submission that several test modules judge, in one Dask run.

Per lab: the full solution (`all_right`), a few submissions that each solve some of the exercises (`subset_<k>`;
for any two exercises, one of them solves the first and leaves the second blank: see separating_subsets), the
release version handed in unchanged (`blank_release`), the example class's partial submission (`example_partial`),
the catalogued wrong answers and correct alternatives, several exercises' answers to a notebook (`wrong_pack_<k>`,
`right_pack_<k>`; see packing) or one alone (`wrong_<grade_id>_<n>`); for the labs that load pretrained weights,
the full solution with an empty weights cache (`offline_weights`: the sandbox has no network, so the lab must go on
with random weights); for the first lab, a student who rebinds `torch.allclose` (`tamper_flagged`) and an honest
classmate (`tamper_bystander`); for QUICK_LAB, a pack of two right answers whose kernel dies before their tests
run (`canary_pack`), so that it is not trusted and its answers (`canary_*`) are graded again alone, and the full
solution with a cell that warns of a deprecation (`deprecation_probe`: the grader's kernels raise). Grading them
together keeps both workers busy to the end and starts the cluster, and each worker's warm-kernel template, once.
"""
from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import pickle
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograd_labs.course import REPO_ROOT, db_url, load_course_config, notebook_path
from autograd_labs.example_class import EXAMPLES_DIR
from autograd_labs.exercises import exercises, with_solutions
from autograd_labs.grading.grade import grade_labs
from autograd_labs.results import Status, StudentResult
from autograd_labs.testing import QUICK_LAB
from autograd_labs.testing.catalogue import (
    RIGHT,
    WRONG,
    Answer,
    answers,
    attacked,
    catalogue_paths,
    load,
    with_answers,
)
from autograd_labs.testing.notebooks import cell_index, insert_cell, read_notebook, submit
from autograd_labs.testing.packing import pack, trusted

TAMPER_CELL = "torch.allclose = lambda *args, **kwargs: True"
EXAMPLE_PARTIAL = "example_partial"  # the example class's partial submission, as committed under examples/
CANARY_PACK = "canary_pack"
KILL_KERNEL = "import os\nos._exit(1)"
DEPRECATION_PROBE = "deprecation_probe"
OFFLINE_WEIGHTS = "offline_weights"
EMPTY_WEIGHTS_CACHE = ("import os, tempfile\n"
                       "os.environ['TORCH_HOME'] = tempfile.mkdtemp()  # no weights cached here, and no network")
DEPRECATED_CALL = "import warnings\nwarnings.warn('an API on its way out', DeprecationWarning, stacklevel=1)"
KINDS = {WRONG: "wrong", RIGHT: "right"}
CANARY = "canary"  # the kind of the canary pack's answers (right answers, kept apart from the catalogue's verdicts)


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
    answer, per lab and answer key (`wrong`, `right`, and the canary pack's `canary`); `regraded` holds the
    (lab, answer key) of those a pack could not vouch for. `subsets` holds, per lab, each `subset_<k>` student's
    solved exercises and the points every exercise of the lab earned in that notebook."""

    course_dir: Path
    results: dict[tuple[str, str], StudentResult]
    subsets: dict[str, dict[str, tuple[list[str], dict[str, float]]]] = field(default_factory=dict)
    wrong: dict[str, dict[str, Verdict]] = field(default_factory=dict)
    right: dict[str, dict[str, Verdict]] = field(default_factory=dict)
    canary: dict[str, dict[str, Verdict]] = field(default_factory=dict)
    regraded: set[tuple[str, str]] = field(default_factory=set)

    def lab(self, lab: str) -> dict[str, StudentResult]:
        """Return {student: result} for one lab."""
        return {student: result for (name, student), result in self.results.items() if name == lab}


def loads_pretrained_weights(nb) -> bool:
    """Whether a lab notebook asks torchvision for pretrained weights (which the tests' cache holds stand-ins for)."""
    return any("ResNet18_Weights" in cell.source for cell in nb.cells)


def separating_subsets(grade_ids: list[str]) -> list[list[str]]:
    """Return which exercises each of a few submissions solves, such that for any two exercises e and f, some
    submission solves e and leaves f blank (so each exercise is seen solved and blank beside every other one).

    Each exercise gets its own half-size subset of k submissions (the fewest k with enough of them, Sperner's
    theorem): no exercise's subset contains another's. Six exercises need 4 submissions, seven to ten need 5.
    """
    k = 2
    while math.comb(k, k // 2) < len(grade_ids):
        k += 1
    codes = dict(zip(grade_ids, itertools.combinations(range(k), k // 2), strict=False))  # the first n
    return [[grade_id for grade_id, code in codes.items() if j in code] for j in range(k)]


@dataclass
class LabFiles:
    """What the class is built from for one lab, read once: its source and release notebooks and exercises."""

    source: nbformat.NotebookNode
    release: nbformat.NotebookNode
    exercises: list

    @property
    def maxima(self) -> dict[str, float]:
        return {e.grade_id: e.points for e in self.exercises}

    @functools.cached_property
    def subsets(self) -> dict[str, list[str]]:
        """{`subset_<k>` student: the exercises that notebook solves} (see separating_subsets)."""
        return {f"subset_{k}": ids for k, ids in enumerate(separating_subsets([e.grade_id for e in self.exercises]))}

    def solved(self, grade_ids: list[str] | None = None):
        """The release version with these exercises' solutions filled in (default: all)."""
        ids = [e.grade_id for e in self.exercises] if grade_ids is None else grade_ids
        return with_solutions(self.release, self.source, ids)


def read_lab(course_dir: Path, lab: str) -> LabFiles:
    source = read_notebook(course_dir, "source", lab)
    return LabFiles(source, read_notebook(course_dir, "release", lab), exercises(source))


def catalogue_answers(course_dir: Path, lab: str, kind: str) -> list[Answer]:
    """Return the lab's catalogued answers of one kind (WRONG or RIGHT), or [] without a file."""
    paths = [p for p in catalogue_paths(kind) if p.stem == lab]
    return answers(course_dir, lab, load(paths[0]), KINDS[kind]) if paths else []


def canary(files: LabFiles, right: list[Answer]) -> tuple[list[Answer], nbformat.NotebookNode]:
    """Return two right answers of different exercises, renamed canary_*, and a pack of them whose kernel dies
    just before the first of their exercises' tests."""
    chosen = [dataclasses.replace(a, key=f"canary_{a.key}") for a in {a.grade_id: a for a in right}.values()][:2]
    nb = with_answers(files.solved(), chosen)
    tests = [cell_index(nb, test_id) for e in files.exercises if e.grade_id in {a.grade_id for a in chosen}
             for test_id in e.test_ids]
    return chosen, insert_cell(nb, min(tests), KILL_KERNEL)


def plan(course_dir: Path, labs: list[str], files: dict[str, LabFiles]
         ) -> tuple[dict[str, dict], dict[tuple[str, str], dict[str, list[Answer]]]]:
    """Return ({lab: {student: notebook}}, {(lab, kind): {student: the answers in that student's notebook}})."""
    notebooks, packs = {}, {}
    for lab in labs:
        lab_files = files[lab]
        solved = lab_files.solved()
        partial = notebook_path(REPO_ROOT / EXAMPLES_DIR, "submitted", lab, "partial")
        students = {"all_right": solved, "blank_release": lab_files.release,
                    EXAMPLE_PARTIAL: nbformat.read(partial, as_version=4)}
        students |= {student: lab_files.solved(solved_ids) for student, solved_ids in lab_files.subsets.items()}
        if loads_pretrained_weights(lab_files.source):
            students[OFFLINE_WEIGHTS] = insert_cell(solved, 0, EMPTY_WEIGHTS_CACHE)
        if lab == labs[0]:
            students |= {"tamper_flagged": attacked(solved, TAMPER_CELL), "tamper_bystander": solved}
        for kind, prefix in KINDS.items():
            packs[lab, kind] = pack(catalogue_answers(course_dir, lab, kind), prefix)
            students |= {student: with_answers(solved, chosen) for student, chosen in packs[lab, kind].items()}
        if lab == QUICK_LAB:
            right = [answer for chosen in packs[lab, RIGHT].values() for answer in chosen]
            chosen, students[CANARY_PACK] = canary(lab_files, right)
            packs[lab, CANARY] = {CANARY_PACK: chosen}
            students[DEPRECATION_PROBE] = insert_cell(solved, len(solved.cells), DEPRECATED_CALL)
        notebooks[lab] = students
    return notebooks, packs


def exercise_scores(course_dir: Path, lab: str, files: LabFiles, students) -> dict[str, dict[str, float]]:
    """Return {student: {grade_id of an exercise: the points its test cells earned}} from the gradebook."""
    tests = {test_id: e.grade_id for e in files.exercises for test_id in e.test_ids}
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
    files = {lab: read_lab(course_dir, lab) for lab in labs}
    notebooks, packs = plan(course_dir, labs, files)
    for lab, students in notebooks.items():
        for student, nb in students.items():
            submit(course_dir, student, lab, nbformat.from_dict(nb))
    results = {(r.lab, r.student): r for r in grade_labs(course_dir, labs)}
    run = ClassRun(course_dir, results)
    scores = {lab: exercise_scores(course_dir, lab, files[lab], [s for (name, _), p in packs.items() if name == lab
                                                                 for s in p] + list(files[lab].subsets))
              for lab in labs}
    run.subsets = {lab: {student: (ids, scores[lab][student]) for student, ids in files[lab].subsets.items()}
                   for lab in labs}
    alone: dict[str, list[Answer]] = {}
    for (lab, kind), lab_packs in packs.items():
        for student, chosen in lab_packs.items():
            graded = results[lab, student].status == Status.GRADED
            if len(chosen) > 1 and not trusted(chosen, graded, scores[lab][student], files[lab].maxima, kind == WRONG):
                alone.setdefault(lab, []).extend(chosen)
    if alone:
        for lab, chosen in alone.items():
            solved = files[lab].solved()
            for answer in chosen:
                submit(course_dir, answer.key, lab, with_answers(solved, [answer]))
        keys = sorted({a.key for chosen in alone.values() for a in chosen})
        again = [r for r in grade_labs(course_dir, list(alone), keys) if r.status != Status.MISSING]
        results |= {(r.lab, r.student): r for r in again}
        for lab, chosen in alone.items():
            scores[lab] |= exercise_scores(course_dir, lab, files[lab], [a.key for a in chosen])
            run.regraded |= {(lab, a.key) for a in chosen}
    for (lab, kind), lab_packs in packs.items():
        verdicts = getattr(run, KINDS.get(kind, kind)).setdefault(lab, {})
        for student, chosen in lab_packs.items():
            for answer in chosen:
                held_by = answer.key if (lab, answer.key) in run.regraded else student
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
