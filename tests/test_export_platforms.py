"""export --format canvas|moodle|gradescope|blackboard: each platform's grade import, checked against golden files.

One small gradebook (built through nbgrader's API, nothing graded) serves every format. Its students have names
with commas, quotes and non-ASCII letters; `bea` submitted nothing for lab02 and timed out in lab01; `chen`'s
lab02 was invalid (0, with a status); `dan` is in the gradebook but no roster; `eve` is in every roster but not
the gradebook. The rosters under tests/files/export/ are laid out as each platform's own export is.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograd_labs.cli import main
from autograd_labs.export import export_for_platform
from autograd_labs.testing.gradebook import build_gradebook

FILES = Path(__file__).parent / "files" / "export"
LAB1, LAB2 = "lab01_forward_backward", "lab02_graph"
STUDENTS = [
    {"id": "ann", "first_name": "Ann", "last_name": "O'Neil, Jr.", "email": "ann@uni.example", "lms_user_id": "1001"},
    {"id": "bea", "first_name": 'Béatrice "Bea"', "last_name": "Ångström", "email": "bea@uni.example",
     "lms_user_id": "1002"},
    {"id": "chen", "first_name": "Chen", "last_name": "Wei", "email": "chen@uni.example", "lms_user_id": "1003"},
    {"id": "dan", "first_name": "Dan", "last_name": "Ng", "email": "dan@uni.example", "lms_user_id": "1004"},
]
SCORES = {("ann", LAB1): 2.5, ("ann", LAB2): 5, ("bea", LAB1): 3, ("chen", LAB1): 7, ("chen", LAB2): 0,
          ("dan", LAB1): 1}
STATUSES = {("bea", LAB1): "timed out", ("chen", LAB2): "invalid"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The small class's course directory: a gradebook and a status ledger, nothing else."""
    return build_gradebook(tmp_path_factory.mktemp("course"), labs={LAB1: 7, LAB2: 5}, students=STUDENTS,
                           scores=SCORES, statuses=STATUSES)


def exported(course, tmp_path, platform, match_field, **options):
    result = export_for_platform(course, platform, roster=FILES / f"{platform}-roster.csv",
                                 output=tmp_path / f"grades-{platform}.csv", match_field=match_field, **options)
    return result, {path.name: path.read_text(encoding="utf-8") for path in result.files}


def golden(name: str) -> str:
    return (FILES / name).read_text(encoding="utf-8")


def test_canvas(course, tmp_path):
    """Canvas: the gradebook export with its identity columns, the lab's own column (its assignment id kept), a
    new column for a lab Canvas lacks, the "Points Possible" row, and an empty cell for no submission.

    Format: the instructor exports the gradebook and imports it back, identity columns (Student, ID, SIS User ID,
    SIS Login ID, Section) and assignment columns "Name (id)"; a column without an id is a new assignment; the
    "Points Possible" row; read-only columns are ignored. https://teaching.resources.osu.edu/toolsets/carmencanvas/
    guides/calculating-final-grades/import-csv-file-carmen-grades and https://ts.vcu.edu/askit/teaching-and-learning/
    canvas/faculty/grading-faculty/gradebook-action-menu-faculty/ (Canvas tells "no grade" from 0).
    """
    result, files = exported(course, tmp_path, "canvas", "id")
    assert files == {"grades-canvas.csv": golden("canvas-expected.csv")}
    assert result.notes == [
        f"{LAB2} has no column in the roster: the file adds one, worth 5 points (Canvas creates the assignment, "
        "with the points of the Points Possible row)",
        "in the gradebook, not in the Canvas roster (no row written): dan (Dan Ng, dan@uni.example)",
        "in the Canvas roster, not in the gradebook (no row written): line 6 (Student: Lindqvist, Eve, ID: 1005, "
        "SIS User ID: S1005, SIS Login ID: eve, Section: Section B)",
        "in the Canvas roster, not in the gradebook (no row written): line 7 (Student: Student, Test, ID: 1099, "
        "Section: Section A) has no SIS Login ID",
        f"bea {LAB1}: 3 exported, status timed out: bea: timed out in {LAB1}",
        f"bea {LAB2}: left empty (nothing submitted)",
        f"chen {LAB2}: 0 exported, status invalid: chen: invalid in {LAB2}",
    ]


def test_moodle(course, tmp_path):
    """Moodle: the identifier column the instructor matched on (email here, written as the roster spells it:
    Moodle compares emails case-sensitively), a grade and a feedback column per lab; the status is the feedback.

    Format: CSV import maps one column to a user field (userid, useridnumber, useremail, username), each other
    column to a grade item, a new grade item or feedback; an empty or "-" grade is "no grade".
    https://docs.moodle.org/311/en/Grade_import (and grade/import/csv/classes/load_data.php, which treats '' and
    '-' as no grade).
    """
    result, files = exported(course, tmp_path, "moodle", "email")
    assert files == {"grades-moodle.csv": golden("moodle-expected.csv")}
    assert any("eve@uni.example" in note and "not in the gradebook" in note for note in result.notes)
    assert f"bea {LAB1}: 3 exported, status timed out: bea: timed out in {LAB1} (also in its feedback column)" in (
        result.notes)


def test_gradescope(course, tmp_path):
    """Gradescope: one upload per lab with Name, SID, Email and Score; staff rows of the roster are left out and
    said so; no submission is an empty score (Gradescope tells "missing" from 0) and it has no status column.

    Format: the roster has First Name/Last Name (or one name column), SID and Email, with Email the unique
    identifier. https://guides.gradescope.com/hc/en-us/articles/21926598776333-Adding-Students-and-Staff
    """
    result, files = exported(course, tmp_path, "gradescope", "email")
    assert files == {f"grades-gradescope-{lab}.csv": golden(f"gradescope-expected-{lab}.csv") for lab in [LAB1, LAB2]}
    assert "not a student in the Gradescope roster (left out): First Name: Tess, Last Name: Assistant, Email: " \
           "tess@uni.example" in result.notes


def test_blackboard(course, tmp_path):
    """Blackboard: "Last Name", "First Name", "Username", "Student ID", the lab's downloaded column (its |id ties
    it to the Grade Center column) and a new column for the other lab; every value quoted.

    Format: the Username identifies each student and the column id each column; a column with no id becomes a new
    (text) column; comma-delimited files quote every value.
    http://library.blackboard.com/ref/3ea64795-6ecc-4abd-b595-0a9a8dfdec94/Content/_instructor_grade_center/
    grade_center_upload_download.htm
    """
    result, files = exported(course, tmp_path, "blackboard", "id", labs=[LAB1, LAB2])
    assert files == {"grades-blackboard.csv": golden("blackboard-expected.csv")}
    assert any(note.startswith("in the gradebook, not in the Blackboard roster") and "dan" in note
               for note in result.notes)


def test_cli_prints_who_is_on_one_side_only(course, tmp_path, capsys):
    """The console verb writes the file and says, in plain words, who was left out on each side and why."""
    roster = tmp_path / "roster.csv"
    shutil.copy(FILES / "canvas-roster.csv", roster)
    status = main(["export", "--format", "canvas", "--roster", str(roster), "--match-by", "lms_user_id",
                   "--output", str(tmp_path / "canvas.csv"), "--course-dir", str(course)])
    out = capsys.readouterr().out
    assert status == 0
    assert f"wrote {tmp_path / 'canvas.csv'}" in out
    assert "3 students x 2 labs for Canvas's grade import" in out
    assert "- in the gradebook, not in the Canvas roster (no row written): dan (Dan Ng, dan@uni.example)" in out
    assert "Lindqvist, Eve" in out and "Student, Test" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "canvas"], "--format canvas needs --roster"),
    (["--format", "canvas", "--roster", str(FILES / "moodle-roster.csv")], "is not a Canvas gradebook export"),
    (["--format", "blackboard", "--roster", str(FILES / "blackboard-roster.csv"), "--match-by", "email"],
     "name the roster column with --roster-column"),
    (["--format", "moodle", "--roster", str(FILES / "moodle-roster.csv"), "--roster-column", "Student number"],
     "has no column 'Student number'"),
])
def test_cli_refuses_what_cannot_be_matched(course, tmp_path, capsys, args, message):
    """A missing roster, another platform's roster or an absent column stop export with a sentence saying so."""
    status = main(["export", *args, "--output", str(tmp_path / "out.csv"), "--course-dir", str(course)])
    assert status == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()
