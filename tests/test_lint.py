"""The code and the source notebooks pass ruff (the same check as `make lint`)."""
from __future__ import annotations

import subprocess
import sys

from autograd_labs.course import REPO_ROOT


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=REPO_ROOT, capture_output=True, text=True)


def test_ruff_passes():
    """`ruff check .` finds nothing."""
    result = ruff("check", ".")
    assert result.returncode == 0, result.stdout[-5000:]


def test_ruff_catches_an_unused_import(tmp_path):
    """The same check fails on a file with an unused import."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    assert ruff("check", "--no-cache", str(bad)).returncode == 1
