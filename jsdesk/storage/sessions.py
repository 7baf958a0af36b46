"""An open database's engine and sessions: one write transaction, reads, the overview's connection.

``DatabaseCore`` is the base every part of ``Database`` builds on (see
:mod:`jsdesk.storage.database`): it holds the engine, the key and the lock, and
hands out sessions. One session per user action, opened by the caller.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from jsdesk.errors import UserError
from jsdesk.storage.backend import Backend, SqliteBackend

if TYPE_CHECKING:
    from jsdesk.storage.settings import Settings


class DatabaseCore:
    """Engine, key, lock and sessions of an open database."""

    def __init__(
        self, path: Path, key: bytes, engine: Engine, lock: Any, backend: Backend | None = None
    ) -> None:
        self.path = path
        self.backend: Backend = backend or SqliteBackend(path)
        self._lock = lock
        self._query_conn: Connection | None = None
        self._query_lock = threading.Lock()
        self._bind(key, engine)
        self._settings: Settings | None = None
        self.backup_problem: str | None = None  # set when today's backup failed on open
        self.damage: str | None = None  # set when a check found the database damaged
        self.rekey_problem: str | None = None  # backups left under the old key
        self._closed = False

    def _bind(self, key: bytes, engine: Engine) -> None:
        """Use ``engine`` (on the database encrypted with ``key``) for every session."""
        self._key = key
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_engine = engine.execution_options(jsdesk_read=True)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        self._query_engine = engine.execution_options(
            jsdesk_read=True, jsdesk_single_statement=True
        )

    def _translate(self) -> AbstractContextManager[None]:
        """Failures of the environment as ``UserError`` (each back end its own)."""
        return self.backend.translate()

    def _after_commit(self) -> None:
        """Called after every committed write (the audit part moves its anchor)."""

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._translate(), self._read_sessions() as session:
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection for one read-only statement (no ORM session, no BEGIN).

        Each statement is its own snapshot: run several statements that must
        agree with each other in ``read()`` instead. The overview asks often,
        so one connection stays open for it (its page cache stays warm and no
        pool checkout is paid); a second thread asking at the same time gets a
        pooled connection instead of waiting.
        """
        if not self._query_lock.acquire(blocking=False):
            with self._translate(), self._query_connect() as conn:
                yield conn
            return
        try:
            with self._translate():
                if self._query_conn is None:
                    self._query_conn = self._query_connect()
                try:
                    # No BEGIN was issued (see connection.py), so SQLite holds no
                    # transaction open between calls; no rollback is needed.
                    yield self._query_conn
                except BaseException:
                    self._close_query_connection()
                    raise
        finally:
            self._query_lock.release()

    def _query_connect(self) -> Connection:
        """A connection for overview queries.

        On the shared database it runs in autocommit: one statement, one snapshot, as on
        SQLite, and no BEGIN and ROLLBACK around each query (two round trips to the server
        of the four it took). Set on the connection, not the engine: SQLAlchemy 2.0.2 (the
        floor) cannot take ``isolation_level`` in an engine's ``execution_options``.
        """
        conn = self._query_engine.connect()
        if self.backend.shared:
            conn.execution_options(isolation_level="AUTOCOMMIT")
        return conn

    def _close_query_connection(self) -> None:
        conn, self._query_conn = self._query_conn, None
        if conn is not None:
            conn.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction, committed (on disk: WAL + synchronous=FULL) on exit."""
        try:
            with self._translate(), self._sessions() as session, session.begin():
                yield session
        except StaleDataError:
            # Another writer changed the participation between read and write (only on
            # a shared database): nothing of this transaction was stored.
            raise UserError(
                "En annen saksbehandler lagret den samme deltakelsen i samme øyeblikk. "
                "Ingenting av dette ble lagret; åpne den på nytt og prøv igjen.",
                1,
            ) from None
        self._after_commit()
