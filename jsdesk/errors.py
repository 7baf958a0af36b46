"""Error types: environment failures the user can act on, as opposed to bugs.

A ``UserError`` carries a Bokmål message meant for the caseworker and an exit
code for the command line. Anything else that escapes is a bug: it is logged
(without personal data) and the user gets a short, generic message.
"""

from __future__ import annotations


class UserError(Exception):
    """A failure with a message for the user (wrong passphrase, locked file, bad input file)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message
