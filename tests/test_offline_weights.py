"""Offline, the labs say one clear sentence and go on with random weights instead of a traceback.

Both cases are students of the shared class, executed by the grader in its sandbox, which has no network:
`offline_weights` starts with an empty weights cache, `all_right` with the tests' seeded one.
"""
from __future__ import annotations

import pytest

from autograd_labs.course import REPO_ROOT
from autograd_labs.results import Status
from autograd_labs.testing import LABS
from autograd_labs.testing.class_run import OFFLINE_WEIGHTS, loads_pretrained_weights
from autograd_labs.testing.notebooks import cell_errors, read_notebook

OFFLINE_SENTENCE = "could not be downloaded, so this lab continues with random weights"
RESNET_LABS = [lab for lab in LABS if loads_pretrained_weights(read_notebook(REPO_ROOT, "source", lab))]


def printed(course_dir, lab: str, student: str) -> str:
    """Return everything the student's graded notebook printed."""
    nb = read_notebook(course_dir, "autograded", lab, student)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_some_labs_load_pretrained_weights():
    """The cases below are not vacuous: at least one lab asks for pretrained weights."""
    assert RESNET_LABS


@pytest.mark.slow
@pytest.mark.parametrize("lab", RESNET_LABS)
def test_offline_prints_one_sentence_and_runs_on(class_run, lab):
    """With no cached weights and no network, every cell runs, every test passes, the sentence appears once."""
    result = class_run.results[lab, OFFLINE_WEIGHTS]
    executed = read_notebook(class_run.course_dir, "autograded", lab, OFFLINE_WEIGHTS)
    assert cell_errors(executed) == []
    assert (result.status, result.score) == (Status.GRADED, result.max_score), result.message
    assert printed(class_run.course_dir, lab, OFFLINE_WEIGHTS).count(OFFLINE_SENTENCE) == 1


@pytest.mark.slow
@pytest.mark.parametrize("lab", RESNET_LABS)
def test_seeded_cache_loads_without_the_sentence(class_run, lab):
    """With the cache seeded (as in the tests), the pretrained-weights call succeeds silently."""
    assert OFFLINE_SENTENCE not in printed(class_run.course_dir, lab, "all_right")
