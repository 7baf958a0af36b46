"""argparse's own texts (usage line, section titles, errors) in Bokmål.

argparse looks its texts up through its module-level gettext function at call time, so
replacing that function once covers every parser: the command line's and the GUI's.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from jsdesk.errors import ExitCode

ARGPARSE_TEXTS: dict[str, str] = {
    "usage: ": "bruk: ",
    "positional arguments": "argumenter",
    "options": "valg",
    "show this help message and exit": "vis denne hjelpeteksten og avslutt",
    "show program's version number and exit": "vis versjonsnummeret og avslutt",
    "the following arguments are required: %s": "disse argumentene mangler: %s",
    "unrecognized arguments: %s": "ukjente valg: %s",
    "expected one argument": "mangler verdi",
    "expected at least one argument": "mangler minst én verdi",
    "argument %(argument_name)s: %(message)s": "valget %(argument_name)s: %(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s: feil: %(message)s\n",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "ugyldig valg: %(value)r (velg blant %(choices)s)"
    ),
    "invalid %(type)s value: %(value)r": "ugyldig verdi: %(value)r",
    "not allowed with argument %s": "kan ikke brukes sammen med %s",
    "one of the arguments %s is required": "ett av argumentene %s må oppgis",
    "ambiguous option: %(option)s could match %(matches)s": (
        "tvetydig valg: %(option)s kan bety %(matches)s"
    ),
}


def _bokmal(text: str) -> str:
    return ARGPARSE_TEXTS.get(text, text)


def install_bokmal_argparse() -> None:
    argparse._ = _bokmal  # type: ignore[attr-defined]


class ArgumentParser(argparse.ArgumentParser):
    """argparse with jsdesk's usage-error exit code (``ExitCode.USAGE``, not argparse's 2,
    which jsdesk uses for "file could not be read"). Sub-parsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        text = _bokmal("%(prog)s: error: %(message)s\n")
        self.exit(ExitCode.USAGE, text % {"prog": self.prog, "message": message})
