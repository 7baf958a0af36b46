"""``jsdesk db``: create, check, back up, restore the database, change passphrase.

The passphrase comes from ``JSDESK_PASSPHRASE`` when set, else from a prompt.
Every subcommand takes ``--db PATH`` (default: ``JSDESK_DB`` or the user's data
folder).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from jsdesk.errors import UserError

PASSPHRASE_ENV = "JSDESK_PASSPHRASE"


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        metavar="FIL",
        help="databasefilen (standard: JSDESK_DB eller jsdesk.db i brukerens datamappe)",
    )


def db_path(args: argparse.Namespace) -> Path:
    from jsdesk.storage import default_db_path

    given: Path | None = getattr(args, "db", None)
    return given if given is not None else default_db_path()


def ask_secret(prompt: str) -> str:
    """The passphrase from ``JSDESK_PASSPHRASE`` or a hidden prompt."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    if not sys.stdin.isatty():
        raise UserError(
            f"Passordfrasen mangler: sett {PASSPHRASE_ENV} eller kjør kommandoen i et "
            "terminalvindu.",
            2,
        )
    return getpass.getpass(prompt)


def ask_new_passphrase(env_name: str = PASSPHRASE_ENV) -> str:
    """A new passphrase: from the environment, or typed twice."""
    from jsdesk.storage.keys import check_passphrase

    env = os.environ.get(env_name)
    if env:
        check_passphrase(env)
        return env
    if not sys.stdin.isatty():
        raise UserError(
            f"Ny passordfrase mangler: sett {env_name} eller kjør kommandoen i et terminalvindu.", 2
        )
    first = getpass.getpass("Ny passordfrase (minst 12 tegn): ")
    check_passphrase(first)
    if getpass.getpass("Gjenta passordfrasen: ") != first:
        raise UserError("Passordfrasene er ikke like. Ingenting er endret.", 2)
    return first


def open_database(args: argparse.Namespace) -> Any:
    from jsdesk.storage import Database

    path = db_path(args)
    return Database.open(path, ask_secret(f"Passordfrase for {path}: "))


def _ask(prompt: str, option: str) -> str:
    if not sys.stdin.isatty():
        raise UserError(f"{option} mangler: {prompt.rstrip(': ')}. Oppgi {option} NUMMER.", 2)
    return input(prompt).strip()


def _check_municipality(kommunenummer: str, bydel: str | None) -> None:
    from datetime import date

    from jsdesk.domain.code_domains import MUNICIPALITIES, OSLO_BYDELER
    from jsdesk.domain.period import Period

    today = Period.day(date.today())
    if MUNICIPALITIES.check(kommunenummer, today) is not None:
        raise UserError(
            f"--kommunenummer {kommunenummer!r} er ikke et gyldig kommunenummer i dag "
            "(fire sifre fra SSBs kommuneliste).",
            2,
        )
    oslo = OSLO_BYDELER.kommunenummer
    if MUNICIPALITIES.reports_per_bydel(kommunenummer):
        if OSLO_BYDELER.check(bydel, today) is not None:
            raise UserError(
                f"Oslo ({oslo}) rapporterer per bydel: oppgi --bydel med et bydelsnummer "
                f"fra {OSLO_BYDELER.range_text().replace('-', ' til ')}.",
                2,
            )
    elif bydel is not None:
        raise UserError(f"--bydel gjelder bare Oslo (kommunenummer {oslo}).", 2)


def cmd_init(args: argparse.Namespace) -> int:
    from jsdesk.domain.code_domains import MUNICIPALITIES, OSLO_BYDELER
    from jsdesk.storage import Database

    path = db_path(args)
    if path.exists():
        raise UserError(f"Databasen {path} finnes allerede. Ingenting er endret.", 2)
    kommunenummer = args.kommunenummer or _ask("Kommunenummer (fire sifre): ", "--kommunenummer")
    bydel = args.bydel
    if bydel is None and MUNICIPALITIES.reports_per_bydel(kommunenummer):
        bydel = _ask(
            f"Oslo rapporterer per bydel (seks sifre, {OSLO_BYDELER.range_text()}): ", "--bydel"
        )
    _check_municipality(kommunenummer, bydel)
    passphrase = ask_new_passphrase()
    db, recovery_key = Database.create(
        path, passphrase, kommunenummer=kommunenummer, bydel=bydel, test_installation=args.test
    )
    db.close()
    print(f"Databasen er laget: {path}")
    if args.test:
        print(
            "Dette er en TESTINSTALLASJON: syntetiske fødselsnumre godtas, "
            "ekte data hører ikke hjemme her."
        )
    print()
    print("GJENOPPRETTINGSNØKKEL (vises bare denne ene gangen):")
    print(f"    {recovery_key}")
    print("Skriv den ned og oppbevar den trygt. Den åpner databasen hvis passordfrasen glemmes.")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    with open_database(args) as db:
        report = db.check()
    problems = [line for line in report.integrity if line != "ok"]
    print(f"SQLite-integritet: {'ok' if not problems else 'FEIL'}")
    for line in problems[:20]:
        print(f"  {line}")
    print(
        f"Revisjonslogg: {'ok' if report.chain.ok else 'FEIL'} "
        f"({report.chain.events} hendelser, {report.chain.scrubbed} med slettede verdier)"
    )
    for line in report.chain.problems[:20]:
        print(f"  {line}")
    state = "ok" if report.revision == report.head else "FEIL"
    print(f"Skjemaversjon: {state} ({report.revision}, nyeste {report.head})")
    if not report.ok:
        from jsdesk.storage.errors import restore_hint

        print(f"Databasen har feil. {restore_hint(db_path(args))}")
        return 1
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from datetime import datetime

    from jsdesk.storage import backup

    with open_database(args) as db:
        target = args.path
        if target is None:
            target = backup.timestamped_backup_path(db.path, "manuell", datetime.now())
        elif target.is_dir():
            target = target / f"{db.path.stem}-{datetime.now():%Y-%m-%d-%H%M%S}.db"
        if target.exists():
            raise UserError(f"{target} finnes allerede; velg et annet filnavn.", 2)
        db.backup(target)
    print(f"Sikkerhetskopi skrevet: {target}")
    print("Den er kryptert med samme nøkkel som databasen (nøkkelfilen ved siden av databasen).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from jsdesk.storage import Database

    path = db_path(args)
    aside = Database.restore(path, args.path, ask_secret(f"Passordfrase for {path}: "))
    print(f"Databasen {path} er gjenopprettet fra {args.path}.")
    if aside is not None:
        print(f"Den forrige databasen er tatt vare på som {aside}.")
    return 0


def cmd_change_passphrase(args: argparse.Namespace) -> int:
    path = db_path(args)
    from jsdesk.storage import Database

    db = Database.open(
        path, ask_secret(f"Nåværende passordfrase eller gjenopprettingsnøkkel for {path}: ")
    )
    with db:
        db.change_passphrase(ask_new_passphrase("JSDESK_NEW_PASSPHRASE"))
    print("Passordfrasen er endret. Gjenopprettingsnøkkelen virker fortsatt.")
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("db", help="den krypterte databasen", description=__doc__)
    sub = parser.add_subparsers(dest="db_command", metavar="UNDERKOMMANDO", required=True)

    init = sub.add_parser("init", help="lag en ny kryptert database")
    add_db_argument(init)
    init.add_argument("--kommunenummer", metavar="NNNN", help="prosjektkommunens nummer")
    init.add_argument("--bydel", metavar="NNNNNN", help="bydel (bare Oslo)")
    init.add_argument(
        "--test", action="store_true", help="testinstallasjon: syntetiske fødselsnumre godtas"
    )
    init.set_defaults(func=cmd_init)

    check = sub.add_parser("check", help="sjekk integritet, revisjonslogg og skjemaversjon")
    add_db_argument(check)
    check.set_defaults(func=cmd_check)

    backup = sub.add_parser("backup", help="lag en kryptert sikkerhetskopi")
    add_db_argument(backup)
    backup.add_argument("path", nargs="?", type=Path, metavar="FIL", help="hvor kopien skal ligge")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="gjenopprett databasen fra en sikkerhetskopi")
    add_db_argument(restore)
    restore.add_argument("path", type=Path, metavar="FIL", help="sikkerhetskopien")
    restore.set_defaults(func=cmd_restore)

    change = sub.add_parser(
        "change-passphrase",
        help="bytt passordfrase (ny fra prompt eller JSDESK_NEW_PASSPHRASE)",
    )
    add_db_argument(change)
    change.set_defaults(func=cmd_change_passphrase)
