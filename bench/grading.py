"""Benchmark class grading: serial `nbgrader autograde` against `grade --jobs 2` on warm and on cold kernels, and
a loopback Dask cluster.

Builds a synthetic class (per lab: a correct, a blank, two partial and one broken submission; at least 40 in
all), grades it each way in fresh course copies, and prints wall times, ratios, the floor (executing each
solution notebook once, divided by the cores), how long a kernel takes to be ready (forked from the warm
template, or started cold) and where the time goes. A benchmark, not a test.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync

from autograd_labs.course import lab_names, new_course, notebook_path, run_nbgrader, tool_env
from autograd_labs.exercises import exercises, with_solutions
from autograd_labs.grading.cluster import dask_client
from autograd_labs.grading.grade import grade_labs
from autograd_labs.grading.worker.execute import SandboxedKernelManager, kernel_config
from autograd_labs.release import generate
from autograd_labs.testing.notebooks import execute_locally
from autograd_labs.testing.offline import seed_torch_home

CORES = os.cpu_count() or 1
READY_REPEATS = 5
# A kernel is ready for a lab once it can run this: what the labs import first.
FIRST_CELL = "import torch, torchvision, matplotlib.pyplot"


def build_class(course_dir: Path, labs: list[str]) -> int:
    """Generate every lab and submit five students per lab; return the number of submissions."""
    generate(course_dir, labs)
    count = 0
    for lab in labs:
        source = nbformat.read(notebook_path(course_dir, "source", lab), as_version=4)
        release = nbformat.read(notebook_path(course_dir, "release", lab), as_version=4)
        ids = [e.grade_id for e in exercises(source)]
        for student, solved in {"correct": ids, "blank": [], "first_half": ids[: len(ids) // 2],
                                "second_half": ids[len(ids) // 2:]}.items():
            path = notebook_path(course_dir, "submitted", lab, f"{student}_{lab[:5]}")
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(with_solutions(release, source, solved), path)
            count += 1
        broken = notebook_path(course_dir, "submitted", lab, f"broken_{lab[:5]}")
        broken.parent.mkdir(parents=True, exist_ok=True)
        broken.write_text('{"cells": [')
        count += 1
    return count


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def start_and_stop_cluster() -> None:
    with dask_client(2):
        pass


def execute_once(nb, workdir) -> float:
    return timed(lambda: execute_locally(nb, workdir))


def kernel_ready_seconds(warm: bool) -> float:
    """Return the median time from asking for a sandboxed kernel to its first cell (the labs' imports) done,
    forked from the warm template or started cold."""
    from statistics import median

    from autograd_labs.grading.worker.warm import shared_template

    folder = shared_template().kernels if warm else None
    times = []
    for _ in range(READY_REPEATS):
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            manager = SandboxedKernelManager(config=kernel_config(
                scratch, sandboxed=True, warm=warm, intra_op_threads=1, memory_mb=4096, file_mb=64, cgroup=None))
            start = time.perf_counter()
            run_sync(manager.start_kernel)(cwd=scratch)
            client = manager.blocking_client()
            client.start_channels()
            client.wait_for_ready(timeout=60)
            client.execute_interactive(FIRST_CELL, timeout=60)
            times.append(time.perf_counter() - start)
            client.stop_channels()
            run_sync(manager.shutdown_kernel)(now=True)
    return median(times)


def main() -> None:
    labs = lab_names()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        seed_torch_home(scratch / "torch_home")
        os.environ["TORCH_HOME"] = str(scratch / "torch_home")
        os.environ["PATH"] = tool_env()["PATH"]
        template = new_course(scratch / "template", labs=labs)
        submissions = build_class(template, labs)
        print(f"synthetic class: {submissions} submissions over {len(labs)} labs, {CORES} cores")

        def fresh(name):
            target = scratch / name
            shutil.copytree(template, target)
            return target

        serial_dir = fresh("serial")
        serial = sum(timed(lambda lab=lab: run_nbgrader(["autograde", lab, "--force"], serial_dir)) for lab in labs)
        local = timed(lambda: grade_labs(fresh("local"), labs, jobs=2))  # as `autograd-labs grade LAB... --jobs 2`
        cold_dir = fresh("cold")
        with open(cold_dir / "nbgrader_config.py", "a") as config:
            config.write("\nc.AutogradLabs.warm_kernels = False\n")
        cold = timed(lambda: grade_labs(cold_dir, labs, jobs=2))
        ready_warm, ready_cold = kernel_ready_seconds(True), kernel_ready_seconds(False)
        cluster_start = timed(start_and_stop_cluster)
        open_dir = fresh("no_sandbox")
        with open(open_dir / "nbgrader_config.py", "a") as config:
            config.write("\nc.AutogradLabs.sandbox = False\n")
        unsandboxed = timed(lambda: grade_labs(open_dir, labs, jobs=2))

        floor_parts = {}
        for lab in labs:
            floor_parts[lab] = execute_once(nbformat.read(notebook_path(template, "source", lab), as_version=4),
                                            scratch)
        floor = sum(floor_parts.values()) * 4 / CORES  # four executable submissions per lab
        kernel_start = execute_once(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), scratch)
        imports = execute_once(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "import torch, torchvision, matplotlib.pyplot")]), scratch) - kernel_start

        scheduler_file = scratch / "scheduler.json"
        bin_dir = os.path.dirname(sys.executable)
        processes = [subprocess.Popen([f"{bin_dir}/dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                                       "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
        while not scheduler_file.exists():
            time.sleep(0.2)
        processes += [subprocess.Popen([f"{bin_dir}/dask", "worker", "--scheduler-file", str(scheduler_file),
                                        "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                      for _ in range(2)]
        address = json.loads(scheduler_file.read_text())["address"]
        from distributed import Client

        with Client(address) as client:
            client.wait_for_workers(2, timeout=60)
        remote_dir = fresh("remote")
        remote = timed(lambda: grade_labs(remote_dir, labs, scheduler=address))
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)

        print(f"serial nbgrader autograde      {serial:8.1f} s")
        print(f"grade --jobs 2, warm kernels   {local:8.1f} s   {serial / local:4.2f}x faster than serial")
        print(f"grade --jobs 2, cold kernels   {cold:8.1f} s   {serial / cold:4.2f}x faster than serial; "
              f"warm kernels are {cold / local:4.2f}x faster than cold")
        print(f"kernel ready, imports done     {ready_warm:8.2f} s   forked from the template "
              f"(cold: {ready_cold:.2f} s; median of {READY_REPEATS})")
        print(f"floor (solutions once / cores) {floor:8.1f} s   cold kernels, no grading: --jobs 2 on warm kernels "
              f"takes {local / floor:.0%} of it")
        print(f"loopback dask scheduler, 2 wk  {remote:8.1f} s   {remote / local:4.2f}x the time of --jobs 2")
        print(f"grade --jobs 2, sandbox off    {unsandboxed:8.1f} s   (cold kernels) the sandbox costs "
              f"{cold / unsandboxed - 1:+.0%} on cold kernels")
        print("where the time goes, per notebook:")
        print(f"  kernel start {kernel_start:.2f} s, imports (torch, torchvision, matplotlib) {imports:.2f} s, "
              f"local cluster start and stop {cluster_start:.2f} s (once per run)")
        for lab, seconds in floor_parts.items():
            print(f"  {lab:<28} executes in {seconds:.2f} s")


if __name__ == "__main__":
    main()
