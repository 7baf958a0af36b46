"""``jsdesk server``: set up a shared PostgreSQL database for several caseworkers.

Run by the municipality's IT with the database owner's login in the URL
(``postgresql://eier@vert/jsdesk?sslrootcert=ca.pem``); its password comes from the URL,
``PGPASSWORD`` or ``~/.pgpass`` (libpq's usual places). The connection always checks the
server's certificate (``sslmode=verify-full``). See docs/server.md.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from jsdesk.commands.db import check_municipality
from jsdesk.errors import UserError
from jsdesk.storage import default_target
from jsdesk.storage.server import add_user, init_server, remove_user


def _bydel(text: str) -> str:
    if len(text) != 6 or not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} er ikke et bydelsnummer (seks sifre)")
    return text


def _owner_url(args: argparse.Namespace) -> str:
    if args.url:
        return str(args.url)
    target = default_target()  # JSDESK_DB, when it names a shared database
    if target.local_file is not None:
        raise UserError("Oppgi den felles databasen med --url URL (eller JSDESK_DB=URL).", 2)
    return str(target.location)


def cmd_init(args: argparse.Namespace) -> int:
    if not args.bydel:
        check_municipality(args.kommunenummer, None)
    for bydel in args.bydel:
        if not bydel.startswith(args.kommunenummer):
            raise UserError(
                f"Bydel {bydel} hører ikke til kommune {args.kommunenummer}. Ingenting er endret.",
                2,
            )
        check_municipality(args.kommunenummer, bydel)
    revision = init_server(
        args.url,
        None,
        kommunenummer=args.kommunenummer,
        bydeler=args.bydel,
        test_installation=args.test,
    )
    print(f"Den felles databasen er klar (skjemaversjon {revision}).")
    print("Legg til saksbehandlere med «jsdesk server add-user NAVN --bydel NNNNNN».")
    return 0


def cmd_add_user(args: argparse.Namespace) -> int:
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UserError("Fikk ikke noe passord på standard inn. Ingenting er endret.", 2)
    onetime = add_user(
        _owner_url(args),
        None,
        args.name,
        bydeler=args.bydel,
        submitter=args.innsender,
        new_password=password,
    )
    units = ", ".join(args.bydel) or "hele kommunen"
    role = "saksbehandler og innsender" if args.innsender else "saksbehandler"
    print(f"Innloggingen {args.name} er klar ({role}; ser {units}).")
    if onetime is not None:
        print()
        print("ENGANGSPASSORD (vises bare denne ene gangen):")
        print(f"    {onetime}")
        print("Saksbehandleren velger sitt eget passord første gang jsdesk åpnes.")
    return 0


def cmd_remove_user(args: argparse.Namespace) -> int:
    remove_user(_owner_url(args), None, args.name)
    print(f"Innloggingen {args.name} er fjernet. Hendelsene den skrev står i revisjonsloggen.")
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "server", help="sett opp en felles PostgreSQL-database", description=__doc__
    )
    sub = parser.add_subparsers(dest="server_command", metavar="UNDERKOMMANDO", required=True)

    init = sub.add_parser("init", help="lag eller oppgrader skjemaet, rollene og tilgangene")
    init.add_argument("url", metavar="URL", help="postgresql://EIER@VERT/DATABASE?sslrootcert=CA")
    init.add_argument("--kommunenummer", metavar="NNNN", required=True)
    init.add_argument(
        "--bydel", metavar="NNNNNN", nargs="*", default=[], type=_bydel, help="bydelene (Oslo)"
    )
    init.add_argument(
        "--test", action="store_true", help="testinstallasjon: syntetiske fødselsnumre godtas"
    )
    init.set_defaults(func=cmd_init)

    add = sub.add_parser("add-user", help="gi en saksbehandler sin egen innlogging")
    add.add_argument("name", metavar="NAVN", help="innloggingen (små bokstaver, sifre, _)")
    add.add_argument("--url", metavar="URL", help="eierens URL (standard: JSDESK_DB)")
    add.add_argument(
        "--bydel",
        metavar="NNNNNN",
        nargs="*",
        default=[],
        type=_bydel,
        help="bydelene innloggingen ser (uten: hele kommunen)",
    )
    add.add_argument("--innsender", action="store_true", help="kan også sende inn til registeret")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="les passordet fra standard inn (ellers lages et engangspassord)",
    )
    add.set_defaults(func=cmd_add_user)

    remove = sub.add_parser("remove-user", help="ta bort en innlogging")
    remove.add_argument("name", metavar="NAVN")
    remove.add_argument(
        "--url", metavar="URL", help="eierens URL, som for init (standard: JSDESK_DB)"
    )
    remove.set_defaults(func=cmd_remove_user)
