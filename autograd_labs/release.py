"""The `release` verb: generate the student versions of labs with nbgrader's generate_assignment."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from nbgrader.apps import NbGraderAPI

from autograd_labs.course import REPO_ROOT, NbgraderError, lab_names, load_course_config, new_course, tool_env


def generate(course_dir: Path, labs: list[str]) -> None:
    """Run nbgrader's generate_assignment for each lab inside course_dir (creating its gradebook entries).

    It runs in this process, through nbgrader's API, so the labs share one start of nbgrader.
    """
    os.environ["PATH"] = tool_env()["PATH"]  # nbgrader runs alembic by name
    api = NbGraderAPI(config=load_course_config(course_dir))
    for lab in labs:
        outcome = api.generate_assignment(lab, force=True, create=True)
        if not outcome["success"]:
            log = (outcome.get("error") or "") + (outcome.get("log") or "")
            raise NbgraderError(f"nbgrader generate_assignment {lab} failed in {course_dir}:\n{log.strip()[-3000:]}")


def copy_release(course_dir: Path, labs: list[str], output: Path) -> None:
    """Replace output/<lab> with the release folder generated in course_dir, for each lab."""
    for lab in labs:
        target = Path(output) / lab
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(Path(course_dir) / "release" / lab, target)


def release(labs: list[str] | None = None, root: Path = REPO_ROOT, output: Path | None = None) -> list[str]:
    """Generate student versions of `labs` (all by default) from root/source into output (root/release).

    Generation happens in a scratch course, so no gradebook or log is left in the repository.
    """
    labs = labs or lab_names(root)
    unknown = sorted(set(labs) - set(lab_names(root)))
    if unknown:
        raise ValueError(f"no such lab under {root / 'source'}: {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="autograd-labs-release-") as scratch:
        course_dir = new_course(Path(scratch), root, labs)
        generate(course_dir, labs)
        copy_release(course_dir, labs, Path(output) if output else root / "release")
    return labs
