"""Licence notices: built from the installed distributions, every shipped one with its text,
the bundle checked for what it carries, and shown in Hjelp → Om jsdesk."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest
from packaging.markers import Marker
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QTableWidget
from pytestqt.qtbot import QtBot

from jsdesk import notices
from jsdesk.ui.main_window import MainWindow

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCK_FILE = REPO_ROOT / "requirements" / "release.txt"

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture(scope="module")
def collected() -> list[notices.Notice]:
    return notices.collect()


def test_collect__every_runtime_distribution__has_a_licence_text(
    collected: list[notices.Notice],
) -> None:
    names = {notices.normalise(n.component) for n in collected}
    required = {
        notices.normalise(r.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip())
        for r in importlib.metadata.requires("jsdesk") or []
        if "extra ==" not in r
    }
    assert required <= names
    assert notices.missing_texts(collected) == []


def test_collect__the_components_the_issue_names(collected: list[notices.Notice]) -> None:
    text = notices.render(collected)
    by_name = {n.component: n for n in collected}
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in text and "Version 3" in text
    assert "How to replace the Qt libraries" in text
    assert by_name["python-stdnum"].texts[0][1].count("GNU LESSER GENERAL PUBLIC LICENSE")
    assert "ZETETIC LLC" in by_name["SQLCipher (in sqlcipher3)"].texts[0][1]
    for copy in ("OpenSSL (in sqlcipher3)", "OpenSSL (in cryptography)", "OpenSSL (in Python)"):
        assert "Apache License" in by_name[copy].texts[0][1], copy
    assert "PYTHON SOFTWARE FOUNDATION LICENSE" in by_name["Python"].texts[0][1]


def _locked_runtime_packages() -> set[str]:
    """Packages of the release lock that jsdesk needs at run time (not the build tools),
    following uv's ``# via`` annotations from ``jsdesk (pyproject.toml)``."""
    via: dict[str, set[str]] = {}
    current = ""
    for line in LOCK_FILE.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", line):
            current = notices.normalise(match.group(1))
            via[current] = set()
        elif (
            current
            and (match := re.match(r"^\s+#\s+(?:via\s+)?(\S.*)$", line))
            and match.group(1) != "via"
        ):
            via[current].add(match.group(1).split(" (")[0])
    runtime = {name for name, sources in via.items() if "jsdesk" in sources}
    while True:
        more = {
            n for n, sources in via.items() if {notices.normalise(s) for s in sources} & runtime
        }
        if more <= runtime:
            return runtime
        runtime |= more


def test_collect__every_runtime_package_in_the_release_lock__has_a_notice(
    collected: list[notices.Notice],
) -> None:
    locked = _locked_runtime_packages()
    assert {"pyside6-essentials", "sqlcipher3", "python-stdnum", "typing-extensions"} <= locked
    assert "pyinstaller" not in locked
    names = {notices.normalise(n.component) for n in collected}
    # A package only for another platform (tzdata on Windows) has no metadata here, and
    # the floors run (`make test-floors`) installs older versions that need fewer packages
    # (pyqtgraph 0.13.7 without colorama); the build collects what it ships.
    here = {name for name in locked - _other_platform_packages() if _installed(name)}
    assert "psycopg-binary" in here  # asked for as an extra: psycopg[binary]
    assert here <= names


def _other_platform_packages() -> set[str]:
    """Locked packages none of whose lines' environment markers is true on this machine."""
    here, other = set(), set()
    for line in LOCK_FILE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+(?:\s*;\s*(.*?))?\s*\\?$", line)
        if match:
            name = notices.normalise(match.group(1))
            marker = match.group(2)
            (here if not marker or Marker(marker).evaluate() else other).add(name)
    return other - here


def _installed(name: str) -> bool:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _fake_bundle(tmp_path: Path, text: str) -> Path:
    bundle = tmp_path / "jsdesk"
    for package in ("PySide6", "yaml", "sqlcipher3", "stdnum", "jsdesk"):
        (bundle / "_internal" / package).mkdir(parents=True)
    (bundle / "_internal" / notices.NOTICES_FILE).write_text(text, encoding="utf-8")
    return bundle


def test_check_bundle__all_texts__passes(tmp_path: Path, collected: list[notices.Notice]) -> None:
    bundle = _fake_bundle(tmp_path, notices.render(collected))
    assert notices.check_bundle(bundle) == []


def test_check_bundle__a_shipped_distribution_without_text__named(
    tmp_path: Path, collected: list[notices.Notice]
) -> None:
    without_yaml = [n for n in collected if n.component != "PyYAML"]
    bundle = _fake_bundle(tmp_path, notices.render(without_yaml))
    assert notices.check_bundle(bundle) == ["PyYAML"]


def test_check_bundle__no_notices_file__refused(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path, "")
    (bundle / "_internal" / notices.NOTICES_FILE).unlink()
    assert notices.check_bundle(bundle) == [notices.NOTICES_FILE]


def test_about__help_menu__versions_and_licences(qtbot: QtBot, app_window: MainWindow) -> None:
    assert app_window.help_menu.title() == "&Hjelp"
    app_window.action_about.trigger()
    dialog = QApplication.activeModalWidget()
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None)
    dialog = QApplication.activeModalWidget()
    assert dialog is not None and dialog.objectName() == "om_dialog"
    table = dialog.findChild(QTableWidget, "om_versjoner")
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Qt"].startswith(qVersion())
    assert any(label.startswith("Skjema ") for label in rows)
    assert "SQLCipher" in rows and "OpenSSL i SQLCipher" in rows
    licences = dialog.findChild(QPlainTextEdit, "om_lisenser").toPlainText()
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in licences
    assert "- sqlcipher3 " in licences and "ZETETIC LLC" in licences
    dialog.close()
