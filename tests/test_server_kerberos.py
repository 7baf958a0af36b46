"""A caseworker logs in to the shared PostgreSQL database through Kerberos (GSSAPI), with
no password: how a Windows login reaches the database where libpq supports it.

A throw-away MIT Kerberos realm (tests/krb5_support.py) and a PostgreSQL test server
whose pg_hba lets that login in by ``gss`` over TLS only. psycopg's binary wheel for
Linux carries libpq with GSSAPI (libgssapi_krb5); the Windows wheel's libpq answers the
same ``gss`` request with SSPI, the Windows login itself (docs/server.md, "Kerberos").
Skipped only where the Kerberos or PostgreSQL programs are missing; .ci/run installs both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from krb5_support import REALM, Realm, kerberos_programs, running_realm
from pg_support import PgServer, postgres_bin, running_server
from storage_helpers import FORM_VERSION, record

from jsdesk.storage import Database
from jsdesk.storage.server import add_user, init_server

pytestmark = pytest.mark.skipif(
    kerberos_programs() is None or postgres_bin() is None,
    reason="Kerberos (krb5-kdc, krb5-admin-server, krb5-user) or PostgreSQL not installed",
)


@pytest.fixture
def realm(tmp_path: Path) -> Iterator[Realm]:
    programs = kerberos_programs()
    assert programs is not None
    with running_realm(tmp_path / "krb5", programs) as realm:
        realm.add_principal("kari", "karis-windows-passord")
        yield realm


@pytest.fixture
def kerberos_server(realm: Realm) -> Iterator[PgServer]:
    with running_server(keytab=realm.keytab, gss_logins=("kari",), realm=REALM) as server:
        yield server


def test_kerberos__caseworker_logs_in_without_password__audit_names_the_login(
    realm: Realm, kerberos_server: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = kerberos_server.create_database("felles")
    init_server(owner, None, kommunenummer="0301", bydeler=["030101"], test_installation=True)
    add_user(owner, None, "kari", bydeler=["030101"], new_password="ubrukt-scram-passord")
    url = kerberos_server.url("kari", None, urlsplit(owner).path[1:])  # no password in it
    plain = url + "&gssencmode=disable"  # as jsdesk connects (storage/backend.server_url)
    for name, value in realm.env.items():
        monkeypatch.setenv(name, value)

    # Not logged in to Windows (no ticket): the server asks for Kerberos and refuses.
    with pytest.raises(psycopg.OperationalError, match="GSSAPI"):
        psycopg.connect(plain).close()

    realm.kinit("kari", "karis-windows-passord")
    with Database.connect(url) as db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
        db.set_value(pid, "kjonn", "2")
        assert db.check().ok
    with psycopg.connect(plain) as conn:
        login, tls, kerberos = conn.execute(
            "SELECT current_user, s.ssl, g.gss_authenticated FROM pg_stat_ssl s"
            " JOIN pg_stat_gssapi g USING (pid) WHERE pid = pg_backend_pid()"
        ).fetchone() or (None, None, None)
    assert (login, tls, kerberos) == ("kari", True, True)
    with psycopg.connect(owner.replace("postgresql+psycopg://", "postgresql://")) as conn:
        users = [r[0] for r in conn.execute("SELECT os_user FROM audit_events ORDER BY id")]
    assert users[-2:] == ["kari", "kari"]
