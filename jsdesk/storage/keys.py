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
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsdesk.errors import UserError
from jsdesk.storage.errors import environment_error
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


def key_file_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".keys")


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
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        try:
            derivation = Argon2id(
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
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

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
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if kdf is None or params is None:
            kdf, params = current_kdf()
        salt = os.urandom(16)
        nonce = os.urandom(12)
        kek = _derive(secret, salt, kdf, params)
        wrapped = AESGCM(kek).encrypt(nonce, db_key, label.encode("ascii"))
        return cls(salt=salt, nonce=nonce, wrapped=wrapped, kdf=kdf, params=dict(params))

    def unwrap(self, secret: str, label: str) -> bytes | None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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
    def from_json(cls, data: dict[str, Any]) -> Slot:
        kdf = data.get("kdf")
        if kdf not in KDF_PARAMETERS or data.get("cipher") != "aes-256-gcm":
            raise ValueError("unknown key derivation or cipher")
        params = {name: int(data[name]) for name in KDF_PARAMETERS[kdf]}
        if any(value <= 0 for value in params.values()):
            raise ValueError("key derivation parameters out of range")
        return cls(
            salt=_unb64(data["salt"]),
            nonce=_unb64(data["nonce"]),
            wrapped=_unb64(data["wrapped"]),
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
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(
                f"Nøkkelfilen {path} mangler. Den ligger vanligvis ved siden av databasen og "
                "trengs for å åpne den. Legg tilbake nøkkelfilen fra en kopi, eller "
                "gjenopprett fra en sikkerhetskopi med «jsdesk db restore FIL».",
                2,
            ) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UserError(
                f"Nøkkelfilen {path} kan ikke leses ({exc.__class__.__name__}). Legg tilbake "
                "nøkkelfilen fra en kopi, eller gjenopprett fra en sikkerhetskopi med "
                "«jsdesk db restore FIL».",
                2,
            ) from None
        try:
            if not isinstance(data, dict) or data.get("format") != KEY_FILE_FORMAT:
                raise ValueError("unknown format")
            known = {"format", "program", "passphrase", "recovery", "failed_attempts"}
            return cls(
                passphrase=Slot.from_json(data["passphrase"]),
                recovery=Slot.from_json(data["recovery"]),
                failed_attempts=int(data.get("failed_attempts", 0)),
                extra={k: v for k, v in data.items() if k not in known},
            )
        except (KeyError, TypeError, ValueError):
            raise UserError(
                f"Nøkkelfilen {path} har et ukjent eller skadet innhold. Den kan være laget av "
                "en nyere jsdesk. Oppdater jsdesk, eller legg tilbake nøkkelfilen fra en kopi.",
                2,
            ) from None

    def write(self, path: Path) -> None:
        write_atomic(path, json.dumps(self.to_json(), indent=2).encode("utf-8") + b"\n")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, fsync and rename."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename durable (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def unlock_key(db_path: Path, secret: str) -> bytes:
    """The database key for ``secret``, with a growing delay after failed attempts."""
    key_path = key_file_path(db_path)
    key_file = KeyFile.read(key_path)
    # Wait before trying, so killing the process does not skip the delay.
    delay = failure_delay(key_file.failed_attempts)
    if delay:
        time.sleep(delay)
    db_key = key_file.unlock(secret)
    if db_key is None:
        key_file.failed_attempts += 1
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

    def change_passphrase(self, new_passphrase: str) -> None:
        """Rewrap the database key under a new passphrase; the recovery key still works."""
        key_path = key_file_path(self.path)
        key_file = KeyFile.read(key_path)
        key_file.rewrap_passphrase(self._key, new_passphrase)
        try:
            key_file.write(key_path)
        except OSError:
            raise environment_error("readonly", key_path) from None
        self._record_event("passordfrase endret")

    @property
    def recovery_key_confirmed(self) -> bool:
        """False while the recovery key shown at creation has not been confirmed."""
        return not KeyFile.read(key_file_path(self.path)).extra.get(RECOVERY_UNCONFIRMED)

    def new_recovery_key(self) -> str:
        """Replace the recovery key (the old one stops working); it awaits confirmation."""
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

    def confirm_recovery_key(self) -> None:
        """The user has kept the recovery key: the database may be used."""
        key_path = key_file_path(self.path)
        key_file = KeyFile.read(key_path)
        if key_file.extra.pop(RECOVERY_UNCONFIRMED, None) is None:
            return
        try:
            key_file.write(key_path)
        except OSError:
            raise environment_error("readonly", key_path) from None
        self._record_event("gjenopprettingsnøkkel bekreftet")
