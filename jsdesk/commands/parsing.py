"""What several commands set up and print the same way.

A command group (``jsdesk form``, ``jsdesk package``) whose actions are subcommands and
which shows its help when called without one; the ``--format text|json`` option; and
a JSON report on standard output.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TypeAlias

from jsdesk.errors import ExitCode

Actions: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_command_group(subparsers: Any, name: str, *, help: str, description: str) -> Actions:
    """Add ``jsdesk NAME`` and return the place to add its actions (``HANDLING``).

    Called without an action it prints its help and exits with ``ExitCode.USAGE``.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help, description=description
    )
    actions: Actions = parser.add_subparsers(dest=f"{name}_command", metavar="HANDLING")
    parser.set_defaults(func=lambda args: _help(parser))
    return actions


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return ExitCode.USAGE


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    """``--format text|json``: a report for people (the default) or for programs."""
    parser.add_argument("--format", choices=("text", "json"), default="text", help="Utdataformat.")


def print_json(value: object) -> None:
    """Write ``value`` to standard output as indented JSON, letters as they are (æøå)."""
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    print()
