"""Run a notebook's execution inside bubblewrap: no network, a read-only view of the system, a private scratch.

The sandbox sees the system directories, this Python environment and the torch hub cache, read-only, and one
empty scratch folder it may write; nothing else: no gradebook, no course directory, no other submissions.
It runs in its own network, process and IPC namespaces with every capability dropped, and under limits on
memory (RLIMIT_DATA) and file size (RLIMIT_FSIZE). The executor inside makes itself non-dumpable, so the
student's kernel cannot read the hidden tests from its memory.
"""
from __future__ import annotations

import functools
import os
import resource
import shutil
import sys
import warnings
from pathlib import Path

SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt"]
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) to run student code in a sandbox"


@functools.cache
def bwrap() -> str | None:
    """Return the bwrap executable, or None (warning loudly, once) when student code cannot be sandboxed."""
    found = shutil.which("bwrap")
    if found is None:
        warnings.warn(f"no sandbox: student notebooks run with this user's full rights; {INSTALL_HINT}",
                      RuntimeWarning, stacklevel=2)
    return found


def torch_home() -> str:
    """Return where torch keeps downloaded weights (torch.hub's rule), without importing torch."""
    if os.environ.get("TORCH_HOME"):
        return os.environ["TORCH_HOME"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "torch")


def visible_paths() -> list[str]:
    """Return the paths the sandbox sees read-only: system dirs, this Python and package, the torch hub cache."""
    package = os.path.dirname(os.path.abspath(__file__))  # this package alone, not the course beside it
    paths = [*SYSTEM_DIRS, sys.prefix, sys.base_prefix, package, torch_home()]
    for variable in ("JUPYTER_PATH",):  # kernelspecs the grader was configured with
        paths += os.environ.get(variable, "").split(os.pathsep)
    return [p for p in dict.fromkeys(paths) if p and os.path.exists(p)]


def bwrap_command(scratch: Path, inner: list[str]) -> list[str]:
    """Return the bwrap command line that runs `inner` with `scratch` as its only writable folder."""
    command = [bwrap(), "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
               "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for path in visible_paths():
        if os.path.islink(path) and path in SYSTEM_DIRS:  # merged /usr: /bin -> usr/bin
            command += ["--symlink", os.readlink(path), path]
        else:
            command += ["--ro-bind", path, path]
    scratch = str(scratch)
    command += ["--bind", scratch, scratch, "--chdir", scratch, "--setenv", "HOME", scratch,
                "--setenv", "MPLCONFIGDIR", f"{scratch}/.matplotlib", "--setenv", "TMPDIR", "/tmp",
                "--setenv", "TORCH_HOME", torch_home()]
    return command + inner


def resource_limits(memory_mb: int, file_mb: int):
    """Return a preexec_fn that caps the sandbox's data memory and the size of any file it writes."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (memory_mb << 20, memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb << 20, file_mb << 20))

    return apply
