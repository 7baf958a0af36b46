"""``jsdesk form``: ``check FILE...`` reports every problem in form definition files.

``diff`` and ``migrate`` are registered here from their own modules (registry part).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "form",
        help="skjemadefinisjoner (YAML)",
        description="Verktøy for skjemadefinisjoner (forms/*.yaml).",
    )
    actions = parser.add_subparsers(dest="form_command", metavar="HANDLING")
    check = actions.add_parser(
        "check",
        help="kontroller skjemafiler og vis alle problemer",
        description=(
            "Kontrollerer skjemafiler og skriver ut alle problemer som finnes. "
            "Avslutningskode 0 når alle filene er feilfrie, ellers 1."
        ),
    )
    check.add_argument("files", nargs="+", metavar="FIL", type=Path, help="skjemafil(er)")
    check.set_defaults(func=run_check)
    # form diff / form migrate: owned by the registry part (jsdesk/forms/diff.py, migrate.py).
    from jsdesk.forms.diff import register_diff
    from jsdesk.forms.migrate import register_migrate

    register_diff(actions)
    register_migrate(actions)
    parser.set_defaults(func=lambda args: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_check(args: argparse.Namespace) -> int:
    from jsdesk.rules import check_form_file

    failed = False
    for path in args.files:
        problems = check_form_file(path)
        if problems:
            failed = True
            for problem in problems:
                print(problem)
            print(f"{path}: {len(problems)} problem(er).")
        else:
            print(f"{path}: OK")
    return 1 if failed else 0
