"""Execute one prepared submission: the task a Dask worker runs, a pure function of what it is handed.

It reads nothing from the course directory and writes only to a private scratch folder, so the same task runs
in a local worker process or on a cluster node, and a retry is always safe. nbgrader's executor runs here, in
the worker (its imports are paid once per worker, not once per student); where bubblewrap exists the kernel it
starts, the only process that runs student code, lives in the sandbox of autograd_labs.grading.worker.sandbox.
"""
from __future__ import annotations

import ast
import os
import socket
import subprocess
import tempfile
import threading
import time
import uuid
import warnings
from dataclasses import dataclass

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute, LimitOutput
from traitlets import Bool, Dict, Int, List, Unicode
from traitlets.config import Config

from autograd_labs.exercises import defined_names, nbgrader_meta
from autograd_labs.grading.worker.sandbox import (
    SandboxRequired,
    bwrap_path,
    launch_command,
    launcher_env,
    process_limit,
)
from autograd_labs.grading.worker.tamper import GUARD, RESTORE, protect_expression
from autograd_labs.grading.worker.warm import (
    WarmProvisioner,
    WarmUnavailable,
    kernel_environment,
    shared_template,
    start_template,
    stop_template,
)

# nbclient stops a cell that runs past its time limit with one of these errors.
TIMEOUT_ERRORS = {"KeyboardInterrupt", "CellTimeoutError"}
# nbgrader's own kernel arguments, and a quiet kernel log (its start-up warnings are not the student's).
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
NOT_RUN = "this cell never ran: {reason}"
# A kernel still running this long after the notebook's deadline (it ignored the interrupts) is killed.
KILL_GRACE_SECONDS = 30
MAX_OUTPUT_CHARACTERS = 100_000
# What one cell may send back while it runs; the rest is dropped before it can fill the worker's memory.
CELL_OUTPUT_BUDGET = 2_000_000
MAX_PROCESSES = 512


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
    tampered: tuple[str, ...] = ()
    warm: bool = False
    unprotected: tuple[str, ...] = ()  # protections that should have applied and did not (said in the row)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts through `launch_prefix` (the sandbox), or is forked from this process's
    warm template (`warm`, see autograd_labs.grading.worker.warm), and gets `extra_env`.

    With Unix-socket transport the kernel needs no network at all, so it can live in its own network namespace.
    Interrupts travel as messages, because a signal to the sandbox's outer process does not reach the kernel.
    """

    launch_prefix = List(Unicode(), help="Command line the kernel's own command is appended to").tag(config=True)
    extra_env = Dict(help="Variables added to the kernel's environment").tag(config=True)
    warm = Bool(False, help="Fork the kernel from this process's warm template").tag(config=True)
    scratch = Unicode(help="The kernel's private folder and home (a warm kernel sees no other)").tag(config=True)
    memory_mb = Int(4096, help="Data memory a warm kernel may use (MiB)").tag(config=True)
    file_mb = Int(64, help="Largest file a warm kernel may write (MiB)").tag(config=True)
    cgroup = Unicode(help="The pids cgroup a warm kernel joins, if any").tag(config=True)

    def format_kernel_cmd(self, extra_arguments=None):
        prefix = [] if self.warm else self.launch_prefix
        return [*prefix, *super().format_kernel_cmd(extra_arguments)]

    async def _async_pre_start_kernel(self, **kw):
        if self.warm and self.provisioner is None:
            self.kernel_id = self.kernel_id or str(uuid.uuid4())
            self.provisioner = WarmProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        # the allow-list, never the grader's own environment (which may hold a password or a token)
        kw["env"] = kernel_environment(self.scratch, dict(self.extra_env))
        # what student code writes to the process's own stdout/stderr is not the grader's to see
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        if self.launch_prefix or self.warm:
            self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    def kill_now(self) -> None:
        """Kill the kernel's process (and with it the whole sandbox) from any thread."""
        process = getattr(self.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()


def cell_label(cell, index: int) -> str:
    """Return a cell's grade_id, or its position for ungraded cells."""
    return nbgrader_meta(cell).get("grade_id") or f"cell {index + 1}"


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


def deadline_timeouts(cell_timeout: int, deadline: float):
    """Return nbclient's timeout_func: each cell gets cell_timeout, but never past the notebook's deadline."""

    def timeout_for(cell) -> int:
        return max(1, min(cell_timeout, int(deadline - time.monotonic())))

    return timeout_for


class GradingExecute(Execute):
    """nbgrader's executor with a tamper guard and an output budget; it executes cells exactly as nbgrader does.

    - Before any student code, it installs the guard of autograd_labs.grading.worker.tamper in the kernel; after
      each locked cell it has the guard protect the functions that cell defined; before each test cell it has the
      guard put back whatever student code replaced, and keeps the names (`tampered`). These requests are silent:
      they add no output and no execution count. With `guard=False` it is plain nbgrader (for a control).
    - nbgrader's LimitOutput cuts outputs after execution; a cell printing gigabytes would exhaust the worker
      before that, so it drops what a cell prints past CELL_OUTPUT_BUDGET characters as the messages arrive.
    """

    def __init__(self, guard: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.output_spent: dict[int, int] = {}
        self.running_cell: int | None = None
        self.guard, self.guard_installed = guard, False
        self.tampered: list[str] = []

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        self.running_cell = cell_index
        meta = nbgrader_meta(cell)
        guarded = self.guard and cell.cell_type == "code"
        if guarded and not self.guard_installed:
            self.guard_installed = self.guard = await self.ask_guard(GUARD) is not None
        if self.guard and guarded and meta.get("grade") and not meta.get("solution"):
            changed = await self.ask_guard("", RESTORE)
            self.tampered += changed if changed is not None else ["the grader's guard (removed or replaced)"]
        result = await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        if self.guard and guarded and meta.get("locked") and not meta.get("solution"):
            names = defined_names(cell.source)
            if names:
                await self.ask_guard("", protect_expression(names))
        return result

    execute_cell = run_sync(async_execute_cell)  # nbconvert calls the synchronous name

    async def ask_guard(self, code: str, expression: str | None = None) -> list[str] | None:
        """Run code silently in the kernel, then evaluate the expression; return its list, or None on failure."""
        msg_id = await ensure_async(self.kc.execute(code, silent=True, store_history=False, allow_stdin=False,
                                                    user_expressions={"answer": expression or "[]"}))
        reply = await self.async_wait_for_reply(msg_id)
        answer = (reply or {}).get("content", {}).get("user_expressions", {}).get("answer", {})
        if answer.get("status") != "ok":
            return None
        try:
            value = ast.literal_eval(answer["data"]["text/plain"])
        except (KeyError, ValueError, SyntaxError):
            return None
        return [str(item) for item in value] if isinstance(value, list) else None

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(str(content.get("text", ""))) + len(str(content.get("data", "")))
        spent = self.output_spent.get(cell_index, 0)
        self.output_spent[cell_index] = spent + size
        if spent + size <= CELL_OUTPUT_BUDGET:
            return super().output(outs, msg, display_id, cell_index)
        if spent <= CELL_OUTPUT_BUDGET:
            outs.append(nbformat.v4.new_output("stream", name="stderr", text=(
                f"\n... output stopped here: the cell printed more than {CELL_OUTPUT_BUDGET} characters ...\n")))
        return None

    def kill_kernel(self) -> None:
        """Kill the running kernel (and with it the whole sandbox), from any thread."""
        if isinstance(getattr(self, "km", None), SandboxedKernelManager):
            self.km.kill_now()


def kernel_config(scratch: str, *, sandboxed: bool, warm: bool, intra_op_threads: int, memory_mb: int, file_mb: int,
                  cgroup) -> Config:
    """Return the kernel manager's settings: its environment and, in the sandbox, the launch command or the fork."""
    threads = str(intra_op_threads)
    settings = {"extra_env": {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
                              "NBGRADER_EXECUTION": "autograde"}}
    # Unix sockets in the scratch folder, sandbox or not: no TCP port is opened, so nothing travels unencrypted.
    settings.update(transport="ipc", ip=os.path.join(scratch, ".kernel"),
                    connection_file=os.path.join(scratch, ".kernel.json"), scratch=scratch)
    if warm:
        settings.update(warm=True, memory_mb=memory_mb, file_mb=file_mb, cgroup=str(cgroup or ""))
    elif sandboxed:
        settings["extra_env"]["PYTHONPATH"] = launcher_env()["PYTHONPATH"]
        settings["launch_prefix"] = launch_command(scratch, [], memory_mb=memory_mb, file_mb=file_mb, cgroup=cgroup)
    return Config({"SandboxedKernelManager": settings})


def dask_setup(worker) -> None:
    """Dask's preload hook: start this worker's warm-kernel template while the worker comes up."""
    start_template()


def dask_teardown(worker) -> None:
    """Dask's preload hook: stop this worker's warm-kernel template and remove its folder."""
    stop_template()


def execute_submission(student: str, lab: str, prepared: str, *, cell_timeout: int, notebook_timeout: int,
                       intra_op_threads: int = 1, sandbox: bool = True, memory_mb: int = 4096,
                       file_mb: int = 64, guard: bool = True, warm: bool = True,
                       require_sandbox: bool = False) -> Execution:
    """Execute a prepared (sanitized) notebook and return the executed notebook with what went wrong.

    `prepared` is the notebook as JSON text. Each cell may run `cell_timeout` seconds and the whole notebook
    `notebook_timeout`; past either, cells are interrupted, and a kernel that ignores that is killed. The kernel
    gets `intra_op_threads` threads so parallel workers do not oversubscribe the cores. With `sandbox` (and
    bubblewrap installed) the kernel runs in the sandbox with `memory_mb` of data memory, files of at most
    `file_mb` and at most MAX_PROCESSES processes and threads; with `warm` too, it is forked from this process's
    warm template (a kernel that cannot be forked is started cold instead, before any student code ran). A
    kernel that dies (os._exit, a crash) ends the run: cells that never ran get a NotRun error. Outputs are cut
    with nbgrader's LimitOutput. With `guard`, test cells run against the real comparison functions and
    checkers, and what student code had replaced is returned in `tampered`. With `require_sandbox`, a worker
    without bubblewrap raises SandboxRequired instead of running student code unsandboxed.
    """
    start = time.monotonic()
    sandboxed = bool(sandbox and bwrap_path())
    if sandbox and require_sandbox and not sandboxed:
        raise SandboxRequired(f"the worker on {socket.gethostname()} has no bubblewrap, so student code would run "
                              "there with the grader's rights; install bubblewrap on every worker, or pass "
                              "--no-sandbox to grade without the sandbox")
    template = shared_template() if sandboxed and warm and intra_op_threads == 1 else None
    options = dict(start=start, cell_timeout=cell_timeout, notebook_timeout=notebook_timeout, guard=guard,
                   intra_op_threads=intra_op_threads, sandboxed=sandboxed, memory_mb=memory_mb, file_mb=file_mb)
    if template is not None:
        try:
            return _execute(student, lab, prepared, warm_folder=template.kernels, **options)
        except WarmUnavailable as error:
            warnings.warn(f"{student}: {error}; executing on a cold kernel instead", RuntimeWarning, stacklevel=2)
    return _execute(student, lab, prepared, warm_folder=None, **options)


def _execute(student: str, lab: str, prepared: str, *, start: float, cell_timeout: int, notebook_timeout: int,
             intra_op_threads: int, sandboxed: bool, memory_mb: int, file_mb: int, guard: bool,
             warm_folder) -> Execution:
    """Execute once, on a kernel forked into warm_folder or (None) a cold one; see execute_submission."""
    deadline = start + notebook_timeout
    nb = nbformat.reads(prepared, as_version=4)
    warm = warm_folder is not None
    kernel_died, overdue, stuck = "", threading.Event(), ""
    with tempfile.TemporaryDirectory(prefix="autograd-labs-kernel-", dir=warm_folder) as scratch, \
            process_limit(MAX_PROCESSES) as cgroup:
        executor = GradingExecute(
            guard=guard, timeout=cell_timeout, timeout_func=deadline_timeouts(cell_timeout, deadline),
            extra_arguments=KERNEL_ARGUMENTS, kernel_manager_class=SandboxedKernelManager,
            config=kernel_config(scratch, sandboxed=sandboxed, warm=warm, intra_op_threads=intra_op_threads,
                                 memory_mb=memory_mb, file_mb=file_mb, cgroup=cgroup))

        def kill_overdue_kernel() -> None:
            overdue.set()
            executor.kill_kernel()

        watchdog = threading.Timer(max(1.0, deadline - time.monotonic()) + KILL_GRACE_SECONDS, kill_overdue_kernel)
        watchdog.daemon = True
        watchdog.start()
        try:
            executor.preprocess(nb, {"metadata": {"path": scratch}})
        except Exception as error:
            if warm and executor.running_cell is None and not overdue.is_set():  # no student code ran yet
                raise WarmUnavailable(f"the warm kernel did not start ({type(error).__name__}: {error})") from error
            if isinstance(error, DeadKernelError):
                kernel_died = f"DeadKernelError: {error}".strip()[:300]
            elif isinstance(error, CellTimeoutError):  # the kernel ignored the interrupt; nbclient shut it down
                index = executor.running_cell or 0
                stuck = cell_label(nb.cells[index], index)
                nb.cells[index].outputs.append(nbformat.v4.new_output(  # a test cell with no error would pass
                    "error", ename="CellTimeoutError", evalue="the cell ignored the interrupt at its time limit",
                    traceback=["CellTimeoutError: the cell ignored the interrupt at its time limit"]))
            else:
                raise
        finally:
            watchdog.cancel()
    if overdue.is_set() or stuck:
        fail_unexecuted(nb, "the notebook ran past its time limit")
        timed_out, kernel_died = (stuck or "the whole notebook",), ""
    else:
        if kernel_died:
            fail_unexecuted(nb, "the kernel died before it")
        timed_out = timed_out_cells(nb)
    nb, _ = LimitOutput().preprocess(nb, {})
    cap_output_characters(nb)
    unprotected = (*(["the tamper guard (it could not be installed in the kernel)"]
                     if guard and not executor.guard_installed else []),
                   *(["the process limit (no writable pids cgroup)"] if sandboxed and cgroup is None else []))
    return Execution(student, lab, nbformat.writes(nb), timed_out, kernel_died, sandboxed, time.monotonic() - start,
                     tuple(dict.fromkeys(executor.tampered)), warm, unprotected)
