"""The kernel the tests execute notebooks in turns deprecation warnings into errors."""
from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

WARN = "import warnings\nwarnings.warn('{message}', {category}, stacklevel=1)"


@pytest.mark.parametrize("category", ["DeprecationWarning", "FutureWarning"])
def test_deprecated_api_fails_the_notebook(category, tmp_path):
    """A cell that triggers a deprecation warning raises instead of printing it."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WARN.format(message="old", category=category))])
    client = NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError, match=category):
        client.execute()


def test_other_warnings_still_only_warn(tmp_path):
    """A plain UserWarning is still just a warning: printed on stderr, and the cell runs on."""
    cell = nbformat.v4.new_code_cell(WARN.format(message="hi", category="UserWarning") + "\nprint('ran on')")
    nb = nbformat.v4.new_notebook(cells=[cell])
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    streams = {output.name: output.text for output in cell.outputs if output.output_type == "stream"}
    assert "UserWarning: hi" in streams["stderr"] and streams["stdout"] == "ran on\n"
    assert all(output.output_type != "error" for output in cell.outputs)
