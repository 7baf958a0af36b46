"""``jsdesk registry import FILE``: take FREG and PAD values from an extract file."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from jsdesk.commands.db import add_db_argument, open_database
from jsdesk.registry import describe_value, import_extract
from jsdesk.rules import default_form

if TYPE_CHECKING:
    from jsdesk.forms import FormDefinition
    from jsdesk.registry import ImportPlan, RowProblem

EXIT_OK = 0
EXIT_NOT_ALL_APPLIED = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "registry",
        help="importer uttrekk fra Folkeregisteret (FREG) og PAD (norskprøver)",
        description="Registerdata uten nettverk: importer FREG- og PAD-uttrekk.",
    )
    sub = parser.add_subparsers(dest="registry_command", metavar="UNDERKOMMANDO", required=True)
    imp = sub.add_parser(
        "import",
        help="kontroller og importer et FREG- eller PAD-uttrekk (CSV eller JSON)",
        description=(
            "Kontrollerer hver rad i uttrekket og tar verdiene inn i deltakelsene med samme "
            "fødselsnummer. Har filen feil, importeres ingenting uten --apply-good-rows. "
            "En verdi som allerede finnes og er annerledes, endres bare med --accept-changes. "
            "Formatene er beskrevet i docs/registry-extracts.md."
        ),
    )
    imp.add_argument("file", type=Path, metavar="FIL", help="Uttrekket (.csv eller .json).")
    imp.add_argument(
        "--apply-good-rows",
        action="store_true",
        help="Ta inn de feilfrie radene selv om filen har rader med feil.",
    )
    imp.add_argument(
        "--accept-changes",
        action="store_true",
        help="Godta at verdier som allerede er lagret, endres til verdien i uttrekket.",
    )
    add_db_argument(imp)
    imp.set_defaults(func=run_import)


def run_import(args: argparse.Namespace, out: TextIO | None = None) -> int:
    stream = out or sys.stdout
    path: Path = args.file
    form = default_form()
    with open_database(args) as db:
        report = import_extract(
            db,
            path,
            apply_good_rows=args.apply_good_rows,
            accept_changes=args.accept_changes,
            form=form,
            progress=_ProgressLines(sys.stderr),
        )
    checked, plan, outcome = report.checked, report.plan, report.outcome
    bad = report.bad_row_count
    print(
        f"{checked.kind}-uttrekk {path.name} ({checked.extract.file_format}): "
        f"{checked.row_count} rader, {checked.row_count - bad} uten feil, {bad} med feil.",
        file=stream,
    )
    _print_problems(checked.problems, checked.problem_count, stream)
    _print_unknown(plan, stream)
    if outcome is None:
        print(
            f"Ingenting er importert fordi {bad} rader har feil. Rett filen og importer "
            "den på nytt, eller bruk --apply-good-rows for å ta inn de feilfrie radene.",
            file=stream,
        )
        _print_changes(form, plan, stream, heading="Endringer som uttrekket ville gjort")
        return EXIT_NOT_ALL_APPLIED
    if args.accept_changes:
        _print_changes(form, plan, stream, heading="Endret (gammel → ny)")
    else:
        _print_changes(
            form,
            plan,
            stream,
            heading="Endringer som IKKE er tatt inn (bruk --accept-changes for å godta dem)",
        )
    print(
        f"Importert: {outcome.values_set} nye verdier og {outcome.changes_applied} endringer "
        f"i {outcome.participations} deltakelser; {plan.unchanged} verdier var allerede like. "
        f"Kilde {checked.kind}, importert {dt.date.today():%d.%m.%Y}.",
        file=stream,
    )
    return EXIT_OK if report.complete else EXIT_NOT_ALL_APPLIED


class _ProgressLines:
    """Progress on stderr for a file of ``MIN_BYTES`` or more: a line per tenth read."""

    MIN_BYTES = 256_000

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = 0

    def __call__(self, rows: int, position: int, size: int) -> None:
        if size < self.MIN_BYTES:
            return
        tenth = position * 10 // size
        if tenth > self.shown:
            self.shown = tenth
            print(f"Kontrollert {tenth * 10} % av filen ({rows} rader) …", file=self.stream)


def _print_problems(problems: tuple[RowProblem, ...], count: int, stream: TextIO) -> None:
    if not problems:
        return
    print("Feil i filen:", file=stream)
    for problem in problems:
        print(f"  {problem}", file=stream)
    if count > len(problems):
        print(f"  … og {count - len(problems)} feil til.", file=stream)


def _print_unknown(plan: ImportPlan, stream: TextIO) -> None:
    if not plan.unknown_count:
        return
    print(
        f"Rader uten tilhørende deltakelse i databasen ({plan.unknown_count}; ikke lagret):",
        file=stream,
    )
    for person in plan.unknown:
        print(f"  linje {person.line}: {person.masked_fnr} {person.reason}", file=stream)
    if plan.unknown_count > len(plan.unknown):
        print(f"  … og {plan.unknown_count - len(plan.unknown)} til.", file=stream)


def _print_changes(form: FormDefinition, plan: ImportPlan, stream: TextIO, *, heading: str) -> None:
    if not plan.changes:
        return
    print(f"{heading} ({len(plan.changes)}):", file=stream)
    for change in plan.changes:
        old = describe_value(form, change.variable, change.old)
        new = describe_value(form, change.variable, change.new)
        print(
            f"  deltakelse {change.participation_id} ({change.masked_fnr}), linje {change.line}, "
            f"{change.variable}: {old} → {new}",
            file=stream,
        )
