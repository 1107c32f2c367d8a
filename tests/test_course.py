"""Paths and the gradebook address come from nbgrader's CourseDirectory, so a course's own settings are honoured."""
from __future__ import annotations

import pytest

from autograd_labs.course import NbgraderError, db_url, load_course_config, notebook_path, submitted_students, tool_env


def test_a_course_with_its_own_folder_names_and_structure(tmp_path):
    """Renamed stage folders and another directory_structure move every path the tool uses."""
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.submitted_directory = 'handins'\n"
        "c.CourseDirectory.directory_structure = '{nbgrader_step}/{assignment_id}/{student_id}'\n")
    (tmp_path / "handins" / "lab01" / "ada").mkdir(parents=True)
    (tmp_path / "handins" / "lab02" / "ben").mkdir(parents=True)
    assert submitted_students(tmp_path, "lab01") == ["ada"]
    assert notebook_path(tmp_path, "submitted", "lab01", "ada") == tmp_path / "handins/lab01/ada/lab01.ipynb"
    assert notebook_path(tmp_path, "release", "lab01") == tmp_path / "release/lab01/lab01.ipynb"
    assert db_url(load_course_config(tmp_path)) == f"sqlite:///{tmp_path / 'gradebook.db'}"


def test_nbgraders_defaults(tmp_path):
    """Without settings, nbgrader's default tree: submitted/<student>/<lab>/<lab>.ipynb."""
    (tmp_path / "submitted" / "ada" / "lab01").mkdir(parents=True)
    assert submitted_students(tmp_path, "lab01") == ["ada"]
    assert notebook_path(tmp_path, "submitted", "lab01", "ada") == tmp_path / "submitted/ada/lab01/lab01.ipynb"


def test_the_tools_path_is_put_first_once(monkeypatch):
    """tool_env puts this environment's bin first on PATH, and using it again does not make PATH grow."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    first = tool_env()["PATH"]
    monkeypatch.setenv("PATH", first)
    assert tool_env()["PATH"] == first and first.endswith(":/usr/bin:/bin")


def test_a_broken_course_config_is_one_clear_error(tmp_path):
    """A course whose nbgrader_config.py does not run stops with an error that names the file."""
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.Execute.timeout = (\n")
    with pytest.raises(NbgraderError, match=str(tmp_path / "nbgrader_config.py")):
        load_course_config(tmp_path)
