"""``jsdesk package``: build, verify, install and list signed update packages (.jspkg).

``build DIR --sign P12 --out FILE`` signs a folder's forms and reference data;
``verify FILE`` checks a package without installing it; ``install FILE`` verifies
it, shows what changes and asks before installing it into the user's data folder
(``--yes`` for scripts); ``list`` shows what is installed;
``create-test-publisher`` makes a test publisher for a test installation.
See docs/packages.md.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from jsdesk.commands.cert import P12_PASSWORD_ENV, ask_p12_password, load_p12_file
from jsdesk.commands.db import add_db_argument, db_path, open_database
from jsdesk.commands.parsing import add_command_group
from jsdesk.errors import ExitCode, UserError
from jsdesk.installed import installed_folder
from jsdesk.packages.archive import build_package, open_package
from jsdesk.packages.install import describe_installed, install_check, install_package, preview
from jsdesk.packages.publishers import create_test_publisher, publisher_trust, trust_test_publisher
from jsdesk.submission.container import write_atomic
from jsdesk.submission.credentials import to_pkcs12


def register(subparsers: Any) -> None:
    actions = add_command_group(
        subparsers,
        "package",
        help="signerte oppdateringspakker (skjema og referansedata)",
        description="Bygg, kontroller, installer og list oppdateringspakker (.jspkg).",
    )

    build = actions.add_parser(
        "build",
        help="bygg og signer en pakke fra en mappe",
        description=(
            "Bygger en oppdateringspakke fra MAPPE (pakke.json, skjema/*.yaml, data/*.csv) og "
            f"signerer den med utgiverens PKCS#12-fil (passord fra {P12_PASSWORD_ENV} eller "
            "ledetekst)."
        ),
    )
    build.add_argument("folder", type=Path, metavar="MAPPE")
    build.add_argument("--sign", type=Path, required=True, metavar="P12", help="utgiverens nøkkel")
    build.add_argument("--out", type=Path, required=True, metavar="FIL", help="pakkefilen")
    build.set_defaults(func=run_build)

    verify = actions.add_parser(
        "verify",
        help="kontroller en pakke uten å installere den",
        description="Kontrollerer signatur, utgiver, innhold og programversjon. 0 når pakken "
        "kan installeres, ellers 1.",
    )
    verify.add_argument("file", type=Path, metavar="FIL")
    verify.set_defaults(func=run_verify)

    install = actions.add_parser(
        "install",
        help="kontroller, vis endringene og installer en pakke",
        description=(
            "Kontrollerer pakken, viser hva den endrer (skjema som «form diff», data som et "
            "sammendrag, og prøvekjøring av flytting når databasen finnes) og installerer den "
            "i brukerens datamappe etter bekreftelse."
        ),
    )
    install.add_argument("file", type=Path, metavar="FIL")
    install.add_argument("--yes", action="store_true", help="installer uten å spørre (skript)")
    add_db_argument(install)
    install.set_defaults(func=run_install)

    listing = actions.add_parser("list", help="vis installerte pakker")
    listing.set_defaults(func=run_list)

    publisher = actions.add_parser(
        "create-test-publisher",
        help="lag en testutgiver og klarer den i denne installasjonen (bare for test)",
        description=(
            "Lager et selvsignert testsertifikat for pakkesignering (PKCS#12 i FIL, passord fra "
            f"{P12_PASSWORD_ENV} eller ledetekst) og lar denne installasjonen godta pakker "
            "signert med det. Bare for testinstallasjoner."
        ),
    )
    publisher.add_argument("--out", type=Path, required=True, metavar="FIL")
    publisher.add_argument("--name", default="Skjemaeier test", metavar="NAVN")
    publisher.set_defaults(func=run_create_test_publisher)


def run_build(args: argparse.Namespace) -> int:
    credentials = load_p12_file(args.sign)
    data = build_package(args.folder, credentials)
    try:
        write_atomic(args.out, data)
    except FileExistsError:
        raise UserError(f"{args.out} finnes allerede; velg et annet filnavn.", 2) from None
    print(f"Skrev {args.out} ({len(data)} byte), signert av {credentials.subject}.")
    return 0


def _open(path: Path) -> Any:
    return open_package(path, publisher_trust())


def run_verify(args: argparse.Namespace) -> int:
    package = _open(args.file)
    install_check(package)
    manifest = package.manifest
    print(
        f"{args.file}: OK. Pakke «{manifest.name}» {manifest.version}, gyldig fra "
        f"{manifest.valid_from:%d.%m.%Y}, signert av {package.publisher_name}."
    )
    for item in manifest.content:
        print(f"  {item.path} ({item.size} byte)")
    return 0


def run_install(args: argparse.Namespace) -> int:
    package = _open(args.file)
    install_check(package)
    with ExitStack() as stack:
        db = None
        wants_db = getattr(args, "db", None) is not None
        if package.manifest.files_of("skjema") and (wants_db or db_path(args).exists()):
            db = stack.enter_context(open_database(args))
        shown = preview(package, db)
        for line in shown.lines:
            print(line)
        if not args.yes and not _confirm():
            print("Ikke installert. Ingenting er endret.")
            return ExitCode.FAILED
        installed = install_package(package, db)
    print(f"Installert i {installed.folder}.")
    return 0


def _confirm() -> bool:
    if not sys.stdin.isatty():
        raise UserError(
            "Bekreft installasjonen i et terminalvindu, eller bruk --yes i skript. "
            "Ingenting er endret.",
            ExitCode.USAGE,
        )
    return input("Installere pakken? [j/N] ").strip().lower() in {"j", "ja", "y", "yes"}


def run_list(args: argparse.Namespace) -> int:
    lines = describe_installed()
    if not lines:
        print(f"Ingen oppdateringspakker er installert ({installed_folder()}).")
    for line in lines:
        print(line)
    return 0


def run_create_test_publisher(args: argparse.Namespace) -> int:
    credentials = create_test_publisher(args.name)
    password = ask_p12_password(args.out)
    try:
        write_atomic(args.out, to_pkcs12(credentials, password))
    except FileExistsError:
        raise UserError(f"{args.out} finnes allerede; velg et annet filnavn.", 2) from None
    trusted = trust_test_publisher(credentials.certificate)
    print(f"Skrev testutgiveren {credentials.subject} til {args.out}.")
    print(
        f"Denne installasjonen godtar nå pakker signert av testutgiveren ({trusted}). "
        "Bruk det bare i testinstallasjoner; slett filen for å slutte å godta dem."
    )
    return 0
