"""A cold kernel's launcher dies with the worker that started it, even before bubblewrap runs."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil

from autograd_labs.grading.worker.sandbox import launcher_env

LAUNCH = [sys.executable, "-S", "-m", "autograd_labs.grading.worker.sandbox_launch", "--data-mb", "1024",
          "--file-mb", "16"]
# The stand-in worker starts the launcher (which execs a stand-in kernel that prints its pid), then waits.
WORKER = f"""import os, subprocess, sys, time
subprocess.Popen({LAUNCH!r} + ["--parent-pid", str(os.getpid()), "--", sys.executable, "-c",
                  "import os, time; print(os.getpid(), flush=True); time.sleep(120)"])
time.sleep(120)
"""


def test_a_kernel_dies_with_its_worker():
    """The worker is killed (as a Dask worker can be) while its kernel runs: the kernel is killed with it."""
    worker = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE, text=True, env=launcher_env())
    kernel = psutil.Process(int(worker.stdout.readline()))
    try:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        kernel.wait(timeout=10)  # psutil.TimeoutExpired when the kernel outlives its worker
    finally:
        if kernel.is_running():
            kernel.kill()


def test_a_launch_whose_worker_is_already_gone_stops(tmp_path):
    """A launcher whose parent is not the worker that asked for it (the worker died, init adopted the launcher)
    stops before running anything."""
    ran = tmp_path / "ran"
    done = subprocess.run([*LAUNCH, "--parent-pid", str(os.getpid() + 1_000_000), "--", "touch", str(ran)],
                          env=launcher_env(), timeout=30)
    assert done.returncode == 1 and not ran.exists()
