"""Passphrase, recovery key, wrong passphrase delay, passphrase change."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

import pytest
from storage_helpers import PASSPHRASE, db_key, new_db, record

from jsdesk.errors import UserError
from jsdesk.storage import Database
from jsdesk.storage.keys import KeyFile, failure_delay, key_file_path, normalise_recovery_key


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


def test_key_file__new_database__both_slots_use_owasp_argon2id_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the production cost, not conftest's quicker one
    db, _ = new_db(tmp_path)
    db.close()
    slots = json.loads(key_file_path(db.path).read_text(encoding="utf-8"))
    for name in ("passphrase", "recovery"):
        slot = slots[name]
        assert slot["kdf"] == "argon2id"
        # OWASP: m=19 MiB (19456 KiB), t=2, p=1.
        assert (slot["memory_kib"], slot["iterations"], slot["lanes"]) == (19456, 2, 1)
        assert "n" not in slot


def scrypt_slot(key: bytes, secret: str, label: str) -> dict[str, object]:
    """A slot exactly as jsdesk wrote it before Argon2id (scrypt, parameters n/r/p)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt, nonce = os.urandom(16), os.urandom(12)
    kek = Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(secret.encode("utf-8"))
    return {
        "kdf": "scrypt",
        "n": 2**14,
        "r": 8,
        "p": 1,
        "salt": base64.b64encode(salt).decode("ascii"),
        "cipher": "aes-256-gcm",
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "wrapped": base64.b64encode(AESGCM(kek).encrypt(nonce, key, label.encode("ascii"))).decode(
            "ascii"
        ),
    }


def write_scrypt_key_file(db_path: Path, key: bytes, passphrase: str, recovery: str) -> None:
    """Replace the key file with one as an earlier jsdesk wrote it (both slots scrypt)."""
    key_path = key_file_path(db_path)
    data = json.loads(key_path.read_text(encoding="utf-8"))
    data["passphrase"] = scrypt_slot(key, passphrase, "passphrase")
    data["recovery"] = scrypt_slot(key, normalise_recovery_key(recovery), "recovery")
    key_path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def test_key_file__written_with_scrypt__opens_and_new_passphrase_upgrades_to_argon2id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the production cost, not conftest's quicker one
    db, recovery = new_db(tmp_path)
    with db:
        db.create_participation(record(3), form_version="2023.1")
        key = db.key
    write_scrypt_key_file(db.path, key, PASSPHRASE, recovery)
    key_path = key_file_path(db.path)
    on_disk = json.loads(key_path.read_text(encoding="utf-8"))
    assert on_disk["passphrase"]["kdf"] == on_disk["recovery"]["kdf"] == "scrypt"
    assert on_disk["passphrase"]["n"] == 2**14
    with Database.open(db.path, PASSPHRASE) as again:
        assert again.count_participations() == 1
        again.change_passphrase("en helt ny passordfrase")
    upgraded = json.loads(key_path.read_text(encoding="utf-8"))
    assert upgraded["passphrase"]["kdf"] == "argon2id"
    assert (
        upgraded["passphrase"]["memory_kib"],
        upgraded["passphrase"]["iterations"],
        upgraded["passphrase"]["lanes"],
    ) == (19456, 2, 1)
    assert upgraded["recovery"]["kdf"] == "scrypt"  # untouched, and still opens below
    with Database.open(db.path, "en helt ny passordfrase") as reopened:
        assert reopened.count_participations() == 1
    with Database.open(db.path, recovery) as by_recovery:
        assert by_recovery.count_participations() == 1


def test_unlock__cryptography_without_argon2id__clear_message_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.kdf import argon2

    db, _ = new_db(tmp_path)
    db.close()

    def unsupported(**_kwargs: object) -> None:
        raise UnsupportedAlgorithm("Argon2id is not supported by this version of OpenSSL.")

    monkeypatch.setattr(argon2, "Argon2id", unsupported)
    with pytest.raises(UserError, match="Argon2id") as error:
        Database.open(db.path, PASSPHRASE)
    assert "Installer jsdesk på nytt" in error.value.message
    assert KeyFile.read(key_file_path(db.path)).failed_attempts == 0  # not a wrong passphrase
    monkeypatch.undo()
    with Database.open(db.path, PASSPHRASE) as again:  # nothing left locked or changed
        assert again.count_participations() == 0
