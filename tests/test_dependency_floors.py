"""The floors CI installs (requirements/floors.txt) are exactly pyproject.toml's minimums,
so `make test-floors` tests what the package claims."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

REPO_ROOT = Path(__file__).resolve().parent.parent


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_floors_file__one_pin_per_runtime_minimum() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    minimums = {}
    for line in project["project"]["dependencies"]:
        requirement = Requirement(line)
        (floor,) = [s.version for s in requirement.specifier if s.operator == ">="]
        minimums[_normalise(requirement.name)] = Version(floor)
    pins = {}
    for line in (REPO_ROOT / "requirements" / "floors.txt").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[_normalise(name)] = Version(version)
    assert pins == minimums


def test_runtime_dependencies__jsonschema_only_for_tests() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = {_normalise(Requirement(r).name) for r in project["project"]["dependencies"]}
    dev = {
        _normalise(Requirement(r).name) for r in project["project"]["optional-dependencies"]["dev"]
    }
    assert "jsonschema" not in runtime and "jsonschema" in dev
    modules = {
        "pyside6-essentials": "PySide6",
        "python-stdnum": "stdnum",
        "pyyaml": "yaml",
        "xlsxwriter": "xlsxwriter",
    }
    for name in runtime:
        module = modules.get(name, name.replace("-", "_"))
        used = any(
            re.search(rf"^\s*(import|from) {module}\b", path.read_text("utf-8"), re.M)
            for path in (REPO_ROOT / "jsdesk").rglob("*.py")
        )
        assert used, f"{name} is a runtime dependency that nothing in jsdesk imports"
