"""Prepare one submission for execution: nbgrader's own sanitize step, run by the coordinating process.

The sanitize preprocessors (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
CheckCellMetadata) restore every locked and test cell from the gradebook, hidden tests included, exactly as
`nbgrader autograde` does before it executes. Only the coordinator reads the gradebook; workers get the result.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader.converters import Autograde
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograd_labs.course import CONFIG_FILE


def load_course_config(course_dir: Path) -> Config:
    """Return the course's nbgrader configuration, rooted at course_dir."""
    course_dir = Path(course_dir).resolve()
    config = Config()
    if (course_dir / CONFIG_FILE).is_file():
        config = PyFileConfigLoader(CONFIG_FILE, path=str(course_dir)).load_config()
    config.CourseDirectory.root = str(course_dir)
    return config


def db_url(config: Config) -> str:
    """Return the gradebook address the course uses (nbgrader's default: SQLite in the course directory)."""
    if "db_url" in config.CourseDirectory:
        return config.CourseDirectory.db_url
    return f"sqlite:///{Path(config.CourseDirectory.root) / 'gradebook.db'}"


def nbgrader_resources(config: Config, lab: str, student: str) -> dict:
    """Return the resources nbgrader's preprocessors expect for one student's lab notebook."""
    return {"nbgrader": {"student": student, "assignment": lab, "notebook": lab, "db_url": db_url(config)}}


def sanitize(config: Config, lab: str, student: str, notebook_text: str) -> str:
    """Return the submission after nbgrader's sanitize preprocessors, as notebook JSON text.

    Raises whatever nbgrader raises for a notebook it cannot grade (for example changed cell metadata).
    """
    nb = nbformat.reads(notebook_text, as_version=4)
    resources = nbgrader_resources(config, lab, student)
    for preprocessor_class in Autograde.class_traits()["sanitize_preprocessors"].default():
        nb, resources = preprocessor_class(config=config).preprocess(nb, resources)
    return nbformat.writes(nb)
