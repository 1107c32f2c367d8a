"""Run a student's kernel inside bubblewrap: no network, a read-only view of the system, a private scratch.

Only the kernel (the process that runs student code) is sandboxed; the executor that holds the notebook, hidden
tests included, stays in the grading worker and talks to the kernel over Unix sockets in the scratch folder.
The sandbox sees the system directories, this Python environment and the torch hub cache, read-only, and its
scratch folder, writable; nothing else: no gradebook, no course directory, no other submissions, no notebook.
It runs in its own user, network, process and IPC namespaces with every capability dropped, under limits on
data memory (RLIMIT_DATA), file size (RLIMIT_FSIZE) and, where a pids cgroup is writable, process count.
"""
from __future__ import annotations

import functools
import os
import shutil
import sys
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt"]
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) to run student code in a sandbox"
# cgroup v1's pids hierarchy, or cgroup v2's single hierarchy: the first one we may write gets a group per kernel.
PIDS_HIERARCHIES = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"]
CGROUP_PARENT = "autograd-labs"
# The autograd_labs package folder (this file is autograd_labs/grading/worker/sandbox.py).
PACKAGE_DIR = str(Path(__file__).resolve().parents[2])


class SandboxRequired(RuntimeError):
    """A worker asked to run student code in the sandbox has no bubblewrap: it refuses instead of running bare."""


def bwrap_path() -> str | None:
    """Return the bwrap executable, or None: the silent look-up workers make (the coordinator warns)."""
    return shutil.which("bwrap")


@functools.cache
def bwrap() -> str | None:
    """Return the bwrap executable, or None (warning loudly, once per process) when student code cannot be
    sandboxed. The coordinator calls this; workers use bwrap_path, so a class is warned once, not once a worker."""
    found = bwrap_path()
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
    """Return the paths the sandbox sees read-only: system dirs, this Python, the torch hub cache, kernelspecs."""
    paths = [*SYSTEM_DIRS, sys.prefix, sys.base_prefix, torch_home()]
    paths += os.environ.get("JUPYTER_PATH", "").split(os.pathsep)  # kernelspecs the grader was configured with
    return [p for p in dict.fromkeys(paths) if p and os.path.exists(p)]


def system_binds() -> list[str]:
    """Return bwrap's options that show the visible paths read-only (merged /usr's links as links)."""
    options = []
    for path in visible_paths():
        if os.path.islink(path) and path in SYSTEM_DIRS:  # merged /usr: /bin -> usr/bin
            options += ["--symlink", os.readlink(path), path]
        else:
            options += ["--ro-bind", path, path]
    return options


def bwrap_command(scratch: Path, inner: list[str]) -> list[str]:
    """Return the bwrap command line that runs `inner` with `scratch` as its only writable folder."""
    command = [bwrap_path(), "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
               "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", *system_binds()]
    scratch = str(scratch)
    command += ["--bind", scratch, scratch, "--chdir", scratch, "--setenv", "HOME", scratch,
                "--setenv", "MPLCONFIGDIR", f"{scratch}/.matplotlib", "--setenv", "TMPDIR", "/tmp",
                "--setenv", "TORCH_HOME", torch_home(),
                # a kernel whose parent is the namespace's init thinks its parent died; --die-with-parent covers it
                "--unsetenv", "JPY_PARENT_PID"]
    return command + inner


@functools.cache
def pids_hierarchy() -> Path | None:
    """Return a cgroup hierarchy where this process may create groups that limit process counts, or None."""
    for root in map(Path, PIDS_HIERARCHIES):
        parent = root / CGROUP_PARENT
        try:
            if root == Path("/sys/fs/cgroup") and "pids" not in (root / "cgroup.controllers").read_text().split():
                continue
            parent.mkdir(exist_ok=True)
            if root == Path("/sys/fs/cgroup"):
                (parent / "cgroup.subtree_control").write_text("+pids")
            probe = parent / f"probe-{uuid.uuid4().hex}"
            probe.mkdir()
            probe.rmdir()
            return parent
        except OSError:
            continue
    return None


@contextmanager
def process_limit(max_processes: int) -> Iterator[Path | None]:
    """Yield a fresh pids cgroup capped at max_processes (threads count too), or None where none can be made.

    The group is removed afterwards; the sandbox's processes are gone by then (its pid namespace died with it).
    """
    parent = pids_hierarchy()
    if parent is None:
        yield None
        return
    group = parent / uuid.uuid4().hex
    group.mkdir()
    try:
        (group / "pids.max").write_text(str(max_processes))
        yield group
    finally:
        try:
            group.rmdir()
        except OSError:  # a straggler still exiting; an empty group costs nothing and is retried next time
            pass


def launch_command(scratch: Path, inner: list[str], *, memory_mb: int, file_mb: int, cgroup: Path | None) -> list[str]:
    """Return the command that applies the limits, joins the cgroup, then runs `inner` in the sandbox."""
    limits = [sys.executable, "-S", "-m", "autograd_labs.grading.worker.sandbox_launch", "--parent-pid",
              str(os.getpid()), "--data-mb", str(memory_mb), "--file-mb", str(file_mb)]
    if cgroup is not None:
        limits += ["--cgroup", str(cgroup)]
    return [*limits, "--", *bwrap_command(scratch, inner)]


def launcher_env() -> dict[str, str]:
    """Return the environment for the launcher: this one, with this package importable from anywhere."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.dirname(PACKAGE_DIR), env.get("PYTHONPATH", "")]))
    return env
