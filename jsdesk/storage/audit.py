"""Append-only, hash-chained audit trail.

Each event's hash covers the previous event's hash, its own metadata and a
salted digest of its old and new value. Editing, inserting or deleting a row
breaks the chain at that row. Scrubbing a deleted participation's values removes
value and salt but keeps the digest, so the chain still verifies.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from jsdesk.errors import UserError
from jsdesk.storage.backend import backend_of, newest_audit_event
from jsdesk.storage.errors import restore_hint
from jsdesk.storage.files import key_file_path, write_atomic
from jsdesk.storage.keys import KeyFile
from jsdesk.storage.models import AuditEvent, utc_now
from jsdesk.storage.sessions import DatabaseCore

log = logging.getLogger("jsdesk.storage")

GENESIS = "0" * 64


def os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return os.environ.get("USERNAME") or os.environ.get("USER") or "ukjent"


def encode_value(value: object) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def value_digest(salt: bytes, old: str | None, new: str | None) -> str:
    payload = json.dumps([old, new], ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(salt + payload).hexdigest()


def event_hash(
    prev_hash: str,
    event_id: int,
    at: datetime,
    user: str,
    action: str,
    participation_id: int | None,
    variable: str | None,
    digest: str,
) -> str:
    fields = [prev_hash, event_id, at.isoformat(), user, action, participation_id, variable, digest]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewEvent:
    action: str
    participation_id: int | None = None
    variable: str | None = None
    old: object = None
    new: object = None


def append(
    session: Session,
    *,
    at: datetime,
    action: str,
    participation_id: int | None = None,
    variable: str | None = None,
    old: object = None,
    new: object = None,
) -> None:
    """Add one event to the chain (inside the caller's transaction)."""
    append_many(session, at, [NewEvent(action, participation_id, variable, old, new)])


def append_many(session: Session, at: datetime, events: Sequence[NewEvent]) -> None:
    """Add events in order to the chain with one multi-row insert."""
    if not events:
        return
    backend = backend_of(session)
    last = backend.audit_head(session)
    prev_hash = GENESIS if last is None else last[1]
    ids = backend.audit_ids(session, 0 if last is None else last[0], len(events))
    user = backend.audit_user(session) or os_user()
    rows: list[dict[str, object]] = []
    for event_id, event in zip(ids, events, strict=True):
        salt = os.urandom(16)
        old_text, new_text = encode_value(event.old), encode_value(event.new)
        digest = value_digest(salt, old_text, new_text)
        digest_hash = event_hash(
            prev_hash,
            event_id,
            at,
            user,
            event.action,
            event.participation_id,
            event.variable,
            digest,
        )
        rows.append(
            {
                "id": event_id,
                "at": at,
                "os_user": user,
                "action": event.action,
                "participation_id": event.participation_id,
                "variable": event.variable,
                "old_value": old_text,
                "new_value": new_text,
                "salt": salt,
                "value_digest": digest,
                "scrubbed": False,
                "prev_hash": prev_hash,
                "hash": digest_hash,
            }
        )
        prev_hash = digest_hash
    session.execute(insert(AuditEvent), rows)


def scrub(session: Session, participation_id: int) -> int:
    """Remove the values of every event about a participation; returns the count."""
    if session.get_bind().dialect.name == "postgresql":
        # Only the owner may touch the audit there: a function that runs as the owner.
        scrubbed = session.execute(
            text("SELECT jsdesk_audit_scrub(:pid)"), {"pid": participation_id}
        ).scalar_one()
        return int(scrubbed)
    result = session.execute(
        update(AuditEvent)
        .where(AuditEvent.participation_id == participation_id)
        .values(old_value=None, new_value=None, salt=None, scrubbed=True)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class ChainReport:
    events: int
    scrubbed: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


head = newest_audit_event  # (id, hash) of the newest event


def verify(session: Session, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Walk the whole chain; every problem names the event number.

    ``anchor`` is the newest event jsdesk saw when it last closed the database
    (kept outside it, in the key file): the chain alone cannot show that its
    newest events were removed, the anchor can.
    """
    problems: list[str] = []
    anchor_hash: str | None = None
    prev_hash = GENESIS
    expected_id = 1
    count = scrubbed = 0
    shared = session.get_bind().dialect.name == "postgresql"
    events: Any
    if shared:
        # The whole chain without its values (a caseworker may read only their own
        # units' values), then the values they may read. Ids come from a sequence and
        # may leave gaps; a removed event still breaks the chain (prev_hash).
        events = session.execute(text("SELECT * FROM jsdesk_audit_chain()"))
        problems += _verify_values(session)
    else:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000)
    for event in events:
        count += 1
        if event.id != expected_id and not shared:
            problems.append(f"Hendelse {expected_id} mangler i revisjonsloggen.")
        expected_id = event.id + 1
        if event.prev_hash != prev_hash:
            problems.append(f"Hendelse {event.id}: kjeden er brutt (forrige hash stemmer ikke).")
        if event.scrubbed:
            scrubbed += 1
        if not shared:
            problems += _value_problems(event)
        at = event.at if event.at.tzinfo is not None else event.at.replace(tzinfo=UTC)
        recomputed = event_hash(
            event.prev_hash,
            event.id,
            at,
            event.os_user,
            event.action,
            event.participation_id,
            event.variable,
            event.value_digest,
        )
        if recomputed != event.hash:
            problems.append(f"Hendelse {event.id}: innholdet er endret etter at det ble logget.")
        prev_hash = event.hash
        if anchor is not None and event.id == anchor[0]:
            anchor_hash = event.hash
    if anchor is not None:
        if expected_id - 1 < anchor[0]:
            problems.append(
                f"Hendelse {expected_id}–{anchor[0]} mangler: revisjonsloggen er kortere enn da "
                "jsdesk sist lukket databasen (de nyeste hendelsene er fjernet, eller databasen "
                "er byttet ut med en eldre kopi uten «jsdesk db restore»)."
            )
        elif anchor_hash != anchor[1]:
            problems.append(
                f"Hendelse {anchor[0]}: stemmer ikke med det jsdesk lagret da databasen sist "
                "ble lukket."
            )
    return ChainReport(events=count, scrubbed=scrubbed, problems=tuple(problems))


def _value_problems(event: AuditEvent) -> list[str]:
    if event.scrubbed:
        if event.old_value is not None or event.new_value is not None:
            return [f"Hendelse {event.id}: slettede verdier er fortsatt lagret."]
    elif event.salt is None or value_digest(event.salt, event.old_value, event.new_value) != (
        event.value_digest
    ):
        return [f"Hendelse {event.id}: verdiene er endret etter at de ble logget."]
    return []


def _verify_values(session: Session) -> list[str]:
    problems: list[str] = []
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        problems += _value_problems(event)
    return problems


AUDIT_ANCHOR = "audit_head"  # key-file entry of earlier versions: newest event at close


def anchor_file_path(db_path: Path) -> Path:
    """``<database>.anker``: the newest audit event, rewritten after every write."""
    return db_path.with_name(db_path.name + ".anker")


class AuditMixin(DatabaseCore):
    """The audit chain of ``Database``: events outside record changes, the anchor, checks.

    The anchor (newest event after every committed write) is kept outside the
    database in ``<database>.anker``, so that cutting the chain's end off is detected.
    """

    def _record_event(self, action: str, **fields: Any) -> None:
        """One audit event in its own transaction (for changes that are not records)."""
        with self.write() as session:
            append(session, at=utc_now(), action=action, **fields)

    def record_package_installed(self, name: str, version: str, valid_from: date) -> None:
        """An audit event for an update package installed while this database was open."""
        self._record_event(
            "oppdateringspakke installert",
            new={"pakke": name, "versjon": version, "gyldig_fra": valid_from.isoformat()},
        )

    def _save_audit_anchor(self, *, force: bool = False) -> None:
        """Move the anchor to the newest event, unless the chain no longer reaches it.

        The anchor lives outside the database (``<database>.anker``) and follows
        every committed write, so a database that comes back with fewer events
        (WAL frames dropped after a crash, an older copy put in its place) is
        noticed at the next open. It is replaced by rename without fsync: after a
        power loss it can only be older (or unreadable, then the key file's
        anchor from earlier versions is used), never ahead of the database.
        """
        old = None if force else self._audit_anchor()
        with self.read() as session:
            newest = head(session)
            if old is not None:
                at_old = session.get(AuditEvent, old[0])
                if at_old is None or at_old.hash != old[1]:
                    return  # the chain was cut or changed: keep the evidence for db check
        if newest is None:
            return
        data = json.dumps({"id": newest[0], "hash": newest[1]}).encode("ascii")
        write_atomic(anchor_file_path(self.path), data, durable=False)

    def _after_commit(self) -> None:
        # The open checked that the chain reaches the anchor, and writes only
        # append: the newest event is the new anchor without checking again.
        self._anchor_quietly(checked=True)

    def _anchor_quietly(self, *, checked: bool = False) -> None:
        if self.backend.shared:
            return  # the shared database's history is the server's (and its backups')
        if self.damage is not None:
            return  # keep the anchor that shows what is missing
        try:
            self._save_audit_anchor(force=checked)
        except (UserError, OSError):
            log.warning("Could not record the audit anchor")

    def _audit_anchor(self) -> tuple[int, str] | None:
        if self.backend.shared:
            return None
        raw: object = None
        try:
            raw = json.loads(anchor_file_path(self.path).read_bytes())
        except (OSError, ValueError):
            try:
                raw = KeyFile.read(key_file_path(self.path)).extra.get(AUDIT_ANCHOR)
            except UserError:
                return None
        if (
            isinstance(raw, dict)
            and isinstance(raw.get("id"), int)
            and isinstance(raw.get("hash"), str)
        ):
            return raw["id"], raw["hash"]
        return None

    def _behind_anchor(self) -> str | None:
        """A message when the database has lost events the anchor saw, else None."""

        anchor = self._audit_anchor()
        if anchor is None:
            return None
        with self.read() as session:
            newest = head(session)
            at_anchor = session.get(AuditEvent, anchor[0])
            at_anchor_hash = None if at_anchor is None else at_anchor.hash
        hint = restore_hint(self.path)
        newest_id = 0 if newest is None else newest[0]
        if newest_id < anchor[0]:
            missing = anchor[0] - newest_id
            return (
                f"Databasen {self.path} mangler de {missing} nyeste endringene (revisjonsloggen "
                f"slutter ved hendelse {newest_id}, men jsdesk har sett hendelse {anchor[0]}). "
                "De kan ha gått tapt ved et krasj med skade på disken, eller en eldre kopi er "
                "lagt på plass uten «jsdesk db restore». Det lages ingen ny sikkerhetskopi før "
                f"dette er ordnet, så de eldre er beholdt. {hint}"
            )
        if at_anchor_hash != anchor[1]:
            return (
                f"Revisjonsloggen i {self.path} stemmer ikke med det jsdesk sist så (hendelse "
                f"{anchor[0]}): databasen er byttet ut eller endret utenfor jsdesk. Det lages "
                f"ingen ny sikkerhetskopi før dette er ordnet. {hint}"
            )
        return None

    def verify_audit(self) -> ChainReport:
        anchor = self._audit_anchor()
        with self.read() as session:
            return verify(session, anchor)
