"""The ``jsdesk`` command line.

``jsdesk`` alone (or with GUI options such as ``--db``/``--form``/``--sandbox``)
starts the application. A first word that names a command group runs that
command headless. Only that command's module is imported (``jsdesk validate`` does
not load storage, signing or Qt); ``--help`` imports them all to list them. The GUI
imports none of them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from jsdesk import logs
from jsdesk.argparse_nb import ArgumentParser, install_bokmal_argparse
from jsdesk.errors import ExitCode, UserError, take_exit_at_least

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
    "report": "jsdesk.commands.report",
    "package": "jsdesk.commands.package",
    "server": "jsdesk.commands.server",
}


class _VersionAction(argparse.Action):
    """``--version``: the program, forms, reference data, Qt, SQLCipher and OpenSSL."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from jsdesk.about import version_text  # start-up cost: see _dispatch

        print(version_text())
        parser.exit(ExitCode.OK)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command`` only (none for ``--version``), else for every command."""
    install_bokmal_argparse()
    parser = ArgumentParser(
        prog="jsdesk",
        description="jsdesk: rapportering til Jobbsjanseregisteret.",
    )
    parser.add_argument(
        "--version",
        action=_VersionAction,
        nargs=0,
        help="vis versjonene av jsdesk, skjemaene, referansedataene og komponentene",
    )
    sub = parser.add_subparsers(dest="command", metavar="KOMMANDO")
    if command in COMMANDS:
        chosen = [COMMANDS[command]]
    elif command == "--version":
        chosen = []  # prints and exits while parsing: no command needed
    else:
        chosen = list(COMMANDS.values())
    for module_name in chosen:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(sub)
    return parser


def run_command(argv: Sequence[str]) -> int:
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(list(argv))
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return ExitCode.USAGE
    take_exit_at_least()  # in-process callers (tests) run several commands
    result: int = func(args)
    return max(result, take_exit_at_least())


def main(argv: Sequence[str] | None = None) -> int:
    """Run jsdesk; returns an exit code (``jsdesk.errors.ExitCode``, listed in README.md)."""
    args = list(sys.argv[1:] if argv is None else argv)
    setup = logs.install()
    try:
        return _dispatch(args)
    except UserError as exc:
        if sys.stderr is not None:
            print(f"Feil: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if sys.stderr is not None:
            print("Avbrutt.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception as exc:  # a bug: log it without personal data, tell the user briefly
        setup.report(exc)
        return ExitCode.UNEXPECTED
    finally:
        setup.close()


# Start-up cost: the self-test, the GUI (PySide6) and ``--version``'s component list
# are imported only on the path that uses them. Imported here they would take every
# command from 137 modules for this one to 674 (python -X importtime; the Qt
# libraries alone load for ``jsdesk validate`` otherwise).
def _dispatch(args: list[str]) -> int:
    if args == ["--selftest"]:
        from jsdesk.selftest import run as selftest

        return selftest()
    if args and (args[0] in COMMANDS or args[0] in {"-h", "--help", "--version"}):
        return run_command(args)
    from jsdesk.ui.app import run_gui

    return run_gui(["jsdesk", *args])
