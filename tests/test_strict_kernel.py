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
    """A plain UserWarning is still just a warning."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WARN.format(message="hi", category="UserWarning"))])
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
