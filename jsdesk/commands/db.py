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
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jsdesk.domain.code_domains import MUNICIPALITIES, OSLO_BYDELER
from jsdesk.domain.period import Period
from jsdesk.errors import ExitCode, UserError, exit_at_least
from jsdesk.storage import (
    Backend,
    Database,
    check_passphrase,
    database_target,
    default_target,
)

PASSPHRASE_ENV = "JSDESK_PASSPHRASE"


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=database_target,
        metavar="FIL|URL",
        help="databasefilen, eller en felles database postgresql://… (standard: JSDESK_DB "
        "eller jsdesk.db i brukerens datamappe)",
    )


def db_target(args: argparse.Namespace) -> Backend:
    """The database ``--db`` names, else ``JSDESK_DB``'s, else the user's local file."""
    given: Backend | None = getattr(args, "db", None)
    return given if given is not None else default_target()


def db_path(args: argparse.Namespace) -> Path:
    """The local database file; refused for a shared database (IT's, on the server)."""
    path = db_target(args).local_file
    if path is None:
        raise UserError(
            "Dette gjelder bare en lokal databasefil, ikke den felles databasen. Den felles "
            "databasen settes opp og tas vare på av IT (se «jsdesk server» og docs/server.md).",
            2,
        )
    return path


def ask_login_password(target: Backend) -> str | None:
    """The password for a shared database: ``JSDESK_PASSPHRASE``, a prompt in a terminal,
    or None (libpq then looks in the URL, ``PGPASSWORD`` and ``~/.pgpass``)."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    if target.password_in_location:
        return None  # the URL has it
    if os.environ.get("PGPASSWORD") or not sys.stdin.isatty():
        return None
    return getpass.getpass(f"Passord for {target.label}: ")


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


EXIT_BACKUP_FAILED = ExitCode.DISK  # the command did its work; the backup failed


def open_database(args: argparse.Namespace, *, allow_damaged: bool = False) -> Any:
    """Open the database; a failed daily backup is shown at once and ends in exit 5.

    A damaged database is refused (exit 4, naming the newest good backup) unless
    ``allow_damaged`` (``db check`` reports the damage itself).
    """

    target = db_target(args)
    if target.local_file is None:
        secret = ask_login_password(target)
    else:
        secret = ask_secret(f"Passordfrase for {target.label}: ")
    db = Database.open_target(target, secret)
    if db.must_change_password:
        print(
            "Merk: du bruker fortsatt engangspassordet. Velg ditt eget med «jsdesk db "
            "change-passphrase» (eller første gang du åpner jsdesk).",
            file=sys.stderr,
        )
    if db.damage is not None and not allow_damaged:
        db.close()
        raise UserError(db.damage, 4)
    if db.backup_problem is not None:
        print(f"Advarsel: {db.backup_problem}", file=sys.stderr)
        exit_at_least(EXIT_BACKUP_FAILED)
    return db


def _ask(prompt: str, option: str) -> str:
    if not sys.stdin.isatty():
        raise UserError(f"{option} mangler: {prompt.rstrip(': ')}. Oppgi {option} NUMMER.", 2)
    return input(prompt).strip()


def check_municipality(kommunenummer: str, bydel: str | None) -> None:
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
    path = db_path(args)
    if path.exists():
        raise UserError(f"Databasen {path} finnes allerede. Ingenting er endret.", 2)
    kommunenummer = args.kommunenummer or _ask("Kommunenummer (fire sifre): ", "--kommunenummer")
    bydel = args.bydel
    if bydel is None and MUNICIPALITIES.reports_per_bydel(kommunenummer):
        bydel = _ask(
            f"Oslo rapporterer per bydel (seks sifre, {OSLO_BYDELER.range_text()}): ", "--bydel"
        )
    check_municipality(kommunenummer, bydel)
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
    with open_database(args, allow_damaged=True) as db:
        report = db.check()
    problems = [line for line in report.integrity if line != "ok"]
    print(f"{report.checked}: {'ok' if not problems else 'FEIL'}")
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
        print(f"Databasen har feil. {report.advice}")
        return 1
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    instructions = db_target(args).backup_instructions()
    if instructions is not None:  # the server's job (a shared database)
        print("\n".join(instructions))
        return 0
    with open_database(args) as db:
        target = args.path
        if target is not None and target.is_dir():
            target = target / f"{db.path.stem}-{datetime.now():%Y-%m-%d-%H%M%S}.db"
        if target is not None and target.exists():
            raise UserError(f"{target} finnes allerede; velg et annet filnavn.", 2)
        target = db.backup(target)
    print(f"Sikkerhetskopi skrevet: {target}")
    print("Den er kryptert med samme nøkkel som databasen (nøkkelfilen ved siden av databasen).")
    return 0


def describe_loss(preview: Any) -> str:
    """What a restore from ``preview.backup_path`` discards, in Bokmål."""
    if preview.lost is None:
        return (
            "Den nåværende databasen kan ikke leses, så det er ukjent hvor mange endringer "
            "som går tapt. Den tas vare på som en kopi."
        )
    if preview.lost == 0:
        return "Ingen endringer går tapt: sikkerhetskopien har alt den nåværende databasen har."
    local = preview.newest.astimezone() if preview.newest is not None else None
    when = f", den nyeste {local:%d.%m.%Y kl. %H:%M}" if local is not None else ""
    return (
        f"{preview.lost} endringer gjort etter sikkerhetskopien ble laget{when}, blir forkastet "
        "(den nåværende databasen tas vare på som en kopi)."
    )


def cmd_restore(args: argparse.Namespace) -> int:
    path = db_path(args)

    def confirm(preview: Any) -> bool:
        print(f"Gjenoppretter {path} fra {preview.backup_path}.")
        print(describe_loss(preview))
        if args.yes or preview.lost == 0:
            return True
        if not sys.stdin.isatty():
            raise UserError(
                "Gjenoppretting forkaster endringer og må bekreftes: kjør kommandoen i et "
                "terminalvindu, eller legg til --yes i skript. Ingenting er endret.",
                ExitCode.USAGE,
            )
        return input("Vil du gjenopprette likevel? Skriv «ja» for å fortsette: ").strip() == "ja"

    aside = Database.restore(
        path, args.path, ask_secret(f"Passordfrase for {path}: "), confirm=confirm
    )
    print(f"Databasen {path} er gjenopprettet fra {args.path}.")
    if aside is not None:
        print(f"Den forrige databasen er tatt vare på som {aside}.")
    return 0


REKEY_EXPLAINED = (
    "Bytte av passordfrase uten ny nøkkel pakker bare databasenøkkelen inn på nytt: den "
    "gamle passordfrasen åpner ikke lenger denne nøkkelfilen, men en KOPI av nøkkelfilen "
    "(f.eks. ved en sikkerhetskopi på en minnepinne) åpner fortsatt databasen med den gamle "
    "passordfrasen, og gjenopprettingsnøkkelen er den samme. Med ny nøkkel (--rekey) "
    "krypteres databasen og sikkerhetskopiene på nytt med en ny tilfeldig nøkkel, og du får "
    "en ny gjenopprettingsnøkkel: gamle kopier av nøkkelfilen åpner da ingenting."
)


def _wants_rekey(args: argparse.Namespace) -> bool:
    if args.rekey:
        return True
    if not sys.stdin.isatty():
        return False
    print(REKEY_EXPLAINED)
    answer = input(
        "Kan den gamle passordfrasen være kjent for andre, eller en kopi av nøkkelfilen "
        "ha kommet på avveie? Da bør databasen få ny nøkkel. Ny nøkkel? [J/n]: "
    )
    return answer.strip().lower() not in {"n", "nei"}


def cmd_change_passphrase(args: argparse.Namespace) -> int:
    if db_target(args).local_file is None:
        # A shared database: the caseworker's own login gets the new password.
        with open_database(args) as shared:
            shared.change_passphrase(ask_new_passphrase("JSDESK_NEW_PASSPHRASE"))
        print("Passordet for innloggingen din til den felles databasen er endret.")
        return 0
    path = db_path(args)

    db = Database.open(
        path, ask_secret(f"Nåværende passordfrase eller gjenopprettingsnøkkel for {path}: ")
    )
    with db:
        new = ask_new_passphrase("JSDESK_NEW_PASSPHRASE")
        rekey = _wants_rekey(args)
        recovery_key = db.change_passphrase(new, rekey=rekey)
        problem = db.rekey_problem
    if recovery_key is None:
        print("Passordfrasen er endret. Gjenopprettingsnøkkelen virker fortsatt.")
        print(REKEY_EXPLAINED)
        return 0
    print("Passordfrasen er endret, og databasen og sikkerhetskopiene har fått ny nøkkel.")
    print("Gamle kopier av nøkkelfilen og den gamle gjenopprettingsnøkkelen virker ikke lenger.")
    print()
    print("NY GJENOPPRETTINGSNØKKEL (vises bare denne ene gangen):")
    print(f"    {recovery_key}")
    print("Skriv den ned og oppbevar den trygt.")
    if problem is not None:
        print(f"Advarsel: {problem}", file=sys.stderr)
        return 1
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
    restore.add_argument(
        "--yes",
        action="store_true",
        help="ikke spør: forkast endringene etter sikkerhetskopien (for skript)",
    )
    restore.set_defaults(func=cmd_restore)

    change = sub.add_parser(
        "change-passphrase",
        help="bytt passordfrase (ny fra prompt eller JSDESK_NEW_PASSPHRASE)",
    )
    add_db_argument(change)
    change.add_argument(
        "--rekey",
        action="store_true",
        help="gi databasen ny nøkkel og ny gjenopprettingsnøkkel (når den gamle passordfrasen "
        "kan være kjent for andre); i et terminalvindu blir du spurt",
    )
    change.set_defaults(func=cmd_change_passphrase)
