"""``jsdesk form``: ``check``, ``diff`` and ``migrate`` for form definition files.

``check FILE...`` reports every problem in form files; ``diff OLD NEW`` lists what
changed between two versions (:mod:`jsdesk.forms.diff`); ``migrate --to FILE``
shows what moving every record to a new version does, and with ``--apply`` moves
them (:mod:`jsdesk.storage.form_migration`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from jsdesk.commands.db import add_db_argument, open_database
from jsdesk.commands.parsing import Actions, add_command_group, add_format_argument, print_json
from jsdesk.errors import UserError
from jsdesk.forms import FormDefinition, FormLoadError
from jsdesk.forms.diff import diff_forms
from jsdesk.rules import check_form_file, load_form
from jsdesk.rules.cases import changed_case_lines, read_cases, run_cases
from jsdesk.storage.form_migration import plan_migration, report_lines


def register(subparsers: Any) -> None:
    actions = add_command_group(
        subparsers,
        "form",
        help="skjemadefinisjoner (YAML)",
        description="Verktøy for skjemadefinisjoner (forms/*.yaml).",
    )
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
    register_diff(actions)
    register_migrate(actions)
    register_test(actions)


def run_check(args: argparse.Namespace) -> int:
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


def register_diff(form_subparsers: Actions) -> None:
    """Add ``diff`` to ``jsdesk form``'s subcommands."""
    parser = form_subparsers.add_parser(
        "diff",
        help="vis forskjellene mellom to skjemaversjoner",
        description=(
            "Lister variabler, koder, gyldighetsperioder og regler som er lagt til, "
            "fjernet eller endret fra GAMMEL til NY. Avslutter med 0 når skjemaene er like, "
            "1 når de er forskjellige."
        ),
    )
    parser.add_argument("old", type=Path, metavar="GAMMEL", help="Skjemafil for gammel versjon.")
    parser.add_argument("new", type=Path, metavar="NY", help="Skjemafil for ny versjon.")
    add_format_argument(parser)
    parser.add_argument(
        "--cases",
        type=Path,
        metavar="MAPPE",
        help="testtilfeller som vises om NY endrer utfallet (standard: forms/cases/)",
    )
    parser.set_defaults(func=run_diff)


def load_form_for_user(path: Path) -> FormDefinition:
    """Load a form file; a file that cannot be used becomes a UserError listing every problem."""
    try:
        return load_form(path)
    except FormLoadError as exc:
        listed = "\n".join(f"  {problem}" for problem in exc.problems)
        raise UserError(f"Skjemafilen {path} kan ikke brukes:\n{listed}", 2) from None


def run_diff(args: argparse.Namespace) -> int:
    old = load_form_for_user(args.old)
    new = load_form_for_user(args.new)
    changes = diff_forms(old, new)
    if args.format == "json":
        print_json([change.to_json() for change in changes])
    elif not changes:
        print(f"Ingen forskjeller mellom {args.old} og {args.new}.")
    else:
        print(
            f"{len(changes)} forskjeller fra {old.version} ({args.old}) "
            f"til {new.version} ({args.new}):"
        )
        for change in changes:
            print(f"  {change}")
        for line in changed_case_lines(new, args.cases):
            print(line)
    return 1 if changes else 0


def register_test(form_subparsers: Actions) -> None:
    """Add ``test`` to ``jsdesk form``'s subcommands."""
    parser = form_subparsers.add_parser(
        "test",
        help="kjør lagrede testtilfeller mot et skjema",
        description=(
            "Kontrollerer hvert testtilfelle (*.json) i MAPPE på nytt med SKJEMA og viser dem "
            "som får et annet utfall (gyldig, fase, feil og advarsler per variabel og kode). "
            "Avslutter med 0 når ingen er endret, 1 når minst ett er endret, 2 når en fil "
            "ikke kan leses."
        ),
    )
    parser.add_argument("form", type=Path, metavar="SKJEMA", help="Skjemafil.")
    parser.add_argument("cases", type=Path, metavar="MAPPE", help="Mappe med testtilfeller.")
    add_format_argument(parser)
    parser.set_defaults(func=run_test)


def run_test(args: argparse.Namespace) -> int:
    form = load_form_for_user(args.form)
    results = run_cases(form, read_cases(args.cases))
    changed = [result for result in results if result.changed]
    if args.format == "json":
        print_json(
            {
                "form_version": form.version,
                "cases": len(results),
                "changed": [result.to_json() for result in changed],
            }
        )
        return 1 if changed else 0
    if not changed:
        print(f"{len(results)} testtilfeller, ingen endret utfall med {form.version}.")
        return 0
    rows = [("Testtilfelle", "Lagret utfall", f"Utfall med {form.version}")]
    rows += [(r.case.name, r.case.outcome.short(), r.now.short()) for r in changed]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, before, now in rows:
        print(f"{name.ljust(widths[0])}  {before.ljust(widths[1])}  {now}")
    print(f"{len(changed)} av {len(results)} testtilfeller har endret utfall.")
    return 1


def register_migrate(form_subparsers: Actions) -> None:
    """Add ``migrate`` to ``jsdesk form``'s subcommands."""
    parser = form_subparsers.add_parser(
        "migrate",
        help="flytt registreringene til en ny skjemaversjon (prøvekjøring først)",
        description=(
            "Viser hvilke registreringer som endres, hvilke som blir ufullstendige og hvilke "
            "verdier som ikke lenger passer, om alle registreringer flyttes til skjemaet i FIL. "
            "Med --apply flyttes de i én transaksjon, med hendelser i endringsloggen."
        ),
    )
    parser.add_argument("--to", type=Path, required=True, metavar="FIL", help="Ny skjemaversjon.")
    parser.add_argument(
        "--apply", action="store_true", help="Flytt registreringene (uten: bare prøvekjøring)."
    )
    add_db_argument(parser)
    parser.set_defaults(func=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    target = load_form_for_user(args.to)
    with open_database(args) as db:
        plan = plan_migration(db, target)
        for line in report_lines(plan):
            print(line)
        if not args.apply:
            if plan.moves:
                print("Prøvekjøring: ingenting er endret. Bruk --apply for å flytte.")
            return 0
        moved = db.apply_form_migration(plan)
        print(f"Flyttet {moved} registreringer til skjemaversjon {target.version}.")
    return 1 if plan.unreadable else 0
