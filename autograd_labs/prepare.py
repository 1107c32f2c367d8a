"""Prepare one submission for execution: nbgrader's own sanitize step, run by the coordinating process.

The sanitize preprocessors (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
CheckCellMetadata) restore every locked and test cell from the gradebook, hidden tests included, exactly as
`nbgrader autograde` does before it executes. Only the coordinator reads the gradebook; workers get the result.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook
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


class NotThisLab(ValueError):
    """The submission does not hold this lab's graded cells (another lab's notebook, or metadata stripped)."""


def graded_ids(nb) -> dict[str, object]:
    """Return {grade_id: cell} for the cells that carry nbgrader metadata."""
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}


def check_is_this_lab(config: Config, lab: str, nb) -> None:
    """Raise NotThisLab unless the submission holds at least one of the lab's graded cells."""
    with Gradebook(db_url(config)) as gb:
        expected = {cell.name for cell in gb.find_notebook(lab, lab).grade_cells}
    found = set(graded_ids(nb))
    if not found:
        raise NotThisLab("it has no grading metadata (was it copied into a new notebook?)")
    if not found & expected:
        raise NotThisLab(f"it holds none of {lab}'s graded cells (is it another lab's notebook?)")


def edited(cell) -> bool:
    """Return whether a locked cell differs from the version handed out (its checksum no longer matches)."""
    return utils.compute_checksum(cell) != cell.metadata["nbgrader"].get("checksum")


def repairs(submitted, sanitized) -> list[str]:
    """Return, in words, what nbgrader's sanitize step restored: missing, edited or retyped graded cells."""
    before, after = graded_ids(submitted), graded_ids(sanitized)
    found = []
    for grade_id, cell in after.items():
        original = before.get(grade_id)
        if original is None:
            found.append(f"restored the deleted cell {grade_id}")
        elif original.cell_type != cell.cell_type:
            found.append(f"turned {grade_id} back into a {cell.cell_type} cell")
        elif cell.metadata["nbgrader"].get("locked") and edited(original):
            found.append(f"restored the edited cell {grade_id}")
    return found


def sanitize(config: Config, lab: str, student: str, notebook_text: str) -> tuple[str, list[str]]:
    """Return the submission after nbgrader's sanitize preprocessors (JSON text) and the repairs they made.

    Raises NotThisLab for another lab's notebook, and whatever nbgrader raises for one it cannot grade.
    """
    submitted = nbformat.reads(notebook_text, as_version=4)
    check_is_this_lab(config, lab, submitted)
    nb = nbformat.reads(notebook_text, as_version=4)
    resources = nbgrader_resources(config, lab, student)
    for preprocessor_class in Autograde.class_traits()["sanitize_preprocessors"].default():
        nb, resources = preprocessor_class(config=config).preprocess(nb, resources)
    return nbformat.writes(nb), repairs(submitted, nb)
