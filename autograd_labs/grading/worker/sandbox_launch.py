"""Start a sandboxed kernel: set its resource limits, join its pids cgroup, then exec bubblewrap.

Run as `python -S -m autograd_labs.grading.worker.sandbox_launch --data-mb N --file-mb M [--cgroup DIR] -- bwrap
...` by the grading worker's kernel manager. Limits are set hard as well as soft, so student code cannot raise them.
"""
from __future__ import annotations

import argparse
import os
import resource


def main() -> None:
    """Apply the limits to this process, then replace it with the command after `--`."""
    parser = argparse.ArgumentParser(prog="sandbox_launch")
    parser.add_argument("--data-mb", type=int, required=True)
    parser.add_argument("--file-mb", type=int, required=True)
    parser.add_argument("--cgroup")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    resource.setrlimit(resource.RLIMIT_DATA, (args.data_mb << 20, args.data_mb << 20))
    resource.setrlimit(resource.RLIMIT_FSIZE, (args.file_mb << 20, args.file_mb << 20))
    if args.cgroup:
        with open(os.path.join(args.cgroup, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
