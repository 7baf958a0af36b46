"""Why a connection to the shared database failed, in Bokmål, against the real server.

A wrong password, a database that does not exist, a login without access, a CA file
that did not sign the server's certificate, nothing listening, a database that
``server init`` never set up, and one at another schema version each get their own
message (the first-start screen and every command show it).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from pg_support import PgServer, _write_tls

from jsdesk.errors import UserError
from jsdesk.storage import Database, PasswordNeeded
from jsdesk.storage.schema import HEAD_REVISION
from jsdesk.storage.server import add_user, init_server


@pytest.fixture
def shared(pg_server: PgServer, pg_url: str) -> str:
    init_server(pg_url, None, kommunenummer="0301", bydeler=[], test_installation=True)
    add_user(pg_url, None, "kari", bydeler=[], new_password="karis gode passord")
    return urlsplit(pg_url).path[1:]


def _refused(url: str) -> str:
    with pytest.raises(UserError) as caught:
        Database.connect(url)
    assert "Traceback" not in caught.value.message
    return caught.value.message


def test_wrong_password(pg_server: PgServer, shared: str) -> None:
    message = _refused(pg_server.url("kari", "feil passord", shared))
    assert "feil brukernavn eller passord for «kari»" in message
    assert "feil passord" not in message.replace("feil brukernavn eller passord", "")


def test_no_password_given__asked_for__not_called_wrong(
    pg_server: PgServer, shared: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(pg_server.folder / "ingen-passordfil"))
    with pytest.raises(PasswordNeeded) as caught:
        Database.connect(pg_server.url("kari", None, shared))
    assert caught.value.message.startswith(
        f"Den felles databasen localhost:{pg_server.port}/{shared} ber om passordet for «kari»"
    )
    # A password that is given and wrong is still called wrong.
    with pytest.raises(UserError) as wrong:
        Database.connect(pg_server.url("kari", "feil passord", shared))
    assert not isinstance(wrong.value, PasswordNeeded)


def test_no_such_database(pg_server: PgServer, shared: str) -> None:
    message = _refused(pg_server.url("kari", "karis gode passord", "finnes_ikke"))
    assert "Databasen «finnes_ikke» finnes ikke" in message


def test_login_without_access_to_the_database(pg_server: PgServer, shared: str) -> None:
    pg_server.sql("DROP ROLE IF EXISTS fremmed")
    pg_server.sql("CREATE ROLE fremmed LOGIN PASSWORD 'fremmed passord'")
    message = _refused(pg_server.url("fremmed", "fremmed passord", shared))
    assert "har ikke tilgang til databasen" in message


def test_ca_that_did_not_sign_the_server__tls_refused(
    pg_server: PgServer, shared: str, tmp_path: Path
) -> None:
    other_ca, _cert, _key = _write_tls(tmp_path)
    url = pg_server.url("kari", "karis gode passord", shared).replace(
        str(pg_server.ca), str(other_ca)
    )
    message = _refused(url)
    assert "ikke utstedt av CA-sertifikatet" in message and str(other_ca) in message


def test_nothing_listening(pg_server: PgServer, shared: str) -> None:
    url = pg_server.url("kari", "karis gode passord", shared).replace(f":{pg_server.port}/", ":1/")
    assert "Fikk ikke kontakt med serveren localhost på port 1" in _refused(url)


def test_database_not_set_up_by_server_init(pg_server: PgServer, pg_url: str) -> None:
    assert "«jsdesk server init" in _refused(pg_url)


def test_server_that_never_answers__told_after_the_urls_connect_timeout(
    pg_server: PgServer,
) -> None:
    """A server that takes the connection and never answers (a hung server, a firewall
    that swallows the packets): a Bokmål message after the URL's connect_timeout, not a
    stack trace (psycopg reports the timeout without SQLSTATE or connection)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        url = (
            f"postgresql://kari@127.0.0.1:{port}/jsdesk?sslmode=verify-full"
            f"&sslrootcert={pg_server.ca}&connect_timeout=1"
        )
        started = time.monotonic()
        message = _refused(url)
        waited = time.monotonic() - started
    assert f"Serveren 127.0.0.1 svarer ikke på port {port} (ventet i 1 s)" in message
    assert waited < 10  # the URL's timeout, not the default of 10 s (twice)


@pytest.mark.parametrize(
    ("revision", "advice"),
    [
        ("9f00_fremtid", "Installer den nyeste versjonen av jsdesk."),
        ("0011", "IT oppgraderer den med «jsdesk server init» fra denne versjonen."),
    ],
)
def test_database_at_another_schema_version__refused_exit_4_nothing_changed(
    pg_server: PgServer, shared: str, revision: str, advice: str
) -> None:
    pg_server.sql(f"UPDATE alembic_version SET version_num = '{revision}'", db=shared)
    with pytest.raises(UserError) as caught:
        Database.connect(pg_server.url("kari", "karis gode passord", shared))
    message = caught.value.message
    assert f"har skjemaversjon {revision}, denne jsdesk bruker {HEAD_REVISION}" in message
    assert advice in message and caught.value.exit_code == 4
    with psycopg.connect(pg_server.owner_url(shared)) as conn:
        stored = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert stored == [(revision,)]
