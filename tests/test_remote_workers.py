"""Workers the grader did not start (`grade --scheduler`): one without bubblewrap refuses to run student code
unsandboxed, and the run stops, unless the instructor passes --no-sandbox; every row says how its code ran."""
from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distributed import Client

import autograd_labs
from autograd_labs.course import CourseProblem, new_course, tool_env
from autograd_labs.export import export
from autograd_labs.grading.grade import grade
from autograd_labs.release import generate
from autograd_labs.results import Status, ledger_path
from autograd_labs.testing import QUICK_LAB
from autograd_labs.testing.notebooks import read_notebook, submit

LAB = QUICK_LAB


def wait_for_file(path: Path, process: subprocess.Popen, seconds: float = 30) -> None:
    """Wait until the scheduler has written its address (it writes it once it listens)."""
    deadline = time.monotonic() + seconds
    while not (path.exists() and path.stat().st_size):
        assert process.poll() is None and time.monotonic() < deadline, "the Dask scheduler did not start"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def scheduler_without_bwrap(tmp_path_factory):
    """A Dask scheduler with one worker whose PATH holds only this environment's bin, so no bwrap is found: a
    machine where bubblewrap was never installed."""
    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = str(folder / "scheduler.json")
    env = {**tool_env(), "PATH": str(Path(sys.executable).parent),
           "PYTHONPATH": str(Path(autograd_labs.__file__).resolve().parents[1])}
    start = {"env": env, "cwd": folder, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file",
                                  scheduler_file, "--port", "0", "--dashboard-address", ":0"], **start)
    worker = None
    try:
        wait_for_file(Path(scheduler_file), scheduler)
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                                   scheduler_file, "--nthreads", "1", "--no-dashboard"], **start)
        with Client(scheduler_file=scheduler_file, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
            yield client.scheduler.address
    finally:
        for process in filter(None, [worker, scheduler]):
            process.terminate()
            process.wait(10)


@pytest.fixture
def course(tmp_path):
    course_dir = new_course(tmp_path / "course", labs=[LAB])
    generate(course_dir, [LAB])
    submit(course_dir, "ada", LAB, read_notebook(course_dir, "release", LAB))
    return course_dir


@pytest.mark.slow
def test_a_worker_without_bubblewrap_is_refused_then_allowed_with_no_sandbox(scheduler_without_bwrap, course,
                                                                              tmp_path):
    """Refused: one error naming the worker and both ways out, and no status. With --no-sandbox: graded, and the
    row, the ledger and the CSV say the code ran unsandboxed."""
    with pytest.raises(CourseProblem, match=r"has no bubblewrap.*install bubblewrap on every worker.*--no-sandbox"):
        grade(course, LAB, scheduler=scheduler_without_bwrap)
    assert not ledger_path(course, LAB).exists()
    [row] = grade(course, LAB, scheduler=scheduler_without_bwrap, no_sandbox=True)
    assert (row.status, row.sandboxed) == (Status.GRADED, False)
    assert ledger_path(course, LAB).read_text().splitlines()[1:] == ["ada,graded,,no"]
    with open(export(course, tmp_path / "grades.csv"), newline="") as handle:
        assert [(r["student_id"], r["sandboxed"]) for r in csv.DictReader(handle)] == [("ada", "no")]
