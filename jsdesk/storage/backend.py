"""The two back ends behind ``Database``: the local SQLCipher file and a shared PostgreSQL.

Everything that differs between them is here, behind ``Backend``: how failures of
the environment are told apart (SQLite's result codes, PostgreSQL's SQLSTATE), the
integrity check, who is recorded in the audit, how the audit chain and new ids are
taken under concurrent writers, and what a backup is. Nothing outside
``jsdesk.storage`` asks which back end it has.

A database target is a path (the local file) or a ``postgresql://`` URL.
The shared database is reached only over TLS with the server's certificate checked
(``sslmode=verify-full``); a URL asking for less is refused before connecting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Engine,
    String,
    any_,
    create_engine,
    event,
    func,
    literal,
    make_url,
    select,
    text,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import QueryableAttribute, Session

from jsdesk.errors import ExitCode, UserError
from jsdesk.storage.errors import classify, restore_hint, translate_errors
from jsdesk.storage.local_store import shared_local_folder
from jsdesk.storage.lock import acquire_lock
from jsdesk.storage.models import AuditEvent, Participation

URL_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
AUDIT_LOCK = 716_016  # the same key as migration 0008's jsdesk_audit_head()
SUBMISSION_LOCK = 716_017  # two submissions at once are serialised
GROUP_CASEWORKER = "jsdesk_saksbehandler"
GROUP_SUBMITTER = "jsdesk_innsender"
CONNECT_TIMEOUT = 10  # seconds to wait for the server (a connect_timeout in the URL wins)


def is_url(target: str | Path) -> bool:
    """True when ``target`` names a shared database (a ``postgresql://`` URL)."""
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def shown_url(url: str, *, password: bool = False) -> str:
    """The URL without its password (for messages and logs), or with it (``password``)."""
    parsed = make_url(_sqlalchemy_url(url))
    shown = parsed.render_as_string(hide_password=not password)
    return shown.replace("postgresql+psycopg://", "postgresql://", 1)


def _sqlalchemy_url(url: str) -> str:
    for scheme in URL_SCHEMES:
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    raise ValueError(url)


def server_url(url: str, password: str | None = None) -> URL:
    """The SQLAlchemy URL of a shared database, refusing anything but verified TLS."""
    query = parse_qs(urlsplit(url).query)
    mode = (query.get("sslmode") or ["verify-full"])[-1]
    if mode != "verify-full":
        raise UserError(
            f"Tilkoblingen til {shown_url(url)} er avvist: jsdesk kobler seg bare til en "
            "felles database over kryptert forbindelse der serverens sertifikat er kontrollert "
            f"(sslmode=verify-full), ikke med sslmode={mode}. Personopplysninger sendes aldri "
            "ukryptert. Be IT om serverens CA-sertifikat og oppgi det med sslrootcert=FIL.",
            2,
        )
    settings = {"sslmode": "verify-full"}
    if "gssencmode" not in query:
        # TLS carries the connection; Kerberos (pg_hba ``gss``) is only a way to log in.
        # Said outright, since libpq's default differs: "prefer" where it has GSSAPI
        # (psycopg's Linux wheel), "disable" where it has SSPI only (its Windows wheel).
        settings["gssencmode"] = "disable"
    parsed = make_url(_sqlalchemy_url(url)).update_query_dict(settings)
    if password:
        parsed = parsed.set(password=password)
    return parsed


def connect_timeout(url: str) -> int:
    """How long to wait for the shared database's server, in seconds: libpq's own
    ``connect_timeout`` when the URL gives one, else ``CONNECT_TIMEOUT``."""
    given = (parse_qs(urlsplit(url).query).get("connect_timeout") or [""])[-1]
    return int(given) if given.isdigit() and int(given) > 0 else CONNECT_TIMEOUT


# --- failures of the environment ----------------------------------------------


# --- the back ends ---------------------------------------------------------------


def newest_audit_event(session: Session) -> tuple[int, str] | None:
    """(id, hash) of the newest audit event, or None for an empty chain."""
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return None if last is None else (int(last.id), str(last.hash))


class Backend:
    """What the local file and the shared database do differently."""

    shared = False

    @property
    def label(self) -> str:
        raise NotImplementedError

    @property
    def location(self) -> str | Path:
        """What names the database: the local file's path, or the shared one's URL."""
        raise NotImplementedError

    @property
    def local_file(self) -> Path | None:
        """The database file on this machine, or None (a shared database is the server's)."""
        return None

    @property
    def local_folder(self) -> Path:
        """This machine's folder for what never goes into a shared database (trust
        anchors, revocation lists, a submitter's signing key)."""
        raise NotImplementedError

    @property
    def password_in_location(self) -> bool:
        """True when the location itself holds the secret (a URL with a password)."""
        return False

    @property
    def integrity_label(self) -> str:
        """What ``db check``'s first line names as checked."""
        raise NotImplementedError

    def backup_instructions(self) -> list[str] | None:
        """Lines telling who backs up this database when jsdesk does not (None: it does)."""
        return None

    def lock(self, *, create_folder: bool = False) -> Any:
        """The single-instance lock, taken (None where many users share the database)."""
        return None

    def change_secret(self, db: Any, new: str, *, rekey: bool) -> str | None:
        """A new passphrase or login password; returns a new recovery key, if one was made."""
        raise NotImplementedError

    def recovery_key_confirmed(self, db: Any) -> bool:
        """False while a recovery key shown to the user awaits confirmation."""
        return True

    def new_recovery_key(self, db: Any) -> str:
        """A new recovery key (the old one stops working); it awaits confirmation."""
        raise NotImplementedError

    def confirm_recovery_key(self, db: Any) -> None:
        """The user has kept the recovery key."""
        return None

    def translate(self) -> AbstractContextManager[None]:
        """Failures of this back end's environment as ``UserError`` in Bokmål."""
        raise NotImplementedError

    def after_delete(self, db: Any, pid: int) -> None:
        """Make a deleted participation's values unreadable beyond the live data."""
        raise NotImplementedError

    def backup(self, db: Any, target: Path) -> Path:
        """A copy of the whole database at ``target``."""
        raise NotImplementedError

    def daily_backup(self, db: Any, now: datetime | None) -> Path | None:
        """Today's backup when there is none yet (None: none was made)."""
        raise NotImplementedError

    def damage_advice(self) -> str:
        """What to do when a check finds the database damaged (for ``db check``)."""
        raise NotImplementedError

    def audit_user(self, session: Session) -> str | None:
        """The login an audit event names; None: this computer's user (``audit.os_user``)."""
        raise NotImplementedError

    def audit_head(self, session: Session) -> tuple[int, str] | None:
        """The newest audit event, with the chain locked for this transaction."""
        raise NotImplementedError

    def audit_ids(self, session: Session, after: int, count: int) -> list[int]:
        raise NotImplementedError

    def participation_ids(self, session: Session, count: int) -> list[int]:
        raise NotImplementedError

    def integrity(self, session: Session) -> tuple[str, ...]:
        raise NotImplementedError

    def one_of(
        self, column: QueryableAttribute[str | None], values: Sequence[str]
    ) -> ColumnElement[bool]:
        """``column IN values`` with every value in one bound parameter (thousands per
        query, no statement of a parameter each)."""
        raise NotImplementedError

    def granted_units(
        self, session: Session, kommunenummer: str, units: list[str]
    ) -> tuple[str, ...] | None:
        """Which of ``units`` (bydeler) this login may register participations for, as
        the database grants them; None when the installation's own bydel applies (a
        local file; a login for the whole municipality)."""
        return None


class SqliteBackend(Backend):
    """The local SQLCipher file: one process (the lock file), writers take the lock at BEGIN."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def location(self) -> Path:
        return self.path

    @property
    def local_file(self) -> Path:
        return self.path

    @property
    def local_folder(self) -> Path:
        return self.path.parent

    @property
    def integrity_label(self) -> str:
        return "SQLite-integritet"

    def lock(self, *, create_folder: bool = False) -> Any:
        # One process per file: a second jsdesk is told which one holds it (lock.py).
        return acquire_lock(self.path, create_folder=create_folder)

    def change_secret(self, db: Any, new: str, *, rekey: bool) -> str | None:
        # The key file's slots: rewrapped, or (rekey) a new database key (keys.py).
        made: str | None = db._change_key_slots(new, rekey=rekey)
        return made

    def recovery_key_confirmed(self, db: Any) -> bool:
        return bool(db._recovery_slot_confirmed())

    def new_recovery_key(self, db: Any) -> str:
        return str(db._new_recovery_slot())

    def confirm_recovery_key(self, db: Any) -> None:
        db._confirm_recovery_slot()

    def translate(self) -> AbstractContextManager[None]:
        return translate_errors(self.path)

    def after_delete(self, db: Any, pid: int) -> None:
        # Deleted pages out of the WAL, the participation out of every backup file.
        db._scrub_files(pid)

    def backup(self, db: Any, target: Path) -> Path:
        copy: Path = db._copy_file(target)  # SQLite's backup API, checked before and after
        return copy

    def daily_backup(self, db: Any, now: datetime | None) -> Path | None:
        made: Path | None = db._daily_file_backup(now)
        return made

    def damage_advice(self) -> str:
        return restore_hint(self.path)

    def audit_user(self, session: Session) -> str | None:
        return None  # the operating-system user of this one process

    def audit_head(self, session: Session) -> tuple[int, str] | None:
        return newest_audit_event(session)  # BEGIN IMMEDIATE holds the write lock already

    def audit_ids(self, session: Session, after: int, count: int) -> list[int]:
        return list(range(after + 1, after + 1 + count))

    def participation_ids(self, session: Session, count: int) -> list[int]:
        # Above every id a participation or an audit event ever had: a deleted
        # participation's id is never given to another person.
        highest = session.execute(
            select(func.max(Participation.id)).union_all(
                select(func.max(AuditEvent.participation_id))
            )
        ).scalars()
        first = max((value or 0) for value in highest) + 1
        return list(range(first, first + count))

    def integrity(self, session: Session) -> tuple[str, ...]:
        integrity = tuple(str(row[0]) for row in session.execute(text("PRAGMA integrity_check")))
        cipher = [str(row[0]) for row in session.execute(text("PRAGMA cipher_integrity_check"))]
        if cipher:
            integrity = (*[i for i in integrity if i != "ok"], *cipher)
        return integrity

    def one_of(
        self, column: QueryableAttribute[str | None], values: Sequence[str]
    ) -> ColumnElement[bool]:
        listed = func.json_each(json.dumps(list(values))).table_valued("value")
        return column.in_(select(listed.c.value))


def database_target(location: str | Path) -> Backend:
    """The back end ``location`` names (``--db``, ``JSDESK_DB``): a ``postgresql://`` URL
    is a shared database, anything else the local file at that path."""
    if is_url(location):
        return PostgresBackend(str(location))
    return SqliteBackend(Path(location).expanduser())


def backend_of(session: Session) -> Backend:
    """The back end a session writes to (the audit and id helpers take a session)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        return PostgresBackend(bind.engine.url.render_as_string(hide_password=True))
    return SqliteBackend(Path(bind.engine.url.database or ""))


class PostgresBackend(Backend):
    """A shared PostgreSQL database."""

    shared = True

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def label(self) -> str:
        return shown_url(self.url)

    @property
    def location(self) -> str:
        return self.url

    @property
    def local_folder(self) -> Path:
        return shared_local_folder(self.url)

    @property
    def password_in_location(self) -> bool:
        return shown_url(self.url) != shown_url(self.url, password=True)

    @property
    def integrity_label(self) -> str:
        return "Databasen"

    def backup_instructions(self) -> list[str]:
        return [
            "Den felles databasen sikkerhetskopieres på serveren, ikke av jsdesk. IT tar "
            "kopien med pg_dump (med eierens innlogging), for eksempel hver natt:",
            f"    {pg_dump_command(self.url)}",
            "Se docs/server.md, «Sikkerhetskopier», for gjenoppretting og oppbevaring.",
        ]

    def change_secret(self, db: Any, new: str, *, rekey: bool) -> str | None:
        # The caseworker's own login gets the new password; there is no database key to
        # renew (the server holds the data), so ``rekey`` changes nothing more.
        db.change_login_password(new)
        return None

    def new_recovery_key(self, db: Any) -> str:
        raise UserError(
            "Den felles databasen har ingen gjenopprettingsnøkkel: har du glemt passordet, "
            "gir IT deg et nytt engangspassord («jsdesk server add-user»). Ingenting er endret.",
            2,
        )

    def translate(self) -> AbstractContextManager[None]:
        return translate_server_errors(self.url)

    def after_delete(self, db: Any, pid: int) -> None:
        # The row is gone for every login at commit; its dead versions are the server's
        # (autovacuum), and so are the backups (pg_dump, docs/server.md).
        return None

    def backup(self, db: Any, target: Path) -> Path:
        raise UserError(
            "Den felles databasen sikkerhetskopieres på serveren, ikke av jsdesk. IT tar "
            f"kopien med pg_dump (med eierens innlogging): {pg_dump_command(self.url)}. "
            "Se docs/server.md, «Sikkerhetskopier».",
            2,
        )

    def daily_backup(self, db: Any, now: datetime | None) -> Path | None:
        return None  # the server's job (pg_dump by IT)

    def damage_advice(self) -> str:
        return "Kontakt IT (se docs/server.md, «Sikkerhetskopier»)."

    def audit_user(self, session: Session) -> str:
        return str(session.execute(text("SELECT session_user")).scalar_one())

    def granted_units(
        self, session: Session, kommunenummer: str, units: list[str]
    ) -> tuple[str, ...] | None:
        # Row-level security's own test (migration 0008), asked per unit. A login for the
        # whole municipality gets None, and so does the owner, whom row-level security
        # does not limit (no unit is granted to it).
        def may_see(unit: str) -> bool:
            return bool(session.execute(text("SELECT jsdesk_may_see(:u)"), {"u": unit}).scalar())

        if may_see(kommunenummer):
            return None
        return tuple(unit for unit in units if may_see(unit)) or None

    def one_of(
        self, column: QueryableAttribute[str | None], values: Sequence[str]
    ) -> ColumnElement[bool]:
        return column == any_(literal(list(values), ARRAY(String)))

    def audit_head(self, session: Session) -> tuple[int, str] | None:
        row = session.execute(text("SELECT id, hash FROM jsdesk_audit_head()")).first()
        return None if row is None else (int(row[0]), str(row[1]))

    def audit_ids(self, session: Session, after: int, count: int) -> list[int]:
        # From the sequence: ids may leave gaps (a rolled-back writer used them) but grow
        # in the order the chain does, as the chain is locked until this commit.
        return _sequence_values(session, "audit_events", count)

    def participation_ids(self, session: Session, count: int) -> list[int]:
        return _sequence_values(session, "participations", count)

    def integrity(self, session: Session) -> tuple[str, ...]:
        # Pages are the server's to check (data checksums, its own monitoring); here:
        # that the database answers and has jsdesk's tables with row-level security on.
        rows = session.execute(
            text(
                "SELECT relname FROM pg_class WHERE relname IN "
                "('participations', 'audit_events', 'accepted_warnings', "
                "'register_provenance', 'register_imports') "
                "AND relkind = 'r' AND NOT relrowsecurity"
            )
        ).all()
        return tuple(f"Radsikkerhet er slått av for tabellen {r[0]}." for r in rows) or ("ok",)


def _sequence_values(session: Session, table: str, count: int) -> list[int]:
    rows = session.execute(
        text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
            "FROM generate_series(1, :count) ORDER BY 1"
        ),
        {"table": table, "count": count},
    )
    return [int(r[0]) for r in rows]


def lock_submissions(session: Session) -> None:
    """Serialise submissions on a shared database (a no-op on the local file)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SUBMISSION_LOCK})


def make_server_engine(url: str, password: str | None = None) -> Engine:
    """An engine on a shared database; connections check the server's certificate."""
    engine = create_engine(
        server_url(url, password),
        pool_size=2,
        max_overflow=4,
        pool_pre_ping=True,
        connect_args={"connect_timeout": connect_timeout(url), "application_name": "jsdesk"},
    )

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            # Personal data never waits on a lock for ever; a stuck writer is reported.
            cursor.execute("SET lock_timeout = '10s'")
            cursor.execute("SET idle_in_transaction_session_timeout = '5min'")
        dbapi_connection.commit()

    return engine


@contextmanager
def translate_server_errors(url: str) -> Iterator[None]:
    """Failures of the shared database's environment as ``UserError`` in Bokmål. A refused
    login exits as a wrong passphrase for the local file does (2), a request the login's
    grants or row-level security refuse as a refused request (1); the rest as 5."""
    try:
        yield
    except DBAPIError as exc:
        kind = classify(exc)
        message = server_error_message(kind, url)
        if message is None:
            raise
        raise UserError(message, SERVER_EXIT_CODES.get(kind or "", ExitCode.DISK)) from exc


SERVER_EXIT_CODES = {"login": ExitCode.UNREADABLE, "denied": ExitCode.FAILED}


def server_error_message(kind: str | None, url: str) -> str | None:
    where = shown_url(url)
    return {
        "unreachable": (
            f"Fikk ikke kontakt med den felles databasen {where} (eller forbindelsen brøt). "
            "Sjekk nettverket, og at adressen og CA-sertifikatet er riktige. Det du hadde "
            "lagret før er uendret."
        ),
        "login": (
            f"Innloggingen til {where} ble avvist: feil brukernavn eller passord, "
            "innloggingen er ikke slått på, eller databasen finnes ikke. Be IT i kommunen "
            "om hjelp."
        ),
        "denied": (
            f"Du har ikke tilgang til dette i {where} (innloggingen din gjelder andre "
            "bydeler, eller handlingen krever en annen rolle). Ingenting er endret."
        ),
        "conflict": (
            f"En annen saksbehandler skrev til det samme i {where} i samme øyeblikk. "
            "Ingenting er endret; prøv igjen."
        ),
        "full": f"Databaseserveren {where} har ikke plass. Ingenting er endret. Kontakt IT.",
        "io": f"Databaseserveren {where} meldte en lese- eller skrivefeil. Kontakt IT.",
        "corrupt": f"Databaseserveren {where} meldte skadde data. Kontakt IT.",
        "readonly": f"Databasen {where} tar bare imot lesing nå. Ingenting er endret.",
    }.get(kind or "")


def set_login_password(conn: Connection, role_sql: str, user: str, password: str) -> None:
    """``ALTER ROLE role_sql PASSWORD`` with a SCRAM-SHA-256 verifier made here by libpq,
    so the password itself never stands in a statement (nor in the server's log)."""
    # psycopg loads only when a shared database is used, never for the local file
    # (89 modules, about 0.9 s on the loaded 2-core build machine).
    from psycopg import sql

    raw = conn.connection.driver_connection
    assert raw is not None
    verifier = raw.pgconn.encrypt_password(
        password.encode("utf-8"), user.encode("utf-8"), b"scram-sha-256"
    ).decode("ascii")
    statement = sql.SQL("ALTER ROLE {} PASSWORD {}").format(
        sql.SQL(role_sql) if role_sql == "CURRENT_USER" else sql.Identifier(role_sql),
        sql.Literal(verifier),
    )
    with raw.cursor() as cursor:
        cursor.execute(statement)


def postgres_client() -> str:
    """The PostgreSQL client in use: psycopg's compiled binding and its libpq's version.

    The frozen self-test asks it: the bundle's libpq loads (psycopg would otherwise fall
    back to a system libpq through ctypes, which a caseworker's machine does not have)."""
    # psycopg loads only when a shared database is used, never for the local file.
    try:
        from psycopg import pq
    except ImportError as exc:  # its own libpq did not load, and there is no other
        raise RuntimeError(f"psycopg finner ikke sin egen libpq ({exc})") from exc

    if pq.__impl__ != "binary":
        raise RuntimeError(f"psycopg bruker «{pq.__impl__}», ikke sin egen libpq")
    major, minor = divmod(pq.version(), 10000)
    return f"libpq {major}.{minor} (psycopg {pq.__impl__})"


def pg_dump_command(url: str) -> str:
    """The ``pg_dump`` command IT runs to back up a shared database."""
    parsed = make_url(_sqlalchemy_url(url))
    parts = ["pg_dump", "--format=custom", "--file=jsdesk-$(date +%F).dump"]
    if parsed.host:
        parts.append(f"--host={parsed.host}")
    if parsed.port:
        parts.append(f"--port={parsed.port}")
    parts.append("--username=EIER")
    parts.append(str(parsed.database or "jsdesk"))
    return " ".join(parts)
