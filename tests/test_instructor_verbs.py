"""The instructor verbs around grading: collect (zip download), feedback without hidden tests, export, the CLI."""
from __future__ import annotations

import csv
import hashlib
import html
import re
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest

from autograd_labs.collect import collect_exchange, collect_zip
from autograd_labs.course import REPO_ROOT, new_course, notebook_path, tool_env
from autograd_labs.exercises import exercises, with_solutions
from autograd_labs.export import class_results
from autograd_labs.feedback import generate_feedback
from autograd_labs.grading.grade import grade
from autograd_labs.nbgrader_plugins import HideHiddenTests
from autograd_labs.release import generate
from autograd_labs.results import Status
from autograd_labs.testing import QUICK_LAB
from autograd_labs.testing.notebooks import insert_cell, read_notebook, submit, tree_digest

LAB = QUICK_LAB
# What a student's cell may display: HTML that would run script in the page an instructor or student opens.
HOSTILE_HTML = "<script>alert('from a student')</script><img src=x onerror=\"alert('from an image')\">"


def hidden_test_lines(lab) -> list[str]:
    """Return the substantial lines inside the source's hidden test regions that the release does not show."""
    source = nbformat.read(notebook_path(REPO_ROOT, "source", lab), as_version=4)
    released = "\n".join(c.source for c in nbformat.read(notebook_path(REPO_ROOT, "release", lab), as_version=4).cells)
    lines = []
    for cell in source.cells:
        for region in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S):
            lines += [line.strip() for line in region.splitlines() if len(line.strip()) > 25]
    return [line for line in lines if line not in released]


def visible_text(page: str) -> str:
    """Return an HTML page's text, tags stripped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, grading_client):
    """A course with a partly right, a blank, a broken and an absent student, graded and with feedback."""
    course_dir = new_course(tmp_path_factory.mktemp("course"), labs=[LAB])
    generate(course_dir, [LAB])
    source, release = read_notebook(course_dir, "source", LAB), read_notebook(course_dir, "release", LAB)
    partial = with_solutions(release, source, [exercises(source)[0].grade_id])
    disguised = HOSTILE_HTML.replace("a student", "a @student")  # so the page's copy of the code cannot match
    partial = insert_cell(partial, 1, f"from IPython.display import HTML, Javascript, display\n"
                                      f"display(HTML({disguised!r}.replace('@', '')), Javascript('alert(1)'))")
    submit(course_dir, "partial", LAB, partial)
    submit(course_dir, "blank", LAB, release)
    submit(course_dir, "broken", LAB, b"{ this is not a notebook")
    (course_dir / "submitted" / "absent").mkdir(parents=True)
    results = grade(course_dir, LAB, client=grading_client)
    generate_feedback(course_dir, LAB)
    return course_dir, results


@pytest.mark.slow
def test_feedback_hides_hidden_tests(graded_class):
    """No line of a hidden test appears in any student's feedback, though the autograded notebook has them."""
    course_dir, _ = graded_class
    secrets = hidden_test_lines(LAB)
    assert secrets
    autograded = notebook_path(course_dir, "autograded", LAB, "blank").read_text()
    assert any(line in autograded for line in secrets), "the control failed: no hidden line to hide"
    for student in ["partial", "blank"]:
        page = visible_text((course_dir / "feedback" / student / LAB / f"{LAB}.html").read_text())
        assert [line for line in secrets if line in page] == []
        assert "HIDDEN TESTS" not in page


@pytest.mark.slow
def test_feedback_shows_student_html_escaped_never_live(graded_class):
    """A student's <script>, onerror attribute and Javascript output are text in the feedback page, not code."""
    course_dir, _ = graded_class
    page = (course_dir / "feedback" / "partial" / LAB / f"{LAB}.html").read_text()
    assert "alert('from a student')" in html.unescape(page), "the control failed: the output is not in the page"
    assert "<script>alert('from a student')" not in page and "&lt;script&gt;alert('from a student')" in page
    assert not re.search(r"<img[^>]*onerror", page)
    assert 'data-mime-type="application/javascript"' not in page


def test_hide_hidden_tests_cuts_tracebacks():
    """The preprocessor drops the hidden region and leaves one line per error in a graded cell."""
    source = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(7) == 49\n### END HIDDEN TESTS"
    cell = nbformat.v4.new_code_cell(source,
                                     metadata={"nbgrader": {"grade": True, "grade_id": "t", "points": 1,
                                                            "solution": False, "locked": True}})
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="f(7) is wrong",
                                           traceback=["----", "assert f(7) == 49", "AssertionError: f(7) is wrong"])]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb, _ = HideHiddenTests().preprocess(nb, {})
    assert "f(7) == 49" not in nb.cells[0].source
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: f(7) is wrong"]


@pytest.mark.slow
def test_export_has_every_student_with_a_status(graded_class, tmp_path):
    """export: one row per student per lab, absent and broken students included, each with a plain status."""
    course_dir, results = graded_class
    rows = {r.student: r for r in class_results(course_dir)}
    assert {s: str(r.status) for s, r in rows.items()} == {
        "absent": "missing", "blank": "graded", "broken": "invalid", "partial": "graded"}
    points = exercises(read_notebook(course_dir, "source", LAB))[0].points
    assert (rows["partial"].score, rows["blank"].score, rows["broken"].score) == (points, 0, 0)
    sandboxed = shutil.which("bwrap") is not None  # each row says how the student's code ran, if any did
    assert [rows[s].sandboxed for s in ["partial", "blank", "broken", "absent"]] == [sandboxed, sandboxed, None, None]
    assert "broken" in rows["broken"].message and f"submitted/broken/{LAB}/{LAB}.ipynb" in rows["broken"].message


@pytest.mark.slow
def test_cli_grade_export_and_feedback(graded_class, tmp_path):
    """The console script grades one student, exports the CSV and writes feedback, all from the course dir."""
    course_dir, _ = graded_class

    def cli(*args):
        command = [sys.executable, "-m", "autograd_labs", *args, "--course-dir", str(course_dir)]
        return subprocess.run(command, env=tool_env(), capture_output=True, text=True, cwd=tmp_path)

    graded = cli("grade", LAB, "--student", "partial", "--jobs", "1")
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert re.search(r"partial\s+" + LAB + r"\s+\d+(\.\d+)? / \d+(\.\d+)?\s+graded", graded.stdout)
    exported = cli("export", "--output", str(tmp_path / "grades.csv"))
    assert exported.returncode == 0, exported.stderr[-3000:]
    with open(tmp_path / "grades.csv", newline="") as handle:
        assert {row["student_id"] for row in csv.DictReader(handle)} == {"absent", "blank", "broken", "partial"}
    feedback = cli("feedback", LAB)
    assert feedback.returncode == 0 and "wrote 2 feedback files" in feedback.stdout
    missing_lab = cli("grade", "lab99_missing", "--jobs", "1")
    assert missing_lab.returncode != 0


def canvas_zip(path, submissions: dict[str, bytes]):
    """Write a zip like a learning platform's download: STUDENT_SUBMISSIONID_FILEID_LAB.ipynb per student."""
    with zipfile.ZipFile(path, "w") as archive:
        for number, (student, content) in enumerate(sorted(submissions.items())):
            archive.writestr(f"submissions/{student}_{1000 + number}_{5000 + number}_{LAB}.ipynb", content)
        archive.writestr("submissions/readme.txt", "not a submission")
    return path


def test_collect_from_a_zip_download(tmp_path, grading_client):
    """collect --zip puts each student's notebook at submitted/<student>/<lab>/<lab>.ipynb, unchanged."""
    course_dir = new_course(tmp_path / "course", labs=[LAB])
    generate(course_dir, [LAB])
    release = notebook_path(course_dir, "release", LAB).read_bytes()
    archive = canvas_zip(tmp_path / "download.zip", {"ada": release, "ben": release.replace(b"YOUR CODE", b"MY CODE")})
    assert collect_zip(course_dir, LAB, archive) == (["ada", "ben"], [])
    assert notebook_path(course_dir, "submitted", LAB, "ada").read_bytes() == release
    assert b"MY CODE" in notebook_path(course_dir, "submitted", LAB, "ben").read_bytes()
    before = tree_digest(course_dir / "submitted")
    assert [r.status for r in grade(course_dir, LAB, client=grading_client)] == [Status.GRADED, Status.GRADED]
    assert tree_digest(course_dir / "submitted") == before


@pytest.mark.slow
def test_a_resubmission_in_the_zip_counts_once_the_newest(tmp_path, grading_client):
    """Two notebooks of one student: the newer counts, the row says which, and the download is kept unchanged."""
    course_dir = new_course(tmp_path / "course", labs=[LAB])
    generate(course_dir, [LAB])
    source, release = read_notebook(course_dir, "source", LAB), read_notebook(course_dir, "release", LAB)
    solved = nbformat.writes(with_solutions(release, source, [e.grade_id for e in exercises(source)])).encode()
    blank = notebook_path(course_dir, "release", LAB).read_bytes()
    entries = [("ada_1000_5000", blank, (2026, 11, 20, 9, 0, 0)), ("ben_1002_5002", blank, (2026, 11, 20, 9, 5, 0)),
               ("ada_1001_5001", solved, (2026, 11, 21, 17, 30, 0)),
               ("cy_1003_5003", solved, (2026, 11, 20, 8, 0, 0)), ("cy_1004_5004", blank, (2026, 11, 20, 8, 0, 0))]
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as download:
        for prefix, content, when in entries:  # the newer of ada's comes later; cy's two share a time
            download.writestr(zipfile.ZipInfo(f"submissions/{prefix}_{LAB}.ipynb", date_time=when), content)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    students, notes = collect_zip(course_dir, LAB, archive)
    assert students == ["ada", "ben", "cy"]
    assert len(notes) == 2 and f"the newest, ada_1001_5001_{LAB}.ipynb, counts" in notes[0]
    assert f"ada_1000_5000_{LAB}.ipynb" in notes[0] and f"the newest, cy_1004_5004_{LAB}.ipynb" in notes[1]
    assert notebook_path(course_dir, "submitted", LAB, "ada").read_bytes() == solved
    assert notebook_path(course_dir, "submitted", LAB, "cy").read_bytes() == blank
    kept = course_dir / "downloaded" / LAB / "original" / "download.zip"
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == digest
    rows = {r.student: r for r in grade(course_dir, LAB, client=grading_client)}
    total = sum(e.points for e in exercises(source))
    assert (rows["ada"].status, rows["ada"].score) == (Status.GRADED, total)
    assert "ada_1001_5001" in rows["ada"].message and rows["ben"].message == ""


def test_collect_from_the_jupyterhub_exchange(tmp_path):
    """A student fetches and submits through nbgrader's exchange; collect brings the notebook into submitted/."""
    exchange = tmp_path / "exchange"
    exchange.mkdir(mode=0o777)
    course_dir = new_course(tmp_path / "course", labs=[LAB])
    with open(course_dir / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    generate(course_dir, [LAB])
    student_home = tmp_path / "student"
    student_home.mkdir()
    settings = [f"--Exchange.root={exchange}", "--CourseDirectory.course_id=autograd-labs"]

    def nbgrader(*args, cwd):
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args, *settings], cwd=cwd, env=tool_env(),
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]

    nbgrader("release_assignment", LAB, "--force", cwd=course_dir)
    nbgrader("fetch_assignment", LAB, cwd=student_home)
    fetched = student_home / LAB / f"{LAB}.ipynb"
    fetched.write_text(fetched.read_text().replace("YOUR CODE HERE", "MY CODE HERE"))
    nbgrader("submit", LAB, cwd=student_home)

    students = collect_exchange(course_dir, LAB)
    assert len(students) == 1
    assert "MY CODE HERE" in notebook_path(course_dir, "submitted", LAB, students[0]).read_text()


def test_another_labs_notebook_in_the_zip_does_not_displace_this_one(tmp_path):
    """A student's notebook for another lab, newer, in the same download: this lab's notebook counts, and the
    other is left out with a note that names it."""
    course_dir = new_course(tmp_path / "course", labs=[LAB])
    generate(course_dir, [LAB])
    mine = notebook_path(course_dir, "release", LAB).read_bytes().replace(b"YOUR CODE", b"ADA'S CODE")
    other_lab = "lab02_graph" if LAB != "lab02_graph" else "lab01_forward_backward"
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as download:
        download.writestr(zipfile.ZipInfo(f"submissions/ada_1000_5000_{LAB}.ipynb", (2026, 11, 20, 9, 0, 0)), mine)
        download.writestr(zipfile.ZipInfo(f"submissions/ada_1001_5001_{other_lab}.ipynb", (2026, 11, 22, 9, 0, 0)),
                          b'{"another": "lab"}')
    students, notes = collect_zip(course_dir, LAB, archive)
    assert students == ["ada"]
    assert notebook_path(course_dir, "submitted", LAB, "ada").read_bytes() == mine
    assert notes == [f"ada: ada_1001_5001_{other_lab}.ipynb is another lab's notebook: not collected for {LAB} "
                     f"(kept in downloaded/{LAB}/original/download.zip)"]
