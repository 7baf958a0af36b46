"""Packages depend only downward, checked against the import graph of the source.

Every ``import`` in ``jsdesk`` (inside functions and ``TYPE_CHECKING`` blocks too)
is an edge from the importing package to the imported one. A package may import
its own modules, the foundation modules, and packages in lower tiers; packages in
the same tier do not import each other. See docs/architecture.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "jsdesk"

# Lowest first. ``storage`` sits below ``registry`` and ``submission``, which use it.
TIERS: tuple[frozenset[str], ...] = (
    frozenset({"domain"}),
    frozenset({"forms"}),
    frozenset({"rules"}),
    frozenset({"storage"}),
    frozenset({"registry", "submission", "reports", "demo", "about", "notices"}),
    frozenset({"packages"}),  # update packages: signed with the submission code
    frozenset({"ui", "commands"}),
    frozenset({"selftest"}),
    frozenset({"cli"}),
    frozenset({"__main__"}),
)
# Known edges across a tier, each with its reason. Keep this short.
EXCEPTIONS = {
    ("commands", "ui"): "jsdesk report draws its PDF with Qt (ui.report_pdf, imported for it)",
}
# Plain modules every layer may use; they import only each other.
FOUNDATION = frozenset(
    {"jsdesk", "errors", "paths", "logs", "argparse_nb", "jsontext", "installed", "progress"}
)


def tier_of(unit: str) -> int:
    for index, tier in enumerate(TIERS):
        if unit in tier:
            return index
    raise AssertionError(f"jsdesk.{unit} is in no tier: add it to TIERS or FOUNDATION")


def unit_of(module: str) -> str:
    """``jsdesk.storage.keys`` -> ``storage``; ``jsdesk`` -> ``jsdesk``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every absolute ``jsdesk`` import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            if node.module:
                yield node.lineno, node.module
                # ``from jsdesk import storage`` imports the package jsdesk.storage
                if node.module == "jsdesk":
                    for alias in node.names:
                        yield node.lineno, f"jsdesk.{alias.name}"


def import_graph() -> dict[str, set[tuple[str, str]]]:
    """Importing unit -> {(imported unit, "file:line")} for imports between units."""
    graph: dict[str, set[tuple[str, str]]] = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        source = unit_of(module_name(path))
        for line, module in imported_modules(path):
            if not module.startswith("jsdesk"):
                continue
            target = unit_of(module)
            if target != source:
                where = f"{path.relative_to(PACKAGE_DIR.parent)}:{line}"
                graph.setdefault(source, set()).add((target, where))
    return graph


def violations(graph: Mapping[str, set[tuple[str, str]]]) -> list[str]:
    found = []
    for source, targets in sorted(graph.items()):
        for target, where in sorted(targets):
            if target in FOUNDATION or target == "__version__":
                continue
            if source in FOUNDATION:
                found.append(f"{where}: foundation module jsdesk.{source} imports jsdesk.{target}")
            elif tier_of(target) >= tier_of(source) and (source, target) not in EXCEPTIONS:
                found.append(f"{where}: jsdesk.{source} imports jsdesk.{target} (not below it)")
    return found


def test_layering__source_tree__every_import_goes_down() -> None:
    found = violations(import_graph())
    assert not found, "\n".join(found)


def test_layering__every_package__has_a_tier() -> None:
    units = {unit_of(module_name(path)) for path in PACKAGE_DIR.rglob("*.py")}
    for unit in units - FOUNDATION:
        tier_of(unit)


@pytest.mark.parametrize(
    ("source", "target"),
    [("forms", "rules"), ("storage", "ui"), ("rules", "storage"), ("ui", "commands")],
)
def test_layering__upward_or_sideways_import__reported(source: str, target: str) -> None:
    graph = {source: {(target, "jsdesk/x.py:1")}}
    assert violations(graph) == [
        f"jsdesk/x.py:1: jsdesk.{source} imports jsdesk.{target} (not below it)"
    ]


def test_layering__outside_ui__no_qt() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE_DIR.parent)}:{line}"
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if unit_of(module_name(path)) != "ui"
        for line, module in imported_modules(path)
        if module.split(".")[0] in {"PySide6", "shiboken6"}
    ]
    assert offenders == []
