"""Hostile input files: refused with a clear message naming file and position, exit 2.

A lone surrogate, deep nesting and integers of thousands of digits used to end in
a traceback (exit 3) in ``validate``, ``records import`` and ``registry import``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from storage_helpers import PASSPHRASE, db_key, dump, record

from jsdesk.cli import main
from jsdesk.storage import Database

FREG_ROW = '"fodeland": "SOM", "sivilstand": "gift", "ankomstar": 2010, "fodselsar": 1990'

HOSTILE = {
    # A lone low surrogate, as a value and as a key.
    "surrogat-verdi": ('[{"fodselsnummer": "%s", "kommunenummer": "\\udfff"}]', 1, "surrogat"),
    "surrogat-nokkel": ('[{"fodselsnummer": "%s", "x\\ud800": 1}]', 1, "surrogat"),
    "dyp": ("[" * 50_000 + "]" * 50_000, 1, "nøstet dypere"),
    "stort-tall": ('[{"fodselsnummer": "%s", "ankomstar": ' + "9" * 5000 + "}]", 1, "5000 sifre"),
}


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "jsdesk.db"
    Database.create(path, PASSPHRASE, kommunenummer="0301", bydel="030101", test_installation=True)[
        0
    ].close()
    return path


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
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    before = dump(db_path, db_key(db_path))
    template, _, words = HOSTILE[name]
    path = _write(tmp_path, name, template)
    assert main(["records", "import", "--db", str(db_path), str(path)]) == 2
    _assert_clear(capsys.readouterr().err, path, words)
    with Database.open(db_path, PASSPHRASE, daily_backup=False) as db:
        assert db.count_participations() == 0
    after = dump(db_path, db_key(db_path))
    assert [row for row in after if "participations" in row] == [
        row for row in before if "participations" in row
    ]


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
    ],
)
def test_registry_import__hostile_json__exit_2_naming_file_and_position(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: str
) -> None:
    path = tmp_path / "freg.json"
    path.write_text("\n" + text, encoding="utf-8")
    assert main(["registry", "import", "--db", str(db_path), str(path)]) == 2
    err = capsys.readouterr().err
    _assert_clear(err, path, words)
    assert "Ingenting er importert" in err
