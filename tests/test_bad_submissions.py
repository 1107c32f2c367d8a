"""Bad submissions never stop a class: each gets a plain status and message, the others are graded as usual.

One class holds a case per student; it is graded on cold kernels and on warm ones, and nothing under submitted/ may
change. Cases are built in code from the lab's own notebooks, so they follow the labs as they change.
"""
from __future__ import annotations

import copy
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT, lab_names, new_course, notebook_path
from autograd_labs.exercises import exercises, nbgrader_meta, with_solutions
from autograd_labs.grading.grade import grade
from autograd_labs.grading.prepare import THIS_LAB_SHARE, realign, resemblance
from autograd_labs.grading.worker import execute
from autograd_labs.release import generate
from autograd_labs.results import Status
from autograd_labs.testing import LABS, QUICK_LAB
from autograd_labs.testing.notebooks import cell_index, insert_cell, read_notebook, submit, tree_digest

FILES = Path(__file__).parent / "files"
LAB = QUICK_LAB
# Long enough for a cold kernel's imports on a busy machine (QUICK_LAB's take about 1 s alone; two test processes
# and the class's grading share the cores); the infinite loop holds its worker this long.
CELL_SECONDS = 30


def build_cases(course_dir):
    """Return {student: (content, expected status, expected score)} for every bad-submission case."""
    source, release = read_notebook(course_dir, "source", LAB), read_notebook(course_dir, "release", LAB)
    lab_exercises = exercises(source)
    first, second = lab_exercises[0], lab_exercises[1]
    total = sum(e.points for e in lab_exercises)
    solved = with_solutions(release, source, [e.grade_id for e in lab_exercises])
    other_lab = next(lab for lab in lab_names(REPO_ROOT) if lab != LAB)

    no_markdown = copy.deepcopy(solved)
    no_markdown.cells = [c for c in no_markdown.cells
                         if c.cell_type != "markdown" and nbgrader_meta(c).get("grade_id") != first.grade_id]
    test_deleted = copy.deepcopy(solved)
    del test_deleted.cells[cell_index(test_deleted, first.test_ids[0])]
    test_edited = copy.deepcopy(release)
    test_edited.cells[cell_index(test_edited, first.test_ids[0])].source = "pass  # nothing to check"
    retyped = copy.deepcopy(solved)
    retyped.cells[cell_index(retyped, first.test_ids[0])].cell_type = "markdown"
    for key in ("outputs", "execution_count"):
        retyped.cells[cell_index(retyped, first.test_ids[0])].pop(key, None)
    looping = copy.deepcopy(solved)
    # it sleeps, so it holds its worker without taking a core from the rest of the suite
    looping.cells[cell_index(looping, first.grade_id)].source = "import time\nwhile True:\n    time.sleep(0.1)"
    stripped = copy.deepcopy(solved)
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    stripped_tests_edited = copy.deepcopy(stripped)
    for index in [cell_index(solved, grade_id) for e in lab_exercises for grade_id in e.test_ids]:
        stripped_tests_edited.cells[index].source += "\nprint('debugging')"
    other_stripped = nbformat.read(notebook_path(REPO_ROOT, "release", other_lab), as_version=4)
    for cell in other_stripped.cells:
        cell.metadata.pop("nbgrader", None)
    after_second = cell_index(solved, second.test_ids[-1]) + 1
    # a student copies a test cell to experiment with it, and copies an answer cell before rewriting it
    copied = copy.deepcopy(solved)
    test_index, answer_index = cell_index(solved, first.test_ids[0]), cell_index(solved, second.grade_id)
    copied.cells.insert(test_index + 1, copy.deepcopy(solved.cells[test_index]))
    copied.cells.insert(answer_index + 1, copy.deepcopy(solved.cells[answer_index]))
    own_ids = {nbgrader_meta(c).get("grade_id") for c in solved.cells}
    other_release = nbformat.read(notebook_path(REPO_ROOT, "release", other_lab), as_version=4)
    pasted = copy.deepcopy(solved)
    pasted.cells += [c for c in other_release.cells if nbgrader_meta(c).get("grade_id") not in own_ids][:3]

    return {
        "good_student": (solved, Status.GRADED, total),
        "not_json": ((FILES / "not-json.ipynb").read_bytes(), Status.INVALID, 0),
        "empty_file": (b"", Status.INVALID, 0),
        "another_lab": (notebook_path(REPO_ROOT, "release", other_lab).read_bytes(), Status.INVALID, 0),
        "metadata_stripped": (stripped, Status.REPAIRED, total),
        "another_lab_stripped": (other_stripped, Status.INVALID, 0),
        "stripped_tests_edited": (stripped_tests_edited, Status.REPAIRED, total),
        "cells_deleted": (no_markdown, Status.GRADED, total - first.points),
        "test_cell_deleted": (test_deleted, Status.REPAIRED, total),
        "test_cell_edited": (test_edited, Status.REPAIRED, 0),
        "cell_type_changed": (retyped, Status.REPAIRED, total),
        "cells_copied": (copied, Status.REPAIRED, total),
        "another_labs_cells_pasted": (pasted, Status.REPAIRED, total),
        "infinite_loop": (looping, Status.TIMED_OUT, total - first.points),
        "kernel_killed": (insert_cell(solved, after_second, "import os\nos._exit(1)"), Status.KERNEL_DIED,
                          first.points + second.points),
        "sys_exit": (insert_cell(solved, after_second, "import sys\nsys.exit()"), Status.GRADED, total),
        "huge_output": (insert_cell(solved, after_second, "print('x' * 10_000_000)"), Status.GRADED, total),
    }


@pytest.fixture(scope="module", params=[False, True], ids=["cold kernels", "warm kernels"])
def graded_class(request, tmp_path_factory, grading_client):
    """The class of cases, graded on cold kernels and on warm ones; returns (course, cases, results, digest before)."""
    warm = request.param
    course_dir = new_course(tmp_path_factory.mktemp("bad"), labs=[LAB])
    with open(course_dir / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Execute.timeout = {CELL_SECONDS}\nc.AutogradLabs.warm_kernels = {warm}\n")
    generate(course_dir, [LAB])
    cases = build_cases(course_dir)
    for student, (content, _, _) in cases.items():
        submit(course_dir, student, LAB, content)
    (course_dir / "submitted" / "nothing_submitted" / LAB).mkdir(parents=True)
    before = tree_digest(course_dir / "submitted")
    results = {r.student: r for r in grade(course_dir, LAB, client=grading_client)}
    return course_dir, cases, results, before


STUDENTS = ["good_student", "not_json", "empty_file", "another_lab", "metadata_stripped", "another_lab_stripped",
            "stripped_tests_edited", "cells_deleted",
            "test_cell_deleted", "test_cell_edited", "cell_type_changed", "cells_copied",
            "another_labs_cells_pasted", "infinite_loop", "kernel_killed",
            "sys_exit", "huge_output"]


@pytest.mark.slow
@pytest.mark.parametrize("student", STUDENTS)
def test_each_case_gets_its_status_and_score(graded_class, student):
    """The student's row says what happened, in plain words, with exactly the points that still count."""
    _, cases, results, _ = graded_class
    _, status, score = cases[student]
    result = results[student]
    assert (result.status, result.score) == (status, score), result.message
    if status != Status.GRADED:
        assert student in result.message and f"submitted/{student}/{LAB}/{LAB}.ipynb" in result.message


@pytest.mark.slow
def test_the_whole_class_is_accounted_for(graded_class):
    """Every student has a row, the one with no notebook is missing, and submitted/ is unchanged."""
    course_dir, cases, results, before = graded_class
    assert sorted(results) == sorted([*cases, "nothing_submitted"])
    assert results["nothing_submitted"].status == Status.MISSING
    assert tree_digest(course_dir / "submitted") == before


@pytest.mark.slow
def test_copied_and_pasted_cells_are_said(graded_class):
    """The row says which graded cells were copied, and that another lab's cells were kept as the student's own."""
    results = graded_class[2]
    assert "were copied; only the last copy is graded" in results["cells_copied"].message
    assert "carried another notebook's grading metadata" in results["another_labs_cells_pasted"].message


@pytest.mark.slow
def test_huge_output_is_cut(graded_class):
    """10 MB of printing (five times what a cell may print) does not end up in the autograded notebook."""
    course_dir = graded_class[0]
    assert notebook_path(course_dir, "autograded", LAB, "huge_output").stat().st_size < 2_000_000


IGNORES_INTERRUPTS = """import time
while True:
    try:
        time.sleep(0.1)
    except KeyboardInterrupt:
        pass
"""


@pytest.mark.slow
def test_a_kernel_that_ignores_interrupts_is_stopped(monkeypatch):
    """A cell that swallows every interrupt is stopped by the deadline; it and the cells after it score nothing."""
    monkeypatch.setattr(execute, "KILL_GRACE_SECONDS", 2)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(IGNORES_INTERRUPTS),
                                         nbformat.v4.new_code_cell("print('never')")])
    start = time.monotonic()
    done = execute.execute_submission("stubborn", LAB, nbformat.writes(nb), cell_timeout=2, notebook_timeout=4)
    finished = datetime.now(UTC)
    assert time.monotonic() - start < 120  # it ends at all
    executed = nbformat.reads(done.notebook, as_version=4)
    # Counted from the moment the cell started (kernel start-up is slow on a busy machine and does not count):
    # its 2 s, the interrupt, 2 s of grace and the kill, with room to spare; a kernel left running never ends.
    began = datetime.strptime(executed.cells[0].metadata.execution["iopub.execute_input"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert (finished - began.replace(tzinfo=UTC)).total_seconds() < 20
    assert done.timed_out_cells == ("cell 1",) and not done.kernel_died
    assert [o.get("ename") for o in executed.cells[0].outputs][-1:] == ["CellTimeoutError"]
    assert [o.get("ename") for o in executed.cells[1].outputs] == ["NotRun"]


@pytest.mark.parametrize("lab", LABS)
def test_stripped_metadata_is_matched_back_to_every_graded_cell(lab):
    """In every lab, a solved notebook copied into a fresh one (no metadata, new ids) gets each cell's metadata back."""
    source = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    release = nbformat.read(notebook_path(REPO_ROOT, "release", lab), as_version=4)
    solved = with_solutions(release, source, [e.grade_id for e in exercises(source)])
    fresh = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(c.source) if c.cell_type == "code" else nbformat.v4.new_markdown_cell(c.source)
        for c in solved.cells])
    assert realign(fresh, release) == sum("nbgrader" in c.metadata for c in release.cells)
    for original, copied in zip(solved.cells, fresh.cells, strict=True):
        assert nbgrader_meta(copied) == nbgrader_meta(original), copied.source[:80]


EDITS = {
    "a debug print added": lambda source: source.replace("\n", "\nprint('debugging')\n", 1),
    "an older release (another docstring)": lambda source: '"""An older wording of this check."""\n' + source,
}


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("lab", LABS)
def test_stripped_metadata_with_edited_test_cells_is_still_this_lab(lab, edit):
    """Metadata stripped and every test cell edited: each test cell is found by its place (or its docstring)
    between the answers, so nbgrader restores it and the work is graded, never called another lab's."""
    source = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    release = nbformat.read(notebook_path(REPO_ROOT, "release", lab), as_version=4)
    solved = with_solutions(release, source, [e.grade_id for e in exercises(source)])
    fresh = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(EDITS[edit](c.source) if nbgrader_meta(c).get("grade") and not
                                  nbgrader_meta(c).get("solution") else c.source)
        if c.cell_type == "code" else nbformat.v4.new_markdown_cell(c.source) for c in solved.cells])
    assert realign(fresh, release) == sum("nbgrader" in c.metadata for c in release.cells)
    for original, copied in zip(solved.cells, fresh.cells, strict=True):
        assert nbgrader_meta(copied) == nbgrader_meta(original), copied.source[:80]


def test_no_lab_resembles_another():
    """The share of a lab's text cells found in another lab's release stays far below the threshold, and a lab's
    own release is found whole: the rule that tells a stripped notebook's lab has room on both sides."""
    releases = {lab: nbformat.read(notebook_path(REPO_ROOT, "release", lab), as_version=4)
                for lab in lab_names(REPO_ROOT)}
    for lab, release in releases.items():
        assert resemblance(release, release) == 1.0
        others = {other: resemblance(nb, release) for other, nb in releases.items() if other != lab}
        assert max(others.values()) < THIS_LAB_SHARE / 2, (lab, others)
