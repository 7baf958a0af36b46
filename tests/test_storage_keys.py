"""Passphrase, recovery key, wrong passphrase delay, passphrase change.

SQLite only: the key file and its slots unlock the local file; on a shared database each
caseworker logs in with their own database login.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import PASSPHRASE, db_key, new_db, record

from jsdesk.errors import UserError
from jsdesk.storage import Database
from jsdesk.storage.backup import check_file, daily_backups, export_rekeyed
from jsdesk.storage.files import key_file_path
from jsdesk.storage.keys import KeyFile, Slot, failure_delay, normalise_recovery_key

pytestmark = pytest.mark.sqlite_only


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


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(failed_attempts=10**400), "failed_attempts"),
        (lambda d: d.update(failed_attempts=-1), "failed_attempts"),
        (lambda d: d["passphrase"].update(iterations=1e9), "passphrase.iterations"),
        (lambda d: d["passphrase"].update(iterations=10**9), "passphrase.iterations"),
        (lambda d: d["passphrase"].update(memory_kib=2**40), "passphrase.memory_kib"),
        (lambda d: d["recovery"].update(lanes=0), "recovery.lanes"),
        (lambda d: d["passphrase"].update(lanes=True), "passphrase.lanes"),
        (lambda d: d["passphrase"].update(nonce=base64.b64encode(b"abc").decode()), "nonce"),
        (lambda d: d["passphrase"].update(salt="ikke base64!"), "passphrase.salt"),
        (lambda d: d["recovery"].update(wrapped=base64.b64encode(b"x" * 9).decode()), "wrapped"),
        (lambda d: d["passphrase"].pop("salt"), "passphrase.salt"),
        (lambda d: d.update(recovery="tekst"), "recovery"),
        (
            lambda d: d.update(
                passphrase={"kdf": "scrypt", "n": 3, "r": 8, "p": 1, **_slot_bytes(d)}
            ),
            "passphrase.n",
        ),
        (
            lambda d: d.update(
                passphrase={"kdf": "scrypt", "n": 2**40, "r": 8, "p": 1, **_slot_bytes(d)}
            ),
            "passphrase.n",
        ),
    ],
)
def test_key_file__field_out_of_bounds__refused_before_use_naming_the_field(
    tmp_path: Path, change: Any, field: str
) -> None:
    db, _ = new_db(tmp_path)
    db.close()
    key_path = key_file_path(db.path)
    data = json.loads(key_path.read_text(encoding="utf-8"))
    change(data)
    key_path.write_text(json.dumps(data), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(UserError) as caught:
        Database.open(db.path, PASSPHRASE)
    assert time.monotonic() - started < 5, "a damaged key file must not make the unlock hang"
    assert caught.value.exit_code == 2
    assert "Nøkkelfilen" in caught.value.message and "skadet" in caught.value.message
    assert field in caught.value.message
    assert "Traceback" not in caught.value.message


def _slot_bytes(data: dict[str, Any]) -> dict[str, str]:
    slot = data["passphrase"]
    return {k: slot[k] for k in ("salt", "nonce", "wrapped", "cipher")}


def test_key_file__huge_or_deep_json__refused_with_message(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    db.close()
    key_path = key_file_path(db.path)
    for text in ("[" * 100_000 + "]" * 100_000, '{"format": 1' + ", " * 0 + "}" + " " * 2_000_000):
        key_path.write_text(text, encoding="utf-8")
        with pytest.raises(UserError, match="Nøkkelfilen") as caught:
            Database.open(db.path, PASSPHRASE)
        assert caught.value.exit_code == 2


# --- re-keying ---------------------------------------------------------------------------------


NEW_PASSPHRASE = "en helt ny og hemmelig frase"


def test_change_passphrase__without_rekey__old_key_file_copy_still_opens_with_old_passphrase(
    tmp_path: Path,
) -> None:
    """What a plain passphrase change does NOT protect against (documented, and shown)."""
    db, _ = new_db(tmp_path)
    db.close()
    stolen = key_file_path(db.path).read_bytes()  # e.g. next to a backup on a USB stick
    with Database.open(db.path, PASSPHRASE) as opened:
        assert opened.change_passphrase(NEW_PASSPHRASE) is None
    key_file_path(db.path).write_bytes(stolen)
    with Database.open(db.path, PASSPHRASE, daily_backup=False) as opened:
        assert opened.count_participations() == 0


def test_change_passphrase__rekey__old_key_file_copy_and_old_recovery_key_open_nothing(
    tmp_path: Path,
) -> None:
    db, old_recovery = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(1), form_version="2023.1")
        db.ensure_daily_backup()
    stolen = key_file_path(db.path).read_bytes()
    with Database.open(db.path, PASSPHRASE, daily_backup=False) as opened:
        old_key = opened.key
        recovery = opened.change_passphrase(NEW_PASSPHRASE, rekey=True)
        assert recovery is not None and recovery != old_recovery
        assert opened.key != old_key
        assert opened.get_participation(pid).values["fodselsnummer"] == record(1)["fodselsnummer"]
        assert opened.rekey_problem is None
    for secret in (PASSPHRASE, old_recovery):
        with pytest.raises(UserError):
            Database.open(db.path, secret, daily_backup=False)
    good_key_file = key_file_path(db.path).read_bytes()
    key_file_path(db.path).write_bytes(stolen)
    with pytest.raises(UserError):
        Database.open(db.path, PASSPHRASE, daily_backup=False)
    key_file_path(db.path).write_bytes(good_key_file)
    for secret in (NEW_PASSPHRASE, recovery):
        with Database.open(db.path, secret, daily_backup=False) as opened:
            report = opened.check()
            assert report.ok, report
            assert opened.damage is None
            new_key = opened.key
    # The backups were re-encrypted too: the new key opens them, the old one does not.
    (daily,) = daily_backups(db.path)
    assert not check_file(daily, new_key)
    assert check_file(daily, old_key)
    restored_from = daily
    Database.restore(db.path, restored_from, NEW_PASSPHRASE)
    with Database.open(db.path, NEW_PASSPHRASE, daily_backup=False) as opened:
        assert opened.count_participations() == 1


@pytest.mark.parametrize("swapped", [False, True], ids=["for-bytte", "etter-bytte"])
def test_rekey__interrupted_by_a_crash__next_open_settles_on_the_key_the_file_takes(
    tmp_path: Path, swapped: bool
) -> None:
    db, _ = new_db(tmp_path)
    with db:
        db.create_participation(record(2), form_version="2023.1")
        old_key = db.key
    key_path = key_file_path(db.path)
    key_file = KeyFile.read(key_path)
    new_key = os.urandom(32)
    key_file.set_pending(
        (Slot.wrap(new_key, NEW_PASSPHRASE, "passphrase"), Slot.wrap(new_key, "X" * 32, "recovery"))
    )
    key_file.write(key_path)
    if swapped:  # killed after the re-encrypted file was renamed into place
        staging = tmp_path / "ny.db"
        export_rekeyed(db.path, old_key, staging, new_key)
        os.replace(staging, db.path)
    secret = NEW_PASSPHRASE if swapped else PASSPHRASE
    with Database.open(db.path, secret, daily_backup=False) as opened:
        assert opened.key == (new_key if swapped else old_key)
        assert opened.count_participations() == 1
    settled = KeyFile.read(key_path)
    assert settled.pending() is None
    assert settled.unlock(secret) == (new_key if swapped else old_key)
