"""The `grade` verb: autograde a lab for a whole class, in parallel on Dask, with nbgrader's own scoring.

One straight pipeline per student: plan (who, from submitted/) -> prepare (nbgrader's sanitize, here) ->
execute (a Dask task on a worker) -> record (nbgrader's autograde, replaying the execution, here) -> report.
A broken notebook costs its student alone: the class always finishes, and every student ends with a status.
"""
from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import shutil
import tempfile
import traceback
import warnings
from contextlib import ExitStack
from pathlib import Path

import nbformat
from distributed import as_completed
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import ValidationError
from nbgrader.nbgraderformat.common import SchemaMismatchError
from nbgrader.preprocessors import Execute
from sqlalchemy.exc import SQLAlchemyError
from traitlets.config import Config

from autograd_labs.course import (
    CourseProblem,
    course_directory,
    db_url,
    load_course_config,
    notebook_path,
    settings,
    submitted_students,
    tool_env,
)
from autograd_labs.grading.cluster import dask_client
from autograd_labs.grading.gradebook_engine import one_engine_per_gradebook
from autograd_labs.grading.prepare import LabCells, NotThisLab, Prepared, lab_cells, sanitize
from autograd_labs.grading.record import autograde_replayed
from autograd_labs.grading.worker.execute import Execution, execute_submission
from autograd_labs.grading.worker.sandbox import SandboxRequired, bwrap
from autograd_labs.results import LEDGER_DIR, Status, StudentResult, read_notes, write_statuses

log = logging.getLogger(__name__)

# Errors that show the sandbox stopping a notebook: a read-only file system, no network, the process limit.
SANDBOX_DENIALS = ("Read-only file system", "Network is unreachable", "[Errno 111] Connection refused",
                   "Temporary failure in name resolution", "[Errno 11] Resource temporarily unavailable")


def unreadable_reason(path: Path) -> str | None:
    """Return why the notebook at path cannot be graded, or None when nbformat reads and validates it."""
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as error:  # noqa: BLE001 - nbformat raises many types for a mangled file
        text = str(error).strip()
        return f"{type(error).__name__}: {text.splitlines()[0] if text else 'unreadable'}"
    return None


def execution_settings(config: Config) -> dict:
    """Return the execution task's settings (time limits, sandbox, memory, warm kernels) from the course config."""
    ours = settings(config)
    cell_timeout = config.Execute.get("timeout", Execute.class_traits()["timeout"].default())  # nbgrader's setting
    return {"cell_timeout": int(cell_timeout), "notebook_timeout": ours.notebook_timeout,
            "sandbox": ours.sandbox, "memory_mb": ours.memory_mb, "warm": ours.warm_kernels}


def gradebook_problem(config: Config, error: Exception) -> CourseProblem:
    """Return the run-stopping error for a gradebook that cannot be used (its address without a password)."""
    from sqlalchemy.engine import make_url

    try:
        where = make_url(db_url(config)).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an address that does not parse is named as configured
        where = "the configured db_url"
    first_line = (str(error).strip().splitlines() or [""])[0]
    return CourseProblem(f"the gradebook ({where}) cannot be used ({type(error).__name__}: {first_line}); "
                         "grading stopped, and no student's status was changed")


def max_score(config: Config, lab: str) -> float:
    """Return the lab's maximum score from the gradebook; raise CourseProblem when it cannot be had."""
    try:
        with Gradebook(db_url(config)) as gb:
            return gb.find_assignment(lab).max_score
    except MissingEntry:
        raise CourseProblem(f"{lab} is not in the gradebook: release it first (autograd-labs release {lab})") from None
    except SQLAlchemyError as error:
        raise gradebook_problem(config, error) from error


def gradebook_cells(config: Config, lab: str) -> LabCells:
    """Return the lab's cell ids from the gradebook; raise CourseProblem when they cannot be had."""
    try:
        return lab_cells(config, lab)
    except MissingEntry:
        raise CourseProblem(f"the gradebook has no notebook {lab} in {lab}: release the lab again "
                            f"(autograd-labs release {lab})") from None
    except SQLAlchemyError as error:
        raise gradebook_problem(config, error) from error


def recorded_score(config: Config, lab: str, student: str) -> float:
    """Return the student's total score for the lab from the gradebook."""
    try:
        with Gradebook(db_url(config)) as gb:
            return gb.find_submission(lab, student).score
    except SQLAlchemyError as error:
        raise gradebook_problem(config, error) from error


def failure_log(course_dir: Path, lab: str) -> Path:
    """Return the file where the tracebacks of our own failures while grading `lab` are kept."""
    return Path(course_dir) / LEDGER_DIR / f"{lab}.errors.log"


class Grading:
    """One grading run of one lab: the coordinator's state (config, scratch folder, results)."""

    def __init__(self, course_dir: Path, lab: str, scratch: Path):
        self.course_dir = Path(course_dir).resolve()
        self.lab = lab
        self.config = load_course_config(self.course_dir)
        release = notebook_path(self.course_dir, "release", lab)
        if not release.is_file():
            raise CourseProblem(f"{release.relative_to(self.course_dir)} is missing: release the lab first "
                                f"(autograd-labs release {lab})")
        self.max_score = max_score(self.config, lab)
        self.cells = gradebook_cells(self.config, lab)
        self.executed_dir = Path(scratch) / "executed"
        self.submitted_dir = Path(scratch) / "submitted"

    def result(self, student: str, status: Status, score: float = 0.0, message: str = "") -> StudentResult:
        return StudentResult(student, self.lab, status, score, self.max_score, message)

    def our_failure(self, student: str, what: str, error_text: str) -> StudentResult:
        """Keep a failure of ours (a bug, a worker's error) in the lab's error log; the row names the log."""
        path = failure_log(self.course_dir, self.lab)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            handle.write(f"--- {datetime.datetime.now().isoformat(timespec='seconds')} {student}: {what}\n"
                         f"{error_text.rstrip()}\n")
        log.error("%s: %s (traceback in %s)", student, what, path)
        return self.result(student, Status.FAILED, message=(
            f"{student}: {what}; this is a fault of the grader, not of the submission (traceback in "
            f"{path.relative_to(self.course_dir)})"))

    def submission_label(self, student: str) -> str:
        """Return the submission's path relative to the course directory, for messages."""
        return str(notebook_path(self.course_dir, "submitted", self.lab, student).relative_to(self.course_dir))

    def prepare(self, student: str) -> Prepared | StudentResult:
        """Return the prepared submission, or the student's result when it cannot be graded.

        The student's folder is copied for nbgrader to record from (with the realigned notebook, if any).
        """
        path = notebook_path(self.course_dir, "submitted", self.lab, student)
        if not path.is_file():
            return self.result(student, Status.MISSING, message=f"{student}: no {self.submission_label(student)}")
        reason = unreadable_reason(path)
        if reason:
            return self.result(student, Status.INVALID, message=(
                f"{student}: {self.submission_label(student)} is not a readable notebook ({reason}); "
                "it was not graded"))
        try:
            prepared = sanitize(self.config, self.lab, student, path.read_text(), self.cells)
        except NotThisLab as error:
            return self.result(student, Status.INVALID, message=f"{student}: {self.submission_label(student)}: {error}")
        except (ValidationError, SchemaMismatchError) as error:  # the student's copy has broken grading metadata
            return self.result(student, Status.INVALID, message=(
                f"{student}: nbgrader cannot grade {self.submission_label(student)} ({type(error).__name__}: {error})"))
        except SQLAlchemyError as error:
            raise gradebook_problem(self.config, error) from error
        except Exception as error:  # noqa: BLE001 - ours, not the student's: logged in full, this student alone
            return self.our_failure(student, f"preparing {self.submission_label(student)} failed "
                                             f"({type(error).__name__}: {error})", traceback.format_exc())
        # where nbgrader, pointed at this copy of submitted/, will look (the course's directory_structure)
        copy = Path(course_directory(self.course_dir).format_path(str(self.submitted_dir), student, self.lab))
        shutil.copytree(path.parent, copy)
        if prepared.submission is not None:
            (copy / path.name).write_text(prepared.submission)
        return prepared

    def blocked_attempts(self, notebook: str) -> list[str]:
        """Return the errors in an executed notebook that show the sandbox stopping something."""
        nb = nbformat.reads(notebook, as_version=4)
        found = []
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                text = f"{output.get('ename', '')}: {output.get('evalue', '')}" if output.get(
                    "output_type") == "error" else str(output.get("text", ""))
                if any(sign in text for sign in (*SANDBOX_DENIALS, str(self.course_dir))):
                    found.append(text.strip().splitlines()[0][:160])
        return list(dict.fromkeys(found))

    def record_execution(self, execution: Execution, prepared: Prepared) -> StudentResult:
        """Record a worker's execution in the gradebook through nbgrader and return the student's result."""
        student = execution.student
        executed = self.executed_dir / student / self.lab / f"{self.lab}.ipynb"
        executed.parent.mkdir(parents=True, exist_ok=True)
        executed.write_text(execution.notebook)
        outcome = autograde_replayed(self.config, self.lab, student, executed_dir=self.executed_dir,
                                     submitted_dir=self.submitted_dir)
        if not outcome["success"]:
            max_score(self.config, self.lab)  # a gradebook that went away stops the run (CourseProblem)
            details = (outcome.get("error") or outcome.get("log") or "").strip()
            tail = " | ".join(details.splitlines()[-2:])
            return self.our_failure(student, f"nbgrader could not record {self.submission_label(student)}: {tail}",
                                    details)
        try:
            score = recorded_score(self.config, self.lab, student)
        except MissingEntry:
            return self.result(student, Status.FAILED, message=f"{student}: no score recorded")
        tampering = [*prepared.tampering, *(f"replaced at run time: {name}" for name in execution.tampered)]
        if tampering:
            return self.result(student, Status.TAMPERED, score, (
                f"{student}: {self.submission_label(student)} changes what the tests rely on "
                f"({'; '.join(tampering)}); the tests ran against the real functions, and a person should look at "
                "this submission"))
        if execution.kernel_died:
            return self.result(student, Status.KERNEL_DIED, score, (
                f"{student}: the kernel running {self.submission_label(student)} died ({execution.kernel_died}); "
                "the cells after it scored nothing"))
        if execution.timed_out_cells:
            return self.result(student, Status.TIMED_OUT, score, (
                f"{student}: {self.submission_label(student)}: {', '.join(execution.timed_out_cells)} ran past "
                "the time limit and was stopped"))
        blocked = self.blocked_attempts(execution.notebook)
        if blocked:
            return self.result(student, Status.BLOCKED, score, (
                f"{student}: {self.submission_label(student)} tried what the sandbox forbids: {'; '.join(blocked)}"))
        if prepared.repairs:
            return self.result(student, Status.REPAIRED, score, (
                f"{student}: {self.submission_label(student)}: {'; '.join(prepared.repairs)}"))
        return self.result(student, Status.GRADED, score)


def grade(course_dir: Path, lab: str, students: list[str] | None = None, *, jobs: int | None = None,
          scheduler: str | None = None, progress: bool = False, client=None,
          no_sandbox: bool = False) -> list[StudentResult]:
    """Autograde `lab` for the given students (default: everyone under submitted/) and return their results.

    One lab of grade_labs; see there for `jobs`, `scheduler`, `client` and `no_sandbox`.
    """
    return grade_labs(course_dir, [lab], students, jobs=jobs, scheduler=scheduler, progress=progress, client=client,
                      no_sandbox=no_sandbox)


def grade_labs(course_dir: Path, labs: list[str], students: list[str] | None = None, *, jobs: int | None = None,
               scheduler: str | None = None, progress: bool = False, client=None,
               no_sandbox: bool = False) -> list[StudentResult]:
    """Autograde several labs at once and return the results, lab by lab, each lab's students sorted.

    Every lab's notebooks go to Dask together, so no worker waits for one lab to finish before the next starts.
    They execute on `jobs` local single-threaded workers (default: one per core), or on the cluster behind
    `scheduler` (tcp://HOST:PORT), or through an open Dask `client`. The gradebook is written here alone, each
    result as soon as its notebook comes back. The labs must already be in the gradebook (generate_assignment).
    Students default to everyone with a folder for the lab under submitted/. Workers this process did not start
    (`scheduler`, or a `client` of another machine's cluster) must have bubblewrap: one that lacks it refuses, and
    the run stops, unless `no_sandbox` (the instructor's explicit choice) runs every notebook unsandboxed. Each row
    says which it was.
    """
    os.environ["PATH"] = tool_env()["PATH"]  # nbgrader runs alembic by name
    roster = {lab: sorted(students or submitted_students(course_dir, lab)) for lab in labs}
    with tempfile.TemporaryDirectory(prefix="autograd-labs-grade-") as scratch, ExitStack() as stack, \
            one_engine_per_gradebook():
        gradings = {lab: Grading(course_dir, lab, Path(scratch) / lab) for lab in labs}

        def cluster():  # started with the first notebook to execute, which runs while the rest are prepared
            nonlocal client
            client = client or stack.enter_context(dask_client(jobs, scheduler))
            return client

        remote = bool(scheduler) or (client is not None and not started_here(client))
        results = execute_and_record(gradings, roster, cluster, progress, no_sandbox=no_sandbox, remote=remote)
    warn_unprotected(results.values())
    return write_ledger(course_dir, labs, roster, results)


def started_here(client) -> bool:
    """Whether the client's workers are a local cluster this process started (its machine, its bubblewrap)."""
    from distributed import LocalCluster

    return isinstance(getattr(client, "cluster", None), LocalCluster)


def execute_and_record(gradings: dict[str, Grading], roster: dict[str, list[str]], cluster, progress: bool, *,
                       no_sandbox: bool = False, remote: bool = False) -> dict[tuple[str, str], StudentResult]:
    """Prepare each student's notebook, send it to Dask (`cluster()` gives the client), record each as it returns.

    Returns {(lab, student): result}, including the students whose notebook could not be prepared. With `remote`
    workers, a sandboxed lab requires the sandbox on the worker; `no_sandbox` turns the sandbox off for all.
    """
    settings = {lab: execution_settings(grading.config) for lab, grading in gradings.items()}
    for options in settings.values():
        options["sandbox"] = options["sandbox"] and not no_sandbox
        options["require_sandbox"] = options["sandbox"] and remote
    if any(options["sandbox"] and not remote for options in settings.values()):
        bwrap()  # warns here, once, when student code cannot be sandboxed
    results: dict[tuple[str, str], StudentResult] = {}
    prepared: dict[tuple[str, str], Prepared] = {}
    futures = {}
    for lab, grading in gradings.items():
        for student in roster[lab]:
            outcome = grading.prepare(student)
            if isinstance(outcome, StudentResult):
                results[lab, student] = outcome
                continue
            prepared[lab, student] = outcome
            futures[cluster().submit(execute_submission, student, lab, outcome.notebook, **settings[lab],
                                     key=f"execute-{lab}-{student}", pure=False, retries=1)] = (lab, student)
    log.info("%d notebooks sent to execute, %d settled without executing", len(futures), len(results))
    bar = _progress(len(futures), list(gradings), progress)
    for future in as_completed(futures):
        lab, student = futures[future]
        results[lab, student] = result_of(gradings[lab], student, future, prepared[lab, student])
        log.info("%s %s: %s", lab, student, results[lab, student].status)
        bar.update(1)
    bar.close()
    return results


def write_ledger(course_dir: Path, labs: list[str], roster: dict[str, list[str]],
                 results: dict[tuple[str, str], StudentResult]) -> list[StudentResult]:
    """Add collect's notes, keep each lab's statuses in its ledger, and return the results lab by lab."""
    ordered = []
    for lab in labs:
        notes = read_notes(course_dir, lab)
        lab_results = [with_note(results[lab, student], notes.get(student)) for student in roster[lab]]
        write_statuses(course_dir, lab, lab_results)
        ordered += lab_results
    return ordered


def with_note(result: StudentResult, note: str | None) -> StudentResult:
    """Return the result with collect's note on that student (e.g. which resubmission counted) added."""
    if not note:
        return result
    return dataclasses.replace(result, message=f"{result.message} | {note}" if result.message else note)


def result_of(grading: Grading, student: str, future, prepared: Prepared) -> StudentResult:
    """Turn a finished Dask future into the student's result."""
    from distributed import KilledWorker

    try:
        execution = future.result()
    except SandboxRequired as error:
        raise CourseProblem(f"{error}; grading stopped, and no student's status was changed") from None
    except KilledWorker:
        return grading.result(student, Status.WORKER_DIED, message=(
            f"{student}: the worker executing {grading.submission_label(student)} died twice "
            "(killed or out of memory)"))
    except Exception as error:  # noqa: BLE001 - an infrastructure error costs this student alone
        text = "".join(traceback.format_exception(error))
        return grading.our_failure(student, f"executing failed ({type(error).__name__}: {error})", text)
    result = grading.record_execution(execution, prepared)
    if execution.unprotected:
        without = f"graded without {' and without '.join(execution.unprotected)}"
        result = dataclasses.replace(result, message=f"{result.message} | {without}" if result.message else
                                     f"{student}: {without}")
    return dataclasses.replace(result, sandboxed=execution.sandboxed, unprotected=execution.unprotected)


def warn_unprotected(results) -> None:
    """Say once, for the whole run, which protections were missing and for how many students."""
    counts: dict[str, int] = {}
    for result in results:
        for protection in result.unprotected:
            counts[protection] = counts.get(protection, 0) + 1
    for protection, count in counts.items():
        warnings.warn(f"{count} student{'s were' if count > 1 else ' was'} graded without {protection}; "
                      "their rows say so", RuntimeWarning, stacklevel=3)


def _progress(total: int, labs: list[str], enabled: bool):
    """Return a tqdm progress bar with an ETA (a silent one when disabled)."""
    from tqdm.auto import tqdm

    what = labs[0] if len(labs) == 1 else f"{len(labs)} labs"
    return tqdm(total=total, desc=f"grading {what}", unit="notebook", disable=not enabled)
