"""Hostile input files: refused with a clear message naming file and position, exit 2.

A lone surrogate, deep nesting and integers of thousands of digits used to end in
a traceback (exit 3) in ``validate``, ``records import`` and ``registry import``; a NUL
(``\\u0000``), which the shared database cannot store, in an unexpected error (exit 70)
there. The imports run on both back ends.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from storage_helpers import Installation, record

from jsdesk.cli import main

FREG_ROW = '"fodeland": "SOM", "sivilstand": "gift", "ankomstar": 2010, "fodselsar": 1990'

HOSTILE = {
    # A lone low surrogate, as a value and as a key.
    "surrogat-verdi": ('[{"fodselsnummer": "%s", "kommunenummer": "\\udfff"}]', 1, "surrogat"),
    "surrogat-nokkel": ('[{"fodselsnummer": "%s", "x\\ud800": 1}]', 1, "surrogat"),
    "dyp": ("[" * 50_000 + "]" * 50_000, 1, "nøstet dypere"),
    "stort-tall": ('[{"fodselsnummer": "%s", "ankomstar": ' + "9" * 5000 + "}]", 1, "5000 sifre"),
    "nul": ('[{"fodselsnummer": "%s", "type_naring_arbeid": "a\\u0000b"}]', 1, "tegnet NUL"),
}


@pytest.fixture
def db_target(cli_installation: Installation) -> str:
    """An empty installation (Oslo, bydel 030101) on each back end."""
    return str(cli_installation.target)


def _write(tmp_path: Path, name: str, template: str) -> Path:
    path = tmp_path / f"{name}.json"
    number = str(record(1)["fodselsnummer"])
    text = template % number if "%s" in template else template
    path.write_text("\n" + text, encoding="utf-8")  # the problem is on line 2
    return path


def _assert_clear(err: str, path: Path, words: str) -> None:
    assert "Traceback" not in err and "uventet feil" not in err
    assert str(path) in err or path.name in err
    assert "linje 2" in err and "kolonne" in err
    assert words in err


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_validate__hostile_file__exit_2_naming_file_and_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    template, _, words = HOSTILE[name]
    path = _write(tmp_path, name, template)
    for fmt in ("text", "json"):
        assert main(["validate", "--allow-synthetic", "--format", fmt, str(path)]) == 2
        _assert_clear(capsys.readouterr().err, path, words)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_records_import__hostile_file__exit_2_nothing_stored(
    tmp_path: Path,
    cli_installation: Installation,
    capsys: pytest.CaptureFixture[str],
    name: str,
) -> None:
    template, _, words = HOSTILE[name]
    path = _write(tmp_path, name, template)
    assert main(["records", "import", str(path)]) == 2
    _assert_clear(capsys.readouterr().err, path, words)
    with cli_installation.reopen() as db:
        assert db.count_participations() == 0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[{"fodselsnummer": "\\udfff", ' + FREG_ROW + "}]", "surrogat"),
        ("[" + "[" * 50_000 + "]" * 50_000 + "]", "nøstet dypere"),
        (
            '[{"fodselsnummer": "x", "fodeland": "SOM", "sivilstand": "gift", '
            '"ankomstar": ' + "1" * 4400 + ', "fodselsar": 1990}]',
            "4400 sifre",
        ),
        ('[{"fodselsnummer": "x", "fodeland": "SO\\u0000M", "sivilstand": "gift"}]', "tegnet NUL"),
    ],
    ids=["surrogat", "dyp", "stort-tall", "nul"],
)
def test_registry_import__hostile_json__exit_2_naming_file_and_position(
    tmp_path: Path, db_target: str, capsys: pytest.CaptureFixture[str], text: str, words: str
) -> None:
    path = tmp_path / "freg.json"
    path.write_text("\n" + text, encoding="utf-8")
    assert main(["registry", "import", "--db", db_target, str(path)]) == 2
    err = capsys.readouterr().err
    _assert_clear(err, path, words)
    assert "Ingenting er importert" in err
