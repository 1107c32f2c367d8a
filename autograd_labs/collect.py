"""The `collect` verb: bring submissions into submitted/ with nbgrader's own collectors.

From a learning platform's zip download (nbgrader zip_collect, with the file-name pattern set in
nbgrader_config.py as FileNameCollectorPlugin.named_regexp), or from the JupyterHub exchange (nbgrader collect).
"""
from __future__ import annotations

import shutil
from pathlib import Path

from autograd_labs.course import check_nbgrader
from autograd_labs.grade import submitted_students


def collect_zip(course_dir: Path, lab: str, archive: Path) -> list[str]:
    """Copy the zip into downloaded/<lab>/archive/, run zip_collect, and return the students now submitted."""
    archive = Path(archive)
    if not archive.is_file():
        raise ValueError(f"no such zip file: {archive}")
    target = Path(course_dir) / "downloaded" / lab / "archive"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(archive, target / archive.name)
    check_nbgrader(["zip_collect", lab, "--force"], course_dir)
    return submitted_students(course_dir, lab)


def collect_exchange(course_dir: Path, lab: str) -> list[str]:
    """Run `nbgrader collect` (the JupyterHub exchange) and return the students now submitted."""
    check_nbgrader(["collect", lab, "--update"], course_dir)
    return submitted_students(course_dir, lab)
