"""Mutants report: do the labs' tests catch the catalogued wrong answers and pass the correct alternatives?

Builds a scratch course, submits the full solution of each lab with one exercise replaced by a catalogued answer
(tests/wrong_answers/<lab>.json, tests/right_answers/<lab>.json), grades every submission of every lab on one Dask
cluster, and prints per lab: exercises, wrong answers caught / catalogued, correct alternatives passing /
catalogued. Exits 1 when a wrong answer earns full marks or a correct alternative loses points.

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

from grading import seed_torch_home  # noqa: E402 - bench/grading.py, beside this file

from autograd_labs.catalogue import RIGHT, WRONG, exercise_ids, load_all, submissions  # noqa: E402
from autograd_labs.cluster import dask_client  # noqa: E402
from autograd_labs.course import lab_names, new_course, notebook_path, tool_env  # noqa: E402
from autograd_labs.grade import grade  # noqa: E402
from autograd_labs.release import generate  # noqa: E402


def submit_all(course_dir: Path, lab: str, catalogues: dict[str, dict]) -> dict[str, tuple[str, object]]:
    """Submit every catalogued answer of one lab; return {student: (kind, Entry)}."""
    submitted = {}
    for kind, prefix in ((WRONG, "wrong"), (RIGHT, "right")):
        for student, entry in submissions(course_dir, lab, catalogues[kind].get(lab, {}), prefix).items():
            path = notebook_path(course_dir, "submitted", lab, student)
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(entry.notebook, path)
            submitted[student] = (kind, entry)
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
        with dask_client(args.jobs) as client:  # one cluster for every lab
            for lab in labs:
                results = grade(course_dir, lab, list(submitted[lab]), client=client) if submitted[lab] else []
                tally = {WRONG: [0, 0], RIGHT: [0, 0]}
                for result in results:
                    kind, entry = submitted[lab][result.student]
                    full = result.score >= result.max_score
                    good = not full if kind == WRONG else result.score == result.max_score
                    tally[kind][0] += good
                    tally[kind][1] += 1
                    if not good:
                        verdict = "earns full marks" if kind == WRONG else "loses points"
                        offenders.append(f"{lab}: {kind.split('_')[0]} answer {entry.grade_id} / {entry.name!r} "
                                         f"{verdict}: {result.score:g} of {result.max_score:g} ({result.status})")
                rows.append((lab, len(exercise_ids(lab)), *tally[WRONG], *tally[RIGHT]))
                print(f"  graded {lab} ({len(results)} submissions, {time.perf_counter() - start:.0f} s so far)",
                      flush=True)
    print()
    print(f"{'lab':<28} {'exercises':>9} {'wrong caught':>13} {'right passing':>14}")
    for lab, exercises, caught, wrong, passing, right in rows:
        print(f"{lab:<28} {exercises:>9} {count(caught, wrong):>13} {count(passing, right):>14}")
    totals = [sum(row[i] for row in rows) for i in range(1, 6)]
    print(f"{'all labs':<28} {totals[0]:>9} {count(totals[1], totals[2]):>13} {count(totals[3], totals[4]):>14}")
    for line in offenders:
        print(f"FAIL {line}")
    print(f"elapsed: {time.perf_counter() - start:.0f} s")
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main())
