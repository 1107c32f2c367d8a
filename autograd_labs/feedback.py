"""The `feedback` verb: HTML feedback for every autograded student, hidden tests kept hidden.

nbgrader's generate_feedback shows the hidden tests' source and their tracebacks (jupyter/nbgrader#917).
HideHiddenTests, added to GenerateFeedback's preprocessors in nbgrader_config.py, removes both, so even a
plain `nbgrader generate_feedback` in this course hides them.
"""
from __future__ import annotations

from pathlib import Path

from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

from autograd_labs.course import check_nbgrader


class HideHiddenTests(ClearHiddenTests):
    """ClearHiddenTests for feedback: drop hidden test regions, and cut graded cells' tracebacks to one line.

    A traceback quotes the source around the failing line, hidden tests included; the last line (the error's
    name and message) is what a student needs, and our checks word it so it never shows the expected answer.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        """Remove the hidden region of a test cell and shorten its error outputs."""
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.cell_type == "code" and utils.is_grade(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


def generate_feedback(course_dir: Path, lab: str) -> list[Path]:
    """Write feedback/<student>/<lab>/*.html for each autograded student and return the files written."""
    check_nbgrader(["generate_feedback", lab, "--force"], course_dir)
    return sorted((Path(course_dir) / "feedback").glob(f"*/{lab}/*.html"))
