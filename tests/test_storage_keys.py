"""Passphrase, recovery key, wrong passphrase delay, passphrase change."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from storage_helpers import PASSPHRASE, db_key, new_db, record

from jsdesk.errors import UserError
from jsdesk.storage import Database
from jsdesk.storage.keys import KeyFile, Slot, failure_delay, key_file_path


def test_unlock__passphrase_or_recovery_key__both_open_the_same_data(tmp_path: Path) -> None:
    db, recovery = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(1), form_version="2023.1")
    with Database.open(db.path, PASSPHRASE) as again:
        assert again.get_participation(pid).values["fodselsnummer"] == record(1)["fodselsnummer"]
    with Database.open(db.path, recovery.lower().replace("-", " ")) as again:
        assert again.count_participations() == 1


def test_unlock__wrong_passphrase__clear_message_and_growing_delay(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    db.close()
    with pytest.raises(UserError) as first:
        Database.open(db.path, "ikke riktig passordfrase")
    assert "Feil passordfrase" in first.value.message
    assert "gjenopprettingsnøkkel" in first.value.message
    assert KeyFile.read(key_file_path(db.path)).failed_attempts == 1
    assert Database.unlock_delay(db.path) == failure_delay(1) > 0

    started = time.monotonic()
    with pytest.raises(UserError) as second:
        Database.open(db.path, "fortsatt feil passordfrase")
    assert time.monotonic() - started >= failure_delay(1)
    assert "2 mislykket forsøk" in second.value.message
    assert KeyFile.read(key_file_path(db.path)).failed_attempts == 2
    assert failure_delay(3) > failure_delay(2) > failure_delay(1) > 0

    with Database.open(db.path, PASSPHRASE):
        pass
    assert KeyFile.read(key_file_path(db.path)).failed_attempts == 0


def test_create__short_passphrase__refused_with_length(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="minst 12 tegn"):
        Database.create(tmp_path / "j.db", "kort", kommunenummer="0301", bydel="030101")
    assert not (tmp_path / "j.db").exists()


def test_change_passphrase__rewraps_only__old_fails_new_and_recovery_work(tmp_path: Path) -> None:
    db, recovery = new_db(tmp_path)
    with db:
        db.create_participation(record(2), form_version="2023.1")
    key_before = db_key(db.path)
    with Database.open(db.path, recovery) as opened:  # the old passphrase is not needed
        opened.change_passphrase("et helt nytt passord 2026")
    # Same database key: nothing was re-encrypted, only the wrapping changed.
    assert db_key(db.path, "et helt nytt passord 2026") == key_before
    with pytest.raises(UserError):
        Database.open(db.path, PASSPHRASE)
    with Database.open(db.path, "et helt nytt passord 2026") as again:
        assert again.count_participations() == 1
    with Database.open(db.path, recovery) as again:
        assert again.count_participations() == 1


def test_key_file__new_database__passphrase_slot_uses_owasp_scrypt_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the production cost, not conftest's quicker one
    db, _ = new_db(tmp_path)
    db.close()
    slots = json.loads(key_file_path(db.path).read_text(encoding="utf-8"))
    assert (slots["passphrase"]["n"], slots["passphrase"]["r"], slots["passphrase"]["p"]) == (
        2**17,
        8,
        1,
    )
    assert slots["recovery"]["n"] >= 2**15


def test_key_file__made_with_cheaper_scrypt__opens_and_new_passphrase_gets_current_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the production cost, not conftest's quicker one
    db, recovery = new_db(tmp_path)
    with db:
        db.create_participation(record(3), form_version="2023.1")
        key = db.key
    key_path = key_file_path(db.path)
    old = KeyFile.read(key_path)
    old.passphrase = Slot.wrap(key, PASSPHRASE, "passphrase", n=2**14)  # as an earlier jsdesk
    old.write(key_path)
    with Database.open(db.path, PASSPHRASE) as again:
        assert again.count_participations() == 1
        again.change_passphrase("en helt ny passordfrase")
    assert KeyFile.read(key_path).passphrase.n == 2**17
    with Database.open(db.path, "en helt ny passordfrase") as reopened:
        assert reopened.count_participations() == 1
    with Database.open(db.path, recovery) as by_recovery:
        assert by_recovery.count_participations() == 1
