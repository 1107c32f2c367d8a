"""Every lesson notebook in notebooks/ reproduces its committed outputs (nbval, sanitized for noise)."""
from __future__ import annotations

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT
from nbval_run import run_nbval

SANITIZE = REPO_ROOT / "tests" / "nbval_sanitize.cfg"
LESSONS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def test_every_lab_has_a_lesson():
    """Each lab in source/ has a lesson notebook of the same name, committed with outputs."""
    labs = sorted(p.name for p in (REPO_ROOT / "source").iterdir() if p.is_dir())
    assert [p.stem for p in LESSONS] == labs
    for lesson in LESSONS:
        nb = nbformat.read(lesson, as_version=4)
        assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{lesson.name} has no outputs"


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_outputs_reproduce(lesson):
    """nbval re-executes the lesson and compares every output with the committed one."""
    result = run_nbval(lesson, "--nbval", "--nbval-sanitize-with", str(SANITIZE))
    assert result.returncode == 0, result.stdout[-5000:]


@pytest.mark.slow
def test_a_changed_output_fails(tmp_path):
    """The comparison fails when a committed output no longer matches what the code prints."""
    lesson = LESSONS[0]
    nb = nbformat.read(lesson, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and any(o.get("name") == "stdout" for o in c.outputs))
    stream = next(o for o in cell.outputs if o.get("name") == "stdout")
    stream.text = "something the code never prints\n"
    changed = tmp_path / lesson.name
    nbformat.write(nb, changed)
    result = run_nbval(changed, "--nbval", "--nbval-sanitize-with", str(SANITIZE))
    assert result.returncode == 1, result.stdout[-3000:]


def test_every_lesson_opens_with_the_labs_colab_badge():
    """Each lesson opens, as its lab does, with an "Open in Colab" badge, pointing at the lesson itself."""
    for lesson in LESSONS:
        release = nbformat.read(REPO_ROOT / "release" / lesson.stem / lesson.name, as_version=4)
        badge = release.cells[0].source
        first = nbformat.read(lesson, as_version=4).cells[0]
        expected = badge.replace(f"release/{lesson.stem}/{lesson.name}", f"notebooks/{lesson.name}")
        assert expected != badge, f"release/{lesson.stem} does not open with its Colab badge"
        assert (first.cell_type, first.source) == ("markdown", expected), f"{lesson.name} does not open with its badge"
