"""Offline, the labs say one clear sentence and go on with random weights instead of a traceback."""
from __future__ import annotations

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT, notebook_path
from autograd_labs.testing import LABS
from autograd_labs.testing.notebooks import execute_locally

OFFLINE_SENTENCE = "could not be downloaded, so this lab continues with random weights"
CUT_THE_NETWORK = """
import socket
def _no_network(*args, **kwargs):
    raise OSError("network is unreachable")
socket.getaddrinfo = _no_network
socket.socket.connect = _no_network
"""
RESNET_LABS = [lab for lab in LABS if "ResNet18_Weights" in notebook_path(REPO_ROOT, "source", lab).read_text()]


def run_with_empty_cache(lab, tmp_path, monkeypatch):
    """Execute the lab's source notebook with an empty torch hub cache and the network cut; return its output."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_torch_home"))
    nb = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(CUT_THE_NETWORK))
    execute_locally(nb, tmp_path, timeout=120)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
@pytest.mark.parametrize("lab", RESNET_LABS)
def test_offline_prints_one_sentence_and_runs_on(lab, tmp_path, monkeypatch):
    """Every cell runs (execute() raises on any error) and the offline sentence appears exactly once."""
    output = run_with_empty_cache(lab, tmp_path, monkeypatch)
    assert output.count(OFFLINE_SENTENCE) == 1


@pytest.mark.slow
@pytest.mark.parametrize("lab", RESNET_LABS)
def test_seeded_cache_loads_without_the_sentence(lab, tmp_path, torch_home):
    """With the cache seeded (as in the tests), the pretrained-weights call succeeds silently."""
    nb = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    execute_locally(nb, tmp_path, timeout=120)
    output = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert OFFLINE_SENTENCE not in output
