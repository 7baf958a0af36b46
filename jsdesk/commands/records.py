"""``jsdesk records``: import, list and show participations headless.

``import`` reads files in the ``jsdesk validate`` record format; each file is
one transaction. Invalid records are stored as *kladd* with their findings,
never dropped; a record that must be refused (overlap, synthetic number in a
production installation) leaves the whole file unstored with a message.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsdesk.commands.db import add_db_argument, open_database
from jsdesk.commands.parsing import add_format_argument, print_json
from jsdesk.errors import UserError
from jsdesk.rules import RecordFileError, default_form, read_record_file


def current_form_version() -> str:
    return default_form().version


def cmd_import(args: argparse.Namespace) -> int:
    exit_code = 0
    with open_database(args) as db:
        form_version = current_form_version()
        for path in args.files:
            try:
                records = read_record_file(path)
            except RecordFileError as exc:  # the message names the file
                print(exc.message, file=sys.stderr)
                exit_code = max(exit_code, exc.exit_code)
                continue
            try:
                stored = db.import_records(records, form_version=form_version)
            except UserError as exc:
                print(f"{path}: {exc.message}", file=sys.stderr)
                exit_code = max(exit_code, exc.exit_code)
                continue
            drafts = [r for r in stored if r.status == "kladd"]
            print(
                f"{path}: {len(stored)} poster lagret "
                f"({len(stored) - len(drafts)} komplett, {len(drafts)} kladd)."
            )
            for record in drafts:
                errors = [f for f in record.findings if f.get("severity") == "error"]
                print(f"  post {record.position} (deltakelse {record.id}) er kladd:")
                for finding in errors:
                    print(f"    {finding.get('variable')}: {finding.get('message')}")
    return exit_code


def summary_json(summary: Any) -> dict[str, object]:
    """One line of the list. No person_id: next to the masked number (birth date) it
    must not stand (docs/person-id.md); ``records show`` has the whole record."""
    return {
        "id": summary.id,
        "fodselsnummer_maskert": summary.masked_fnr,
        "fodselsar": summary.fodselsar,
        "stage": summary.stage,
        "status": str(summary.status),
        "oppstartsdato": _iso(summary.oppstartsdato),
        "avslutningsdato": _iso(summary.avslutningsdato),
        "changed": summary.changed_at.isoformat(timespec="seconds"),
    }


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def cmd_list(args: argparse.Namespace) -> int:
    rows: list[dict[str, object]] = []
    with open_database(args) as db:
        offset = 0
        while True:
            page = db.query_participations(
                search=args.search, order_by="id", descending=False, offset=offset, limit=1000
            )
            rows.extend(summary_json(s) for s in page)
            if len(page) < 1000:
                break
            offset += 1000
        test = db.settings.test_installation
    if args.format == "json":
        print_json(rows)
        return 0
    if test:
        print("TESTINSTALLASJON")
    header = ("id", "fødselsnr.", "fødselsår", "fase", "status", "oppstart", "avslutning", "endret")
    print("\t".join(header))
    for row in rows:
        print("\t".join("" if value is None else str(value) for value in row.values()))
    print(f"{len(rows)} deltakelser.")
    return 0


def record_json(values: Mapping[str, object]) -> dict[str, object]:
    return dict(values)


def cmd_show(args: argparse.Namespace) -> int:
    with open_database(args) as db:
        record = db.get_participation(args.id)
    if args.format == "json":
        print_json(record_json(record.values))
        return 0
    print(
        f"Deltakelse {record.id}: {record.stage}, {record.status} (versjon {record.record_version})"
    )
    print(f"Skjemaversjon {record.form_version}, endret {record.changed_at:%d.%m.%Y %H:%M:%S}")
    for name, value in record.values.items():
        print(f"  {name}: {json.dumps(value, ensure_ascii=False)}")
    for warning in record.accepted_warnings:
        print(f"  godtatt advarsel {warning.variable} ({warning.code}): {warning.reason}")
    for finding in record.findings:  # as stored: checked as this installation's record
        kind = "feil" if finding.get("severity") == "error" else "advarsel"
        print(f"  {kind} {finding.get('code')} {finding.get('variable')}: {finding.get('message')}")
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("records", help="deltakelser i databasen", description=__doc__)
    sub = parser.add_subparsers(dest="records_command", metavar="UNDERKOMMANDO", required=True)

    imp = sub.add_parser("import", help="lagre poster fra JSON-filer (samme format som validate)")
    add_db_argument(imp)
    imp.add_argument("files", nargs="+", type=Path, metavar="FIL")
    imp.set_defaults(func=cmd_import)

    lst = sub.add_parser("list", help="list deltakelser")
    add_db_argument(lst)
    add_format_argument(lst)
    lst.add_argument(
        "--search", metavar="TEKST", help="fødselsnummer (helt eller starten) eller dato"
    )
    lst.set_defaults(func=cmd_list)

    show = sub.add_parser("show", help="vis én deltakelse")
    add_db_argument(show)
    show.add_argument("id", type=int, metavar="ID")
    add_format_argument(show)
    show.set_defaults(func=cmd_show)
