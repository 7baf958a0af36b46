"""``jsdesk demo``: a TEST database of synthetic participations.

The demo makes a new local file (``sqlite_only``); on a shared database it is refused,
as it would fill IT's database with made-up people."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jsdesk.cli import main
from jsdesk.domain.fnr import analyse
from jsdesk.errors import ExitCode
from jsdesk.storage import Database, Status

PASSPHRASE = "korrekt hest batteri stift"


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
    return PASSPHRASE


def _demo(path: Path, count: int, seed: int) -> list[dict[str, object]]:
    assert main(["demo", "--participants", str(count), "--seed", str(seed), "--db", str(path)]) == 0
    with Database.open(path, PASSPHRASE, daily_backup=False) as db:
        assert db.settings.test_installation
        return [
            {"status": record.status, "values": record.values, "warnings": record.accepted_warnings}
            for record in db.iter_participations()
        ]


def _validate(tmp_path: Path, records: list[dict[str, object]], *flags: str) -> int:
    path = tmp_path / f"records{len(flags)}.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return main(["validate", "--format", "json", *flags, str(path)])


@pytest.mark.sqlite_only  # makes a new local file
def test_demo__small_database__complete_records_pass_validate_allow_synthetic(
    tmp_path: Path, passphrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = _demo(tmp_path / "demo.db", 80, seed=5)
    out = capsys.readouterr().out
    assert "TEST-database laget" in out and "80 syntetiske deltakelser" in out
    assert len(stored) == 80
    complete = [r["values"] for r in stored if r["status"] is Status.KOMPLETT]
    incomplete = [r for r in stored if r["status"] is Status.KLADD]
    assert complete and incomplete
    assert any(r["warnings"] for r in stored)
    assert {v.get("hovedarsak_avslutning") is None for v in complete} == {True, False}

    assert _validate(tmp_path, complete, "--allow-synthetic") == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report) == len(complete)
    assert all(item["valid"] for item in report)


@pytest.mark.sqlite_only  # makes a new local file
def test_demo__generated_numbers__none_passes_as_non_synthetic(
    tmp_path: Path, passphrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = _demo(tmp_path / "demo.db", 40, seed=11)
    capsys.readouterr()
    values = [r["values"] for r in stored]
    assert all(analyse(v["fodselsnummer"]).synthetic for v in values)

    assert _validate(tmp_path, values) == 1
    report = json.loads(capsys.readouterr().out)
    assert len(report) == 40
    for item in report:
        assert not item["valid"]
        assert any(
            f["variable"] == "fodselsnummer" and f["code"] == "SYNTHETIC_FNR"
            for f in item["findings"]
        )


@pytest.mark.sqlite_only  # makes a new local file
def test_demo__same_seed__same_participations(tmp_path: Path, passphrase: str) -> None:
    first = _demo(tmp_path / "a.db", 15, seed=9)
    second = _demo(tmp_path / "b.db", 15, seed=9)
    other = _demo(tmp_path / "c.db", 15, seed=10)
    assert [r["values"] for r in first] == [r["values"] for r in second]
    assert [r["values"] for r in first] != [r["values"] for r in other]


@pytest.mark.sqlite_only  # makes a new local file
def test_demo__existing_database__refused_and_untouched(
    tmp_path: Path, passphrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.db"
    _demo(path, 5, seed=1)
    before = path.read_bytes()
    assert main(["demo", "--participants", "5", "--db", str(path)]) == 2
    assert "finnes allerede" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_demo__zero_participants__usage_error(
    tmp_path: Path, passphrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "--participants", "0", "--db", str(tmp_path / "demo.db")])
    assert info.value.code == ExitCode.USAGE
    assert "minst 1" in capsys.readouterr().err
    assert not (tmp_path / "demo.db").exists()


def test_demo__shared_database__refused_and_nothing_added(
    oslo_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--participants", "5", "--db", oslo_server]) == 2
    err = capsys.readouterr().err
    assert "bare en lokal databasefil" in err and "Traceback" not in err
    with Database.connect(oslo_server) as db:
        assert db.count_participations() == 0
