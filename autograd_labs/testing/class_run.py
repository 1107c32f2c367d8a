"""The class a test session grades once: every submission that several test modules judge, in one Dask run.

Per lab: the full solution (`all_right`), one submission per exercise with only it solved (`only_<grade_id>`),
the release version handed in unchanged (`blank_release`), every catalogued wrong answer (`wrong_<grade_id>_<n>`)
and correct alternative (`right_<grade_id>_<n>`); for the first lab, a student who rebinds `torch.allclose`
(`tamper_flagged`) and an honest classmate (`tamper_bystander`). Grading them together keeps both workers busy
to the end and starts the cluster, and each worker's warm-kernel template, once.
"""
from __future__ import annotations

import pickle
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograd_labs.exercises import exercises, with_solutions
from autograd_labs.grading.grade import grade_labs
from autograd_labs.results import StudentResult
from autograd_labs.testing.catalogue import RIGHT, WRONG, Entry, attacked, catalogue_paths, load, submissions
from autograd_labs.testing.notebooks import read_notebook, submit

TAMPER_CELL = "torch.allclose = lambda *args, **kwargs: True"


@dataclass
class ClassRun:
    """A graded class: its course directory, each (lab, student)'s result and the catalogue entries it holds."""

    course_dir: Path
    results: dict[tuple[str, str], StudentResult]
    wrong: dict[str, dict[str, Entry]]
    right: dict[str, dict[str, Entry]]

    def lab(self, lab: str) -> dict[str, StudentResult]:
        """Return {student: result} for one lab."""
        return {student: result for (name, student), result in self.results.items() if name == lab}


def catalogue_entries(course_dir: Path, lab: str, kind: str) -> dict[str, Entry]:
    """Return the lab's catalogued answers of one kind (WRONG or RIGHT) as submissions, or {} without a file."""
    paths = [p for p in catalogue_paths(kind) if p.stem == lab]
    prefix = "wrong" if kind == WRONG else "right"
    return submissions(course_dir, lab, load(paths[0]), prefix) if paths else {}


def plan(course_dir: Path, labs: list[str]) -> tuple[dict[str, dict], dict[str, dict], dict[str, dict]]:
    """Return ({lab: {student: notebook}}, wrong entries per lab, right entries per lab) for the class."""
    notebooks, wrong, right = {}, {}, {}
    for lab in labs:
        source, release = read_notebook(course_dir, "source", lab), read_notebook(course_dir, "release", lab)
        ids = [e.grade_id for e in exercises(source)]
        solved = with_solutions(release, source, ids)
        students = {"all_right": solved, "blank_release": release}
        students |= {f"only_{grade_id}": with_solutions(release, source, [grade_id]) for grade_id in ids}
        if lab == labs[0]:
            students |= {"tamper_flagged": attacked(solved, TAMPER_CELL), "tamper_bystander": solved}
        wrong[lab] = catalogue_entries(course_dir, lab, WRONG)
        right[lab] = catalogue_entries(course_dir, lab, RIGHT)
        for entries in (wrong[lab], right[lab]):
            students |= {student: entry.notebook for student, entry in entries.items()}
        notebooks[lab] = students
    return notebooks, wrong, right


def grade_class(generated_course: Path, folder: Path, labs: list[str]) -> ClassRun:
    """Copy a course with the labs generated into folder, submit the class and grade it all in one run."""
    course_dir = Path(shutil.copytree(generated_course, folder))
    notebooks, wrong, right = plan(course_dir, labs)
    for lab, students in notebooks.items():
        for student, nb in students.items():
            submit(course_dir, student, lab, nbformat.from_dict(nb))
    results = {(r.lab, r.student): r for r in grade_labs(course_dir, labs)}
    return ClassRun(course_dir, results, wrong, right)


def main(argv: list[str]) -> None:
    """`python -m autograd_labs.testing.class_run GENERATED_COURSE FOLDER RESULT_FILE LAB...`: grade the class into
    FOLDER and pickle the ClassRun to RESULT_FILE (the test session starts this as it begins, in the background)."""
    generated, folder, result_file, *labs = argv
    run = grade_class(Path(generated), Path(folder), labs)
    Path(result_file).write_bytes(pickle.dumps(run))


if __name__ == "__main__":
    from autograd_labs.testing import class_run  # pickle the ClassRun of the importable module, not of __main__

    class_run.main(sys.argv[1:])
