"""The bundled example class: three submissions per lab built from the source, graded by `make grade`.

- `solution`: every exercise solved (full marks);
- `blank`: the release version as handed out (0 points);
- `partial`: the first half of the exercises solved (exactly their points).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from autograd_labs.course import REPO_ROOT, lab_names, new_course, notebook_path
from autograd_labs.exercises import exercises, with_solutions
from autograd_labs.export import export
from autograd_labs.feedback import generate_feedback
from autograd_labs.grading.grade import grade_labs
from autograd_labs.release import copy_release, generate
from autograd_labs.results import StudentResult, format_table

EXAMPLES_DIR = "examples"


def partial_ids(source_nb) -> list[str]:
    """Return the grade_ids the partial example solves: the first half of the exercises (at least one)."""
    ids = [exercise.grade_id for exercise in exercises(source_nb)]
    return ids[: max(1, len(ids) // 2)]


def example_submissions(root: Path = REPO_ROOT) -> dict[Path, nbformat.NotebookNode]:
    """Return the example class's notebooks, keyed by their path under examples/ (built from source + release)."""
    built = {}
    for lab in lab_names(root):
        source_nb = nbformat.read(notebook_path(root, "source", lab), as_version=4)
        release_nb = nbformat.read(notebook_path(root, "release", lab), as_version=4)
        all_ids = [exercise.grade_id for exercise in exercises(source_nb)]
        for student, ids in (("solution", all_ids), ("blank", []), ("partial", partial_ids(source_nb))):
            path = Path(EXAMPLES_DIR, "submitted", student, lab, f"{lab}.ipynb")  # a folder of the repository
            built[path] = with_solutions(release_nb, source_nb, ids)
    return built


def write_examples(root: Path = REPO_ROOT) -> list[Path]:
    """Regenerate examples/submitted from source/ and release/ and return the files written."""
    root = Path(root)
    target = root / EXAMPLES_DIR / "submitted"
    if target.exists():
        shutil.rmtree(target)
    written = []
    for relative, nb in example_submissions(root).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        written.append(path)
    return written


def grade_example_class(root: Path = REPO_ROOT, course_dir: Path | None = None,
                        release_dir: Path | None = None, *, labs: list[str] | None = None,
                        progress: bool = False, client=None) -> list[StudentResult]:
    """Regenerate release/, grade the example class in a scratch course, write feedback and grades.csv.

    Returns the results; the scratch course (default build/example-course) keeps everything nbgrader wrote.
    The regenerated student versions go to release_dir (default root/release, where they are committed).
    `labs` limits the class to some labs (default: every lab); `client`, an open Dask client, grades it
    (default: a local cluster started for the run).
    """
    course_dir = Path(course_dir or root / "build" / "example-course")
    if course_dir.exists():
        shutil.rmtree(course_dir)
    labs = labs or lab_names(root)
    new_course(course_dir, root, labs)
    generate(course_dir, labs)
    copy_release(course_dir, labs, Path(release_dir or root / "release"))
    for student in ("solution", "blank", "partial"):  # the committed examples (test_release_sync keeps them current)
        for lab in labs:
            shutil.copytree(root / EXAMPLES_DIR / "submitted" / student / lab, course_dir / "submitted" / student / lab)
    results = grade_labs(course_dir, labs, progress=progress, client=client)  # every lab's notebooks at once
    for lab in labs:
        generate_feedback(course_dir, lab)
    export(course_dir, course_dir / "grades.csv")
    return results


def print_example_class(root: Path = REPO_ROOT) -> int:
    """Grade the example class, print its table and where the outputs are; return an exit status."""
    course_dir = Path(root) / "build" / "example-course"
    results = grade_example_class(root, course_dir, progress=True)
    print(format_table(results))
    print(f"\nFeedback: {course_dir / 'feedback'}\nGrades:   {course_dir / 'grades.csv'}")
    return 0
