"""The tree says what the code is: worker modules never reach the gradebook or the course directory."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograd_labs.cli import build_parser
from autograd_labs.course import REPO_ROOT, settings_table

WORKER = REPO_ROOT / "autograd_labs" / "grading" / "worker"
# What only the coordinator may use: the gradebook (nbgrader's API and database layer) and the course directory.
COORDINATOR_ONLY = ("nbgrader.api", "nbgrader.apps", "nbgrader.coursedir", "sqlalchemy", "autograd_labs.course",
                    "autograd_labs.results", "autograd_labs.grading.grade", "autograd_labs.grading.prepare",
                    "autograd_labs.grading.record", "autograd_labs.grading.cluster")


def forbidden_imports(source: str) -> list[str]:
    """Return the modules a worker module imports that only the coordinator may use."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
            [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            if isinstance(node, ast.ImportFrom) else [])
        found += [name for name in names if name.startswith(COORDINATOR_ONLY)]
    return sorted(set(found))


WORKER_MODULES = sorted(WORKER.glob("*.py"))


@pytest.mark.parametrize("module", WORKER_MODULES, ids=[p.stem for p in WORKER_MODULES])
def test_worker_code_never_opens_the_gradebook_or_the_course(module: Path):
    """Nothing under grading/worker/ imports the gradebook, the course directory or the coordinator."""
    assert forbidden_imports(module.read_text()) == []


def test_a_forbidden_import_is_caught():
    """The check sees each way of importing the gradebook or the course."""
    assert forbidden_imports("from nbgrader.api import Gradebook") == ["nbgrader.api", "nbgrader.api.Gradebook"]
    assert forbidden_imports("import autograd_labs.course") == ["autograd_labs.course"]
    assert forbidden_imports("from autograd_labs import course") == ["autograd_labs.course"]
    assert forbidden_imports("from autograd_labs.grading import grade") == ["autograd_labs.grading.grade"]
    assert forbidden_imports("from autograd_labs.grading.worker import sandbox") == []
    assert forbidden_imports("def f():\n    from autograd_labs.results import Status") == [
        "autograd_labs.results", "autograd_labs.results.Status"]


def test_the_readme_documents_every_setting():
    """The README's settings table is the one the settings' own help text makes."""
    assert settings_table() in (REPO_ROOT / "README.md").read_text()


def test_every_verb_takes_the_course_directory(tmp_path):
    """Each verb of `autograd-labs` accepts --course-dir, as the README says."""
    parser = build_parser()
    verbs = next(action for action in parser._actions if action.dest == "verb").choices
    required = {"collect": ["lab"], "grade": ["lab"], "feedback": ["lab"], "similarity": ["lab"]}
    for verb in verbs:
        args = parser.parse_args([verb, *required.get(verb, []), "--course-dir", str(tmp_path)])
        assert args.course_dir == tmp_path, verb
