"""Notebook helpers the tests and benchmarks share: read a stage's notebook, submit one, fingerprint a folder."""
from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import nbformat

from autograd_labs.course import notebook_path
from autograd_labs.exercises import nbgrader_meta


def read_notebook(course_dir: Path, stage: str, lab: str, student: str | None = None):
    """Read a lab's notebook from one stage of a course directory."""
    return nbformat.read(notebook_path(course_dir, stage, lab, student), as_version=4)


def submit(course_dir: Path, student: str, lab: str, content) -> Path:
    """Place a submission (a notebook or raw bytes) at submitted/<student>/<lab>/<lab>.ipynb."""
    path = notebook_path(course_dir, "submitted", lab, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        nbformat.write(content, path)
    return path


def tree_digest(folder: Path) -> dict[str, str]:
    """Return {relative path: sha256} for every file under folder, to prove nothing in it changed."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def insert_cell(nb, index: int, source: str):
    """Return a copy of nb with a new code cell (as a student would add one) at index."""
    nb = copy.deepcopy(nb)
    nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


def cell_index(nb, grade_id: str) -> int:
    """Return the position of the cell with this grade_id."""
    return next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == grade_id)


def execute_locally(nb, workdir: Path, *, timeout: int = 600, kernel_name: str = "python3"):
    """Execute a notebook in workdir on a plain local kernel over Unix sockets, and return it.

    Unix sockets (transport "ipc") keep the kernel off TCP, and with it the kernel's warning that TCP traffic
    is unencrypted, which would otherwise print once for every notebook a benchmark or a test runs.
    """
    from nbclient import NotebookClient
    from traitlets.config import Config

    unix_sockets = Config({"KernelManager": {"transport": "ipc", "ip": str(Path(workdir) / ".kernel")}})
    client = NotebookClient(nb, config=unix_sockets, timeout=timeout, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(workdir)}})
    return client.execute()


def cell_errors(nb) -> list[str]:
    """Return, for each error output of an executed notebook, "cell N (its grade id or first line): Type: message"."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                name = nbgrader_meta(cell).get("grade_id") or next(iter(cell.source.splitlines()), "")[:60]
                found.append(f"cell {index} ({name}): {output.ename}: {output.evalue}")
    return found
