"""The `collect` verb: bring submissions into submitted/ with nbgrader's own collectors.

From a learning platform's zip download (nbgrader zip_collect, with the file-name pattern set in
nbgrader_config.py as FileNameCollectorPlugin.named_regexp), or from the JupyterHub exchange (nbgrader collect,
where the newest submission counts). A zip holding two notebooks of one student for the lab (a resubmission)
would stop nbgrader's zip_collect for the whole class; here the newest one counts (the zip entry's time, then
its position in the archive), the choice is recorded for the student's row, and the original zip is kept. A
notebook of another lab in the same download (its file id names that lab) is left out and said so, so it never
displaces this lab's notebook.
"""
from __future__ import annotations

import datetime
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograd_labs.course import check_nbgrader, load_course_config, submitted_students
from autograd_labs.results import write_notes


@dataclass(frozen=True)
class Resubmission:
    """A student with several notebooks for one lab in a zip download: the one that counts and the others."""

    student: str
    counted: str
    ignored: tuple[str, ...]

    def note(self, kept_in: str) -> str:
        return (f"{self.student} submitted {1 + len(self.ignored)} notebooks; the newest, {self.counted}, counts "
                f"(ignored: {', '.join(self.ignored)}; all kept in {kept_in})")


def entry_time(entry: zipfile.ZipInfo) -> datetime.datetime:
    return datetime.datetime(*entry.date_time)


def read_download(archive: Path, pattern: str, lab: str):
    """Return ({student: [(position, entry)] of this lab's notebooks}, [(student, file name)] of other labs').

    An entry belongs to another lab when the pattern has a `file_id` group and it names something else than `lab`.
    """
    by_student: dict[str, list[tuple[int, zipfile.ZipInfo]]] = {}
    elsewhere: list[tuple[str, str]] = []
    with zipfile.ZipFile(archive) as download:
        for position, entry in enumerate(download.infolist()):
            match = re.match(pattern, "/" + entry.filename)  # nbgrader matches paths below its archive folder
            if not match or entry.is_dir():
                continue
            file_id = match.groupdict().get("file_id")
            if file_id is not None and Path(file_id).stem != lab:
                elsewhere.append((match.group("student_id"), Path(entry.filename).name))
            else:
                by_student.setdefault(match.group("student_id"), []).append((position, entry))
    return by_student, elsewhere


def other_labs(archive: Path, pattern: str, lab: str) -> list[tuple[str, str]]:
    """Return (student, file name) for each notebook in the archive that belongs to another lab than `lab`."""
    return read_download(archive, pattern, lab)[1]


def resubmissions(archive: Path, pattern: str, lab: str) -> list[Resubmission]:
    """Return the students with more than one notebook for `lab` in the archive (entries matching the pattern)."""
    by_student, _ = read_download(archive, pattern, lab)
    found = []
    for student, entries in sorted(by_student.items()):
        if len(entries) > 1:
            newest_first = sorted(entries, key=lambda item: (entry_time(item[1]), item[0]), reverse=True)
            names = [Path(entry.filename).name for _, entry in newest_first]
            found.append(Resubmission(student, names[0], tuple(names[1:])))
    return found


def without_entries(archive: Path, target: Path, dropped: set[str]) -> None:
    """Write a copy of the archive without the entries whose file names are in `dropped`."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in source.infolist():
            if Path(entry.filename).name not in dropped:
                copy.writestr(entry, source.read(entry))


def collect_zip(course_dir: Path, lab: str, archive: Path) -> tuple[list[str], list[str]]:
    """Collect a zip download into submitted/; return the students now submitted and notes on resubmissions.

    The zip is copied unchanged to downloaded/<lab>/original/; nbgrader's zip_collect reads a copy in
    downloaded/<lab>/archive/ that holds only the notebook that counts for each student.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise ValueError(f"no such zip file: {archive}")
    if not zipfile.is_zipfile(archive):
        raise ValueError(f"{archive} is not a zip file")
    downloaded = Path(course_dir) / "downloaded" / lab
    original = downloaded / "original"
    original.mkdir(parents=True, exist_ok=True)
    shutil.copy2(archive, original / archive.name)
    pattern = load_course_config(course_dir).FileNameCollectorPlugin.get("named_regexp", r"(?P<student_id>.+)")
    repeats = resubmissions(archive, pattern, lab)
    misplaced = other_labs(archive, pattern, lab)
    target = downloaded / "archive"
    target.mkdir(parents=True, exist_ok=True)
    without_entries(archive, target / archive.name,
                    {name for r in repeats for name in r.ignored} | {name for _, name in misplaced})
    check_nbgrader(["zip_collect", lab, "--force"], course_dir)
    kept_in = str((original / archive.name).relative_to(course_dir))
    notes = {r.student: r.note(kept_in) for r in repeats}
    for student, name in misplaced:
        other = f"{name} is another lab's notebook: not collected for {lab} (kept in {kept_in})"
        notes[student] = f"{notes[student]}; {other}" if student in notes else f"{student}: {other}"
    write_notes(course_dir, lab, notes)
    return submitted_students(course_dir, lab), list(notes.values())


def collect_exchange(course_dir: Path, lab: str) -> list[str]:
    """Run `nbgrader collect` (the JupyterHub exchange; the newest submission counts); return who submitted."""
    check_nbgrader(["collect", lab, "--update"], course_dir)
    return submitted_students(course_dir, lab)
