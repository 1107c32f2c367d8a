"""Grades in the file a learning platform's own grade import takes: Canvas, Moodle, Gradescope, Blackboard.

The instructor hands over the roster the platform exported (Canvas' gradebook export, Moodle's grade export,
Gradescope's roster download, Blackboard's Grade Center download). Its rows are matched to the gradebook's
students by one identifier the instructor chooses (`field`: the gradebook's student id, email or lms_user_id,
compared with one roster column, case and surrounding spaces ignored). Every student the gradebook knows but the
roster does not, and every roster row no gradebook student matches, is named in the summary: no row is written
for either, so grades already in the platform are never touched by guesswork, and nobody is dropped silently.

In every format a student who submitted nothing (status `missing`), or whose work is not graded yet, gets an
empty cell: the platforms tell "no grade" from 0. Any other status keeps its score; where the import has a place
for a comment (Moodle's feedback column) the status goes there, and every such status is in the summary too.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from autograd_labs.results import Status, StudentResult, format_points

FORMATS = ("canvas", "moodle", "gradescope", "blackboard", "csv")
MATCH_FIELDS = ("id", "email", "lms_user_id")
# Statuses whose score cell stays empty: nothing was submitted, or nothing has been graded yet.
NO_GRADE = (Status.MISSING, Status.NOT_GRADED)

# The roster column each gradebook field is compared with by default, per platform (None: no such column in the
# platform's own export; --roster-column names one).
DEFAULT_COLUMNS = {
    "canvas": {"id": "SIS Login ID", "lms_user_id": "ID", "email": None},
    "moodle": {"id": "ID number", "lms_user_id": "ID number", "email": "Email address"},
    "gradescope": {"id": "SID", "lms_user_id": "SID", "email": "Email"},
    "blackboard": {"id": "Username", "lms_user_id": "Student ID", "email": None},
}
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Section"]
CANVAS_META_ROWS = ("Points Possible", "Manual Posting")  # rows of a Canvas export that are not students
BLACKBOARD_IDENTITY = ["Last Name", "First Name", "Username", "Student ID"]
# The columns that tell each platform's roster from another file, and where the instructor gets that roster.
ROSTER_KIND = {
    "canvas": ({"Student", "ID"}, "a Canvas gradebook export", "Grades > Export > Export Entire Gradebook"),
    "moodle": (set(), "a Moodle grade export", "Grades > Export > Plain text file"),
    "gradescope": ({"Email"}, "a Gradescope roster download", "Roster > Download Roster"),
    "blackboard": ({"Username"}, "a Blackboard Grade Center download", "Grade Center > Work Offline > Download"),
}


@dataclass(frozen=True)
class Person:
    """A student as the gradebook knows them (nbgrader's Student; only the id for one known from submitted/)."""

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""

    def describe(self) -> str:
        """Return the student in plain words: id, then name and email where the gradebook has them."""
        details = [" ".join(filter(None, [self.first_name, self.last_name])), self.email]
        details = [d for d in details if d]
        return f"{self.id} ({', '.join(details)})" if details else self.id


@dataclass
class Roster:
    """The roster file a platform exported: its header and rows, as read."""

    path: Path
    header: list[str]
    rows: list[dict[str, str]]


@dataclass
class Matched:
    """The roster's students paired with the gradebook's, and those on one side only."""

    pairs: list[tuple[dict[str, str], Person]]  # in the roster's order
    meta_rows: list[dict[str, str]] = field(default_factory=list)  # rows that are not students (Points Possible)
    only_gradebook: list[Person] = field(default_factory=list)
    only_roster: list[str] = field(default_factory=list)  # each roster row, described in plain words
    skipped: list[str] = field(default_factory=list)  # roster rows that are not students (Gradescope's staff)


@dataclass
class Export:
    """What an export wrote and what the instructor should read about it."""

    files: list[Path]
    students: int
    labs: list[str]
    notes: list[str]


def read_roster(path: Path) -> Roster:
    """Read a platform's roster export: CSV (comma or tab, as Blackboard's .xls downloads are), UTF-8 or UTF-16.

    Raises ValueError naming the file when it cannot be read or has no header.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read the roster {path}: {error.strerror}") from error
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise ValueError(f"the roster {path} is not UTF-8 or UTF-16 text (save it as CSV UTF-8)") from error
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines = [line for line in reader if any(cell.strip() for cell in line)]
    if not lines:
        raise ValueError(f"the roster {path} is empty")
    header = [name.strip() for name in lines[0]]
    rows = [dict(zip(header, line + [""] * (len(header) - len(line)), strict=False)) for line in lines[1:]]
    return Roster(path, header, rows)


def roster_column(platform: str, match_field: str, column: str | None, roster: Roster) -> str:
    """Return the roster column to match on: `column` if given, else the platform's default for the field.

    Raises ValueError, naming the file and its columns, when that column is not in the roster.
    """
    if match_field not in MATCH_FIELDS:
        raise ValueError(f"--match-by must be one of {', '.join(MATCH_FIELDS)}, not {match_field!r}")
    column = column or DEFAULT_COLUMNS[platform][match_field]
    if column is None:
        raise ValueError(f"{platform}'s export has no column for the gradebook's {match_field}: name the roster "
                         f"column with --roster-column")
    if column not in roster.header:
        raise ValueError(f"the roster {roster.path} has no column {column!r} to match the gradebook's "
                         f"{match_field} with; its columns: {', '.join(roster.header)}")
    return column


def _key(value: str) -> str:
    return value.strip().casefold()


def describe_row(row: dict[str, str], columns: Iterable[str]) -> str:
    """Return a roster row in plain words: its non-empty values in the given columns."""
    return ", ".join(f"{column}: {row[column]}" for column in columns if row.get(column, "").strip())


def match_roster(roster: Roster, people: Iterable[Person], *, match_field: str, column: str,
                 is_meta=lambda row: False, is_student=lambda row: True) -> Matched:
    """Pair each roster row with the gradebook student whose `match_field` equals its `column`.

    Raises ValueError naming the value when two roster rows, or two gradebook students, share an identifier.
    """
    by_key: dict[str, Person] = {}
    matched = Matched(pairs=[])
    for person in people:
        value = getattr(person, match_field) or ""
        if not value.strip():
            matched.only_gradebook.append(person)
            continue
        if _key(value) in by_key:
            raise ValueError(f"two gradebook students share the {match_field} {value!r}: "
                             f"{by_key[_key(value)].id} and {person.id}")
        by_key[_key(value)] = person
    seen: dict[str, int] = {}
    shown = [c for c in roster.header if c in {column, *CANVAS_IDENTITY, *BLACKBOARD_IDENTITY, "Name", "Email",
                                                "First name", "Last name", "First Name", "Last Name", "SID"}]
    for number, row in enumerate(roster.rows, start=2):
        if is_meta(row):
            matched.meta_rows.append(row)
            continue
        if not is_student(row):
            matched.skipped.append(describe_row(row, shown))
            continue
        value = row.get(column, "")
        if not value.strip():
            matched.only_roster.append(f"line {number} ({describe_row(row, shown)}) has no {column}")
            continue
        if _key(value) in seen:
            raise ValueError(f"the roster {roster.path} has {column} {value!r} twice (lines {seen[_key(value)]} "
                             f"and {number})")
        seen[_key(value)] = number
        person = by_key.pop(_key(value), None)
        if person is None:
            matched.only_roster.append(f"line {number} ({describe_row(row, shown)})")
        else:
            matched.pairs.append((row, person))
    matched.only_gradebook += by_key.values()
    matched.only_gradebook.sort(key=lambda p: p.id)
    return matched


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def lab_columns(header: list[str], labs: list[str], name_of=lambda column: column) -> dict[str, str | None]:
    """Return {lab: the roster's grade column for it, or None (a new column)}.

    A column is a lab's when its name (`name_of` strips the platform's decorations, such as Canvas' " (1234)")
    contains the lab's name, compared without case or punctuation (`lab01_forward_backward` is found in
    "Lab01 forward backward (1234)"). Raises ValueError when a lab fits two columns.
    """
    found: dict[str, str | None] = {}
    for lab in labs:
        fits = [c for c in header if re.search(rf"(^| ){re.escape(_normal(lab))}( |$)", _normal(name_of(c)))]
        if len(fits) > 1:
            raise ValueError(f"{lab} fits more than one roster column: {', '.join(fits)}")
        found[lab] = fits[0] if fits else None
    return found


def score_cell(result: StudentResult | None) -> str:
    """Return a score as the platforms take it: empty when nothing was submitted or graded, else the points."""
    if result is None or result.status in NO_GRADE:
        return ""
    return format_points(result.score)


def status_note(result: StudentResult | None) -> str:
    """Return the words for a status other than graded (empty for graded and for no grade at all)."""
    if result is None or result.status == Status.GRADED or result.status in NO_GRADE:
        return ""
    return f"{result.status}: {result.message}" if result.message else str(result.status)


def _write(path: Path, rows: list[list[str]], *, quote_all: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(rows)
    return path


def _canvas_name(column: str) -> str:
    return re.sub(r"\s*\(\d+\)\s*$", "", column)


def write_canvas(roster: Roster, matched: Matched, labs: list[str], grades, max_scores,
                 output: Path) -> tuple[list[Path], list[str]]:
    """Write Canvas' gradebook import: the roster's identity columns, one column per lab (the roster's own, with
    its assignment id, or a new one named after the lab), the "Points Possible" row, then one row per student."""
    identity = [c for c in CANVAS_IDENTITY if c in roster.header]
    columns = lab_columns([c for c in roster.header if c not in identity], labs, _canvas_name)
    header = identity + [columns[lab] or lab for lab in labs]
    rows = [header]
    meta = matched.meta_rows or [{"Student": "Points Possible"}]
    for row in meta:
        if row.get("Student", "").strip() == "Points Possible":
            rows.append([row.get(c, "") for c in identity] + [format_points(max_scores[lab]) for lab in labs])
        else:
            rows.append([row.get(c, "") for c in identity] + [row.get(columns[lab] or "", "") for lab in labs])
    for row, person in matched.pairs:
        rows.append([row.get(c, "") for c in identity] + [score_cell(grades.get((person.id, lab))) for lab in labs])
    return [_write(output, rows)], [lab for lab in labs if columns[lab] is None]


def _moodle_name(column: str) -> str:
    return re.sub(r"\s*\((Real|Percentage|Letter|Feedback)\)\s*$", "", column.split(":", 1)[-1])


def write_moodle(roster: Roster, matched: Matched, labs: list[str], grades, max_scores, output: Path, *,
                 column: str) -> tuple[list[Path], list[str]]:
    """Write Moodle's CSV grade import: the identifier column the instructor matched on, then per lab its grade
    column (the roster's own grade item, or one named after the lab) and its feedback column (the status)."""
    candidates = [c for c in roster.header if c != column and not c.endswith("(Feedback)")]
    columns = lab_columns(candidates, labs, _moodle_name)
    header = [column]
    for lab in labs:
        name = columns[lab] or lab
        header += [name, f"{_moodle_name(name).strip()} (Feedback)"]
    rows = [header]
    for row, person in matched.pairs:
        line = [row[column]]
        for lab in labs:
            result = grades.get((person.id, lab))
            line += [score_cell(result), status_note(result)]
        rows.append(line)
    return [_write(output, rows)], [lab for lab in labs if columns[lab] is None]


def write_gradescope(roster: Roster, matched: Matched, labs: list[str], grades, max_scores,
                     output: Path) -> tuple[list[Path], list[str]]:
    """Write Gradescope's score upload, one file per lab (an upload fills one assignment): Name, SID, Email,
    Score, one row per student of the roster."""
    files = []
    for lab in labs:
        rows = [["Name", "SID", "Email", "Score"]]
        for row, person in matched.pairs:
            name = row.get("Name") or row.get("Full Name") or " ".join(
                filter(None, [row.get("First Name", "").strip(), row.get("Last Name", "").strip()]))
            rows.append([name, row.get("SID", ""), row["Email"], score_cell(grades.get((person.id, lab)))])
        files.append(_write(output.with_name(f"{output.stem}-{lab}{output.suffix}"), rows))
    return files, []


def _blackboard_name(column: str) -> str:
    return re.sub(r"\s*(\[[^\]]*\])?\s*(\|\s*\d+)?\s*$", "", column)


def write_blackboard(roster: Roster, matched: Matched, labs: list[str], grades, max_scores,
                     output: Path) -> tuple[list[Path], list[str]]:
    """Write Blackboard's Grade Center upload: "Last Name", "First Name", "Username", "Student ID", then one
    column per lab (the downloaded column, whose "|id" ties it to the Grade Center's, or a new one named after
    the lab); every value quoted, as Blackboard asks of comma-delimited files."""
    identity = [c for c in BLACKBOARD_IDENTITY if c in roster.header]
    columns = lab_columns([c for c in roster.header if c not in identity], labs, _blackboard_name)
    rows = [identity + [columns[lab] or lab for lab in labs]]
    for row, person in matched.pairs:
        rows.append([row.get(c, "") for c in identity] + [score_cell(grades.get((person.id, lab))) for lab in labs])
    return [_write(output, rows, quote_all=True)], [lab for lab in labs if columns[lab] is None]


# What each platform makes of a grade column it does not know yet.
NEW_COLUMN = {
    "canvas": "Canvas creates the assignment, with the points of the Points Possible row",
    "moodle": "map it to a new grade item when importing",
    "blackboard": "Blackboard makes it a text column worth 0 points: to have a graded one, create the column in "
                  "the Grade Center and download the roster again",
}
WRITERS = {"canvas": write_canvas, "moodle": write_moodle, "gradescope": write_gradescope,
           "blackboard": write_blackboard}
TITLES = {"canvas": "Canvas", "moodle": "Moodle", "gradescope": "Gradescope", "blackboard": "Blackboard"}


def export_platform(platform: str, results: list[StudentResult], people: list[Person], max_scores: dict[str, float],
                    *, roster_path: Path, output: Path, match_field: str = "id", column: str | None = None,
                    labs: list[str] | None = None) -> Export:
    """Write the platform's grade import for `labs` (default: every lab with a result) and return what was written
    with the notes the instructor must read (students on one side only, statuses other than graded)."""
    if platform not in WRITERS:
        raise ValueError(f"unknown format {platform!r}: one of {', '.join(FORMATS)}")
    labs = labs or sorted({r.lab for r in results})
    unknown = sorted(set(labs) - set(max_scores))
    if unknown:
        raise ValueError(f"no lab {', '.join(unknown)} in the gradebook (it has: {', '.join(sorted(max_scores))})")
    roster = read_roster(roster_path)
    needed, kind, where = ROSTER_KIND[platform]
    if not needed <= set(roster.header):
        missing = " or ".join(repr(name) for name in sorted(needed - set(roster.header)))
        raise ValueError(f"the roster {roster.path} is not {kind} (no {missing} column); get it from {where}")
    column = roster_column(platform, match_field, column, roster)
    is_meta = (lambda row: row.get("Student", "").strip() in CANVAS_META_ROWS) if platform == "canvas" else (
        lambda row: False)
    is_student = (lambda row: row.get("Role", "Student").strip().casefold() in ("student", "")) if (
        platform == "gradescope") else (lambda row: True)
    matched = match_roster(roster, people, match_field=match_field, column=column, is_meta=is_meta,
                           is_student=is_student)
    grades = {(r.student, r.lab): r for r in results}
    extra = {"column": column} if platform == "moodle" else {}
    files, new_labs = WRITERS[platform](roster, matched, labs, grades, max_scores, Path(output), **extra)
    notes = [f"{lab} has no column in the roster: the file adds one, worth {format_points(max_scores[lab])} points "
             f"({NEW_COLUMN[platform]})" for lab in new_labs]
    return Export(files, len(matched.pairs), labs, notes + summary_notes(platform, matched, labs, grades, column))


def summary_notes(platform: str, matched: Matched, labs: list[str], grades, column: str) -> list[str]:
    """Return, in plain words, who is on one side only, who has no grade, and each status other than graded."""
    notes = []
    title = TITLES[platform]
    for person in matched.only_gradebook:
        notes.append(f"in the gradebook, not in the {title} roster (no row written): {person.describe()}")
    for row in matched.only_roster:
        notes.append(f"in the {title} roster, not in the gradebook (no row written): {row}")
    for row in matched.skipped:
        notes.append(f"not a student in the {title} roster (left out): {row}")
    comment = " (also in its feedback column)" if platform == "moodle" else ""
    for _, person in matched.pairs:
        for lab in labs:
            result = grades.get((person.id, lab))
            if result is None or result.status in NO_GRADE:
                why = "nothing submitted" if result is None or result.status == Status.MISSING else str(result.status)
                notes.append(f"{person.id} {lab}: left empty ({why})")
            elif result.status != Status.GRADED:
                notes.append(f"{person.id} {lab}: {format_points(result.score)} exported, status "
                             f"{status_note(result)}{comment}")
    return notes
