"""The forms and rules packages import each other; every entry point must work first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import jsdesk

# The checkout that holds the package under test, whatever the working directory is.
SOURCE_ROOT = str(Path(jsdesk.__file__).resolve().parent.parent)


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -c code`` from ``cwd`` (not the checkout), importing this checkout's jsdesk."""
    env = {**os.environ, "PYTHONPATH": SOURCE_ROOT}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=cwd, env=env
    )


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
def test_imports__module_imported_first__no_cycle_error(module: str, tmp_path: Path) -> None:
    result = run_python(f"import {module}; import jsdesk.rules, jsdesk.forms", tmp_path)
    assert result.returncode == 0, result.stderr


def test_imports__engine_and_its_commands__do_not_load_qt(tmp_path: Path) -> None:
    code = (
        "import sys; import jsdesk.commands.validate, jsdesk.commands.form; "
        "import jsdesk.rules, jsdesk.forms; print('PySide6' in sys.modules)"
    )
    result = run_python(code, tmp_path)
    assert result.stdout.strip() == "False", result.stderr
