"""The `similarity` verb: which pairs of students wrote answers alike enough to be worth a look. Never a verdict.

Only the students' own code counts: each solution cell (found by its nbgrader grade_id), less the lines the
release version of that cell already has (the signature, the docstring, `# YOUR CODE HERE`); locked cells, test
cells and cells a student added are never read. copydetect, which fingerprints code the way MOSS does and runs
offline, filters each line (every variable or attribute name becomes V, a function name F, a string S; comments
and spaces go) and fingerprints the answer: the hashes of its 25-character windows. The lines are fingerprinted
in sorted order, so renaming variables changes nothing and neither does reordering statements.

Telling copying from coincidence:
- A short answer is written the same way by everyone: an answer with fewer than `min_chars` fingerprinted
  characters (40 by default: one substantial line, once filtered) does not count at all.
- The others count by their size: a pair's similarity is the share of fingerprints the two students have in
  common over all the exercises both answered at length (twice the fingerprints in common over the sum of both
  students'), so a long answer weighs more than a short one.
- A pair is listed when that share reaches `threshold` (50%). On the catalogued correct answers
  (tests/right_answers/), written independently, no pair reaches 40%; a copy with renamed variables and swapped
  statements scores 100%.
The report says "worth a look"; nothing in grading reads it.
"""
from __future__ import annotations

import collections
import csv
import functools
import html
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograd_labs.course import course_directory, notebook_path
from autograd_labs.exercises import nbgrader_meta

NOISE = 25  # copydetect's k: fingerprints are windows of this many filtered characters
THRESHOLD = 0.5
MIN_CHARS = 40
SHOWN = 100  # pairs shown side by side in the HTML report (the CSV has all)


@dataclass
class Answer:
    """One student's own code for one exercise: its lines (each with copydetect's filtered form) and fingerprints."""

    lines: list[tuple[str, str]]  # (the line as written, its filtered form), boilerplate left out
    hashes: frozenset

    @property
    def size(self) -> int:
        """Return the number of fingerprinted characters (the filtered code, without line breaks)."""
        return sum(len(filtered) for _, filtered in self.lines)


@dataclass
class Pair:
    """Two students' similarity over the exercises both answered at length."""

    first: str
    second: str
    similarity: float
    shared: dict[str, float] = field(default_factory=dict)  # {grade_id: that exercise's share in common}


@dataclass
class Report:
    """What `similarity` found and wrote."""

    lab: str
    students: list[str]
    pairs: list[Pair]
    html: Path
    csv: Path
    notes: list[str]


@functools.lru_cache(maxsize=100_000)
def filter_line(line: str) -> str:
    """Return one line as copydetect's filter leaves it: names V, functions F, strings S, no comments or spaces."""
    from copydetect.utils import filter_code

    return filter_code(line, "answer.py", "python")[0].strip()


def own_lines(answer: str, release: str) -> list[tuple[str, str]]:
    """Return [(line, filtered line)] of a solution cell, less the lines the release version of the cell has.

    Lines are compared filtered, so the signature still counts as the release's when a student renamed its
    parameters; each release line takes away one line of the answer. Blank and comment lines are left out."""
    given = collections.Counter(filter_line(line) for line in release.splitlines())
    own = []
    for line in answer.splitlines():
        filtered = filter_line(line)
        if not filtered:
            continue
        if given[filtered]:
            given[filtered] -= 1
        else:
            own.append((line, filtered))
    return own


def fingerprint(lines: list[tuple[str, str]]) -> Answer:
    """Return the answer with its copydetect fingerprints, taken over its filtered lines in sorted order: renaming
    variables changes no filtered line, and reordering statements changes no fingerprint."""
    from copydetect.utils import get_document_fingerprints

    hashes, _ = get_document_fingerprints("\n".join(sorted(f for _, f in lines)), NOISE, 1)
    return Answer(lines, frozenset(hashes))


def solution_cells(nb) -> dict[str, str]:
    """Return {grade_id: source} of the notebook's solution code cells (not the graded test cells)."""
    return {nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells
            if c.cell_type == "code" and nbgrader_meta(c).get("solution") and not nbgrader_meta(c).get("grade")}


def student_answers(nb, release: dict[str, str]) -> dict[str, Answer]:
    """Return {grade_id: Answer} for each exercise of the release (its solution cells) found in the notebook."""
    cells = solution_cells(nb)
    return {grade_id: fingerprint(own_lines(cells[grade_id], source))
            for grade_id, source in release.items() if grade_id in cells}


def compare(answers: dict[str, dict[str, Answer]], *, threshold: float = THRESHOLD,
            min_chars: int = MIN_CHARS) -> list[Pair]:
    """Return the pairs of students ({student: {grade_id: Answer}}) whose answers are alike, most alike first.

    Answers shorter than min_chars fingerprinted characters do not count; the others weigh by their size."""
    counted = {student: {g: a for g, a in by_id.items() if a.size >= min_chars and a.hashes}
               for student, by_id in answers.items()}
    pairs = []
    for first, second in itertools.combinations(sorted(counted), 2):
        mine, theirs = counted[first], counted[second]
        common = mine.keys() & theirs.keys()
        if not common:
            continue
        shared = {g: len(mine[g].hashes & theirs[g].hashes) for g in common}
        total = sum(len(mine[g].hashes) + len(theirs[g].hashes) for g in common)
        similarity = 2 * sum(shared.values()) / total
        if similarity >= threshold:
            per_exercise = {g: 2 * shared[g] / (len(mine[g].hashes) + len(theirs[g].hashes)) for g in sorted(common)}
            pairs.append(Pair(first, second, similarity, per_exercise))
    pairs.sort(key=lambda p: (-p.similarity, p.first, p.second))
    return pairs


def class_answers(course_dir: Path, lab: str) -> tuple[dict[str, dict[str, Answer]], list[str]]:
    """Return ({student: {grade_id: Answer}}, notes) for every student with a notebook for the lab: the autograded
    copy where there is one (grading matched its cells to the lab), else the submitted one.

    Raises ValueError when the lab has no release version (its cells are what is left out as boilerplate)."""
    course_dir = Path(course_dir)
    release_path = notebook_path(course_dir, "release", lab)
    if not release_path.is_file():
        raise ValueError(f"{lab} has no release version at {release_path}: release the lab first")
    release = solution_cells(nbformat.read(release_path, as_version=4))
    coursedir = course_directory(course_dir)
    submitted = Path(coursedir.root) / coursedir.submitted_directory
    students = sorted(p.name for p in submitted.iterdir() if p.is_dir()) if submitted.is_dir() else []
    answers, notes = {}, []
    for student in students:
        path = notebook_path(course_dir, "autograded", lab, student)
        if not path.is_file():
            path = notebook_path(course_dir, "submitted", lab, student)
        if not path.is_file():
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as error:  # noqa: BLE001 - an unreadable notebook is a note, never a stop
            notes.append(f"{student}: {path} is not a readable notebook ({type(error).__name__}), left out")
            continue
        answers[student] = student_answers(nb, release)
        if not answers[student]:
            notes.append(f"{student}: no answer cell of {lab} found in {path} (grade the lab first: grading "
                         f"matches the cells of a notebook whose metadata was stripped)")
    return answers, notes


def similarity_report(course_dir: Path, lab: str, *, output: Path | None = None, threshold: float = THRESHOLD,
                      min_chars: int = MIN_CHARS, shown: int = SHOWN) -> Report:
    """Compare the lab's answers across the class, write LAB.html and LAB.csv into reports/similarity/ of the
    course (or `output`, a folder) and return the pairs worth a look."""
    course_dir = Path(course_dir)
    answers, notes = class_answers(course_dir, lab)
    pairs = compare(answers, threshold=threshold, min_chars=min_chars)
    folder = Path(output) if output else course_dir / "reports" / "similarity"
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = write_pairs_csv(pairs, folder / f"{lab}.csv")
    rule = (f"an answer shorter than {min_chars} fingerprinted characters does not count; a pair is listed when "
            f"{threshold:.0%} or more of their fingerprints are shared over the exercises both answered")
    html_path = folder / f"{lab}.html"
    html_path.write_text(render_html(lab, sorted(answers), pairs, answers, rule=rule, shown=shown, notes=notes),
                         encoding="utf-8")
    return Report(lab, sorted(answers), pairs, html_path, csv_path, notes)


CSV_COLUMNS = ["student_a", "student_b", "similarity", "exercises"]


def write_pairs_csv(pairs: list[Pair], path: Path) -> Path:
    """Write one row per pair worth a look: both students, their similarity and each exercise's share."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for pair in pairs:
            writer.writerow([pair.first, pair.second, f"{pair.similarity:.2f}",
                             "; ".join(f"{g} {share:.0%}" for g, share in pair.shared.items())])
    return path


def marked_lines(answer: Answer, other: Answer) -> str:
    """Return the answer's own lines as HTML, escaped, each line that the other answer also has (filtered, so
    whatever its names) in <mark>."""
    theirs = {filtered for _, filtered in other.lines}
    return "\n".join(f"<mark>{html.escape(line)}</mark>" if filtered in theirs else html.escape(line)
                     for line, filtered in answer.lines)


STYLE = """body { font-family: sans-serif; margin: 2em; max-width: 90em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .3em .6em; text-align: left; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
pre { background: #f6f6f6; padding: .5em; overflow-x: auto; } mark { background: #ffe08a; }"""


def render_html(lab: str, students: list[str], pairs: list[Pair], answers, *, rule: str, shown: int,
                notes: list[str]) -> str:
    """Return the report page: the rule, the pairs worth a look, and the shared lines of each side by side. Every
    piece of student text is escaped; the page has no script."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Similarity in {e(lab)}: worth a "
             f"look</title><style>{STYLE}</style></head><body>",
             f"<h1>Similarity in {e(lab)}: pairs worth a look</h1>",
             f"<p>{len(students)} students compared. This report is not a verdict and changes no grade: similar "
             f"code can be coincidence, help that was allowed, or a shared source; a person decides what, if "
             f"anything, to ask. Only each student's own code in the answer cells counts ({e(rule)}).</p>"]
    if not pairs:
        parts.append("<p>No pair of students is above the threshold.</p>")
    else:
        parts.append("<table><tr><th>student</th><th>student</th><th>similarity</th><th>exercises (share in "
                     "common)</th></tr>")
        for number, pair in enumerate(pairs):
            link = f"<a href='#pair{number}'>{pair.similarity:.0%}</a>" if number < shown else f"{pair.similarity:.0%}"
            shares = ", ".join(f"{e(g)} {s:.0%}" for g, s in pair.shared.items())
            parts.append(f"<tr><td>{e(pair.first)}</td><td>{e(pair.second)}</td><td>{link}</td><td>{shares}</td></tr>")
        parts.append("</table>")
        if len(pairs) > shown:
            parts.append(f"<p>The first {shown} pairs are shown below; all {len(pairs)} are in the CSV.</p>")
    for number, pair in enumerate(pairs[:shown]):
        parts.append(f"<h2 id='pair{number}'>{e(pair.first)} and {e(pair.second)}: {pair.similarity:.0%}</h2>")
        for grade_id, share in pair.shared.items():
            mine, theirs = answers[pair.first][grade_id], answers[pair.second][grade_id]
            left, right = marked_lines(mine, theirs), marked_lines(theirs, mine)
            parts.append(f"<h3>{e(grade_id)}: {share:.0%} in common</h3><div class='pair'>"
                         f"<div><b>{e(pair.first)}</b><pre>{left}</pre></div>"
                         f"<div><b>{e(pair.second)}</b><pre>{right}</pre></div></div>")
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(note)}</li>" for note in notes) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
