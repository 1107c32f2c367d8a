"""PostgreSQL as the gradebook (db_url), for courses that share it with formgrader: a real server on loopback."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile

import pytest
import sqlalchemy

from autograd_labs.course import new_course
from autograd_labs.exercises import exercises, with_solutions
from autograd_labs.grading.grade import grade
from autograd_labs.release import generate
from autograd_labs.results import Status
from autograd_labs.testing import QUICK_LAB
from autograd_labs.testing.notebooks import read_notebook, submit

LAB = QUICK_LAB
SERVER_BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """Start a throwaway PostgreSQL server on a free loopback port; yield a database URL; stop it."""
    if not SERVER_BINARIES:
        pytest.skip("no PostgreSQL server binaries (initdb): install them with `apt-get install postgresql`")
    bin_dir = os.path.dirname(SERVER_BINARIES[-1])
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data_dir = tempfile.mkdtemp(prefix="autograd-labs-pg-", dir="/tmp")
    if as_postgres:
        shutil.chown(data_dir, "postgres", "postgres")
    port = free_port()

    def run(*command):
        subprocess.run([*as_postgres, *command], check=True, capture_output=True, cwd="/tmp")

    run(f"{bin_dir}/initdb", "-D", data_dir, "-A", "trust", "-U", "postgres")
    run(f"{bin_dir}/pg_ctl", "-D", data_dir, "-w", "-l", f"{data_dir}/server.log", "-o",
        f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1", "start")
    try:
        run(f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "gradebook")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/gradebook"
    finally:
        run(f"{bin_dir}/pg_ctl", "-D", data_dir, "-m", "immediate", "stop")
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.mark.slow
def test_grading_into_postgres(postgres_url, tmp_path, grading_client):
    """A class is generated and graded into PostgreSQL; no SQLite file appears; the scores are exact."""
    course_dir = new_course(tmp_path / "course", labs=[LAB])
    with open(course_dir / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {postgres_url!r}\n")
    generate(course_dir, [LAB])
    source, release = read_notebook(course_dir, "source", LAB), read_notebook(course_dir, "release", LAB)
    first = exercises(source)[0]
    submit(course_dir, "ada", LAB, with_solutions(release, source, [e.grade_id for e in exercises(source)]))
    submit(course_dir, "ben", LAB, with_solutions(release, source, [first.grade_id]))

    results = {r.student: r for r in grade(course_dir, LAB, client=grading_client)}
    total = sum(e.points for e in exercises(source))
    assert {s: (r.status, r.score) for s, r in results.items()} == {
        "ada": (Status.GRADED, total), "ben": (Status.GRADED, first.points)}
    assert not (course_dir / "gradebook.db").exists()
    with sqlalchemy.create_engine(postgres_url).connect() as connection:
        students = connection.execute(sqlalchemy.text("select id from student order by id")).scalars().all()
    assert students == ["ada", "ben"]
