"""Student code runs in a sandbox: no network, no gradebook, no source/, no other students, nothing writable.

Each attack is a student who adds one cell to an otherwise correct notebook. The attack is blocked, the
student's row says so (status `blocked`), and the rest of the class is graded as if it were not there.
"""
from __future__ import annotations

import shutil
import socket

import nbformat
import pytest

from autograd_labs.course import new_course, notebook_path
from autograd_labs.exercises import exercises, with_solutions
from autograd_labs.grading.grade import grade
from autograd_labs.grading.worker.sandbox import pids_hierarchy
from autograd_labs.release import generate
from autograd_labs.results import Status
from autograd_labs.testing import QUICK_LAB
from autograd_labs.testing.notebooks import insert_cell, read_notebook, submit, tree_digest

LAB = QUICK_LAB
pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None,
                                reason="bubblewrap is not installed: apt-get install bubblewrap")
NEEDS_PIDS_LIMIT = {"forks_without_end"}  # the only attack the pids cgroup stops; the others need bwrap alone


# Forks until the process limit says no, then reaps its children so the rest of the notebook can run.
FORK_BOMB = """import os, time
children = []
try:
    while len(children) < 5000:
        pid = os.fork()
        if pid == 0:
            time.sleep(2)
            os._exit(0)
        children.append(pid)
finally:
    for pid in children:
        os.waitpid(pid, 0)
"""


def attacks(course_dir, port: int) -> dict[str, str]:
    """Return {student: the cell they add}, one attack each."""
    return {
        "opens_connection": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5)",
        "reads_gradebook": f"print(open({str(course_dir / 'gradebook.db')!r}, 'rb').read()[:100])",
        "reads_source": f"print(open({str(notebook_path(course_dir, 'source', LAB))!r}).read())",
        "writes_outside": "open('/etc/autograd-labs-was-here', 'w').write('x')",
        "deletes_others": f"import shutil\nshutil.rmtree({str(course_dir / 'submitted' / 'bystander')!r})",
        "forks_without_end": FORK_BOMB,
    }


def with_attack(nb, cell_source: str):
    return insert_cell(nb, 1, cell_source)


@pytest.fixture(scope="module")
def listener():
    """A TCP server on loopback that no student may reach."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


@pytest.fixture(scope="module", params=[True, False], ids=["warm kernels", "cold kernels"])
def attacked_class(request, tmp_path_factory, listener, grading_client):
    """A class with a bystander, an honest student and one attacker per attack, graded with two jobs."""
    course_dir = new_course(tmp_path_factory.mktemp("sandbox"), labs=[LAB])
    with open(course_dir / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.AutogradLabs.warm_kernels = {request.param}\n")
        # Forking a kernel that has torch imported 512 times can pass the 30 s cell limit on a busy 2-core machine;
        # the test is about what the sandbox stops, so the fork bomb gets time to reach the process limit.
        config.write("c.Execute.timeout = 120\n")
    generate(course_dir, [LAB])
    source, release = read_notebook(course_dir, "source", LAB), read_notebook(course_dir, "release", LAB)
    solved = with_solutions(release, source, [e.grade_id for e in exercises(source)])
    for student in ["bystander", "honest"]:
        submit(course_dir, student, LAB, solved)
    for student, cell in attacks(course_dir, listener.getsockname()[1]).items():
        if student not in NEEDS_PIDS_LIMIT or pids_hierarchy() is not None:
            submit(course_dir, student, LAB, with_attack(solved, cell))
    before = tree_digest(course_dir)
    results = {r.student: r for r in grade(course_dir, LAB, client=grading_client)}
    return course_dir, results, before, sum(e.points for e in exercises(source))


@pytest.mark.slow
@pytest.mark.parametrize("student", ["opens_connection", "reads_gradebook", "reads_source", "writes_outside",
                                     "deletes_others", "forks_without_end"])
def test_attack_is_blocked_and_reported(attacked_class, student):
    """The attacking cell fails, the row says `blocked` and why, and the exercises still score."""
    if student in NEEDS_PIDS_LIMIT and pids_hierarchy() is None:
        pytest.skip("no writable pids cgroup for the process limit (run as root on Linux)")
    _, results, _, total = attacked_class
    result = results[student]
    assert (result.status, result.score) == (Status.BLOCKED, total), result.message
    assert student in result.message and "sandbox" in result.message


@pytest.mark.slow
def test_nothing_reached_the_course_or_the_network(attacked_class, listener):
    """No connection arrived, nothing in the course directory changed, and the others scored in full."""
    course_dir, results, before, total = attacked_class
    with pytest.raises(BlockingIOError):
        listener.accept()
    after = tree_digest(course_dir)
    assert {k: v for k, v in after.items() if k.startswith("submitted/")} == {
        k: v for k, v in before.items() if k.startswith("submitted/")}
    assert all(k in after for k in before if k.startswith(("source/", "release/")))
    for student in ["bystander", "honest"]:
        assert (results[student].status, results[student].score) == (Status.GRADED, total)


@pytest.mark.slow
def test_without_the_sandbox_the_attack_works(tmp_path, grading_client):
    """Control: with the sandbox off, the same student reads the source notebook, hidden tests included."""
    course_dir = new_course(tmp_path / "open", labs=[LAB])
    with open(course_dir / "nbgrader_config.py", "a") as config:
        config.write("\nc.AutogradLabs.sandbox = False\n")
    generate(course_dir, [LAB])
    source, release = read_notebook(course_dir, "source", LAB), read_notebook(course_dir, "release", LAB)
    solved = with_solutions(release, source, [e.grade_id for e in exercises(source)])
    submit(course_dir, "reads_source", LAB, with_attack(solved, attacks(course_dir, 1)["reads_source"]))
    [result] = grade(course_dir, LAB, client=grading_client)
    executed = nbformat.read(notebook_path(course_dir, "autograded", LAB, "reads_source"), as_version=4)
    attack = next(c for c in executed.cells if c.source == attacks(course_dir, 1)["reads_source"])
    assert "BEGIN HIDDEN TESTS" in "".join(o.get("text", "") for o in attack.outputs)
    assert result.status == Status.GRADED
