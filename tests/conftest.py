"""Test set-up shared by every test: Qt offscreen, UTF-8, no real user folders."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")


@pytest.fixture(autouse=True)
def _quicker_key_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    """New passphrase slots use scrypt N=2^15 in tests instead of 2^17 (4x quicker).

    Every database a test makes is unlocked several times; the production cost
    is checked by test_storage_keys (which undoes this patch).
    """
    from jsdesk.storage import keys

    monkeypatch.setattr(keys, "SCRYPT_N", 2**15)
