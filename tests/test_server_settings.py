"""Settings on the shared database: the installation's are IT's, each login has its own.

The municipality, the person-id key, the recipient certificate and the time-stamping
service are the same for every login (person_id must stay stable), and only the owner
login may change them: proven with plain SQL as a caseworker, with the write grants
given back too (the trigger still refuses). UI preferences are per login, and a login
neither reads nor writes another's.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from pg_support import PgServer
from sqlalchemy import select
from storage_helpers import new_db
from test_server_postgres import GAMLE_OSLO, _login, _plain

from jsdesk.errors import UserError
from jsdesk.storage import Database
from jsdesk.storage.models import AuditEvent
from jsdesk.storage.settings import SETTING_KOMMUNENUMMER, SETTING_PERSON_KEY
from jsdesk.ui.context import IDLE_SETTING


def _key_and_municipality(url: str) -> list[tuple[object, ...]]:
    with _plain(url) as conn:
        return conn.execute(
            "SELECT key, value, blob FROM settings WHERE key IN (%s, %s) ORDER BY key",
            (SETTING_KOMMUNENUMMER, SETTING_PERSON_KEY),
        ).fetchall()


def test_caseworker__cannot_change_installation_settings_with_plain_sql(
    pg_server: PgServer, oslo_server: str
) -> None:
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    before = _key_and_municipality(oslo_server)
    assert len(before) == 2
    attempts = (
        "UPDATE settings SET value = '\"4601\"' WHERE key = 'kommunenummer'",
        "UPDATE settings SET blob = '\\x00' WHERE key = 'person_id.key'",
        "DELETE FROM settings WHERE key = 'person_id.key'",
        "INSERT INTO settings (key, value, changed_at) VALUES "
        "('submission.timestamp_url', '\"http://x\"', now())",
    )
    for statement in attempts:
        with _plain(anna) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
    # Even with every grant given by mistake, the trigger refuses.
    with _plain(oslo_server) as conn:
        conn.execute("GRANT ALL ON settings TO jsdesk_saksbehandler")
    for statement in attempts:
        with _plain(anna) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
            conn.execute(statement)
        assert "eierinnloggingen" in str(caught.value)
    assert _key_and_municipality(oslo_server) == before
    # A registry import's provenance has a table of its own (migration 0010): the old
    # settings rows are refused like every other.
    with _plain(anna) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "INSERT INTO settings (key, value, changed_at) VALUES ('registerkilde:7', '{}', now())"
        )
    # Through jsdesk: a message, nothing changed.
    with Database.connect(anna) as db, pytest.raises(UserError) as refused:
        db.set_setting(SETTING_KOMMUNENUMMER, "4601")
    assert "tilgang" in refused.value.message
    # The caseworker still reads what every login needs (the same key for everyone).
    with Database.connect(anna) as db:
        assert db.settings.kommunenummer == "0301"
        assert db.person_key.secret == before[1][2]
    # The owner (IT) changes them.
    with Database.connect(oslo_server) as db:
        db.set_setting("submission.timestamp_url", "http://tsa.example")
        assert db.get_setting("submission.timestamp_url") == "http://tsa.example"


def test_own_settings__per_login__hidden_from_other_logins(
    pg_server: PgServer, oslo_server: str
) -> None:
    anna = _login(pg_server, oslo_server, "anna", bydeler=[GAMLE_OSLO])
    bror = _login(pg_server, oslo_server, "bror", bydeler=[GAMLE_OSLO])
    with Database.connect(oslo_server) as db:  # IT's default for everyone
        db.set_setting(IDLE_SETTING, "20")
    with Database.connect(anna) as db:
        assert db.get_own_setting(IDLE_SETTING) == "20"
        db.set_own_setting(IDLE_SETTING, "5")
        assert db.get_own_setting(IDLE_SETTING) == "5"
    with Database.connect(bror) as db:
        assert db.get_own_setting(IDLE_SETTING) == "20"  # anna's choice is hers
        db.set_own_setting(IDLE_SETTING, "30")
    with Database.connect(anna) as db:
        assert db.get_own_setting(IDLE_SETTING) == "5"
    with _plain(anna) as conn:
        assert conn.execute("SELECT login, value FROM login_settings").fetchall() == [
            ("anna", '"5"')
        ]
        assert conn.execute("UPDATE login_settings SET value = '\"1\"'").rowcount == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO login_settings (login, key, value, changed_at) "
                "VALUES ('bror', 'x', '1', now())"
            )
    with Database.connect(bror) as db:
        assert db.get_own_setting(IDLE_SETTING) == "30"


def test_local_file__own_settings_fall_back_to_the_installations(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        assert db.get_own_setting(IDLE_SETTING, "15") == "15"
        db.set_setting(IDLE_SETTING, "10")  # stored by an older jsdesk
        assert db.get_own_setting(IDLE_SETTING) == "10"
        db.set_own_setting(IDLE_SETTING, "3")
        assert db.get_own_setting(IDLE_SETTING) == "3"
        with db.read() as session:
            events = session.scalars(
                select(AuditEvent.variable).where(AuditEvent.action == "egen innstilling")
            ).all()
    assert events == [IDLE_SETTING]
