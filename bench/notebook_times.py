"""Time each lab's execution top to bottom (source with solutions, and lesson), on CPU, offline.

Prints seconds per notebook, the baseline (an empty notebook: kernel start only) measured in the same run, and
whether each lab stays within its budget of 20 s. A benchmark, not a test: it prints numbers and exits 0.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from autograd_labs.course import REPO_ROOT, lab_names, notebook_path
from autograd_labs.testing.notebooks import execute_locally
from autograd_labs.testing.offline import seed_torch_home

BUDGET_SECONDS = 20.0
REPEATS = 3


def execution_seconds(nb: nbformat.NotebookNode, workdir: Path) -> float:
    """Return the median wall time of executing the notebook (kernel start included) over REPEATS runs."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        execute_locally(nbformat.from_dict(nb), workdir)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print the timing table."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        seed_torch_home(scratch / "torch_home")
        os.environ["TORCH_HOME"] = str(scratch / "torch_home")
        baseline = execution_seconds(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), scratch)
        print(f"baseline (empty notebook, kernel start): {baseline:.2f} s, median of {REPEATS}")
        print(f"{'notebook':<50} {'seconds':>8} {'x baseline':>11}  budget {BUDGET_SECONDS:.0f} s")
        for lab in lab_names(REPO_ROOT):
            for label, path in [(f"source/{lab}", notebook_path(REPO_ROOT, "source", lab)),
                                (f"notebooks/{lab}", REPO_ROOT / "notebooks" / f"{lab}.ipynb")]:
                if not path.is_file():
                    continue
                seconds = execution_seconds(nbformat.read(path, as_version=4), scratch)
                verdict = "ok" if seconds <= BUDGET_SECONDS else "OVER"
                print(f"{label:<50} {seconds:>8.2f} {seconds / baseline:>11.1f}  {verdict}")


if __name__ == "__main__":
    main()
