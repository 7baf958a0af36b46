"""The forms and rules packages import each other; every entry point must work first."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "jsdesk.rules",
        "jsdesk.forms",
        "jsdesk.rules.expr",
        "jsdesk.rules.engine",
        "jsdesk.forms.loader",
        "jsdesk.rules.form_files",
        "jsdesk.rules.rule_parsing",
        "jsdesk.commands.validate",
    ],
)
def test_imports__module_imported_first__no_cycle_error(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}; import jsdesk.rules, jsdesk.forms"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_imports__engine_and_its_commands__do_not_load_qt() -> None:
    code = (
        "import sys; import jsdesk.commands.validate, jsdesk.commands.form; "
        "import jsdesk.rules, jsdesk.forms; print('PySide6' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "False", result.stderr
