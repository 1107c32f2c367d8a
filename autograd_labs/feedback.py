"""The `feedback` verb: HTML feedback for every autograded student, hidden tests kept hidden.

nbgrader's generate_feedback shows the hidden tests' source and their tracebacks (jupyter/nbgrader#917).
autograd_labs.nbgrader_plugins.HideHiddenTests, added to GenerateFeedback's preprocessors in nbgrader_config.py,
removes both, so even a plain `nbgrader generate_feedback` in this course hides them.
"""
from __future__ import annotations

from pathlib import Path

from autograd_labs.course import check_nbgrader


def generate_feedback(course_dir: Path, lab: str) -> list[Path]:
    """Write feedback/<student>/<lab>/*.html for each autograded student and return the files written."""
    check_nbgrader(["generate_feedback", lab, "--force"], course_dir)
    return sorted((Path(course_dir) / "feedback").glob(f"*/{lab}/*.html"))
