"""The kernel the tests execute notebooks in turns deprecation warnings into errors."""
from __future__ import annotations

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from autograd_labs.testing.notebooks import execute_locally

WARN = "import warnings\nwarnings.warn('{message}', {category}, stacklevel=1)"


@pytest.mark.parametrize("category", ["DeprecationWarning", "FutureWarning"])
def test_deprecated_api_fails_the_notebook(category, tmp_path):
    """A cell that triggers a deprecation warning raises instead of printing it."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WARN.format(message="old", category=category))])
    with pytest.raises(CellExecutionError, match=category):
        execute_locally(nb, tmp_path, timeout=60)


def test_other_warnings_still_only_warn(tmp_path):
    """A plain UserWarning is still just a warning: printed on stderr, and the cell runs on."""
    cell = nbformat.v4.new_code_cell(WARN.format(message="hi", category="UserWarning") + "\nprint('ran on')")
    nb = nbformat.v4.new_notebook(cells=[cell])
    execute_locally(nb, tmp_path, timeout=60)
    streams = {output.name: output.text for output in cell.outputs if output.output_type == "stream"}
    assert "UserWarning: hi" in streams["stderr"] and streams["stdout"] == "ran on\n"
    assert all(output.output_type != "error" for output in cell.outputs)


def test_local_kernels_do_not_warn_about_tcp(tmp_path, capfd):
    """The tests' and benchmarks' own kernels talk over Unix sockets: no unencrypted-TCP warning per notebook."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('ran')")])
    execute_locally(nb, tmp_path, timeout=60)
    assert nb.cells[0].outputs[0]["text"] == "ran\n"
    assert "without encryption" not in capfd.readouterr().err
