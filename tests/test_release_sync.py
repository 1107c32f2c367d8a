"""release/ and examples/ are exactly what the tools generate from source/ (regenerated in a scratch copy)."""
from __future__ import annotations

import shutil

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from autograd_labs.course import CONFIG_FILE, REPO_ROOT, lab_names, notebook_path
from autograd_labs.example_class import example_submissions
from autograd_labs.nbgrader_plugins import BADGE_CELL_ID, colab_url
from autograd_labs.release import release
from autograd_labs.testing import LABS
from autograd_labs.testing.notebooks import tree_digest


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """release/ regenerated from source/ into a scratch folder."""
    output = tmp_path_factory.mktemp("release")
    release(lab_names(REPO_ROOT), REPO_ROOT, output)  # the whole of release/, whatever LABS limits
    return output


def test_release_is_byte_identical(regenerated):
    """Regenerating release/ from source/ gives the committed files, byte for byte."""
    assert tree_digest(regenerated) == tree_digest(REPO_ROOT / "release"), (
        "release/ is not in sync with source/: run `make release` and commit the result")


def test_sync_check_notices_an_edit(regenerated, tmp_path):
    """A hand edit to one release notebook changes the tree's digest (the sync check can fail)."""
    edited = tmp_path / "release"
    shutil.copytree(regenerated, edited)
    path = edited / LABS[0] / f"{LABS[0]}.ipynb"
    path.write_bytes(path.read_bytes().replace(b"Lab", b"Lap", 1))
    assert tree_digest(edited) != tree_digest(regenerated)


@pytest.mark.parametrize("lab", LABS)
def test_release_starts_with_colab_badge(lab):
    """Each release notebook opens with an "Open in Colab" badge linking to itself in the repository."""
    nb = nbformat.read(notebook_path(REPO_ROOT, "release", lab), as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.id == BADGE_CELL_ID
    config = PyFileConfigLoader(CONFIG_FILE, path=str(REPO_ROOT)).load_config()
    assert config.AddColabBadge.repository == "https://github.com/autograd-labs/autograd-labs"
    expected = f"https://colab.research.google.com/github/autograd-labs/autograd-labs/blob/main/release/{lab}/{lab}.ipynb"
    assert f"]({expected})" in first.source


def test_colab_url_reads_any_spelling_of_a_github_address():
    """A trailing slash or `.git` makes no difference; an address that is not GitHub's is refused, named."""
    expected = "https://colab.research.google.com/github/ada/course/blob/dev/release/lab/lab.ipynb"
    for repository in ["https://github.com/ada/course", "https://github.com/ada/course/", "https://github.com/ada/course.git"]:
        assert colab_url(repository, "dev", "release/lab/lab.ipynb") == expected
    with pytest.raises(ValueError, match="gitlab.com/ada/course"):
        colab_url("https://gitlab.com/ada/course", "main", "release/lab/lab.ipynb")


@pytest.mark.parametrize("lab", LABS)
def test_release_hides_solutions_and_hidden_tests(lab):
    """Student versions keep no solution code and no hidden tests."""
    text = notebook_path(REPO_ROOT, "release", lab).read_text()
    for marker in ["### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS", "HIDDEN TESTS"]:
        assert marker not in text


def test_examples_are_in_sync(tmp_path):
    """examples/submitted holds exactly what `make examples` builds from source/ and release/."""
    for relative, nb in example_submissions(REPO_ROOT).items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
    assert tree_digest(tmp_path / "examples") == tree_digest(REPO_ROOT / "examples"), (
        "examples/ is out of date: run `make examples` and commit the result")
