"""Test set-up shared by every test: Qt offscreen, UTF-8, no real user folders."""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")
# main() logs to the user's log folder: the tests' runs go to a folder of their own.
os.environ.setdefault("JSDESK_LOG_DIR", tempfile.mkdtemp(prefix="jsdesk-test-logs-"))


@pytest.fixture(autouse=True)
def _quicker_key_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    """New key slots use Argon2id with 1 MiB and one pass in tests (m=19 MiB, t=2 in use).

    Every database a test makes is unlocked several times; the production cost
    is checked by test_storage_keys (which undoes this patch).
    """
    from jsdesk.storage import keys

    monkeypatch.setattr(keys, "ARGON2_MEMORY_KIB", 1024)
    monkeypatch.setattr(keys, "ARGON2_ITERATIONS", 1)


@pytest.fixture(autouse=True)
def _own_qt_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Window sizes and last folders (QSettings) go to a fresh folder per test, never to
    the user's own settings."""
    from PySide6.QtCore import QSettings

    folder = str(tmp_path_factory.mktemp("qsettings"))
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, folder)
