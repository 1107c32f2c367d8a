"""Run nbval on one notebook in a separate pytest process (each notebook needs its own nbval mode)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from autograd_labs.course import REPO_ROOT, tool_env


def run_nbval(notebook: Path, *options: str) -> subprocess.CompletedProcess:
    """Run `pytest <options> notebook` with nbval and return the finished process.

    The kernel is the notebook's own (python3), which the tests' strict_python3_kernel fixture provides.
    """
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
               "-o", "addopts=", "--rootdir", str(REPO_ROOT), *options, str(notebook)]
    return subprocess.run(command, cwd=REPO_ROOT, env=tool_env(), capture_output=True, text=True)
