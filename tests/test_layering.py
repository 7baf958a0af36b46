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
    {
        "jsdesk",
        "errors",
        "paths",
        "logs",
        "argparse_nb",
        "jsontext",
        "installed",
        "progress",
        "storable",
    }
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


def runtime_imports(path: Path, modules: frozenset[str]) -> set[str]:
    """The jsdesk modules ``path`` imports when it runs (in functions too), not the ones
    imported for type checking only. ``from jsdesk.storage import audit`` imports the
    module ``jsdesk.storage.audit``; the package is named only for names it defines."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(node.module)
    return found & modules


def module_graph() -> dict[str, set[str]]:
    """Module -> the jsdesk modules it imports at run time."""
    paths = {module_name(path): path for path in PACKAGE_DIR.rglob("*.py")}
    modules = frozenset(paths)
    return {name: runtime_imports(path, modules) - {name} for name, path in paths.items()}


def import_cycle(graph: Mapping[str, set[str]]) -> list[str]:
    """One cycle of modules importing each other (first module repeated at the end), or []."""
    state: dict[str, str] = {}  # "open" while on the path, "done" after

    def walk(module: str, path: list[str]) -> list[str]:
        state[module] = "open"
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == "open":
                return [*path[path.index(imported) :], module, imported]
            if imported not in state:
                cycle = walk(imported, [*path, module])
                if cycle:
                    return cycle
        state[module] = "done"
        return []

    for module in sorted(graph):
        if module not in state:
            cycle = walk(module, [])
            if cycle:
                return cycle
    return []


def test_layering__modules__import_no_cycle() -> None:
    # Within a package too (the ui dialogs reach the main window through ui/host.py's
    # protocol, storage's back end sits below its audit chain): a cycle means one module
    # cannot be read, tested or imported without the other.
    assert import_cycle(module_graph()) == []


def test_layering__cycle_through_three_modules__reported() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycle(graph) == ["a", "b", "c", "a"]
    assert import_cycle({"a": {"b"}, "b": set()}) == []


def test_layering__type_checking_import__no_edge(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from jsdesk.storage import audit\n"
        "if TYPE_CHECKING:\n    from jsdesk.ui.main_window import MainWindow\n"
        "def f():\n    from jsdesk.rules import evaluate\n",
        encoding="utf-8",
    )
    modules = frozenset(
        {"jsdesk.storage", "jsdesk.storage.audit", "jsdesk.ui.main_window", "jsdesk.rules"}
    )
    assert runtime_imports(source, modules) == {"jsdesk.storage.audit", "jsdesk.rules"}


# The modules that may name the main window's class; every other dialog or action
# reaches it through ``ui/host.py``'s ``MainWindowHost`` protocol.
MAIN_WINDOW_USERS = {
    "jsdesk.ui.app": "creates the window",
    "jsdesk.ui.selftest_drive": "drives the real window in the frozen self-test",
    "jsdesk.ui.pilot": "docks its panels in the window (a QMainWindow's own API)",
}


def test_layering__dialogs_and_actions__reach_the_main_window_through_its_protocol() -> None:
    importers = {
        module_name(path)
        for path in PACKAGE_DIR.rglob("*.py")
        for _line, module in imported_modules(path)
        if module == "jsdesk.ui.main_window"
    }
    assert importers - {"jsdesk.ui.main_window"} == set(MAIN_WINDOW_USERS)
