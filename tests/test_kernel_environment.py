"""Student code sees an allow-listed environment, never the grader's: no password or token crosses over."""
from __future__ import annotations

import shutil

import nbformat
import pytest

from autograd_labs.grading.worker import warm
from autograd_labs.grading.worker.execute import execute_submission

SECRET = "AUTOGRAD_LABS_TEST_SECRET"
LIMITS = {"cell_timeout": 10, "notebook_timeout": 30}
NEEDS_BWRAP = pytest.mark.skipif(shutil.which("bwrap") is None, reason="the sandbox needs bubblewrap")
KERNELS = [pytest.param(True, True, marks=NEEDS_BWRAP, id="warm, sandboxed"),
           pytest.param(True, False, marks=NEEDS_BWRAP, id="cold, sandboxed"),
           pytest.param(False, False, id="cold, no sandbox")]


@pytest.mark.parametrize(("sandbox", "warm_kernel"), KERNELS)
def test_a_variable_of_the_grader_cannot_be_printed(sandbox, warm_kernel, monkeypatch):
    """A secret in the grader's environment is absent from the kernel's, whichever kernel runs the student."""
    monkeypatch.setenv(SECRET, "hunter2")
    warm.stop_template()  # a template started before the secret was set would not have seen it anyway
    code = f"import os\nprint(sorted(os.environ))\nprint(os.environ.get('{SECRET}', 'absent'))"
    cell = nbformat.v4.new_code_cell(code)
    done = execute_submission("student", "lab", nbformat.writes(nbformat.v4.new_notebook(cells=[cell])),
                              sandbox=sandbox, warm=warm_kernel, **LIMITS)
    warm.stop_template()
    printed = "".join(o.get("text", "") for o in nbformat.reads(done.notebook, as_version=4).cells[0].outputs)
    names, value = printed.strip().splitlines()
    assert value == "absent" and "hunter2" not in printed
    assert (done.warm, done.sandboxed) == (warm_kernel, sandbox)
    assert {"PATH", "HOME"} <= set(eval(names)) and SECRET not in names
