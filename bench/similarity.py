"""Benchmark `similarity` on a synthetic class: 200 students in each of the 9 labs, and print the wall times.

Each student answers each exercise with the reference solution, a catalogued correct alternative or a catalogued
wrong answer (tests/right_answers, tests/wrong_answers), disguised with their own variable names and statement
order, or leaves it as released (15%); five pairs of students hand in a disguised copy of one notebook. The pool
of answers per exercise is small (two to six), so many students share an answer: the numbers of pairs listed are
those of this synthetic class, not of a real one. Building the class is not timed; each lab's report (reading
200 notebooks, fingerprinting, comparing 19,900 pairs, writing the HTML and CSV) is. A benchmark, not a test.

    python bench/similarity.py [STUDENTS]
"""
from __future__ import annotations

import copy
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograd_labs.course import REPO_ROOT, lab_names
from autograd_labs.exercises import nbgrader_meta, solution_code
from autograd_labs.similarity import similarity_report, solution_cells
from autograd_labs.testing.disguise import disguise
from autograd_labs.testing.notebooks import submit

BLANK = 0.15
COPIED_PAIRS = 5


def answer_pool(lab: str) -> dict[str, list[str]]:
    """Return {grade_id: the reference solution, then every catalogued right and wrong answer's cell}."""
    source = nbformat.read(REPO_ROOT / "source" / lab / f"{lab}.ipynb", as_version=4)
    pool = {nbgrader_meta(c)["grade_id"]: [solution_code(c)] for c in source.cells
            if nbgrader_meta(c).get("solution") and not nbgrader_meta(c).get("grade")}
    for kind in ("right_answers", "wrong_answers"):
        path = REPO_ROOT / "tests" / kind / f"{lab}.json"
        for grade_id, entries in (json.loads(path.read_text()) if path.is_file() else {}).items():
            pool.setdefault(grade_id, []).extend(e["cell"] if isinstance(e, dict) else e for e in entries.values())
    return pool


def build_class(course_dir: Path, labs: list[str], students: int, rng: random.Random) -> set[tuple[str, str]]:
    """Copy each lab's source and release into course_dir, submit every student's notebook for it, and return
    the pairs of students who handed in a copy."""
    names = [f"student{number:03d}" for number in range(students)]
    copied_pairs = list(zip(names[:COPIED_PAIRS], names[-COPIED_PAIRS:], strict=True))
    for lab in labs:
        for stage in ("source", "release"):
            shutil.copytree(REPO_ROOT / stage / lab, course_dir / stage / lab)
        release = nbformat.read(REPO_ROOT / "release" / lab / f"{lab}.ipynb", as_version=4)
        pool, wanted = answer_pool(lab), solution_cells(release)
        notebooks = {}
        for number, student in enumerate(names):
            nb = copy.deepcopy(release)
            for cell in nb.cells:
                grade_id = nbgrader_meta(cell).get("grade_id")
                if grade_id in wanted and grade_id in pool and rng.random() > BLANK:
                    cell.source = disguise(rng.choice(pool[grade_id]), seed=number)
            notebooks[student] = nb
        for number, (first, second) in enumerate(copied_pairs):
            copied = copy.deepcopy(notebooks[first])
            for cell in copied.cells:
                if nbgrader_meta(cell).get("grade_id") in wanted:
                    cell.source = disguise(cell.source, seed=1000 + number)
            notebooks[second] = copied
        for student, nb in notebooks.items():
            submit(course_dir, student, lab, nb)
    return set(copied_pairs)


def main(students: int = 200) -> None:
    """Build the class, time each lab's similarity report and print the figures."""
    labs = lab_names(REPO_ROOT)
    with tempfile.TemporaryDirectory() as folder:
        course_dir = Path(folder)
        started = time.perf_counter()
        copied_pairs = build_class(course_dir, labs, students, random.Random(18))
        print(f"built {students} students x {len(labs)} labs in {time.perf_counter() - started:.1f} s (not timed)")
        total = 0.0
        for lab in labs:
            started = time.perf_counter()
            report = similarity_report(course_dir, lab)
            seconds = time.perf_counter() - started
            total += seconds
            planted = len(copied_pairs & {(p.first, p.second) for p in report.pairs})
            print(f"{lab:26s} {len(report.students)} students  {len(report.pairs):5d} pairs listed "
                  f"({planted} of the {COPIED_PAIRS} planted copies)  {seconds:6.1f} s")
        print(f"similarity for {students} students x {len(labs)} labs: {total:.1f} s wall time "
              f"({total / len(labs):.1f} s a lab)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
