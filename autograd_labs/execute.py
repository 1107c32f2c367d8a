"""Execute one prepared submission: the task a Dask worker runs, a pure function of what it is handed.

It reads nothing from the course directory and writes nothing outside a private scratch folder, so the same
task runs in a local worker process, on a cluster node, or (later) inside a sandbox, and a retry is always safe.
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass

import nbformat

# nbclient stops a cell that runs past its time limit with one of these errors.
TIMEOUT_ERRORS = {"KeyboardInterrupt", "CellTimeoutError"}
# nbgrader's own kernel arguments, and a quiet kernel log (its start-up warnings are not the student's).
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
KERNEL_DIED_ERRORS = ("DeadKernelError", "UnresponsiveKernelError", "Kernel died")


@dataclass(frozen=True)
class Execution:
    """What a worker hands back: the executed notebook (nbformat JSON), or why there is none."""

    student: str
    lab: str
    notebook: str | None
    timed_out_cells: tuple[str, ...] = ()
    kernel_died: str = ""
    seconds: float = 0.0


def cell_label(cell, index: int) -> str:
    """Return a cell's grade_id, or its position for ungraded cells."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"


def timed_out_cells(nb) -> tuple[str, ...]:
    """Return the labels of the cells that nbclient stopped at the time limit."""
    return tuple(cell_label(cell, i) for i, cell in enumerate(nb.cells)
                 if any(o.get("output_type") == "error" and o.get("ename") in TIMEOUT_ERRORS
                        for o in cell.get("outputs", [])))


def deadline_timeouts(cell_timeout: int, notebook_timeout: int):
    """Return nbclient's timeout_func: each cell gets cell_timeout, but never past the notebook's deadline."""
    deadline = time.monotonic() + notebook_timeout

    def timeout_for(cell) -> int:
        return max(1, min(cell_timeout, int(deadline - time.monotonic())))

    return timeout_for


def execute_submission(student: str, lab: str, prepared: str, cell_timeout: int, notebook_timeout: int,
                       intra_op_threads: int = 1) -> Execution:
    """Execute a prepared (sanitized) notebook with nbgrader's executor and return the executed notebook.

    `prepared` is the notebook as JSON text. Each cell may run `cell_timeout` seconds and the whole notebook
    `notebook_timeout`; past either, the cell is interrupted and the remaining cells still run (to no avail
    once the deadline has passed). The kernel gets `intra_op_threads` threads so that parallel workers do not
    oversubscribe the machine's cores.
    """
    from nbgrader.preprocessors import Execute

    start = time.monotonic()
    nb = nbformat.reads(prepared, as_version=4)
    os.environ.update({
        "OMP_NUM_THREADS": str(intra_op_threads), "MKL_NUM_THREADS": str(intra_op_threads),
        "NBGRADER_EXECUTION": "autograde",
    })
    executor = Execute(timeout=cell_timeout, timeout_func=deadline_timeouts(cell_timeout, notebook_timeout),
                       extra_arguments=KERNEL_ARGUMENTS)
    with tempfile.TemporaryDirectory(prefix=f"autograd-labs-{student}-") as workdir:
        try:
            nb, _ = executor.preprocess(nb, {"metadata": {"path": workdir}})
        except Exception as error:  # noqa: BLE001 - whatever ended the kernel, the student gets a status
            name = type(error).__name__
            if any(marker in f"{name} {error}" for marker in KERNEL_DIED_ERRORS):
                return Execution(student, lab, None, kernel_died=f"{name}: {error}".strip()[:300],
                                 seconds=time.monotonic() - start)
            raise
    return Execution(student, lab, nbformat.writes(nb), timed_out_cells(nb), seconds=time.monotonic() - start)
