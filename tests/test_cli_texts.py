"""The command line speaks Bokmål, argparse's own texts included."""

from __future__ import annotations

import pytest

from jsdesk.cli import main
from jsdesk.errors import ExitCode


def test_cli_help__top_level__bokmal_titles(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("bruk: jsdesk")
    assert "valg:" in out
    assert "vis denne hjelpeteksten og avslutt" in out
    assert "usage:" not in out and "show this help" not in out


def test_cli_errors__missing_argument__bokmal_message_exit_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["validate"])
    assert stopped.value.code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "feil: disse argumentene mangler: FIL" in err
    assert "error" not in err


def test_cli_errors__unknown_subcommand__names_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["records", "shw"])
    err = capsys.readouterr().err
    assert "ugyldig valg: 'shw' (velg blant 'import', 'list', 'show')" in err
