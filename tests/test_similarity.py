"""similarity: copies with renamed variables and reordered statements are worth a look; independent correct
answers, short answers, an empty class and a class of one are not. Nothing here runs a notebook."""
from __future__ import annotations

import copy
import csv
import json
import re
import shutil

import nbformat
import pytest

from autograd_labs.cli import main
from autograd_labs.course import REPO_ROOT
from autograd_labs.exercises import nbgrader_meta, solution_code, with_solutions
from autograd_labs.similarity import (
    compare,
    filter_line,
    fingerprint,
    own_lines,
    similarity_report,
    solution_cells,
    student_answers,
)
from autograd_labs.testing import LABS
from autograd_labs.testing.catalogue import RIGHT
from autograd_labs.testing.disguise import disguise
from autograd_labs.testing.notebooks import submit

LAB = "lab02_graph"  # long answers (a graph walk, a recursive search) and one-line predictions


def stage(lab: str, stage_name: str):
    return nbformat.read(REPO_ROOT / stage_name / lab / f"{lab}.ipynb", as_version=4)


def with_answers(release, answers: dict[str, str]):
    """Return a copy of the release notebook with these solution cells' sources replaced ({grade_id: source})."""
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in answers and nbgrader_meta(cell).get("solution"):
            cell.source = answers[grade_id]
    return nb


def solutions(lab: str) -> dict[str, str]:
    """Return {grade_id: the reference solution as a student would write it} for the lab's answer cells."""
    source = stage(lab, "source")
    wanted = solution_cells(stage(lab, "release"))
    return {nbgrader_meta(c)["grade_id"]: solution_code(c) for c in source.cells
            if nbgrader_meta(c).get("grade_id") in wanted}


def catalogue(lab: str) -> dict[str, dict[str, str]]:
    """Return the lab's catalogued correct alternatives, {grade_id: {name: source}}."""
    return json.loads((REPO_ROOT / "tests" / RIGHT / f"{lab}.json").read_text())


@pytest.fixture
def course(tmp_path):
    """A course directory holding the lab's source and release versions and nothing submitted yet."""
    for stage_name in ("source", "release"):
        shutil.copytree(REPO_ROOT / stage_name / LAB, tmp_path / stage_name / LAB)
    return tmp_path


def test_a_disguised_copy_is_worth_a_look(course, capsys):
    """ann wrote the reference solution; bob copied it, renamed every variable and swapped statements; cat and
    dan wrote catalogued alternatives. Only ann and bob are listed, at 100%, with their matching lines marked."""
    release = stage(LAB, "release")
    originals = solutions(LAB)
    copied = {grade_id: disguise(code, seed=7) for grade_id, code in originals.items()}
    def shape(code):  # the filtered lines in order: what renaming cannot change and reordering does
        return [filter_line(line) for line in code.splitlines() if filter_line(line)]

    assert all(copied[g] != originals[g] for g in ["walk_graph", "gradient_paths"]), "the control failed: no rename"
    assert [g for g in originals if shape(copied[g]) != shape(originals[g])
            and sorted(shape(copied[g])) == sorted(shape(originals[g]))], "the control failed: nothing reordered"
    alternatives = catalogue(LAB)
    submit(course, "ann", LAB, with_solutions(release, stage(LAB, "source"), list(originals)))
    submit(course, "bob", LAB, with_answers(release, copied))
    for number, student in enumerate(["cat", "dan"]):
        submit(course, student, LAB, with_answers(release, {g: list(alts.values())[min(number, len(alts) - 1)]
                                                            for g, alts in alternatives.items()}))
    assert main(["similarity", LAB, "--course-dir", str(course)]) == 0
    out = capsys.readouterr().out
    assert f"compared the answers of 4 students in {LAB}: 1 pair worth a look" in out
    assert re.search(r"^  ann  bob  100%", out, re.M)
    with open(course / "reports" / "similarity" / f"{LAB}.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["student_a"], r["student_b"], r["similarity"]) for r in rows] == [("ann", "bob", "1.00")]
    page = (course / "reports" / "similarity" / f"{LAB}.html").read_text()
    assert "worth a look" in page and "not a verdict" in page
    assert "<mark>    visit(tensor.grad_fn)</mark>" in page  # ann's line, marked: bob has it under other names


def test_independent_correct_answers_are_not_flagged():
    """Each lab's reference solution and its catalogued correct alternatives (tests/right_answers/), written
    independently, are never a pair worth a look, whichever way they are combined."""
    checked = 0
    for lab in LABS:
        release = solution_cells(stage(lab, "release"))
        students = {"reference": solutions(lab)}
        alternatives = catalogue(lab)
        for k in range(max(len(alts) for alts in alternatives.values())):
            students[f"alternative {k + 1}"] = {g: list(alts.values())[k] for g, alts in alternatives.items()
                                                if len(alts) > k}
        answers = {s: {g: fingerprint(own_lines(code, release[g])) for g, code in by_id.items()}
                   for s, by_id in students.items()}
        assert compare(answers) == [], lab
        checked += len(students)
    assert checked >= 2 * len(LABS)


def test_short_answers_do_not_count_long_ones_weigh_more():
    """Identical one-line answers make no pair; a pair alike only in a short answer and different in a long one
    stays below the threshold, while the same pair alike in the long one is listed."""
    short = "def f(x):\n    return sorted(n for n, p in x.named_parameters() if p.grad is None)\n"  # 39 chars
    long_a = ("def g(model, data):\n    total = 0\n    for batch, labels in data:\n"
              "        total += model.loss(batch, labels).item() * len(labels)\n"
              "    model.optimizer.zero_grad(set_to_none=True)\n    return total / sum(len(b) for b, _ in data)\n")
    long_b = ("def g(model, data):\n    sizes = [len(y) for _, y in data]\n"
              "    losses = torch.stack([model.loss(x, y) for x, y in data])\n"
              "    return float((losses * torch.tensor(sizes)).sum() / sum(sizes))\n")
    release = {"f": "def f(x):\n    raise NotImplementedError()\n", "g": "def g(model, data):\n    pass\n"}

    def student(**codes):
        return {g: fingerprint(own_lines(code, release[g])) for g, code in codes.items()}

    assert compare({"a": student(f=short), "b": student(f=short)}) == []
    assert compare({"a": student(f=long_a), "b": student(f=long_b)}) == []
    assert compare({"a": student(f=long_a), "b": student(f=disguise(long_a, seed=1))})[0].similarity == 1.0
    mixed = compare({"a": student(f=short, g=long_a), "b": student(f=short, g=long_b)}, threshold=0)
    assert mixed[0].shared.keys() == {"g"} and mixed[0].similarity < 0.5


@pytest.mark.parametrize("students", [[], ["ann"]], ids=["empty class", "class of one"])
def test_empty_class_and_class_of_one(course, students):
    """No submission, or a single one, gives an empty report (both files written), not an error."""
    release = stage(LAB, "release")
    for student in students:
        submit(course, student, LAB, with_solutions(release, stage(LAB, "source"), list(solutions(LAB))))
    report = similarity_report(course, LAB)
    assert (report.students, report.pairs) == (students, [])
    assert report.csv.read_text().splitlines() == ["student_a,student_b,similarity,exercises"]
    assert "No pair of students is above the threshold" in report.html.read_text()


def test_student_code_is_escaped_in_the_report(course):
    """Code that looks like HTML is shown as text: the page has no script and no tag of a student's."""
    release = stage(LAB, "release")
    hostile = solutions(LAB)
    hostile["walk_graph"] = hostile["walk_graph"].replace(
        "    return names", "    names.append('</pre><script>alert(\"hi\")</script><img src=x onerror=alert(1)>')\n"
                            "    return names")
    submit(course, "eve", LAB, with_answers(release, hostile))
    submit(course, "mal", LAB, with_answers(release, {g: disguise(code, seed=3) for g, code in hostile.items()}))
    page = similarity_report(course, LAB).html.read_text()
    assert "&lt;/pre&gt;&lt;script&gt;alert(" in page
    assert "<script" not in page and "<img" not in page


def test_answers_come_from_answer_cells_only():
    """Test cells, locked cells and a student's own cells are never read; release lines are left out."""
    release = stage(LAB, "release")
    nb = with_answers(release, solutions(LAB))
    nb.cells.insert(1, nbformat.v4.new_code_cell("stolen = 'a cell the student added'"))
    found = student_answers(nb, solution_cells(release))
    assert set(found) == set(solution_cells(release))
    text = "\n".join(line for answer in found.values() for line, _ in answer.lines)
    assert "stolen" not in text and "YOUR CODE HERE" not in text and "def walk_graph" not in text
    assert "visit(tensor.grad_fn)" in text
