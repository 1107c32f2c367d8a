"""Record one executed submission in the gradebook with `nbgrader autograde` itself, run by the coordinator.

nbgrader's Autograde converter runs as usual (sanitize, then its autograde preprocessors, SaveAutoGrades
included), except that its Execute step is replaced by ReplayExecution, which copies the outputs a worker
produced instead of running the notebook again, and two steps are replaced as prepare's are (nbgrader_steps).
Scores are therefore nbgrader's own, and the gradebook has a single writer however many workers executed
notebooks.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import nbformat
from nbgrader.apps import NbGraderAPI
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from sqlalchemy.exc import SAWarning
from traitlets import Unicode
from traitlets.config import Config

from autograd_labs.grading.nbgrader_steps import autograde_steps, sanitize_steps


class ExecutionMismatch(ValueError):
    """The executed notebook does not have the cells of the prepared one."""


class ReplayExecution(NbGraderPreprocessor):
    """Stand in for nbgrader's Execute: take each cell's outputs from a notebook a worker already executed.

    The executed notebook must have exactly the cells (and sources) nbgrader's sanitize step produced here;
    anything else means it was not produced from this submission, and grading that student stops with an error.
    """

    executed_dir = Unicode("", help="Folder holding <student>/<assignment>/<notebook>.ipynb, already executed").tag(
        config=True)

    def preprocess(self, nb, resources):
        """Copy outputs and execution counts from the executed notebook into nb."""
        info = resources["nbgrader"]
        path = Path(self.executed_dir) / info["student"] / info["assignment"] / f"{info['notebook']}.ipynb"
        executed = nbformat.read(path, as_version=4)
        if [c.source for c in executed.cells] != [c.source for c in nb.cells]:
            raise ExecutionMismatch(f"{path} does not hold the cells of {info['student']}'s prepared notebook")
        for cell, done in zip(nb.cells, executed.cells, strict=True):
            if cell.cell_type == "code":
                cell.outputs = done.outputs
                cell.execution_count = done.execution_count
        return nb, resources


def replay_config(config: Config, executed_dir: Path, submitted_dir: Path) -> Config:
    """Return a copy of the course config whose autograde step replays executions from executed_dir.

    It reads submissions from submitted_dir, the coordinator's copy of submitted/ (which may hold a repaired
    notebook in place of the student's file, which is never changed).
    """
    replay = Config(config)
    replay.CourseDirectory.submitted_directory = str(submitted_dir)
    replay.Autograde.autograde_preprocessors = [ReplayExecution if step is Execute else step
                                                for step in autograde_steps()]
    replay.Autograde.sanitize_preprocessors = sanitize_steps()
    replay.ReplayExecution.executed_dir = str(executed_dir)
    return replay


def autograde_replayed(config: Config, lab: str, student: str, *, executed_dir: Path, submitted_dir: Path) -> dict:
    """Run nbgrader's autograde for one student, replaying the worker's execution; return nbgrader's result.

    The result is nbgrader's capture_log dict: `success`, and `error` / `log` when it failed.
    """
    with warnings.catch_warnings():
        # nbgrader's own gradebook code trips SQLAlchemy's autoflush warnings on every new submission.
        warnings.simplefilter("ignore", SAWarning)
        api = NbGraderAPI(config=replay_config(config, executed_dir, submitted_dir))
        return api.autograde(lab, student, force=True, create=True)
