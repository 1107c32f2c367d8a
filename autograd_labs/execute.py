"""Execute one prepared submission: the task a Dask worker runs, a pure function of what it is handed.

It reads nothing from the course directory and writes only to a private scratch folder, so the same task runs
in a local worker process or on a cluster node, and a retry is always safe. Where bubblewrap exists the whole
execution (executor and kernel) runs in the sandbox of autograd_labs.sandbox.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import nbformat

# nbclient stops a cell that runs past its time limit with one of these errors.
TIMEOUT_ERRORS = {"KeyboardInterrupt", "CellTimeoutError"}
# nbgrader's own kernel arguments, and a quiet kernel log (its start-up warnings are not the student's).
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
NOT_RUN = "this cell never ran: {reason}"
SANDBOX_GRACE_SECONDS = 60
MAX_OUTPUT_CHARACTERS = 100_000


@dataclass(frozen=True)
class Execution:
    """What a worker hands back: the executed notebook (nbformat JSON) and what went wrong, if anything."""

    student: str
    lab: str
    notebook: str
    timed_out_cells: tuple[str, ...] = ()
    kernel_died: str = ""
    sandboxed: bool = False
    seconds: float = 0.0


def cell_label(cell, index: int) -> str:
    """Return a cell's grade_id, or its position for ungraded cells."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"


def timed_out_cells(nb) -> tuple[str, ...]:
    """Return the labels of the cells that nbclient stopped at the time limit."""
    return tuple(cell_label(cell, i) for i, cell in enumerate(nb.cells)
                 if any(o.get("output_type") == "error" and o.get("ename") in TIMEOUT_ERRORS
                        for o in cell.get("outputs", [])))


def fail_unexecuted(nb, reason: str):
    """Give every code cell that did not run an error output, so nbgrader cannot count an unrun test as passed."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("execution_count") is None and not cell.get("outputs"):
            cell.outputs = [nbformat.v4.new_output("error", ename="NotRun", evalue=NOT_RUN.format(reason=reason),
                                                   traceback=[f"NotRun: {NOT_RUN.format(reason=reason)}"])]
    return nb


def cap_output_characters(nb, limit: int = MAX_OUTPUT_CHARACTERS):
    """Cut every text output to `limit` characters (nbgrader's LimitOutput counts lines, not their length)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if isinstance(output.get("text"), str) and len(output["text"]) > limit:
                output["text"] = output["text"][:limit] + f"\n... output cut to {limit} characters ...\n"
    return nb


def deadline_timeouts(cell_timeout: int, notebook_timeout: int):
    """Return nbclient's timeout_func: each cell gets cell_timeout, but never past the notebook's deadline."""
    deadline = time.monotonic() + notebook_timeout

    def timeout_for(cell) -> int:
        return max(1, min(cell_timeout, int(deadline - time.monotonic())))

    return timeout_for


def execute_here(student: str, lab: str, prepared: str, cell_timeout: int, notebook_timeout: int,
                 intra_op_threads: int = 1) -> dict:
    """Execute the prepared notebook in this process with nbgrader's executor; return Execution's fields.

    A kernel that dies (os._exit, a crash) ends the run: cells that never ran get a NotRun error.
    Outputs are cut with nbgrader's LimitOutput, so 50 MB of printing does not travel back.
    """
    from nbclient.exceptions import DeadKernelError
    from nbgrader.preprocessors import Execute, LimitOutput

    nb = nbformat.reads(prepared, as_version=4)
    os.environ.update({"OMP_NUM_THREADS": str(intra_op_threads), "MKL_NUM_THREADS": str(intra_op_threads),
                       "NBGRADER_EXECUTION": "autograde"})
    executor = Execute(timeout=cell_timeout, timeout_func=deadline_timeouts(cell_timeout, notebook_timeout),
                       extra_arguments=KERNEL_ARGUMENTS)
    kernel_died = ""
    with tempfile.TemporaryDirectory(prefix="autograd-labs-kernel-") as workdir:
        try:
            executor.preprocess(nb, {"metadata": {"path": workdir}})
        except DeadKernelError as error:
            kernel_died = f"DeadKernelError: {error}".strip()[:300]
            fail_unexecuted(nb, "the kernel died before it")
    nb, _ = LimitOutput().preprocess(nb, {})
    cap_output_characters(nb)
    return {"student": student, "lab": lab, "notebook": nbformat.writes(nb), "timed_out_cells": timed_out_cells(nb),
            "kernel_died": kernel_died}


def execute_sandboxed(task: dict, memory_mb: int, file_mb: int) -> dict:
    """Run execute_here inside bubblewrap and return its fields (raises if the sandbox itself failed)."""
    from autograd_labs.sandbox import bwrap_command, resource_limits

    limits = resource_limits(memory_mb, file_mb)
    read_end, write_end = os.pipe()

    def child_setup() -> None:
        limits()
        os.dup2(write_end, 3)  # the runner writes its result to fd 3

    with tempfile.TemporaryDirectory(prefix="autograd-labs-sandbox-") as scratch:
        command = bwrap_command(scratch, [sys.executable, "-m", "autograd_labs.sandbox_runner"])
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, preexec_fn=child_setup, pass_fds=(3,),
                                   start_new_session=True, env=sandbox_env())
        os.close(write_end)
        chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: os.read(read_end, 1 << 20), b"")))
        reader.start()
        try:
            _, stderr = process.communicate(json.dumps(task).encode(),
                                            timeout=task["notebook_timeout"] + SANDBOX_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            reader.join()
            os.close(read_end)
            nb = fail_unexecuted(nbformat.reads(task["prepared"], as_version=4), "the notebook ran past its time limit")
            return {"student": task["student"], "lab": task["lab"], "notebook": nbformat.writes(nb),
                    "timed_out_cells": ("the whole notebook",), "kernel_died": ""}
        reader.join()
        os.close(read_end)
    if not chunks:
        tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"the sandbox exited with {process.returncode} and no result: {' | '.join(tail)}")
    return json.loads(b"".join(chunks))


def sandbox_env() -> dict[str, str]:
    """Return the environment for the sandbox: this one, with the package importable from anywhere."""
    env = dict(os.environ)
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH", "")]))
    return env


def execute_submission(student: str, lab: str, prepared: str, cell_timeout: int, notebook_timeout: int,
                       intra_op_threads: int = 1, sandbox: bool = True, memory_mb: int = 4096,
                       file_mb: int = 64) -> Execution:
    """Execute a prepared (sanitized) notebook and return the executed notebook with what went wrong.

    `prepared` is the notebook as JSON text. Each cell may run `cell_timeout` seconds and the whole notebook
    `notebook_timeout`; past either, cells are interrupted. The kernel gets `intra_op_threads` threads so
    parallel workers do not oversubscribe the cores. With `sandbox` (and bubblewrap installed) it runs in the
    sandbox with `memory_mb` of data memory and files of at most `file_mb`.
    """
    from autograd_labs.sandbox import bwrap

    start = time.monotonic()
    task = {"student": student, "lab": lab, "prepared": prepared, "cell_timeout": cell_timeout,
            "notebook_timeout": notebook_timeout, "intra_op_threads": intra_op_threads}
    sandboxed = bool(sandbox and bwrap())
    fields = execute_sandboxed(task, memory_mb, file_mb) if sandboxed else execute_here(**task)
    fields["timed_out_cells"] = tuple(fields["timed_out_cells"])
    return Execution(**fields, sandboxed=sandboxed, seconds=time.monotonic() - start)

