"""Every class nbgrader_config.py names: the preprocessors this course adds to nbgrader's own steps.

- AddColabBadge (GenerateAssignment): opens each release notebook with an "Open in Colab" badge. nbgrader's
  IncludeHeaderFooter adds the same header to every notebook, but the badge's link names the lab, so it is built
  here from one setting, the repository's address (`c.AddColabBadge.repository`).
- HideHiddenTests (GenerateFeedback): feedback never shows hidden tests, nor tracebacks that quote them.
"""
from __future__ import annotations

from nbformat.v4 import new_markdown_cell
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from traitlets import Unicode

BADGE_CELL_ID = "open-in-colab"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(repository: str, branch: str, notebook: str) -> str:
    """Return the Colab address that opens `notebook` (a path in the repository) from GitHub."""
    prefix = "https://github.com/"
    if not repository.startswith(prefix):
        raise ValueError(f"AddColabBadge.repository must be a GitHub address starting with {prefix}: {repository!r}")
    owner_and_name = repository[len(prefix):].strip("/").removesuffix(".git")
    return f"https://colab.research.google.com/github/{owner_and_name}/blob/{branch}/{notebook}"


class AddColabBadge(NbGraderPreprocessor):
    """Insert a markdown cell with an "Open in Colab" badge at the top of a release notebook."""

    repository = Unicode("", help="The repository's GitHub address, e.g. https://github.com/OWNER/NAME").tag(config=True)
    branch = Unicode("main", help="The branch Colab opens the notebook from").tag(config=True)

    def preprocess(self, nb, resources):
        """Add the badge cell (once) for the notebook nbgrader is generating."""
        if any(cell.get("id") == BADGE_CELL_ID for cell in nb.cells):
            return nb, resources
        lab = resources["nbgrader"]["assignment"]
        notebook = resources["nbgrader"]["notebook"]
        url = colab_url(self.repository, self.branch, f"release/{lab}/{notebook}.ipynb")
        cell = new_markdown_cell(f"[![Open In Colab]({BADGE_IMAGE})]({url})")
        cell["id"] = BADGE_CELL_ID
        nb.cells.insert(0, cell)
        return nb, resources


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
