"""Within a grading run, nbgrader's Gradebooks share one engine per address; outside it, nothing changes."""
from __future__ import annotations

import nbgrader.api
from nbgrader.api import Gradebook

from autograd_labs.course import db_url, load_course_config
from autograd_labs.grading.gradebook_engine import one_engine_per_gradebook
from autograd_labs.testing import QUICK_LAB


def test_gradebooks_of_a_run_share_one_engine_and_stay_usable(course):
    """Each Gradebook closes (disposing its engine) and the next one, on the same engine, still reads; nested
    blocks reuse the outer one; afterwards nbgrader creates its own engines again."""
    url = db_url(load_course_config(course))
    original = nbgrader.api.create_engine
    with one_engine_per_gradebook():
        with Gradebook(url) as first:
            engine = first.engine
            assert first.find_assignment(QUICK_LAB).max_score > 0
        with one_engine_per_gradebook(), Gradebook(url) as second:
            assert second.engine is engine
            assert second.find_assignment(QUICK_LAB).max_score > 0
    assert nbgrader.api.create_engine is original
    with Gradebook(url) as first, Gradebook(url) as second:
        assert first.engine is not second.engine
