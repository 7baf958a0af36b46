"""``jsdesk db`` and ``jsdesk records`` end to end, in process.

Records and ``db check``/``db backup`` run on both back ends (``cli_installation``);
what makes, restores or rekeys the local file is ``sqlite_only``."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pg_support import CASEWORKER_PASSWORD
from storage_helpers import PASSPHRASE, Installation

from jsdesk.cli import main
from jsdesk.demo import generate_records
from jsdesk.storage import Database


@pytest.fixture
def db_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data" / "jsdesk.db"
    monkeypatch.setenv("JSDESK_DB", str(path))
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
    return path


@pytest.mark.sqlite_only  # db init makes the local file and shows its recovery key
def test_cli__init__recovery_key_shown_once_and_opens_the_file(
    db_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "init", "--kommunenummer", "0301", "--bydel", "030101", "--test"]) == 0
    out = capsys.readouterr().out
    assert "GJENOPPRETTINGSNØKKEL" in out and "TESTINSTALLASJON" in out
    recovery = out.split("GJENOPPRETTINGSNØKKEL (vises bare denne ene gangen):\n")[1].split()[0]
    with Database.open(db_env, recovery) as db:
        assert db.settings.kommunenummer == "0301" and db.settings.bydel == "030101"


def test_cli__import_list_show__records_round_trip(
    cli_installation: Installation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = generate_records(3, 7, bydel="030101")  # the installation's bydel
    incomplete = {"kommunenummer": "0301", "oppstartsdato": "2024-02-30"}
    source = tmp_path / "poster.json"
    source.write_text(json.dumps([*records, incomplete]), encoding="utf-8")
    assert main(["records", "import", str(source)]) == 0
    out = capsys.readouterr().out
    assert "4 poster lagret" in out and "post 4" in out and "kladd" in out

    assert main(["records", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [row["id"] for row in listed] == [1, 2, 3, 4]
    first_fnr = str(records[0]["fodselsnummer"])
    assert listed[0]["fodselsnummer_maskert"] == first_fnr[:6] + "*****"
    assert listed[3]["status"] == "kladd"
    assert set(listed[0]) >= {"fodselsar", "stage", "oppstartsdato", "avslutningsdato", "changed"}
    assert "person_id" not in listed[0]  # never next to the masked number (docs/person-id.md)

    assert main(["records", "show", "1", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == {k: v for k, v in records[0].items() if v is not None}

    # Importing the same people again would overlap: refused, nothing added.
    assert main(["records", "import", str(source)]) == 1
    assert "overlapper" in capsys.readouterr().err
    with cli_installation.reopen() as db:
        assert db.count_participations() == 4


def test_cli__check_and_backup__each_back_end_says_its_own(
    cli_installation: Installation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "check"]) == 0
    out = capsys.readouterr().out
    assert "Revisjonslogg: ok" in out and "Skjemaversjon: ok" in out
    copy = tmp_path / "kopi.db"
    assert main(["db", "backup", str(copy)]) == 0
    out = capsys.readouterr().out
    if cli_installation.backend == "sqlite":
        assert copy.exists() and f"Sikkerhetskopi skrevet: {copy}" in out
    else:  # the server's job: IT's pg_dump, named with the database but no password
        assert not copy.exists()
        database = urlsplit(str(cli_installation.target)).path.lstrip("/")
        assert "pg_dump" in out and database in out
        assert CASEWORKER_PASSWORD not in out


@pytest.mark.sqlite_only  # restore and the passphrase are the local file's
def test_cli__check_backup_restore_change_passphrase__work_headless(
    db_env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["db", "init", "--kommunenummer", "4601"]) == 0
    assert main(["db", "check"]) == 0
    assert "Revisjonslogg: ok" in capsys.readouterr().out
    copy = tmp_path / "kopi.db"
    assert main(["db", "backup", str(copy)]) == 0
    assert copy.exists()
    assert main(["db", "restore", "--yes", str(copy)]) == 0
    assert "gjenopprettet" in capsys.readouterr().out

    monkeypatch.setenv("JSDESK_NEW_PASSPHRASE", "nytt passord for kontoret")
    assert main(["db", "change-passphrase"]) == 0
    assert main(["db", "check"]) == 2
    assert "Feil passordfrase" in capsys.readouterr().err
    monkeypatch.setenv("JSDESK_PASSPHRASE", "nytt passord for kontoret")
    assert main(["db", "check"]) == 0


@pytest.mark.sqlite_only  # db init makes a local file (a shared one is server init's)
def test_cli__init_bad_municipality__clear_message_no_database(
    db_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "init", "--kommunenummer", "9999"]) == 2
    assert "kommunenummer" in capsys.readouterr().err
    assert main(["db", "init", "--kommunenummer", "0301"]) == 2
    assert "--bydel" in capsys.readouterr().err
    assert not db_env.exists()


@pytest.mark.sqlite_only  # key slots and the recovery key are the local file's
def test_cli__change_passphrase__says_what_it_protects_and_rekey_gives_new_recovery_key(
    db_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["db", "init", "--kommunenummer", "4601"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("JSDESK_NEW_PASSPHRASE", "nytt passord for kontoret")
    assert main(["db", "change-passphrase"]) == 0
    out = capsys.readouterr().out
    assert "Gjenopprettingsnøkkelen virker fortsatt" in out
    assert "KOPI av nøkkelfilen" in out and "--rekey" in out

    monkeypatch.setenv("JSDESK_PASSPHRASE", "nytt passord for kontoret")
    monkeypatch.setenv("JSDESK_NEW_PASSPHRASE", "tredje passord for kontoret")
    assert main(["db", "change-passphrase", "--rekey"]) == 0
    out = capsys.readouterr().out
    recovery = out.split("NY GJENOPPRETTINGSNØKKEL (vises bare denne ene gangen):\n")[1].split()[0]
    with Database.open(db_env, recovery, daily_backup=False) as db:
        assert db.check().ok
