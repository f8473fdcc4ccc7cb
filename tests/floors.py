"""
`make floors`: print pyproject.toml's dependencies (and the dev extra's)
pinned at their floors, ``name==lowest``, one a line, for pip.

Installed into a venv of their own (the packages they need at their newest,
as pip resolves them), they show whether the floors are true: the site must
pass ``manage.py check`` and the fast tests with every direct dependency at
the lowest version pyproject.toml allows. Standard library only: it runs
before anything is installed.

    python3 -m tests.floors > floors.txt
"""

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# name, extras, then the specifiers: "django-axes[ipware]>=8.0,<9".
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9._-]+)\s*(\[[^\]]*\])?\s*([^;]*)$")


def floor(requirement):
    """``requirement`` pinned at its ``>=`` bound; ValueError without one."""
    match = REQUIREMENT.match(requirement)
    if match is None:
        raise ValueError(f"Cannot read {requirement!r}.")
    name, extras, specifiers = match.groups()
    lows = [
        spec.strip()[2:].strip()
        for spec in specifiers.split(",")
        if spec.strip().startswith(">=")
    ]
    if len(lows) != 1:
        raise ValueError(f"{requirement!r} has no single >= floor.")
    return f"{name}{extras or ''}=={lows[0]}"


def floors(project):
    requirements = [
        *project["dependencies"],
        *project.get("optional-dependencies", {}).get("dev", []),
    ]
    return [floor(requirement) for requirement in requirements]


def main():
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    try:
        lines = floors(project)
    except ValueError as error:
        sys.exit(f"pyproject.toml: {error}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
