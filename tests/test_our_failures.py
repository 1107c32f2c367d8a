"""Our failures are never a student's status: a course or gradebook problem stops the run with one clear error,
and a bug of ours while grading one student is `grading failed`, its traceback kept in a log the row names."""
from __future__ import annotations

import subprocess
import sys

import pytest

import autograd_labs.grading.grade as grading_module
from autograd_labs.course import CourseProblem, new_course, notebook_path, tool_env
from autograd_labs.grading.grade import failure_log, grade
from autograd_labs.release import generate
from autograd_labs.results import Status, ledger_path
from autograd_labs.testing import QUICK_LAB
from autograd_labs.testing.notebooks import read_notebook, submit

LAB = QUICK_LAB
UNREACHABLE = "postgresql+psycopg://grader:s3cret@127.0.0.1:1/gradebook"  # nothing listens on port 1


@pytest.fixture
def course(tmp_path):
    """A released lab with two students who handed in the blank notebook."""
    course_dir = new_course(tmp_path / "course", labs=[LAB])
    generate(course_dir, [LAB])
    for student in ["ada", "ben"]:
        submit(course_dir, student, LAB, read_notebook(course_dir, "release", LAB))
    return course_dir


def use_gradebook(course_dir, url: str) -> None:
    with open(course_dir / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")


def test_an_unreachable_gradebook_stops_the_run_before_any_student(course):
    """No student is graded or given a status; the error names the gradebook, never its password."""
    use_gradebook(course, UNREACHABLE)
    hidden_password = r"the gradebook \(postgresql\+psycopg://grader:\*\*\*@127.0.0.1:1"
    with pytest.raises(CourseProblem, match=hidden_password) as error:
        grade(course, LAB, jobs=1)
    assert "s3cret" not in str(error.value)
    assert not ledger_path(course, LAB).exists()
    done = subprocess.run([sys.executable, "-m", "autograd_labs", "grade", LAB, "--jobs", "1", "--course-dir",
                           str(course)], env=tool_env(), capture_output=True, text=True)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("autograd-labs grade: the gradebook (") and "Traceback" not in done.stderr


def test_a_gradebook_lost_during_the_run_stops_it_and_blames_nobody(course, monkeypatch):
    """The gradebook breaks after the first student is prepared: the run stops, no status is written."""
    real_sanitize, prepared = grading_module.sanitize, []

    def sanitize_then_break(config, lab, student, text, cells):
        if prepared:
            (course / "gradebook.db").write_bytes(b"this is not a database any more" * 100)
        prepared.append(student)
        return real_sanitize(config, lab, student, text, cells)

    monkeypatch.setattr(grading_module, "sanitize", sanitize_then_break)
    with pytest.raises(CourseProblem, match="the gradebook .* cannot be used"):
        grade(course, LAB, jobs=1)
    assert prepared == ["ada", "ben"] and not ledger_path(course, LAB).exists()


def test_a_missing_release_notebook_stops_the_run(course):
    """Without release/<lab>/<lab>.ipynb there is nothing to grade against: one error, no statuses."""
    notebook_path(course, "release", LAB).unlink()
    with pytest.raises(CourseProblem, match=f"release/{LAB}/{LAB}.ipynb is missing"):
        grade(course, LAB, jobs=1)
    assert not ledger_path(course, LAB).exists()


@pytest.mark.slow
def test_a_bug_of_ours_is_grading_failed_with_its_traceback_logged(course, monkeypatch, grading_client):
    """A bug while preparing one student: that row says `grading failed` and names the log holding the
    traceback; the other student is graded as usual."""
    real_sanitize = grading_module.sanitize

    def buggy_for_ada(config, lab, student, text, cells):
        if student == "ada":
            return {}["a key our code forgot"]
        return real_sanitize(config, lab, student, text, cells)

    monkeypatch.setattr(grading_module, "sanitize", buggy_for_ada)
    rows = {r.student: r for r in grade(course, LAB, client=grading_client)}
    assert (rows["ada"].status, rows["ben"].status) == (Status.FAILED, Status.GRADED)
    log = failure_log(course, LAB)
    assert str(log.relative_to(course)) in rows["ada"].message and "not of the submission" in rows["ada"].message
    text = log.read_text()
    assert "ada" in text and "Traceback" in text and "buggy_for_ada" in text and "KeyError" in text
