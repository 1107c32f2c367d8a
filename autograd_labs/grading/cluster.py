"""Dask clients for grading: a local cluster of single-threaded worker processes, or an existing scheduler."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dask
from distributed import Client, LocalCluster

# A worker that dies while executing a notebook (killed, out of memory) costs its task one retry.
ALLOWED_FAILURES = 1


@contextmanager
def dask_client(jobs: int | None = None, scheduler: str | None = None) -> Iterator[Client]:
    """Yield a Dask client: connected to `scheduler` if given, else to a local cluster of `jobs` workers.

    Local workers are separate processes with one thread each (default: one per core), so each executes one
    notebook at a time and a crash in one leaves the others running.
    """
    if scheduler:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    workers = jobs or os.cpu_count() or 1
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        # preload: each worker imports the executor (nbgrader, nbclient) while it starts, not in its first task
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=40, preload=["autograd_labs.grading.worker.execute"]) as cluster, \
                Client(cluster) as client:
            yield client
