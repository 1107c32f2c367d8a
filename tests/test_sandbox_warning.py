"""Without bubblewrap, grading warns loudly, once, and says how to install it."""
from __future__ import annotations

import warnings

from autograd_labs.grading.worker import sandbox


def test_missing_bwrap_warns_once_with_the_fix(monkeypatch):
    """Two look-ups, one RuntimeWarning naming the package to install."""
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox.bwrap.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert sandbox.bwrap() is None and sandbox.bwrap() is None
        assert len(caught) == 1 and "apt-get install bubblewrap" in str(caught[0].message)
    finally:
        sandbox.bwrap.cache_clear()


def test_workers_do_not_repeat_the_warning(monkeypatch):
    """The coordinator warns; a worker's silent look-up does not, so a class is told once, not once a worker."""
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert sandbox.bwrap_path() is None
    assert caught == []
