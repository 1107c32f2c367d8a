"""The `autograd-labs` command: one verb per instructor step, run in an nbgrader course directory."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from autograd_labs.course import NbgraderError
from autograd_labs.platforms import FORMATS, MATCH_FIELDS
from autograd_labs.similarity import MIN_CHARS, THRESHOLD


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser with its verbs."""
    parser = argparse.ArgumentParser(prog="autograd-labs", description=__doc__)
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="say more of what happens (-v: each step, -vv: debugging detail)")
    course = argparse.ArgumentParser(add_help=False)
    course.add_argument("--course-dir", type=Path, default=Path.cwd(), help="nbgrader course directory (default: .)")
    verbs = parser.add_subparsers(dest="verb", required=True)

    release = verbs.add_parser("release", parents=[course],
                               help="generate student versions into release/ (all labs by default)")
    release.add_argument("labs", nargs="*", help="labs to release, e.g. lab01_forward_backward")

    collect = verbs.add_parser("collect", parents=[course], help="collect submissions into submitted/")
    collect.add_argument("lab")
    collect.add_argument("--zip", type=Path, help="a learning platform's zip download (else: the JupyterHub exchange)")

    grade = verbs.add_parser("grade", parents=[course], help="autograde labs for the class, in parallel on Dask")
    grade.add_argument("labs", nargs="+", metavar="lab", help="one or more labs, graded together")
    where = grade.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=int, help="local worker processes (default: one per core)")
    where.add_argument("--scheduler", help="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786")
    grade.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run student code without the sandbox, even on workers that have it (each row says so)")

    feedback = verbs.add_parser("feedback", parents=[course], help="HTML feedback for students, hidden tests hidden")
    feedback.add_argument("lab")

    export = verbs.add_parser("export", parents=[course],
                              help="grades CSV (one row per student per lab, with status) or a learning platform's "
                                   "grade import")
    export.add_argument("--format", choices=FORMATS, default="csv",
                        help="csv (ours, the default), or the file canvas, moodle, gradescope or blackboard imports")
    export.add_argument("--roster", type=Path,
                        help="the roster the platform exported (Canvas: Grades > Export; Moodle: Export > Plain text "
                             "file; Gradescope: Roster > Download; Blackboard: Work Offline > Download)")
    export.add_argument("--match-by", choices=MATCH_FIELDS, default="id",
                        help="the gradebook's student field that identifies a student in the roster (default: id)")
    export.add_argument("--roster-column",
                        help="the roster column compared with --match-by (default per platform: Canvas 'SIS Login "
                             "ID' for id, 'ID' for lms_user_id; Moodle 'ID number', 'Email address' for email; "
                             "Gradescope 'SID', 'Email' for email; Blackboard 'Username', 'Student ID' for "
                             "lms_user_id)")
    export.add_argument("--lab", action="append", dest="labs", help="export only this lab (repeatable)")
    export.add_argument("--output", type=Path,
                        help="file to write (default: grades.csv, or grades-FORMAT.csv; Gradescope: one "
                             "grades-gradescope-LAB.csv per lab)")

    similar = verbs.add_parser("similarity", parents=[course],
                               help="pairs of students whose answers are alike enough to be worth a look (HTML and "
                                    "CSV report; never a verdict, grades unchanged)")
    similar.add_argument("lab")
    similar.add_argument("--threshold", type=float, default=THRESHOLD,
                         help=f"share of fingerprints in common from which a pair is listed (default: {THRESHOLD})")
    similar.add_argument("--min-chars", type=int, default=MIN_CHARS,
                         help=f"an answer with fewer fingerprinted characters does not count (default: {MIN_CHARS})")
    similar.add_argument("--output", type=Path, help="folder for LAB.html and LAB.csv (default: reports/similarity/)")

    sync = verbs.add_parser("sync-checks", parents=[course],
                            help="copy autograd_labs/checks.py into each source notebook's checks cell")
    sync.add_argument("labs", nargs="*", help="labs to bring in step (all labs by default)")
    site = verbs.add_parser("site", parents=[course], help="build the course website into build/site (make site)")
    site.add_argument("--output", type=Path, help="folder of the built site (default: build/site in the course)")
    verbs.add_parser("grade-example", parents=[course],
                     help="grade the bundled example class in build/example-course (make grade)")
    verbs.add_parser("write-examples", parents=[course],
                     help="regenerate the example class's submissions under examples/ (make examples)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Carry out one parsed command and return its exit status."""
    if args.verb == "release":
        from autograd_labs.release import release

        for lab in release(args.labs or None, root=args.course_dir):
            print(f"released {lab} -> release/{lab}/")
    elif args.verb == "collect":
        from autograd_labs.collect import collect_exchange, collect_zip

        students, notes = collect_zip(args.course_dir, args.lab, args.zip) if args.zip else (
            collect_exchange(args.course_dir, args.lab), [])
        print(f"{len(students)} students have submitted {args.lab}: {', '.join(students)}")
        for note in notes:
            print(note)
    elif args.verb == "grade":
        from autograd_labs.grading.grade import grade_labs
        from autograd_labs.results import format_table

        results = grade_labs(args.course_dir, args.labs, args.student, jobs=args.jobs, scheduler=args.scheduler,
                             progress=True, no_sandbox=args.no_sandbox)
        print(format_table(results))
    elif args.verb == "feedback":
        from autograd_labs.feedback import generate_feedback

        files = generate_feedback(args.course_dir, args.lab)
        print(f"wrote {len(files)} feedback files under {args.course_dir / 'feedback'}")
    elif args.verb == "export":
        return run_export(args)
    elif args.verb == "similarity":
        from autograd_labs.similarity import similarity_report

        report = similarity_report(args.course_dir, args.lab, output=args.output, threshold=args.threshold,
                                   min_chars=args.min_chars)
        pairs = f"{len(report.pairs)} pair{'' if len(report.pairs) == 1 else 's'}"
        print(f"compared the answers of {len(report.students)} students in {args.lab}: {pairs} worth a look (not a "
              f"verdict; no grade changes)")
        for pair in report.pairs[:20]:
            shares = ", ".join(f"{g} {share:.0%}" for g, share in pair.shared.items())
            print(f"  {pair.first}  {pair.second}  {pair.similarity:.0%}  ({shares})")
        if len(report.pairs) > 20:
            print(f"  ... and {len(report.pairs) - 20} more in the CSV")
        for note in report.notes:
            print(note)
        print(f"wrote {report.html} (matching lines side by side) and {report.csv}")
    elif args.verb == "sync-checks":
        from autograd_labs.sync_checks import sync_checks

        for lab in sync_checks(args.course_dir, args.labs or None):
            print(f"updated the checks cell of source/{lab}")
    elif args.verb == "site":
        from autograd_labs.website import build

        print(f"built the course website in {build(args.output, root=args.course_dir)}")
    elif args.verb == "grade-example":
        from autograd_labs.example_class import print_example_class

        return print_example_class(args.course_dir)
    elif args.verb == "write-examples":
        from autograd_labs.example_class import write_examples

        for path in write_examples(args.course_dir):
            print(f"wrote {path}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write our CSV, or a platform's grade import with its summary, and return the exit status."""
    from autograd_labs.export import export, export_for_platform
    from autograd_labs.platforms import TITLES

    if args.format == "csv":
        if args.roster or args.labs:
            raise ValueError("--roster and --lab go with a platform's --format; our csv has every student and lab")
        print(f"wrote {export(args.course_dir, args.output or Path('grades.csv'))}")
        return 0
    if not args.roster:
        raise ValueError(f"--format {args.format} needs --roster: the roster {TITLES[args.format]} exported")
    result = export_for_platform(args.course_dir, args.format, roster=args.roster,
                                 output=args.output or Path(f"grades-{args.format}.csv"), match_field=args.match_by,
                                 column=args.roster_column, labs=args.labs)
    for path in result.files:
        print(f"wrote {path}")
    print(f"{result.students} students x {len(result.labs)} labs for {TITLES[args.format]}'s grade import")
    for note in result.notes:
        print(f"- {note}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    args = build_parser().parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except (NbgraderError, ValueError) as error:
        print(f"autograd-labs {args.verb}: {error}", file=sys.stderr)
        return 1
