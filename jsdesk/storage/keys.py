"""The key file beside the database: a random database key wrapped twice.

The database is encrypted (SQLCipher) with a random 256-bit key. That key is
stored in ``<database>.keys`` (JSON, not secret by itself) wrapped with AES-GCM
under two keys derived with Argon2id: one from the passphrase and one from the
recovery key (key files from earlier versions may hold scrypt slots; they still
open). Either unlocks the database; changing the passphrase rewraps the
database key and re-encrypts nothing. The file also keeps the count of failed
unlock attempts so the delay grows across restarts.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf import argon2
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from jsdesk.errors import UserError
from jsdesk.storage import backup
from jsdesk.storage.backup import opens_with
from jsdesk.storage.connection import make_engine
from jsdesk.storage.errors import environment_error, translate_errors
from jsdesk.storage.files import backup_dir, fsync_dir, key_file_path, write_atomic
from jsdesk.storage.sessions import DatabaseCore

log = logging.getLogger("jsdesk.storage")

MIN_PASSPHRASE_LENGTH = 12
KEY_FILE_FORMAT = 1
# New slots derive their key with Argon2id at OWASP's first recommended setting
# (m=19 MiB, t=2, p=1; about as costly to an attacker as m=46 MiB, t=1, and it
# keeps the memory of an unlock small). A stolen laptop's key file must not let
# an attacker try passphrases quickly. The recovery key is 160 random bits, which
# no one can guess at any cost, so its slot simply uses the same setting. Each
# slot records its derivation and parameters: key files made with other values
# (earlier versions used scrypt) still open, and changing the passphrase rewraps
# with the current ones.
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_ITERATIONS = 2
ARGON2_LANES = 1
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
RECOVERY_GROUPS = 8
RECOVERY_GROUP_LENGTH = 4
MAX_DELAY_SECONDS = 30.0
# Key-file entry present while the recovery key has not been confirmed as written down.
RECOVERY_UNCONFIRMED = "recovery_unconfirmed"
# Sane bounds for every number a key file carries. A damaged or hostile key file
# must not make an unlock hang (iterations=1e9), exhaust memory (2^40 KiB) or
# crash on a huge integer; anything outside these bounds is refused before use.
KDF_BOUNDS: dict[str, dict[str, tuple[int, int]]] = {
    "argon2id": {
        "memory_kib": (8, 1024 * 1024),  # at most 1 GiB
        "iterations": (1, 64),
        "lanes": (1, 16),
    },
    "scrypt": {"n": (2, 2**20), "r": (1, 8), "p": (1, 4)},  # at most 1 GiB
}
SALT_BYTES = (16, 64)
NONCE_BYTES = 12  # AES-GCM
WRAPPED_BYTES = 32 + 16  # a 256-bit key and the GCM tag
MAX_FAILED_ATTEMPTS = 1_000_000
MAX_KEY_FILE_BYTES = 1024 * 1024
REKEY_PENDING = "rekey_pending"  # key-file entry while the database key is being replaced


def check_passphrase(passphrase: str) -> None:
    """Refuse passphrases that are too short, with a message for the user."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise UserError(
            f"Passordfrasen må ha minst {MIN_PASSPHRASE_LENGTH} tegn "
            f"(den har {len(passphrase)}). Velg en lengre passordfrase.",
            2,
        )


def new_recovery_key() -> str:
    """A recovery key like ``ABCD-EFGH-…`` (8 groups of 4, 160 bits)."""
    groups = (
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
        for _ in range(RECOVERY_GROUPS)
    )
    return "-".join(groups)


def normalise_recovery_key(text: str) -> str:
    """Accept the recovery key with or without dashes, spaces and case."""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(
        compact[i : i + RECOVERY_GROUP_LENGTH]
        for i in range(0, len(compact), RECOVERY_GROUP_LENGTH)
    )


def failure_delay(failures: int) -> float:
    """Seconds to wait after the given number of consecutive failed attempts."""
    if failures <= 0:
        return 0.0
    if failures > 16:
        return MAX_DELAY_SECONDS
    return float(min(0.5 * 2 ** (failures - 1), MAX_DELAY_SECONDS))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


ARGON2ID = "argon2id"
SCRYPT = "scrypt"
# The parameters each derivation records in the key file.
KDF_PARAMETERS = {ARGON2ID: ("memory_kib", "iterations", "lanes"), SCRYPT: ("n", "r", "p")}


def _derive(secret: str, salt: bytes, kdf: str, params: dict[str, int]) -> bytes:
    """The 256-bit key derived from ``secret`` with ``kdf`` ("argon2id" or "scrypt")."""
    normalised = unicodedata.normalize("NFC", secret).encode("utf-8")
    if kdf == ARGON2ID:
        try:
            derivation = argon2.Argon2id(
                salt=salt,
                length=32,
                iterations=params["iterations"],
                lanes=params["lanes"],
                memory_cost=params["memory_kib"],
            )
        except UnsupportedAlgorithm:
            # cryptography built against an OpenSSL without Argon2 (before 3.2).
            raise UserError(
                "Denne installasjonen av jsdesk kan ikke bruke nøkkelutledningen Argon2id "
                "(pakken «cryptography» eller OpenSSL er for gammel). Installer jsdesk på "
                "nytt fra den offisielle pakken.",
                1,
            ) from None
        return derivation.derive(normalised)

    return Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"]).derive(
        normalised
    )


def current_kdf() -> tuple[str, dict[str, int]]:
    """The derivation and parameters new slots use (read at call time, so tests can lower them)."""
    return ARGON2ID, {
        "memory_kib": ARGON2_MEMORY_KIB,
        "iterations": ARGON2_ITERATIONS,
        "lanes": ARGON2_LANES,
    }


class KeyFieldError(ValueError):
    """A key-file field that is missing, of the wrong type or outside its bounds."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"feltet «{field_name}» {problem}")
        self.field_name = field_name


def _bounded_int(value: object, name: str, low: int, high: int) -> int:
    # bool is an int in Python; a float (1e9) or a string is not a valid count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise KeyFieldError(name, "mangler eller er ikke et heltall")
    if not low <= value <= high:
        raise KeyFieldError(name, f"må være mellom {low} og {high}")
    return value


def _bytes_field(value: object, name: str, low: int, high: int) -> bytes:
    if not isinstance(value, str) or len(value) > 4 * high:
        raise KeyFieldError(name, "mangler eller er ikke base64-tekst av riktig lengde")
    try:
        data = _unb64(value)
    except ValueError:
        raise KeyFieldError(name, "er ikke gyldig base64") from None
    if not low <= len(data) <= high:
        expected = f"{low}" if low == high else f"{low}–{high}"
        raise KeyFieldError(name, f"må være {expected} byte (er {len(data)})")
    return data


@dataclass
class Slot:
    """The database key wrapped under a key derived from one secret."""

    salt: bytes
    nonce: bytes
    wrapped: bytes
    kdf: str
    params: dict[str, int]

    @classmethod
    def wrap(
        cls,
        db_key: bytes,
        secret: str,
        label: str,
        kdf: str | None = None,
        params: dict[str, int] | None = None,
    ) -> Slot:
        """``db_key`` wrapped under ``secret`` (by default with ``current_kdf()``)."""

        if kdf is None or params is None:
            kdf, params = current_kdf()
        salt = os.urandom(16)
        nonce = os.urandom(12)
        kek = _derive(secret, salt, kdf, params)
        wrapped = AESGCM(kek).encrypt(nonce, db_key, label.encode("ascii"))
        return cls(salt=salt, nonce=nonce, wrapped=wrapped, kdf=kdf, params=dict(params))

    def unwrap(self, secret: str, label: str) -> bytes | None:
        kek = _derive(secret, self.salt, self.kdf, self.params)
        try:
            return AESGCM(kek).decrypt(self.nonce, self.wrapped, label.encode("ascii"))
        except InvalidTag:
            return None

    def to_json(self) -> dict[str, Any]:
        return {
            "kdf": self.kdf,
            **self.params,
            "salt": _b64(self.salt),
            "cipher": "aes-256-gcm",
            "nonce": _b64(self.nonce),
            "wrapped": _b64(self.wrapped),
        }

    @classmethod
    def from_json(cls, data: object, name: str) -> Slot:
        """A slot from the key file; ``KeyFieldError`` names the first field out of bounds."""
        if not isinstance(data, dict):
            raise KeyFieldError(name, "er ikke et JSON-objekt")
        kdf = data.get("kdf")
        if kdf not in KDF_PARAMETERS:
            raise KeyFieldError(f"{name}.kdf", "er en ukjent nøkkelutledning")
        if data.get("cipher") != "aes-256-gcm":
            raise KeyFieldError(f"{name}.cipher", "er et ukjent chiffer")
        params = {
            param: _bounded_int(data.get(param), f"{name}.{param}", *KDF_BOUNDS[kdf][param])
            for param in KDF_PARAMETERS[kdf]
        }
        if kdf == SCRYPT and params["n"] & (params["n"] - 1):
            raise KeyFieldError(f"{name}.n", "må være en potens av 2")
        return cls(
            salt=_bytes_field(data.get("salt"), f"{name}.salt", *SALT_BYTES),
            nonce=_bytes_field(data.get("nonce"), f"{name}.nonce", NONCE_BYTES, NONCE_BYTES),
            wrapped=_bytes_field(
                data.get("wrapped"), f"{name}.wrapped", WRAPPED_BYTES, WRAPPED_BYTES
            ),
            kdf=kdf,
            params=params,
        )


@dataclass
class KeyFile:
    """Contents of ``<database>.keys``."""

    passphrase: Slot
    recovery: Slot
    failed_attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, passphrase: str) -> tuple[KeyFile, bytes, str]:
        """A new random database key wrapped for a passphrase and a new recovery key."""
        check_passphrase(passphrase)
        db_key = os.urandom(32)
        recovery_key = new_recovery_key()
        key_file = cls(
            passphrase=Slot.wrap(db_key, passphrase, "passphrase"),
            recovery=Slot.wrap(db_key, normalise_recovery_key(recovery_key), "recovery"),
        )
        return key_file, db_key, recovery_key

    def unlock(self, secret: str) -> bytes | None:
        """The database key when ``secret`` is the passphrase or the recovery key."""
        db_key = self.passphrase.unwrap(secret, "passphrase")
        if db_key is None:
            db_key = self.recovery.unwrap(normalise_recovery_key(secret), "recovery")
        return db_key

    def pending(self) -> tuple[Slot, Slot] | None:
        """The new key's slots while a re-keying is under way (see ``Database._rekey``)."""
        raw = self.extra.get(REKEY_PENDING)
        if raw is None:
            return None
        try:
            if not isinstance(raw, dict):
                raise KeyFieldError(REKEY_PENDING, "er ikke et JSON-objekt")
            return (
                Slot.from_json(raw.get("passphrase"), f"{REKEY_PENDING}.passphrase"),
                Slot.from_json(raw.get("recovery"), f"{REKEY_PENDING}.recovery"),
            )
        except KeyFieldError:
            return None

    def set_pending(self, slots: tuple[Slot, Slot] | None) -> None:
        if slots is None:
            self.extra.pop(REKEY_PENDING, None)
        else:
            self.extra[REKEY_PENDING] = {
                "passphrase": slots[0].to_json(),
                "recovery": slots[1].to_json(),
            }

    def promote_pending(self) -> None:
        """The pending slots become the key file's slots."""
        slots = self.pending()
        if slots is not None:
            self.passphrase, self.recovery = slots
        self.set_pending(None)

    def unlock_pending(self, secret: str) -> bytes | None:
        slots = self.pending()
        if slots is None:
            return None
        db_key = slots[0].unwrap(secret, "passphrase")
        if db_key is None:
            db_key = slots[1].unwrap(normalise_recovery_key(secret), "recovery")
        return db_key

    def rewrap_passphrase(self, db_key: bytes, new_passphrase: str) -> None:
        check_passphrase(new_passphrase)
        self.passphrase = Slot.wrap(db_key, new_passphrase, "passphrase")

    def to_json(self) -> dict[str, Any]:
        return {
            **self.extra,
            "format": KEY_FILE_FORMAT,
            "program": "jsdesk",
            "passphrase": self.passphrase.to_json(),
            "recovery": self.recovery.to_json(),
            "failed_attempts": self.failed_attempts,
        }

    @classmethod
    def read(cls, path: Path) -> KeyFile:
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_KEY_FILE_BYTES + 1)
            if len(raw) > MAX_KEY_FILE_BYTES:
                raise ValueError("too large")
            data = json.loads(raw.decode("utf-8"))
        except FileNotFoundError:
            raise UserError(
                f"Nøkkelfilen {path} mangler. Den ligger vanligvis ved siden av databasen og "
                "trengs for å åpne den. Legg tilbake nøkkelfilen fra en kopi, eller "
                "gjenopprett fra en sikkerhetskopi med «jsdesk db restore FIL».",
                2,
            ) from None
        except (OSError, ValueError, RecursionError) as exc:
            raise UserError(
                f"Nøkkelfilen {path} kan ikke leses ({exc.__class__.__name__}). Legg tilbake "
                "nøkkelfilen fra en kopi, eller gjenopprett fra en sikkerhetskopi med "
                "«jsdesk db restore FIL».",
                2,
            ) from None
        if not isinstance(data, dict) or data.get("format") != KEY_FILE_FORMAT:
            raise UserError(
                f"Nøkkelfilen {path} har et ukjent eller skadet innhold. Den kan være laget av "
                "en nyere jsdesk. Oppdater jsdesk, eller legg tilbake nøkkelfilen fra en kopi.",
                2,
            )
        try:
            known = {"format", "program", "passphrase", "recovery", "failed_attempts"}
            return cls(
                passphrase=Slot.from_json(data.get("passphrase"), "passphrase"),
                recovery=Slot.from_json(data.get("recovery"), "recovery"),
                failed_attempts=_bounded_int(
                    data.get("failed_attempts", 0), "failed_attempts", 0, MAX_FAILED_ATTEMPTS
                ),
                extra={k: v for k, v in data.items() if k not in known},
            )
        except KeyFieldError as exc:
            raise UserError(
                f"Nøkkelfilen {path} er skadet: {exc}. Ingenting er endret, og databasen er "
                "ikke forsøkt åpnet. Legg tilbake nøkkelfilen fra en kopi (det ligger en i "
                "mappen med sikkerhetskopier).",
                2,
            ) from None

    def write(self, path: Path) -> None:
        write_atomic(path, json.dumps(self.to_json(), indent=2).encode("utf-8") + b"\n")


def _settle_rekey(
    db_path: Path, key_file: KeyFile, old: bytes | None, new: bytes | None
) -> bytes | None:
    """Finish or undo a re-keying that a crash interrupted; the key the file takes."""

    key_path = key_file_path(db_path)
    if new is not None and opens_with(db_path, new):
        key_file.promote_pending()
    elif old is not None and opens_with(db_path, old):
        key_file.set_pending(None)
        new = None
    else:
        return None  # neither: the secret is wrong for the key the file takes
    try:
        key_file.write(key_path)
    except OSError:
        log.warning("Could not settle an interrupted re-keying in the key file")
    return new if new is not None else old


def unlock_key(db_path: Path, secret: str) -> bytes:
    """The database key for ``secret``, with a growing delay after failed attempts."""
    key_path = key_file_path(db_path)
    key_file = KeyFile.read(key_path)
    # Wait before trying, so killing the process does not skip the delay.
    delay = failure_delay(key_file.failed_attempts)
    if delay:
        time.sleep(delay)
    db_key = key_file.unlock(secret)
    if key_file.pending() is not None:
        db_key = _settle_rekey(db_path, key_file, db_key, key_file.unlock_pending(secret))
    if db_key is None:
        key_file.failed_attempts = min(key_file.failed_attempts + 1, MAX_FAILED_ATTEMPTS)
        try:
            key_file.write(key_path)
        except OSError:
            log.warning("Could not record a failed unlock attempt (read-only key file)")
        raise UserError(
            f"Feil passordfrase eller gjenopprettingsnøkkel for databasen {db_path} "
            f"({key_file.failed_attempts} mislykket forsøk på rad). Neste forsøk venter "
            f"{failure_delay(key_file.failed_attempts):g} sekunder. Har du glemt passordfrasen, "
            "kan du bruke gjenopprettingsnøkkelen du fikk da databasen ble laget.",
            2,
        )
    if key_file.failed_attempts:
        key_file.failed_attempts = 0
        try:
            key_file.write(key_path)
        except OSError:
            log.warning("Could not reset the failed unlock counter (read-only key file)")
    return db_key


class KeysMixin(DatabaseCore):
    """Key operations of ``Database``: the passphrase change and the unlock delay."""

    if TYPE_CHECKING:

        def _record_event(self, action: str, **fields: Any) -> None: ...

    @staticmethod
    def unlock_delay(path: Path) -> float:
        """Seconds the next unlock attempt will wait (for a countdown in the UI)."""
        return failure_delay(KeyFile.read(key_file_path(Path(path))).failed_attempts)

    def change_passphrase(self, new_passphrase: str, *, rekey: bool = False) -> str | None:
        """A new passphrase; with ``rekey`` also a new database key and recovery key.

        On the local file: without ``rekey`` the database key is only rewrapped: the
        recovery key still works, and so does any copy of the key file with the OLD
        passphrase (a key file next to a backup on a USB stick). With ``rekey``
        the database and its backups are re-encrypted under a new random key
        and a new recovery key is returned (show it once): old key-file copies
        open nothing any more. On a shared database: the login's own password.
        """
        return self.backend.change_secret(self, new_passphrase, rekey=rekey)

    def _change_key_slots(self, new_passphrase: str, *, rekey: bool) -> str | None:
        """The local file's key slots under a new passphrase (``change_passphrase``)."""
        if rekey:
            return self._rekey(new_passphrase)
        key_path = key_file_path(self.path)
        key_file = KeyFile.read(key_path)
        key_file.rewrap_passphrase(self._key, new_passphrase)
        try:
            key_file.write(key_path)
        except OSError:
            raise environment_error("readonly", key_path) from None
        self._record_event("passordfrase endret")
        return None

    @property
    def recovery_key_confirmed(self) -> bool:
        """False while the recovery key shown at creation has not been confirmed."""
        return self.backend.recovery_key_confirmed(self)

    def new_recovery_key(self) -> str:
        """Replace the recovery key (the old one stops working); it awaits confirmation."""
        return self.backend.new_recovery_key(self)

    def confirm_recovery_key(self) -> None:
        """The user has kept the recovery key: the database may be used."""
        self.backend.confirm_recovery_key(self)

    def _recovery_slot_confirmed(self) -> bool:
        return not KeyFile.read(key_file_path(self.path)).extra.get(RECOVERY_UNCONFIRMED)

    def _new_recovery_slot(self) -> str:
        key_path = key_file_path(self.path)
        key_file = KeyFile.read(key_path)
        recovery_key = new_recovery_key()
        key_file.recovery = Slot.wrap(self._key, normalise_recovery_key(recovery_key), "recovery")
        key_file.extra[RECOVERY_UNCONFIRMED] = True
        try:
            key_file.write(key_path)
        except OSError:
            raise environment_error("readonly", key_path) from None
        self._record_event("ny gjenopprettingsnøkkel")
        return recovery_key

    def _confirm_recovery_slot(self) -> None:
        key_path = key_file_path(self.path)
        key_file = KeyFile.read(key_path)
        if key_file.extra.pop(RECOVERY_UNCONFIRMED, None) is None:
            return
        try:
            key_file.write(key_path)
        except OSError:
            raise environment_error("readonly", key_path) from None
        self._record_event("gjenopprettingsnøkkel bekreftet")

    def _rekey(self, new_passphrase: str) -> str:
        """Re-encrypt under a new key (SQLCipher-specific: ``sqlcipher_export``).

        Crash-safe order: the key file first gets the new key as a pending slot
        pair, then the re-encrypted copy replaces the database by rename, then the
        pending slots become the key file's slots. An open in between finds out
        which key the file on disk takes (``_settle_rekey``).
        """

        check_passphrase(new_passphrase)
        key_path = key_file_path(self.path)
        key_file = KeyFile.read(key_path)
        new_key = os.urandom(32)
        new_recovery = new_recovery_key()
        key_file.set_pending(
            (
                Slot.wrap(new_key, new_passphrase, "passphrase"),
                Slot.wrap(new_key, normalise_recovery_key(new_recovery), "recovery"),
            )
        )
        with translate_errors(key_path):
            key_file.write(key_path)
        self._record_event("passordfrase endret, ny databasenøkkel")
        old_key = self._key
        staging = self.path.with_name(f".{self.path.name}.omkrypteres.tmp")
        with self._query_lock:
            self._close_query_connection()
        self._engine.dispose()
        with translate_errors(self.path):
            backup.export_rekeyed(self.path, old_key, staging, new_key)
            for suffix in ("-wal", "-shm"):
                self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
            os.replace(staging, self.path)
            fsync_dir(self.path.parent)
            key_file.promote_pending()
            key_file.failed_attempts = 0
            key_file.write(key_path)
        self._bind(new_key, make_engine(self.path, new_key))
        self._after_commit()  # the anchor follows the new file
        failed = backup.rekey_backups(self.path, old_key, new_key)
        backup.keep_key_copy(self.path, backup_dir(self.path))
        self.rekey_problem = (
            "Disse sikkerhetskopiene kunne ikke krypteres med den nye nøkkelen og er merket "
            f"«gammel-nøkkel» (de åpnes bare med den gamle nøkkelfilen): "
            f"{', '.join(p.name for p in failed)}."
            if failed
            else None
        )
        return new_recovery
