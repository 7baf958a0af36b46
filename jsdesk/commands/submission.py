"""``jsdesk submission``: create, verify and list signed submission files.

``create`` picks the records that are complete and new or changed since the
last submission (``--all``: every complete record; ``--period YYYY``: only
participations in that year), lists what is left out and why, and writes a
signed ASiC-E file (encrypted to the recipient when one is configured or given
with ``--encrypt-to``). ``verify`` checks a file as the receiver would and
exits 0 when every check holds, 1 when one fails, 2 when the file cannot be
read. ``list`` shows the history of submissions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from jsdesk.commands.cert import load_p12_file, load_trust_store, read_input_file
from jsdesk.commands.db import add_db_argument, open_database
from jsdesk.submission.create import create_submission, plan_submission
from jsdesk.submission.credentials import load_certificate_file
from jsdesk.submission.verify import verify_file


def _year(text: str) -> int:
    if not (text.isdigit() and len(text) == 4):
        raise argparse.ArgumentTypeError(f"«{text}» er ikke et årstall (YYYY)")
    return int(text)


def cmd_create(args: argparse.Namespace) -> int:
    recipient = None
    if args.encrypt_to is not None:
        recipient = load_certificate_file(str(args.encrypt_to), read_input_file(args.encrypt_to))
    with open_database(args) as db:
        plan = plan_submission(db, year=args.period, all_records=args.all)
        print(
            f"Med i innsendingen: {len(plan.included)} poster "
            f"({plan.corrections} rettelser av tidligere innsendte)."
        )
        if plan.unchanged:
            print(f"Uendret siden forrige innsending (ikke med): {plan.unchanged} poster.")
        if plan.excluded:
            print(f"Utelatt fordi de ikke er komplette: {len(plan.excluded)} poster:")
            for item in plan.excluded:
                print(f"  deltakelse {item.id} ({item.masked_fnr}, {item.status}): {item.reason}")
        if args.dry_run:
            return 0

        def progress(phase: str, done: int, total: int) -> None:
            print(f"  {phase} … {done}/{total}", file=sys.stderr)

        result = create_submission(
            db,
            plan,
            args.out,
            progress=progress,
            recipient=recipient,
            timestamp_url=args.timestamp_url,
        )
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    for item in result.dropped:
        print(
            f"Utelatt (endret eller sendt inn under eksporten): deltakelse {item.id}: {item.reason}"
        )
    label = "TESTDATA – " if plan.test_data else ""
    encrypted = "kryptert og signert" if result.encrypted else "signert, IKKE kryptert"
    print(f"{label}Innsendingsfil ({encrypted}) med {result.record_count} poster: {result.path}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    trust = load_trust_store(args)
    credentials = load_p12_file(args.decrypt_with) if args.decrypt_with else None
    report = verify_file(args.file, trust=trust, decrypt_with=credentials)
    print(f"Kontroll av {args.file}:")
    for line in report.lines():
        print(f"  {line}")
    return report.exit_code


def cmd_list(args: argparse.Namespace) -> int:
    with open_database(args) as db:
        submissions = db.list_submissions()
    if not submissions:
        print("Ingen innsendinger ennå.")
        return 0
    for item in submissions:
        test = " TEST" if item.test else ""
        print(
            f"{item.created_at:%d.%m.%Y %H:%M} UTC{test}  {item.record_count:>6} poster  "
            f"periode {item.period or '-'}  {item.file_name}"
        )
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("submission", help="lag, kontroller og list innsendingsfiler")
    sub = parser.add_subparsers(dest="submission_command", metavar="UNDERKOMMANDO", required=True)

    create = sub.add_parser("create", help="lag en signert innsendingsfil")
    add_db_argument(create)
    create.add_argument(
        "--out", type=Path, required=True, metavar="MAPPE", help="mappen filen skal i"
    )
    create.add_argument(
        "--period", type=_year, metavar="YYYY", help="bare deltakelser i dette året"
    )
    create.add_argument(
        "--all", action="store_true", help="alle komplette poster, også de som er sendt før"
    )
    create.add_argument(
        "--encrypt-to", type=Path, metavar="SERT.pem", help="krypter til dette mottakersertifikatet"
    )
    create.add_argument(
        "--timestamp-url",
        metavar="URL",
        help="tidsstempeltjeneste (RFC 3161) for denne filen; standard: 'jsdesk cert timestamp'",
    )
    create.add_argument("--dry-run", action="store_true", help="vis bare hva som blir med")
    create.set_defaults(func=cmd_create)

    verify = sub.add_parser("verify", help="kontroller en innsendingsfil som mottakeren ville")
    verify.add_argument("file", type=Path, metavar="FIL")
    verify.add_argument(
        "--trust",
        type=Path,
        action="append",
        metavar="SERT.pem",
        help="klarert sertifikat (utsteder eller signatar) i tillegg til registerets og dem "
        "lagt til med 'jsdesk cert trust'; kan gis flere ganger",
    )
    verify.add_argument(
        "--crl",
        type=Path,
        action="append",
        metavar="FIL.crl",
        help="tilbakekallingsliste (CRL, PEM eller DER) å kontrollere mot; kan gis flere ganger",
    )
    add_db_argument(verify)
    verify.add_argument(
        "--decrypt-with",
        type=Path,
        metavar="P12",
        help="mottakerens PKCS#12 for krypterte filer (passord fra prompt eller "
        "JSDESK_P12_PASSWORD)",
    )
    verify.set_defaults(func=cmd_verify)

    history = sub.add_parser("list", help="vis tidligere innsendinger")
    add_db_argument(history)
    history.set_defaults(func=cmd_list)
