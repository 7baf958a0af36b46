"""``jsdesk server …`` and the ``--db postgresql://…`` commands, in process, against the
real test server (tests/pg_support.py)."""

from __future__ import annotations

import base64
import io
import json
import stat
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from pg_support import PgServer

from jsdesk.cli import main
from jsdesk.demo import generate_records
from jsdesk.storage.local_store import LOCAL_SETTINGS_FILE, shared_local_folder
from jsdesk.storage.server import add_user, init_server


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
    assert main(["records", "list", "--db", kari]) == 2  # a refused login, as a wrong password
    assert "Innloggingen" in capsys.readouterr().err


def test_cert_on_a_shared_database__key_on_this_machine__installation_wide_by_it_only(
    pg_server: PgServer,
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    init_server(pg_url, None, kommunenummer="0301", bydeler=[], test_installation=True)
    add_user(pg_url, None, "ola", bydeler=[], submitter=True, new_password="olas gode passord")
    ola = pg_server.url("ola", "olas gode passord", urlsplit(pg_url).path.lstrip("/"))

    assert main(["cert", "create-test", "--db", ola]) == 0
    out = capsys.readouterr().out
    folder = shared_local_folder(ola)
    assert "aldri i den felles databasen" in out and str(folder) in out
    stored = folder / LOCAL_SETTINGS_FILE
    assert stored.is_file() and stat.S_IMODE(stored.stat().st_mode) == 0o600
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT key FROM settings WHERE key LIKE 'signing.%'").fetchall()
    assert rows == []  # the signing key never went into the shared database
    # Nor under any other name: no table of the shared database holds any of the values
    # kept on this machine (key and certificate), in any spelling.
    kept = json.loads(stored.read_text(encoding="utf-8"))
    secrets = [base64.b64decode(v["bytes"]) for v in kept.values() if "bytes" in v]
    assert secrets and all(len(secret) > 100 for secret in secrets)
    everything = _shared_database_as_text(pg_url)
    for secret in secrets:
        spellings = [secret.hex(), base64.b64encode(secret).decode()[:64]]
        if secret.isascii():
            spellings.append(secret.decode()[40:120])  # a PEM's body
        assert not [s for s in spellings if s in everything]

    assert main(["cert", "show", "--db", ola]) == 0
    assert "TESTSERTIFIKAT" in capsys.readouterr().out
    pem = tmp_path / "signer.pem"
    assert main(["cert", "export", "--db", ola, str(pem)]) == 0
    assert pem.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    capsys.readouterr()
    assert main(["cert", "trust", "--db", ola, str(pem)]) == 0
    assert "Klarert heretter" in capsys.readouterr().out
    assert len(list((folder / "trust").glob("*.pem"))) == 1

    # The time-stamping service is the installation's: IT's owner login sets it.
    assert main(["cert", "timestamp", "--db", ola, "http://tsa.example"]) != 0
    err = capsys.readouterr().err
    assert "bare IT kan endre det" in err and "Traceback" not in err
    assert main(["cert", "timestamp", "--db", pg_url, "http://tsa.example"]) == 0
    capsys.readouterr()
    assert main(["cert", "show", "--db", ola]) == 0
    assert "http://tsa.example" in capsys.readouterr().out


def _shared_database_as_text(owner_url: str) -> str:
    """Every row of every table of the shared database, as PostgreSQL prints it."""
    with psycopg.connect(owner_url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'"
            )
        ]
        assert "settings" in tables and "participations" in tables
        return "\n".join(
            str(row[0])
            for table in tables
            for row in conn.execute(f"SELECT t::text FROM {table} t")
        )
