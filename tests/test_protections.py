"""A protection that cannot be applied is never dropped silently: the run says so once, and each row it concerns."""
from __future__ import annotations

import shutil
import warnings

import pytest
from distributed import Client

import autograd_labs.grading.worker.execute as execute_module
import autograd_labs.grading.worker.sandbox as sandbox_module
from autograd_labs.course import new_course
from autograd_labs.grading.grade import grade
from autograd_labs.release import generate
from autograd_labs.results import Status
from autograd_labs.testing import QUICK_LAB
from autograd_labs.testing.notebooks import read_notebook, submit

LAB = QUICK_LAB


@pytest.fixture
def course(tmp_path):
    course_dir = new_course(tmp_path / "course", labs=[LAB])
    generate(course_dir, [LAB])
    for student in ["ada", "ben"]:
        submit(course_dir, student, LAB, read_notebook(course_dir, "release", LAB))
    return course_dir


def grade_in_this_process(course, **options):
    """Grade on a Dask cluster inside this process (so the test's patches reach the worker); return the rows and
    the run's warnings."""
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as client, \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = grade(course, LAB, client=client, **options)
    return rows, [str(w.message) for w in caught if "graded without" in str(w.message)]


@pytest.mark.slow
def test_a_guard_that_cannot_install_is_said(course, monkeypatch):
    """The tamper guard fails to install: each row says its student was graded without it; the run says it once."""
    monkeypatch.setattr(execute_module, "GUARD", "raise RuntimeError('the guard cannot install here')")
    rows, said = grade_in_this_process(course, no_sandbox=True)
    assert [r.status for r in rows] == [Status.GRADED, Status.GRADED]
    assert all("graded without the tamper guard" in r.message for r in rows)
    assert said == ["2 students were graded without the tamper guard (it could not be installed in the kernel); "
                    "their rows say so"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="the process limit applies inside the sandbox")
def test_a_missing_process_limit_is_said(course, monkeypatch):
    """No writable pids cgroup: the sandbox runs without the process limit, and the rows and the run say so."""
    monkeypatch.setattr(sandbox_module, "pids_hierarchy", lambda: None)
    rows, said = grade_in_this_process(course)
    assert all(r.sandboxed and "graded without the process limit" in r.message for r in rows)
    assert said == ["2 students were graded without the process limit (no writable pids cgroup); their rows say so"]
