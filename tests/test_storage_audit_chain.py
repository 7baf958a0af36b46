"""The audit chain's own rules, on an in-memory table: what is stored, the stable hash format
(databases written earlier must keep verifying), and every kind of tampering named.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, delete, select, update
from sqlalchemy.orm import Session

from jsdesk.storage import audit
from jsdesk.storage.audit import GENESIS, NewEvent, append, append_many, scrub, verify
from jsdesk.storage.models import AuditEvent

AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.setattr(audit, "os_user", lambda: "saksbehandler")
    engine = create_engine("sqlite://")
    AuditEvent.__table__.create(engine)  # type: ignore[attr-defined]
    with Session(engine) as opened:
        yield opened
    engine.dispose()


def _events(session: Session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _three(session: Session) -> None:
    append_many(
        session,
        AT,
        [
            NewEvent("opprettet", 7),
            NewEvent("endret", 7, "kommunenavn", old="Asker", new="Bærum"),
            NewEvent("endret", 7, "tiltak", old=None, new={"b": 1, "a": [2]}),
        ],
    )


def test_format__known_inputs__same_digests_as_databases_already_written() -> None:
    # Changing how values or events are hashed would make every existing audit trail fail
    # its check: these values come from the format as shipped.
    digest = audit.value_digest(
        bytes(16), audit.encode_value("Bærum"), audit.encode_value({"b": 1, "a": [2]})
    )
    assert digest == "e466e1e5dcf48730a0913e59947d44411f15481d01be349e81c02ed8be12147f"
    assert (
        audit.event_hash(GENESIS, 1, AT, "saksbehandler", "endret", 7, "kommunenavn", digest)
        == "7df43ee25e3815abf87d1dbe274b42e56481ccb2fce612ae12d61f2ba08d628d"
    )
    assert (
        audit.event_hash(digest, 2, AT, "saksbehandler", "opprettet", None, None, digest)
        == "b8e9e45b35aae904458cef8824839b22983a0a879d67b80ea956cb6aeee5e7c6"
    )
    # A Windows user name with Norwegian letters is hashed as UTF-8, not as \u escapes.
    assert (
        audit.event_hash(digest, 3, AT, "bjørn", "endret", 7, "kommunenavn", digest)
        == "857e03b3869423dc2bbbeeaf920500552a3fc8313db51d5e37ed38ceb4282085"
    )


def test_encode_value__readable_letters_sorted_keys_and_none() -> None:
    assert audit.encode_value("Bærum") == '"Bærum"'
    assert audit.encode_value({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    assert audit.encode_value(None) is None
    assert audit.encode_value(0) == "0"


def test_os_user__getpass_fails__environment_then_ukjent(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise OSError("ingen bruker")

    monkeypatch.setattr(getpass, "getuser", lambda: "kari")
    assert audit.os_user() == "kari"
    monkeypatch.setattr(getpass, "getuser", broken)
    monkeypatch.setenv("USERNAME", "ola")
    monkeypatch.setenv("USER", "per")
    assert audit.os_user() == "ola"
    monkeypatch.delenv("USERNAME")
    assert audit.os_user() == "per"
    monkeypatch.delenv("USER")
    assert audit.os_user() == "ukjent"


def test_append__events_stored_in_order_linked_from_genesis(session: Session) -> None:
    _three(session)
    append(session, at=AT, action="slettet", participation_id=7)
    events = _events(session)
    assert [e.id for e in events] == [1, 2, 3, 4]
    assert [e.action for e in events] == ["opprettet", "endret", "endret", "slettet"]
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert (events[1].old_value, events[1].new_value) == ('"Asker"', '"Bærum"')
    assert events[1].variable == "kommunenavn" and events[1].participation_id == 7
    assert events[2].new_value == '{"a": [2], "b": 1}'
    assert {e.os_user for e in events} == {"saksbehandler"}
    assert all(e.at.replace(tzinfo=UTC) == AT for e in events)
    assert len({e.salt for e in events}) == 4 and all(len(e.salt or b"") == 16 for e in events)
    assert not any(e.scrubbed for e in events)
    report = verify(session)
    assert report.ok and report.events == 4 and report.scrubbed == 0


def test_append__one_event__every_field_stored_as_given(session: Session) -> None:
    append(session, at=AT, action="slettet", participation_id=9)
    append(session, at=AT, action="endret", participation_id=7, variable="tiltak", old=1, new=2)
    first, second = _events(session)
    assert (first.action, first.participation_id, first.variable) == ("slettet", 9, None)
    assert (first.old_value, first.new_value) == (None, None)
    assert (second.action, second.participation_id, second.variable) == ("endret", 7, "tiltak")
    assert (second.old_value, second.new_value) == ("1", "2")
    assert verify(session).ok


def test_append_many__nothing__no_event(session: Session) -> None:
    append_many(session, AT, [])
    assert _events(session) == []
    assert verify(session).events == 0


def test_verify__value_changed__named(session: Session) -> None:
    _three(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == 2).values(new_value='"Oslo"'))
    assert verify(session).problems == ("Hendelse 2: verdiene er endret etter at de ble logget.",)


def test_verify__metadata_changed__named(session: Session) -> None:
    _three(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == 3).values(os_user="mallory"))
    assert verify(session).problems == ("Hendelse 3: innholdet er endret etter at det ble logget.",)


def test_verify__event_removed__gap_and_broken_chain_named(session: Session) -> None:
    _three(session)
    session.execute(delete(AuditEvent).where(AuditEvent.id == 2))
    problems = verify(session).problems
    assert "Hendelse 2 mangler i revisjonsloggen." in problems
    assert "Hendelse 3: kjeden er brutt (forrige hash stemmer ikke)." in problems


def test_scrub__values_gone_chain_still_verifies(session: Session) -> None:
    _three(session)
    append_many(session, AT, [NewEvent("endret", 8, "kommunenavn", old="A", new="B")])
    assert scrub(session, 7) == 3
    events = _events(session)
    assert [e.scrubbed for e in events] == [True, True, True, False]
    assert events[1].old_value is None and events[1].salt is None
    assert events[3].new_value == '"B"'
    report = verify(session)
    assert report.ok and report.scrubbed == 3


def test_verify__scrubbed_but_value_left__named(session: Session) -> None:
    _three(session)
    scrub(session, 7)
    session.execute(update(AuditEvent).where(AuditEvent.id == 2).values(new_value='"Bærum"'))
    assert "Hendelse 2: slettede verdier er fortsatt lagret." in verify(session).problems


def test_verify__anchor__newest_removed_or_replaced_named(session: Session) -> None:
    _three(session)
    newest = audit.head(session)
    assert newest is not None and newest[0] == 3
    assert verify(session, newest).ok
    assert verify(session, (2, _events(session)[1].hash)).ok
    assert verify(session, (5, "0" * 64)).problems == (
        "Hendelse 4–5 mangler: revisjonsloggen er kortere enn da jsdesk sist lukket databasen "
        "(de nyeste hendelsene er fjernet, eller databasen er byttet ut med en eldre kopi uten "
        "«jsdesk db restore»).",
    )
    assert verify(session, (3, "f" * 64)).problems == (
        "Hendelse 3: stemmer ikke med det jsdesk lagret da databasen sist ble lukket.",
    )


def test_head__empty__none(session: Session) -> None:
    assert audit.head(session) is None
