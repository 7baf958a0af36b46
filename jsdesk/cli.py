"""The ``jsdesk`` command line.

``jsdesk`` alone (or with GUI options such as ``--db``/``--form``/``--sandbox``)
starts the application. A first word that names a command group runs that
command headless. Command modules are imported lazily so that starting the GUI
pays nothing for them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from jsdesk import __version__
from jsdesk.argparse_nb import install_bokmal_argparse
from jsdesk.errors import UserError

log = logging.getLogger("jsdesk")

# command word -> module with ``register(subparsers)``; each parser sets ``func``.
COMMANDS: dict[str, str] = {
    "validate": "jsdesk.commands.validate",
    "form": "jsdesk.commands.form",
    "db": "jsdesk.commands.db",
    "records": "jsdesk.commands.records",
    "submission": "jsdesk.commands.submission",
    "cert": "jsdesk.commands.cert",
    "registry": "jsdesk.commands.registry",
    "demo": "jsdesk.commands.demo",
}


def build_parser() -> argparse.ArgumentParser:
    install_bokmal_argparse()
    parser = argparse.ArgumentParser(
        prog="jsdesk",
        description="jsdesk: rapportering til Jobbsjanseregisteret.",
    )
    parser.add_argument("--version", action="version", version=f"jsdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="KOMMANDO")
    for module_name in COMMANDS.values():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(sub)
    return parser


def run_command(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv))
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    result: int = func(args)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args == ["--selftest"]:
            from jsdesk.selftest import run as selftest

            return selftest()
        if args and (args[0] in COMMANDS or args[0] in {"-h", "--help", "--version"}):
            return run_command(args)
        from jsdesk.ui import run_gui

        return run_gui(["jsdesk", *args])
    except UserError as exc:
        print(f"Feil: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Avbrutt.", file=sys.stderr)
        return 130
    except Exception:  # a bug: log it without personal data, tell the user briefly
        log.exception("Uventet feil")
        print(
            "Feil: Det oppstod en uventet feil i jsdesk. Ingenting du har lagret er tapt. "
            "Detaljer er skrevet til loggfilen uten personopplysninger.",
            file=sys.stderr,
        )
        return 3
