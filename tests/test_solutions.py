"""Every source notebook runs top to bottom with its solutions, and every visible and hidden test passes."""
from __future__ import annotations

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT, notebook_path
from autograd_labs.exercises import nbgrader_meta
from autograd_labs.testing import LABS
from nbval_run import run_nbval


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_source_notebook_passes(lab):
    """nbval (lax: the source keeps no outputs to compare) executes the source notebook without an error."""
    result = run_nbval(notebook_path(REPO_ROOT, "source", lab), "--nbval-lax")
    assert result.returncode == 0, result.stdout[-5000:]


@pytest.mark.slow
def test_a_wrong_solution_fails_nbval(tmp_path):
    """The same check fails when one solution is wrong (here: a sign slip in the first exercise)."""
    lab = LABS[0]
    nb = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    solution = next(c for c in nb.cells if nbgrader_meta(c).get("solution"))
    solution.source = solution.source.replace("### END SOLUTION", "    raise ValueError('broken on purpose')\n"
                                              "    ### END SOLUTION")
    broken = tmp_path / f"{lab}.ipynb"
    nbformat.write(nb, broken)
    result = run_nbval(broken, "--nbval-lax")
    assert result.returncode == 1, result.stdout[-3000:]
