"""``jsdesk server …`` and the ``--db postgresql://…`` commands, in process, against the
real test server (tests/pg_support.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pg_support import PgServer

from jsdesk.cli import main
from jsdesk.demo import generate_records


def test_server_cli__init_add_user_records_check_backup(
    pg_server: PgServer,
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["server", "init", pg_url, "--kommunenummer", "0301", "--bydel", "030101",
                 "030102", "--test"]) == 0  # fmt: skip
    assert "klar" in capsys.readouterr().out

    monkeypatch.setattr("sys.stdin", io.StringIO("kari sitt passord\n"))
    assert main(["server", "add-user", "kari", "--url", pg_url, "--bydel", "030101",
                 "--password-stdin"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "kari" in out and "030101" in out and "ENGANGSPASSORD" not in out

    assert main(["server", "add-user", "ola", "--url", pg_url, "--bydel", "030109"]) == 1
    assert "030109" in capsys.readouterr().err  # not one of the database's units

    kari = pg_server.url("kari", None, urlsplit(pg_url).path.lstrip("/"))
    monkeypatch.setenv("JSDESK_PASSPHRASE", "kari sitt passord")
    records = [dict(r, bydel="030101") for r in generate_records(3, 7)]
    source = tmp_path / "poster.json"
    source.write_text(json.dumps(records), encoding="utf-8")
    assert main(["records", "import", "--db", kari, str(source)]) == 0
    assert "3 poster lagret" in capsys.readouterr().out
    assert main(["records", "list", "--db", kari, "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3

    assert main(["db", "check", "--db", kari]) == 0
    out = capsys.readouterr().out
    assert "Revisjonslogg: ok" in out and "Databasen: ok" in out

    assert main(["db", "backup", "--db", kari]) == 0
    out = capsys.readouterr().out
    assert "pg_dump --format=custom" in out and "kari sitt passord" not in out

    # A plain connection is refused before anything is sent.
    plain = kari.replace("sslmode=verify-full", "sslmode=prefer")
    assert main(["records", "list", "--db", plain]) == 2
    assert "kryptert forbindelse" in capsys.readouterr().err

    monkeypatch.setenv("JSDESK_NEW_PASSPHRASE", "karis nye passord")
    assert main(["db", "change-passphrase", "--db", kari]) == 0
    assert "endret" in capsys.readouterr().out
    monkeypatch.setenv("JSDESK_PASSPHRASE", "karis nye passord")
    assert main(["records", "list", "--db", kari]) == 0
    capsys.readouterr()

    assert main(["server", "remove-user", "kari", "--url", pg_url]) == 0
    assert main(["records", "list", "--db", kari]) == 5
    assert "Innloggingen" in capsys.readouterr().err
