"""Setting up a shared PostgreSQL database for jsdesk (``jsdesk server …``).

Run by the municipality's IT with an owner login (one that owns the database and may
create roles). ``init_server`` creates the schema through Alembic, the group roles
``jsdesk_saksbehandler`` (read and change the participations of one's own units) and
``jsdesk_innsender`` (also mark them submitted), and the grants. ``add_user`` makes a
caseworker's own login and grants it units (bydeler, or the whole municipality);
row-level security (migration 0008) does the rest.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import Connection, text

from jsdesk.errors import UserError
from jsdesk.storage import audit, schema
from jsdesk.storage.backend import (
    GROUP_CASEWORKER,
    GROUP_SUBMITTER,
    make_server_engine,
    set_login_password,
    translate_server_errors,
)
from jsdesk.storage.database import Database
from jsdesk.storage.models import utc_now
from jsdesk.storage.settings import (
    SETTING_BYDEL,
    SETTING_CREATED_AT,
    SETTING_KOMMUNENUMMER,
    SETTING_TEST_INSTALLATION,
    SETTING_UNITS,
    SettingsMixin,
)

LOGIN_NAME = re.compile(r"[a-z][a-z0-9_]{1,62}")

_GRANTS = (
    f"GRANT USAGE ON SCHEMA public TO {GROUP_CASEWORKER}",
    f"GRANT SELECT ON alembic_version, settings, submissions, submitted_records "
    f"TO {GROUP_CASEWORKER}",
    # The installation's settings are IT's (the owner's): the trigger of migrations
    # 0009/0010 refuses every other login's change. Each login has its own settings
    # (row-level security).
    f"REVOKE INSERT, UPDATE, DELETE ON settings FROM {GROUP_CASEWORKER}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON login_settings TO {GROUP_CASEWORKER}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON participations, accepted_warnings, "
    f"register_provenance TO {GROUP_CASEWORKER}",
    # A registry import's history: each login adds and reads its own (migration 0010).
    f"GRANT SELECT, INSERT ON register_imports TO {GROUP_CASEWORKER}",
    # The audit: append and read, never change (only the owner's functions scrub).
    f"GRANT SELECT, INSERT ON audit_events TO {GROUP_CASEWORKER}",
    f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {GROUP_CASEWORKER}",
    f"GRANT INSERT, UPDATE ON submissions, submitted_records TO {GROUP_SUBMITTER}",
    f"GRANT DELETE ON submitted_records TO {GROUP_SUBMITTER}",
    "REVOKE ALL ON FUNCTION jsdesk_audit_scrub(integer), jsdesk_audit_head(), "
    "jsdesk_audit_chain(), jsdesk_password_changed(), jsdesk_must_change_password(), "
    "jsdesk_may_see(varchar), jsdesk_units(), jsdesk_sees_all() FROM PUBLIC",
    "GRANT EXECUTE ON FUNCTION jsdesk_audit_scrub(integer), jsdesk_audit_head(), "
    "jsdesk_audit_chain(), jsdesk_password_changed(), jsdesk_must_change_password(), "
    f"jsdesk_may_see(varchar), jsdesk_units(), jsdesk_sees_all() TO {GROUP_CASEWORKER}",
)


def _quoted(conn: Connection, name: str) -> str:
    return str(conn.execute(text("SELECT quote_ident(:n)"), {"n": name}).scalar_one())


def _create_group(conn: Connection, name: str) -> None:
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
    if exists is None:
        conn.execute(text(f"CREATE ROLE {name} NOLOGIN"))


def init_server(
    url: str,
    password: str | None,
    *,
    kommunenummer: str,
    bydeler: list[str],
    test_installation: bool = False,
) -> str:
    """Create (or upgrade) the schema, the group roles and the grants; returns the revision."""
    engine = make_server_engine(url, password)
    try:
        with translate_server_errors(url), engine.connect() as conn:
            database = str(conn.execute(text("SELECT current_database()")).scalar_one())
            schema.upgrade(conn)
            _create_group(conn, GROUP_CASEWORKER)
            _create_group(conn, GROUP_SUBMITTER)
            conn.execute(text(f"GRANT {GROUP_CASEWORKER} TO {GROUP_SUBMITTER}"))
            conn.execute(text(f"REVOKE ALL ON DATABASE {_quoted(conn, database)} FROM PUBLIC"))
            conn.execute(
                text(f"GRANT CONNECT ON DATABASE {_quoted(conn, database)} TO {GROUP_CASEWORKER}")
            )
            for grant in _GRANTS:
                conn.execute(text(grant))
            conn.commit()
    finally:
        engine.dispose()
    with Database.connect(url, password) as db:
        existing = db.get_setting(SETTING_KOMMUNENUMMER)
        if existing not in (None, kommunenummer):
            raise UserError(
                f"Databasen er alt satt opp for kommunenummer {existing}, ikke {kommunenummer}. "
                "Ingenting er endret.",
                1,
            )
        now = utc_now()
        with db.write() as session:
            new = existing is None
            for key, value in (
                (SETTING_KOMMUNENUMMER, kommunenummer),
                (SETTING_BYDEL, None),
                (SETTING_TEST_INSTALLATION, test_installation),
                (SETTING_CREATED_AT, now.isoformat()),
                (SETTING_UNITS, sorted(set(bydeler))),
            ):
                if new or key == SETTING_UNITS:
                    SettingsMixin._put_setting(session, key, value, now)
            audit.append(
                session,
                at=now,
                action="opprettet database" if new else "oppgradert",
                new={"kommunenummer": kommunenummer, "bydeler": sorted(set(bydeler))},
            )
    return schema.HEAD_REVISION


def add_user(
    url: str,
    password: str | None,
    name: str,
    *,
    bydeler: list[str],
    submitter: bool = False,
    new_password: str | None = None,
) -> str | None:
    """A caseworker's own login with access to ``bydeler`` (none: the whole municipality).

    With ``new_password`` the login gets it; otherwise a one-time password is made,
    returned (print it once) and must be changed at the first login. Returns the
    one-time password or None.
    """
    if not LOGIN_NAME.fullmatch(name):
        raise UserError(
            f"«{name}» kan ikke brukes som innlogging: bruk små bokstaver a–z, sifre og _, "
            "2–63 tegn, og begynn med en bokstav.",
            1,
        )
    with Database.connect(url, password) as db:
        known = list(db.get_setting(SETTING_UNITS) or [])
    unknown = [b for b in bydeler if b not in known]
    if unknown:
        raise UserError(
            f"Bydel {', '.join(unknown)} er ikke en av enhetene databasen ble satt opp med "
            f"({', '.join(known) or 'ingen bydeler: hele kommunen'}). Ingenting er endret.",
            1,
        )
    onetime = None
    if new_password is None:
        onetime = secrets.token_urlsafe(12)
    engine = make_server_engine(url, password)
    try:
        with translate_server_errors(url), engine.connect() as conn:
            login = _quoted(conn, name)
            exists = conn.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}
            ).first()
            if not exists:
                conn.execute(text(f"CREATE ROLE {login} LOGIN"))
            set_login_password(conn, name, name, new_password or onetime or "")
            conn.execute(text(f"GRANT {GROUP_CASEWORKER} TO {login}"))
            if submitter:
                conn.execute(text(f"GRANT {GROUP_SUBMITTER} TO {login}"))
            conn.execute(text("DELETE FROM jsdesk_access WHERE login = :n"), {"n": name})
            units: list[str | None] = list(bydeler) or [None]
            for unit in units:
                conn.execute(
                    text("INSERT INTO jsdesk_access (login, enhet) VALUES (:n, :u)"),
                    {"n": name, "u": unit or None},
                )
            conn.execute(text("DELETE FROM jsdesk_onetime_password WHERE login = :n"), {"n": name})
            if onetime is not None:
                conn.execute(
                    text("INSERT INTO jsdesk_onetime_password (login) VALUES (:n)"), {"n": name}
                )
            conn.commit()
    finally:
        engine.dispose()
    return onetime


def remove_user(url: str, password: str | None, name: str) -> None:
    """Take a login's access away and drop it (its audit events stay, with its name)."""
    engine = make_server_engine(url, password)
    try:
        with translate_server_errors(url), engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}
            ).first()
            if exists is None:
                raise UserError(f"Fant ingen innlogging som heter {name}. Ingenting er endret.", 1)
            conn.execute(text("DELETE FROM jsdesk_access WHERE login = :n"), {"n": name})
            conn.execute(text("DELETE FROM jsdesk_onetime_password WHERE login = :n"), {"n": name})
            conn.execute(text(f"DROP ROLE {_quoted(conn, name)}"))
            conn.commit()
    finally:
        engine.dispose()
