"""Grading on Dask: the same scores as serial `nbgrader autograde`, idempotent re-runs, a real scheduler."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from distributed import Client
from nbgrader.api import Gradebook

from autograd_labs.course import db_url, load_course_config, new_course, run_nbgrader, tool_env
from autograd_labs.exercises import exercises, nbgrader_meta, with_solutions
from autograd_labs.grading.grade import grade
from autograd_labs.release import generate
from autograd_labs.results import Status
from autograd_labs.testing import QUICK_LAB
from autograd_labs.testing.notebooks import read_notebook, submit

LAB = QUICK_LAB


def class_of_four(course_dir):
    """Submit four students: everything right, nothing done, the first exercise only, and the last one only."""
    source, release = read_notebook(course_dir, "source", LAB), read_notebook(course_dir, "release", LAB)
    ids = [e.grade_id for e in exercises(source)]
    for student, solved in {"ada": ids, "ben": [], "cai": ids[:1], "dee": ids[-1:]}.items():
        submit(course_dir, student, LAB, with_solutions(release, source, solved))
    return ["ada", "ben", "cai", "dee"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A course with LAB generated (its release version and gradebook), made once; each class starts from a copy."""
    course_dir = new_course(tmp_path_factory.mktemp("generated"), labs=[LAB])
    generate(course_dir, [LAB])
    return course_dir


def new_class(path, generated):
    """A scratch course with LAB generated and four submissions."""
    course_dir = Path(shutil.copytree(generated, path))
    return course_dir, class_of_four(course_dir)


def gradebook_rows(course_dir) -> dict:
    """Return {(student, notebook, grade cell): (auto_score, max_score)} and the number of submission rows."""
    with Gradebook(db_url(load_course_config(course_dir))) as gb:
        submissions = gb.db.execute(__import__("sqlalchemy").text("select count(*) from submitted_assignment"))
        count = submissions.scalar()
        rows = {(s.student.id, nb.name, g.name): (g.auto_score, g.max_score)
                for s in gb.find_assignment(LAB).submissions for nb in s.notebooks for g in nb.grades}
    return rows, count


@pytest.fixture(scope="module")
def graded_in_parallel(tmp_path_factory, generated):
    """A class graded with two local Dask workers."""
    course_dir, students = new_class(tmp_path_factory.mktemp("parallel") / "course", generated)
    return course_dir, students, grade(course_dir, LAB, jobs=2)


@pytest.mark.slow
def test_scores_match_serial_nbgrader(graded_in_parallel, generated, tmp_path):
    """Every grade cell of every student scores what serial `nbgrader autograde` gives it."""
    course_dir, students, results = graded_in_parallel
    serial_dir, _ = new_class(tmp_path / "serial", generated)
    finished = run_nbgrader(["autograde", LAB, "--force"], serial_dir)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert [r.status for r in results] == [Status.GRADED] * 4
    parallel_rows, _ = gradebook_rows(course_dir)
    serial_rows, _ = gradebook_rows(serial_dir)
    assert len(parallel_rows) == len(students) * len(exercises(read_notebook(course_dir, "source", LAB)))
    assert parallel_rows == serial_rows


@pytest.mark.slow
def test_regrading_is_idempotent(graded_in_parallel, grading_client):
    """Grading the same class again leaves the same gradebook: no lost, doubled or changed rows."""
    course_dir, students, results = graded_in_parallel
    before = gradebook_rows(course_dir)
    again = grade(course_dir, LAB, client=grading_client)
    assert [(r.student, r.status, r.score) for r in again] == [(r.student, r.status, r.score) for r in results]
    assert gradebook_rows(course_dir) == before
    assert before[1] == len(students)


def start(command, **kwargs):
    """Start a background process in its own process group, output discarded."""
    return subprocess.Popen(command, env=tool_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, **kwargs)


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and two single-threaded `dask worker` processes on loopback (no nanny)."""
    scheduler_file = tmp_path / "scheduler.json"
    bin_dir = os.path.dirname(sys.executable)
    env_failures = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
    scheduler = subprocess.Popen([f"{bin_dir}/dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                                 env={**tool_env(), **env_failures}, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
    workers = [start([f"{bin_dir}/dask", "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                      "--no-nanny", "--host", "127.0.0.1", "--no-dashboard", "--name", f"worker-{i}"])
               for i in range(2)]
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    import json

    address = json.loads(scheduler_file.read_text())["address"]
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(2, timeout=60)
    yield address, workers
    for process in [scheduler, *workers]:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


@pytest.mark.slow
def test_grading_through_a_dask_scheduler(dask_cluster, graded_in_parallel, generated, tmp_path):
    """A class graded through `dask scheduler` + two `dask worker`s scores exactly as with local workers."""
    address, _ = dask_cluster
    course_dir, _ = new_class(tmp_path / "remote", generated)
    results = grade(course_dir, LAB, scheduler=address)
    local = graded_in_parallel[2]
    assert [(r.student, r.status, r.score) for r in results] == [(r.student, r.status, r.score) for r in local]
    assert gradebook_rows(course_dir)[0] == gradebook_rows(graded_in_parallel[0])[0]


# How long the "slow" student's notebook takes at least, so that the worker is killed while it executes it.
SLOW_SECONDS = 3


@pytest.mark.slow
def test_a_worker_killed_mid_run(dask_cluster, generated, tmp_path):
    """Killing a worker while it executes a notebook costs that task a retry; every student is accounted for."""
    address, workers = dask_cluster
    course_dir, students = new_class(tmp_path / "killed", generated)
    slow = with_solutions(read_notebook(course_dir, "release", LAB), read_notebook(course_dir, "source", LAB),
                          [e.grade_id for e in exercises(read_notebook(course_dir, "source", LAB))])
    first = next(c for c in slow.cells if nbgrader_meta(c).get("solution"))
    first.source = f"import time\ntime.sleep({SLOW_SECONDS})\n" + first.source
    submit(course_dir, "slow", LAB, slow)

    def kill_the_worker_running_slow():
        with Client(address, timeout="30s") as client:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                busy = client.processing()
                owner = next((w for w, keys in busy.items() if any("slow" in str(k) for k in keys)), None)
                if owner:  # the notebook runs at least SLOW_SECONDS from here: the kill lands while it executes
                    pid = client.run(os.getpid, workers=[owner])[owner]
                    os.kill(pid, signal.SIGKILL)
                    return
                time.sleep(0.05)

    killer = threading.Thread(target=kill_the_worker_running_slow)
    killer.start()
    results = grade(course_dir, LAB, scheduler=address)
    killer.join()
    assert sum(w.poll() is not None for w in workers) == 1, "the test did not kill a worker"
    by_student = {r.student: r for r in results}
    assert sorted(by_student) == sorted([*students, "slow"])
    total = sum(e.points for e in exercises(read_notebook(course_dir, "source", LAB)))
    assert (by_student["slow"].status, by_student["slow"].score) == (Status.GRADED, total)
    assert by_student["ada"].score == total and by_student["ben"].score == 0


def test_the_task_reads_nothing_from_the_course(generated, tmp_path, monkeypatch):
    """execute_submission needs only its arguments: it runs with the course directory gone."""
    from autograd_labs.grading.prepare import sanitize
    from autograd_labs.grading.worker.execute import execute_submission

    course_dir, _ = new_class(tmp_path / "course", generated)
    text = (course_dir / "submitted" / "ada" / LAB / f"{LAB}.ipynb").read_text()
    prepared = sanitize(load_course_config(course_dir), LAB, "ada", text)
    assert prepared.repairs == [] and prepared.submission is None
    shutil.rmtree(course_dir)
    monkeypatch.chdir(tmp_path)
    execution = execute_submission("ada", LAB, prepared.notebook, cell_timeout=30, notebook_timeout=120)
    nb = nbformat.reads(execution.notebook, as_version=4)
    graded = [c for c in nb.cells if nbgrader_meta(c).get("grade")]
    assert graded and not any(o.output_type == "error" for c in graded for o in c.outputs)
