"""One SQLAlchemy engine per gradebook for a whole grading run, instead of one per nbgrader step.

nbgrader opens its Gradebook about thirteen times per student (each sanitize step that reads cells, each step of
autograde that writes), and every Gradebook creates an engine of its own: SQLAlchemy then compiles every
statement again (its compiled-statement cache lives on the engine) and opens a new connection. Within
`one_engine_per_gradebook()`, nbgrader's Gradebooks for the same address share one engine, which keeps its cache
and its connection pool for the run; nbgrader's code, queries and transactions are unchanged (each Gradebook
still has its own session and commits as before).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import nbgrader.api

_lock = threading.Lock()  # the patch is process-wide: one run at a time installs and removes it


@contextmanager
def one_engine_per_gradebook() -> Iterator[None]:
    """Within this block, nbgrader's Gradebooks for one address share one engine; it is disposed at the end.

    A Gradebook's `close()` disposes its engine, which for a shared one only returns its pooled connections (the
    engine stays usable, its statement cache kept). Blocks may nest; the outermost one installs and removes.
    """
    if getattr(nbgrader.api.create_engine, "shares_engines", False):
        yield
        return
    create_engine = nbgrader.api.create_engine
    engines = {}

    def shared(url, **options):
        key = (str(url), tuple(sorted(options.items())))
        with _lock:
            if key not in engines:
                engines[key] = create_engine(url, **options)
            return engines[key]

    shared.shares_engines = True
    nbgrader.api.create_engine = shared
    try:
        yield
    finally:
        nbgrader.api.create_engine = create_engine
        for engine in engines.values():
            engine.dispose()
