"""What the tests and benchmarks share: notebook builders, the catalogues of other answers, stand-in weights,
and the class a test session grades once. Not used by the grader itself."""
from __future__ import annotations

import os

from autograd_labs.course import REPO_ROOT, lab_names

# LABS="lab01_forward_backward lab02_graph" limits a test run to some labs (handy while authoring one).
LABS = os.environ.get("LABS", "").split() or lab_names(REPO_ROOT)

# The lab the grading-pipeline tests grade (instructor verbs, bad submissions, sandbox, Dask): its solved notebook
# executes in about 2 s, where lab01's trains a network head for 7 s. Tests of the labs themselves use LABS.
QUICK_LAB = "lab08_build_autograd" if "lab08_build_autograd" in LABS else LABS[0]
