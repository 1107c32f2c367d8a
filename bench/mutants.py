"""Mutants report: do the labs' tests catch the catalogued wrong answers, pass the correct alternatives, flag attacks?

Builds a scratch course, submits the full solution of each lab with one exercise replaced by a catalogued answer
(tests/wrong_answers/<lab>.json, tests/right_answers/<lab>.json), and the full solution with each attack of
tests/attacks.json added; grades every submission of every lab in one Dask run, and prints per lab: exercises,
wrong answers caught / catalogued, correct alternatives passing / catalogued, attacks flagged / tried. Exits 1
when a wrong answer earns full marks, a correct alternative loses points or an attack is not flagged.

    python bench/mutants.py [LAB ...] [--jobs N]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

# Grade this checkout's labs and catalogues, also when the venv's editable install points at another checkout.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd_labs.course import lab_names, new_course, notebook_path, tool_env  # noqa: E402
from autograd_labs.exercises import exercises, with_solutions  # noqa: E402
from autograd_labs.grading.grade import grade_labs  # noqa: E402
from autograd_labs.release import generate  # noqa: E402
from autograd_labs.results import Status  # noqa: E402
from autograd_labs.testing.catalogue import (  # noqa: E402
    RIGHT,
    WRONG,
    Entry,
    attacked,
    exercise_ids,
    load_all,
    load_attacks,
    submissions,
)
from autograd_labs.testing.offline import seed_torch_home  # noqa: E402

ATTACK = "attacks"


def submit_all(course_dir: Path, lab: str, catalogues: dict[str, dict]) -> dict[str, tuple[str, object]]:
    """Submit every catalogued answer of one lab; return {student: (kind, Entry)}."""
    submitted = {}
    for kind, prefix in ((WRONG, "wrong"), (RIGHT, "right")):
        for student, entry in submissions(course_dir, lab, catalogues[kind].get(lab, {}), prefix).items():
            path = notebook_path(course_dir, "submitted", lab, student)
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(entry.notebook, path)
            submitted[student] = (kind, entry)
    source = nbformat.read(notebook_path(course_dir, "source", lab), as_version=4)
    release = nbformat.read(notebook_path(course_dir, "release", lab), as_version=4)
    solved = with_solutions(release, source, [e.grade_id for e in exercises(source)])
    for number, (name, attack) in enumerate(load_attacks().items()):
        student = f"attack_{number}"
        path = notebook_path(course_dir, "submitted", lab, student)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(attacked(solved, attack["cell"]), path)
        submitted[student] = (ATTACK, Entry("", name, None))
    return submitted


def count(value: int, total: int) -> str:
    return f"{value}/{total}" if total else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labs", nargs="*", help="labs to grade (default: all)")
    parser.add_argument("--jobs", type=int, default=None, help="Dask workers (default: one per core)")
    args = parser.parse_args(argv)
    labs = args.labs or lab_names()
    catalogues = {kind: load_all(kind) for kind in (WRONG, RIGHT)}
    start = time.perf_counter()
    rows, offenders = [], []
    with tempfile.TemporaryDirectory(prefix="autograd-labs-mutants-") as scratch:
        scratch = Path(scratch)
        seed_torch_home(scratch / "torch_home")
        os.environ["TORCH_HOME"] = str(scratch / "torch_home")
        os.environ["PATH"] = tool_env()["PATH"]
        course_dir = new_course(scratch / "course", labs=labs)
        generate(course_dir, labs)
        submitted = {lab: submit_all(course_dir, lab, catalogues) for lab in labs}
        print(f"{sum(map(len, submitted.values()))} submissions over {len(labs)} labs", flush=True)
        results = grade_labs(course_dir, [lab for lab in labs if submitted[lab]],
                             jobs=args.jobs)  # every lab's notebooks in one Dask run
    for lab in labs:
        tally = {WRONG: [0, 0], RIGHT: [0, 0], ATTACK: [0, 0]}
        for result in (r for r in results if r.lab == lab):
            kind, entry = submitted[lab][result.student]
            if kind == WRONG:
                good, verdict = result.score < result.max_score, "earns full marks"
            elif kind == RIGHT:
                good, verdict = result.score == result.max_score, "loses points"
            else:
                good, verdict = result.status == Status.TAMPERED, "is not flagged"
            tally[kind][0] += good
            tally[kind][1] += 1
            if not good:
                offenders.append(f"{lab}: {kind.split('_')[0]} {entry.grade_id} / {entry.name!r} {verdict}: "
                                 f"{result.score:g} of {result.max_score:g} ({result.status}) {result.message}")
        rows.append((lab, len(exercise_ids(lab)), *tally[WRONG], *tally[RIGHT], *tally[ATTACK]))
    print()
    print(f"{'lab':<28} {'exercises':>9} {'wrong caught':>13} {'right passing':>14} {'attacks flagged':>16}")
    for lab, count_exercises, caught, wrong, passing, right, flagged, tried in rows:
        print(f"{lab:<28} {count_exercises:>9} {count(caught, wrong):>13} {count(passing, right):>14} "
              f"{count(flagged, tried):>16}")
    totals = [sum(row[i] for row in rows) for i in range(1, 8)]
    print(f"{'all labs':<28} {totals[0]:>9} {count(totals[1], totals[2]):>13} {count(totals[3], totals[4]):>14} "
          f"{count(totals[5], totals[6]):>16}")
    for line in offenders:
        print(f"FAIL {line}")
    print(f"elapsed: {time.perf_counter() - start:.0f} s")
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main())
