"""The pinned environment: requirements.txt and environment.yml agree, and the pins are exact."""
from __future__ import annotations

import re

from autograd_labs.course import REPO_ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s#]+)$")


def pins(lines) -> dict[str, str]:
    """Return {normalised package name: version} for the `name==version` lines among lines."""
    found = {}
    for line in lines:
        match = PIN.match(line.strip().removeprefix("- ").strip())
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def requirement_lines() -> list[str]:
    return [line for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def test_every_requirement_is_pinned_exactly():
    """Each line of requirements.txt is `name==version`."""
    lines = requirement_lines()
    assert lines, "requirements.txt lists no packages"
    loose = [line for line in lines if not PIN.match(line.strip())]
    assert loose == [], f"requirements.txt has unpinned lines: {loose}"


def test_torch_pins_match_the_machines():
    """torch and torchvision are the builds the course's machines install (see README)."""
    found = pins(requirement_lines())
    assert (found.get("torch"), found.get("torchvision")) == ("2.14.1", "0.29.1")


def test_environment_yml_lists_the_same_pins():
    """environment.yml (for conda users) pins exactly what requirements.txt pins."""
    assert pins((REPO_ROOT / "environment.yml").read_text().splitlines()) == pins(requirement_lines())
