"""Warm kernels: forked from a pre-imported template, yet each student's kernel is as fresh as a cold one.

Two students run one after another on the same template, the first leaving every kind of trace; the second
must see none of them. Warm and cold kernels must give every lab the same outputs and the same grades. Where
the template cannot run, grading falls back to cold kernels, says so once and blames no student.
"""
from __future__ import annotations

import copy
import shutil
import warnings
from pathlib import Path

import nbformat
import psutil
import pytest
from nbconvert.preprocessors import CoalesceStreamsPreprocessor
from nbgrader.utils import determine_grade

from autograd_labs.exercises import nbgrader_meta
from autograd_labs.grading.grade import grade_labs
from autograd_labs.grading.worker import warm
from autograd_labs.grading.worker.execute import execute_submission
from autograd_labs.results import Status
from autograd_labs.testing import LABS
from autograd_labs.testing.notebooks import read_notebook, submit

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="warm kernels need bubblewrap")

LIMITS = {"cell_timeout": 10, "notebook_timeout": 30}  # the notebooks here are a few lines long
LEFTOVER = "987654.321"  # a sleeping child process the first student leaves, found by its command line

# Each cell of the first student leaves one trace behind.
TRACES = {
    "monkeypatched torch": "import torch\ntorch.ones = lambda *args, **kwargs: 'patched'",
    "edited sys.modules": "import sys\nsys.modules['json'] = None",
    "replaced a builtin": "import builtins\nbuiltins.round = lambda *args: 'patched'\nbuiltins.left_behind = 1",
    "wrote /tmp": "open('/tmp/left-behind', 'w').write('x')",
    "wrote the scratch folder's parent": "import os\nopen(os.path.join(os.path.dirname(os.getcwd()), 'left'), 'w')",
    "set an environment variable": "import os\nos.environ['LEFT_BEHIND'] = '1'",
    "left a thread": "import threading, time\nthreading.Thread(target=time.sleep, args=(600,), daemon=True).start()",
    "left a child process": f"import subprocess\nsubprocess.Popen(['sleep', '{LEFTOVER}'], start_new_session=True)",
    "changed a signal handler": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)",
    "drew from numpy's unseeded stream": "import numpy\nprint(numpy.random.rand())",
}

# What the second student checks, each printing True when no trace is left.
CHECKS = {
    "monkeypatched torch": "import torch\nprint(torch.ones(2).sum().item() == 2)",
    "edited sys.modules": "import json\nprint(json.dumps([1]) == '[1]')",
    "replaced a builtin": "import builtins\nprint(round(1.6) == 2 and not hasattr(builtins, 'left_behind'))",
    "wrote /tmp": "import os\nprint(not os.path.exists('/tmp/left-behind'))",
    "wrote the scratch folder's parent": "import os\nprint(os.listdir(os.path.dirname(os.getcwd())) == "
                                         "[os.path.basename(os.getcwd())])",
    "set an environment variable": "import os\nprint('LEFT_BEHIND' not in os.environ)",
    "left a thread": "import threading\nprint(not any(t.name.startswith('Thread-') and 'sleep' in repr(t._target) "
                     "for t in threading.enumerate()))",
    "left a child process": "import os\nprint(not any(b'LEFTOVER' in open(f'/proc/{p}/cmdline', 'rb').read()\n"
                            "                  for p in os.listdir('/proc') if p.isdigit()))".replace("LEFTOVER",
                                                                                                    LEFTOVER),
    "changed a signal handler": "import signal\nprint(signal.getsignal(signal.SIGINT) is not signal.SIG_IGN)",
    "drew from numpy's unseeded stream": "import numpy\nprint(numpy.random.rand())",
}


def notebook(*sources: str) -> str:
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]))


def printed(execution) -> list[str]:
    """Return each cell's printed text (or its error), in order."""
    nb = nbformat.reads(execution.notebook, as_version=4)
    return ["".join(o.get("text", "") or f"{o.get('ename')}: {o.get('evalue')}" for o in cell.outputs).strip()
            for cell in nb.cells]


def leftover_processes() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["cmdline"]) if LEFTOVER in (p.info["cmdline"] or [])]


@pytest.fixture(scope="module")
def template():
    """This test process's template, started fresh for the module."""
    warm.stop_template()
    found = warm.shared_template()
    assert found is not None, "the warm-kernel template did not start"
    yield found
    warm.stop_template()


@pytest.mark.slow
def test_the_next_student_finds_no_trace(template):
    """Student one leaves a trace of every kind; student two, on the same template right after, sees none."""
    first = execute_submission("first", "lab", notebook(*TRACES.values()), **LIMITS)
    assert first.warm and all("Error" not in text for text in printed(first)), printed(first)
    assert leftover_processes() == [], "a process of the first student outlived its kernel"
    second = execute_submission("second", "lab", notebook(*CHECKS.values()), **LIMITS)
    assert second.warm
    found = dict(zip(CHECKS, printed(second), strict=True))
    # a fresh kernel seeds numpy from the system: two copies of one template must not draw the same numbers
    assert float(found.pop("drew from numpy's unseeded stream")) != float(printed(first)[-1])
    assert found == {trace: "True" for trace in found}


@pytest.mark.slow
def test_the_kernel_is_isolated_before_student_code_runs(template, monkeypatch):
    """No capability, only the allow-listed environment, no network, and the template's folder out of sight."""
    monkeypatch.setenv("GRADER_SECRET", "s3cret")
    done = execute_submission("nosy", "lab", notebook(
        "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])",
        "import os\nprint(sorted(os.environ))",
        "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=2)",
        f"import os\nprint(os.listdir({str(template.folder)!r}))",
    ), **LIMITS)
    capabilities, environment, connection, folder = printed(done)
    assert capabilities == "0000000000000000"
    assert "GRADER_SECRET" not in environment and "'HOME'" in environment
    assert "PYTHONPATH" not in environment, "the template's own variables leaked into the kernel"
    assert "Network is unreachable" in connection or "Errno" in connection
    assert folder == "['kernels']"


@pytest.mark.slow
def test_out_of_memory_costs_only_that_student(template):
    """A student who asks for more memory than allowed gets an error; the next student runs as usual."""
    greedy = execute_submission("greedy", "lab", notebook("import torch\nx = torch.ones(2**33, dtype=torch.uint8)",
                                                          "print('after')"),
                                **LIMITS, memory_mb=2048)
    assert greedy.warm
    assert "alloc" in printed(greedy)[0].lower() or "memory" in printed(greedy)[0].lower(), printed(greedy)
    assert printed(greedy)[1] == "after" and not greedy.kernel_died
    modest = execute_submission("modest", "lab", notebook("import torch\nprint(torch.ones(2**20).sum().item())"),
                                **LIMITS)
    assert modest.warm and printed(modest) == ["1048576.0"]


@pytest.mark.slow
def test_a_failed_fork_runs_the_student_cold(template, monkeypatch):
    """When the template cannot fork, the student's notebook runs on a cold kernel with the same result."""
    def refuse(*args, **kwargs):
        raise warm.WarmUnavailable("refused for the test")

    monkeypatch.setattr(warm.Template, "fork", refuse)
    with pytest.warns(RuntimeWarning, match="executing on a cold kernel instead"):
        done = execute_submission("unlucky", "lab", notebook("print(6 * 7)"), **LIMITS)
    assert (done.warm, printed(done)) == (False, ["42"])


@pytest.mark.slow
def test_a_dead_template_is_restarted(template):
    """A template that died is replaced (with a warning) before the next student, who still runs warm."""
    template.process.kill()
    template.process.wait()
    with pytest.warns(RuntimeWarning, match="template died"):
        done = execute_submission("next", "lab", notebook("print(6 * 7)"), **LIMITS)
    assert (done.warm, printed(done)) == (True, ["42"])


@pytest.mark.parametrize("warm_kernels", [True, False], ids=["warm kernels", "cold kernels"])
def test_a_weights_cache_under_tmp_stays_visible_and_read_only(torch_home, warm_kernels):
    """The tests keep their torch hub cache under /tmp, which each kernel's own fresh /tmp covers: the kernel still
    sees the cache (the labs load their weights from it) and cannot write to it."""
    checkpoint = next(Path(torch_home).rglob("*.pth"))
    assert str(checkpoint).startswith("/tmp/")
    run = execute_submission("s", "lab", notebook(f"import os\nprint(os.path.getsize({str(checkpoint)!r}))",
                                                  f"open({str(checkpoint)!r}, 'ab')"), warm=warm_kernels, **LIMITS)
    assert run.warm == warm_kernels
    size, written = printed(run)
    assert size == str(checkpoint.stat().st_size)
    assert written.startswith(("OSError: [Errno 30] Read-only file system", "PermissionError")), written


@pytest.mark.slow
def test_without_a_template_grading_goes_cold_and_says_so_once(monkeypatch):
    """Forced fallback: the template cannot start; every notebook runs cold, and the reason is said once."""
    warm.stop_template()
    monkeypatch.setattr(warm.Template, "command", lambda self: ["false"])
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        runs = [execute_submission(f"s{i}", "lab", notebook("print(6 * 7)"), **LIMITS)
                for i in range(2)]
    assert [(run.warm, printed(run)) for run in runs] == [(False, ["42"])] * 2
    assert [str(w.message) for w in said if "cold kernels" in str(w.message)] == [
        "cold kernels: each notebook starts its own Python (the warm-kernel template did not start: no message)"]
    warm.stop_template()


def output_kinds(cell) -> list[tuple]:
    """Return each output's kind, stream name and data types, consecutive stream writes merged (how a stream's text
    is split into messages depends on timing, not on the kernel)."""
    merged = CoalesceStreamsPreprocessor().preprocess_cell(copy.deepcopy(cell), {}, 0)[0]
    return [(o.output_type, o.get("name"), sorted(o.get("data", {}))) for o in merged.outputs]


def cell_grades(course_dir, lab: str, student: str) -> dict[str, tuple]:
    """Return {grade_id: (score, max score, output kinds)} of an autograded notebook's graded cells."""
    nb = read_notebook(course_dir, "autograded", lab, student)
    return {nbgrader_meta(c)["grade_id"]: (*determine_grade(c), output_kinds(c)) for c in nb.cells
            if nbgrader_meta(c).get("grade") and c.cell_type == "code"}


@pytest.mark.slow
def test_warm_and_cold_kernels_grade_alike(class_run, tmp_path, grading_client):
    """Every lab's full solution gets the same cell scores and outputs (kinds and streams) on cold kernels."""
    course_dir = shutil.copytree(class_run.course_dir, tmp_path / "cold", ignore=shutil.ignore_patterns(
        "submitted", "autograded", "feedback"))
    with open(course_dir / "nbgrader_config.py", "a") as config:
        config.write("\nc.AutogradLabs.warm_kernels = False\n")
    for lab in LABS:
        submit(course_dir, "all_right", lab, read_notebook(class_run.course_dir, "submitted", lab, "all_right"))
    results = grade_labs(course_dir, LABS, client=grading_client)
    assert {r.status for r in results} == {Status.GRADED}
    for lab in LABS:
        assert cell_grades(course_dir, lab, "all_right") == cell_grades(class_run.course_dir, lab, "all_right"), lab
