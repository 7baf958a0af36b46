"""``jsdesk validate``: check record files against the form's rules, headless.

Exit 0 when every record is valid (warnings allowed), 1 when any record has
errors, 2 when a file cannot be read as records (the other files are still
reported). Output never contains a fødselsnummer: messages name fields, not values.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from jsdesk.domain.code_domains import MUNICIPALITIES
from jsdesk.domain.fnr import PersonKey
from jsdesk.errors import ExitCode, UserError
from jsdesk.forms import FormLoadError
from jsdesk.rules import RecordFileError, default_form, evaluate, load_form, read_record_file


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="kontroller deltakelser (JSON) mot skjemaets regler",
        description=(
            "Kontrollerer deltakelser i JSON-filer mot skjemaets regler. En fil inneholder ett "
            "objekt eller en liste med objekter. Avslutningskode 0: alle gyldige (advarsler "
            "tillatt); 1: minst én har feil; 2: en fil kunne ikke leses."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FIL", type=Path, help="JSON-fil(er)")
    parser.add_argument(
        "--form", type=Path, metavar="FIL", help="skjemadefinisjon (standard: gjeldende skjema)"
    )
    parser.add_argument(
        "--allow-synthetic",
        action="store_true",
        help="godta syntetiske testfødselsnumre (Tenor), for pilot og demo",
    )
    parser.add_argument(
        "--kommune",
        metavar="NR",
        help=(
            "installasjonens kommunenummer: en deltakelse med et kommunenummer kommunen ikke "
            "hadde i deltakelsesperioden, er en feil (som i databasen og innsendingen)"
        ),
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="utformat (standard: text)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.form is not None:
        try:
            form = load_form(args.form)
        except FormLoadError as exc:
            raise UserError(
                f"Skjemadefinisjonen {args.form} kan ikke brukes:\n"
                + "\n".join(f"  {p}" for p in exc.problems),
                exit_code=2,
            ) from None
    else:
        form = default_form()
    installation = _installation(args.kommune)

    # No database, so no installation key: person ids are keyed for this run only and
    # mean nothing after it (docs/person-id.md).
    person_key = PersonKey.random()
    results: list[dict[str, object]] = []
    unreadable = False
    any_errors = False
    for path in args.files:
        try:
            records = read_record_file(path)
        except RecordFileError as exc:
            unreadable = True
            print(f"Feil: {exc.message}", file=sys.stderr)
            continue
        for index, record in enumerate(records):
            evaluation = evaluate(
                form,
                record,
                allow_synthetic=args.allow_synthetic,
                installation=installation,
                person_key=person_key,
            )
            any_errors = any_errors or not evaluation.valid
            results.append(
                {
                    "source": str(path),
                    "index": index,
                    "valid": evaluation.valid,
                    "stage": str(evaluation.stage),
                    "findings": [f.to_json() for f in evaluation.findings],
                    "derived": evaluation.derived,
                }
            )
    try:
        if args.format == "json":
            sys.stdout.write(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n")
        else:
            _print_text(results)
        sys.stdout.flush()
    except BrokenPipeError:  # output piped into e.g. `head`: the reader has all it wants
        sys.stderr.close()
    if unreadable:
        return 2
    return 1 if any_errors else 0


def _installation(number: str | None) -> str | None:
    """``--kommune NR``: a number that names a municipality in some year's list."""

    if number is None:
        return None
    if MUNICIPALITIES.latest_name(number) is None:
        raise UserError(
            f"--kommune {number}: ikke et kommunenummer i kommunelistene (skriv fire sifre, "
            "f.eks. 3301).",
            exit_code=ExitCode.USAGE,
        )
    return number


def _print_text(results: list[dict[str, Any]]) -> None:
    valid = sum(1 for r in results if r["valid"])
    for result in results:
        findings = result["findings"]
        verdict = "gyldig" if result["valid"] else "UGYLDIG"
        errors = sum(1 for f in findings if f["severity"] == "error")
        warnings = len(findings) - errors
        print(
            f"{result['source']}[{result['index']}]: {verdict} ({result['stage']}; "
            f"{errors} feil, {warnings} advarsler)"
        )
        for finding in findings:
            kind = "feil" if finding["severity"] == "error" else "advarsel"
            where = finding["variable"]
            if "index" in finding:
                where += f"[{finding['index']}]"
            print(f"  {kind} {finding['code']} {where}: {finding['message']}")
    print(f"{valid} av {len(results)} deltakelser er gyldige.")
