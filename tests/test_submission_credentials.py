"""Signing credentials: PKCS#12 import, test certificates, storage, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from submission_support import PASSPHRASE, credentials

from jsdesk.errors import UserError
from jsdesk.storage import Database
from jsdesk.submission.credentials import (
    CERT_SETTING,
    KEY_SETTING,
    create_test_credentials,
    expiry_warning,
    load_credentials,
    load_pkcs12,
    require_usable,
    save_credentials,
    to_pkcs12,
)


def test_pkcs12__right_password__key_and_certificate_back() -> None:
    original = credentials()
    loaded = load_pkcs12(to_pkcs12(original, "hemmelig-123"), "hemmelig-123")
    assert loaded.certificate == original.certificate
    assert loaded.key.public_key().public_numbers() == original.key.public_key().public_numbers()


def test_pkcs12__wrong_password__bokmal_message() -> None:
    data = to_pkcs12(credentials(), "hemmelig-123")
    with pytest.raises(UserError, match="feil passord"):
        load_pkcs12(data, "gjett")


def test_pkcs12__garbage_file__bokmal_message() -> None:
    with pytest.raises(UserError, match="PKCS#12"):
        load_pkcs12(b"not a p12 file", "x")


def test_test_certificate__names__clearly_marked_test() -> None:
    creds = credentials()
    assert creds.is_test
    assert "TEST" in creds.subject
    assert creds.certificate.not_valid_after_utc - datetime.now(UTC) > timedelta(days=300)


def test_expiry__within_30_days__warning_but_usable() -> None:
    cert = credentials().certificate
    near_end = cert.not_valid_after_utc - timedelta(days=10)
    warning = expiry_warning(cert, near_end)
    assert warning is not None and "utløper" in warning
    require_usable(cert, near_end)
    assert expiry_warning(cert, cert.not_valid_after_utc - timedelta(days=60)) is None


def test_expiry__expired__refused() -> None:
    cert = credentials().certificate
    with pytest.raises(UserError, match="utløpt"):
        require_usable(cert, cert.not_valid_after_utc + timedelta(seconds=1))


def test_store__saved_in_database__private_key_encrypted(tmp_path: Path) -> None:
    creds = create_test_credentials("0301")
    db, _ = Database.create(
        tmp_path / "j.db", PASSPHRASE, kommunenummer="0301", test_installation=True
    )
    with db:
        save_credentials(db, creds)
        stored_key = db.get_setting(KEY_SETTING)
        assert isinstance(stored_key, bytes)
        with pytest.raises(TypeError):  # "Password was not given but private key is encrypted"
            serialization.load_der_private_key(stored_key, None)
        assert b"BEGIN CERTIFICATE" in db.get_setting(CERT_SETTING)
    with Database.open(tmp_path / "j.db", PASSPHRASE) as reopened:
        loaded = load_credentials(reopened)
    assert loaded is not None and loaded.certificate == creds.certificate
