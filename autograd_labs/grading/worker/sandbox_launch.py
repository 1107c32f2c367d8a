"""Start a sandboxed kernel: die with the worker, set its resource limits, join its pids cgroup, then exec bubblewrap.

Run as `python -S -m autograd_labs.grading.worker.sandbox_launch --parent-pid PID --data-mb N --file-mb M
[--cgroup DIR] -- bwrap ...` by the grading worker's kernel manager. Limits are set hard as well as soft, so student
code cannot raise them. bubblewrap's --die-with-parent takes effect only once bubblewrap runs; a worker killed
before that (while Python starts here) would leave the kernel running with no one to stop it, so this process
asks for SIGKILL when its parent dies first thing, and stops if the parent is already gone.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import resource
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Be killed when the parent dies (kept across exec); exit now if it died already (this process was adopted)."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent_pid:
        os._exit(1)


def main() -> None:
    """Apply the limits to this process, then replace it with the command after `--`."""
    parser = argparse.ArgumentParser(prog="sandbox_launch")
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--data-mb", type=int, required=True)
    parser.add_argument("--file-mb", type=int, required=True)
    parser.add_argument("--cgroup")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    die_with_parent(args.parent_pid)
    resource.setrlimit(resource.RLIMIT_DATA, (args.data_mb << 20, args.data_mb << 20))
    resource.setrlimit(resource.RLIMIT_FSIZE, (args.file_mb << 20, args.file_mb << 20))
    if args.cgroup:
        with open(os.path.join(args.cgroup, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
