"""The code reads on its own: no comment sends the reader to an issue tracker outside
the repository (a rule chosen in an issue is stated where it applies instead), and
imports sit at the top of the module except where a measured start-up cost keeps them
in the function that needs them."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ISSUE_REFERENCE = re.compile(r"\bissue\s*#?\d+|\bdecision\s+\d+\s+of\b", re.IGNORECASE)


def comments_and_docstrings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every comment and string literal in a Python file."""
    found = []
    source = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING):
            found.append((token.start[0], token.string))
    return found


def test_hygiene__comments_in_code_benchmarks_and_form__no_issue_numbers() -> None:
    offenders = []
    folders = ("jsdesk", "tests", "benchmarks", "scripts", "installer")
    for path in sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py")):
        if path == Path(__file__).resolve():
            continue
        for line, text in comments_and_docstrings(path):
            if ISSUE_REFERENCE.search(text):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {text.strip()[:70]}")
    for path in sorted((ROOT / "forms").glob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            comment = line.partition("#")[2]
            if ISSUE_REFERENCE.search(comment):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {comment.strip()[:70]}")
    assert offenders == [], "state the rule instead of pointing at an issue:\n" + "\n".join(
        offenders
    )


def test_hygiene__issue_pattern__matches_the_forms_it_guards() -> None:
    assert ISSUE_REFERENCE.search("# Decision 4 of issue 11: PAD's rows")
    assert ISSUE_REFERENCE.search('"""Results (issue 17)."""')
    assert not ISSUE_REFERENCE.search("# the issue date of the certificate")


# Imports inside functions, each with the start-up cost that keeps it there (the
# figures are in the comment beside the import). Everything else imports at the top
# of its module. (file, imported module) -> how many such imports the file has.
_GUI_FIRST_PAINT = "heavy modules load after the main window is painted (ui/main_window.py)"
LAZY_IMPORTS: dict[tuple[str, str], tuple[int, str]] = {
    ("jsdesk/cli.py", "jsdesk.selftest"): (1, "only for --selftest"),
    ("jsdesk/cli.py", "jsdesk.ui.app"): (1, "Qt only for the GUI, never for a command"),
    ("jsdesk/cli.py", "jsdesk.about"): (1, "component versions only for --version"),
    ("jsdesk/commands/report.py", "jsdesk.ui.report_pdf"): (1, "Qt only for --format pdf"),
    ("jsdesk/storage/backend.py", "psycopg"): (2, "psycopg only for a shared database"),
    ("jsdesk/storage/schema.py", "alembic"): (1, "Alembic only when a migration runs"),
    ("jsdesk/storage/schema.py", "alembic.config"): (1, "as above"),
    ("jsdesk/storage/schema.py", "alembic.script"): (2, "as above"),
    ("jsdesk/ui/context.py", "jsdesk.rules"): (2, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.domain.code_domains"): (4, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.forms"): (1, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.rules"): (1, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.storage"): (6, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.ui"): (3, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.ui.about_dialog"): (1, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.ui.idle"): (1, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.ui.import_dialog"): (1, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.ui.lock_panels"): (1, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.ui.overview"): (1, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.ui.participations_model"): (1, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.ui.pilot"): (1, "only with --sandbox"),
    ("jsdesk/ui/main_window.py", "jsdesk.ui.print_record"): (1, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.ui.receipt"): (1, _GUI_FIRST_PAINT),
    ("jsdesk/ui/main_window.py", "jsdesk.ui.wizard"): (1, _GUI_FIRST_PAINT),
    ("jsdesk/ui/report_actions.py", "jsdesk.ui.results_view"): (1, "pyqtgraph on first use"),
    ("jsdesk/ui/submission_actions.py", "jsdesk.ui.export_dialog"): (1, "signing on first use"),
    ("jsdesk/ui/submission_actions.py", "jsdesk.ui.submissions_view"): (1, "as above"),
    ("jsdesk/ui/submission_actions.py", "jsdesk.submission.create"): (1, "as above"),
    ("jsdesk/ui/update_actions.py", "jsdesk.packages.archive"): (2, "signatures on first use"),
    ("jsdesk/ui/update_actions.py", "jsdesk.packages.install"): (2, "as above"),
    ("jsdesk/ui/update_actions.py", "jsdesk.packages.publishers"): (2, "as above"),
}


def imports_in_functions(source: str) -> list[str]:
    """The modules imported inside functions (at any depth) in ``source``."""
    found: dict[int, str] = {}
    for function in ast.walk(ast.parse(source)):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and node.module:
                    found[id(node)] = node.module
                elif isinstance(node, ast.Import):
                    found[id(node)] = node.names[0].name
    return list(found.values())


def function_level_imports() -> dict[tuple[str, str], int]:
    """(file, imported module) -> count, for every import inside a function in jsdesk."""
    found: dict[tuple[str, str], int] = {}
    for path in sorted((ROOT / "jsdesk").rglob("*.py")):
        for module in imports_in_functions(path.read_text(encoding="utf-8")):
            key = (path.relative_to(ROOT).as_posix(), module)
            found[key] = found.get(key, 0) + 1
    return found


def test_hygiene__imports__at_the_top_except_the_listed_start_up_costs() -> None:
    allowed = {key: count for key, (count, _reason) in LAZY_IMPORTS.items()}
    assert function_level_imports() == allowed


def test_hygiene__import_counter__sees_imports_in_nested_functions_and_methods() -> None:
    source = (
        "import os\n"
        "def f():\n    import json\n    def g():\n        from os import path\n"
        "class C:\n    def m(self):\n        from jsdesk import storage\n"
    )
    assert sorted(imports_in_functions(source)) == ["jsdesk", "json", "os"]
