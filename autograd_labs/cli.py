"""The `autograd-labs` command: one verb per instructor step."""
from __future__ import annotations

import argparse
from pathlib import Path

from autograd_labs.course import REPO_ROOT, NbgraderError


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser with its verbs."""
    parser = argparse.ArgumentParser(prog="autograd-labs", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)

    release = verbs.add_parser("release", help="generate student versions into release/ (all labs by default)")
    release.add_argument("labs", nargs="*", help="labs to release, e.g. lab01_forward_backward")

    grade = verbs.add_parser("grade", help="autograde a lab in an nbgrader course directory")
    grade.add_argument("lab")
    grade.add_argument("--course-dir", type=Path, default=Path.cwd(), help="nbgrader course directory (default: .)")
    grade.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade.add_argument("--csv", type=Path, help="also write the results to this CSV file")

    verbs.add_parser("sync-checks", help="copy autograd_labs/checks.py into each source notebook's checks cell")
    verbs.add_parser("example", help="grade the bundled example class in build/example-course (make grade)")
    verbs.add_parser("examples", help="regenerate the example class's submissions under examples/")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.verb == "release":
            from autograd_labs.release import release

            for lab in release(args.labs or None):
                print(f"released {lab} -> release/{lab}/")
        elif args.verb == "grade":
            from autograd_labs.grade import grade
            from autograd_labs.report import format_table, write_csv

            results = grade(args.course_dir, args.lab, args.student)
            print(format_table(results))
            if args.csv:
                write_csv(results, args.csv)
        elif args.verb == "sync-checks":
            from autograd_labs.sync_checks import sync_checks

            for lab in sync_checks():
                print(f"updated the checks cell of source/{lab}")
        elif args.verb == "example":
            from autograd_labs.example_class import print_example_class

            return print_example_class()
        elif args.verb == "examples":
            from autograd_labs.example_class import write_examples

            for path in write_examples():
                print(f"wrote {path.relative_to(REPO_ROOT)}")
    except (NbgraderError, ValueError) as error:
        print(f"autograd-labs {args.verb}: {error}")
        return 1
    return 0
