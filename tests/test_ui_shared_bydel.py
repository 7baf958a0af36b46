"""A new participation on a shared Oslo database gets the bydel the caseworker's login
is granted (``server add-user NAME --bydel …``), through the GUI.

``server init`` leaves the installation's own bydel empty (the database serves several
bydeler); the login's bydeler come from the database (row-level security's grants),
asked through storage. One granted bydel is filled in, and is the only choice; with
several the caseworker chooses among those only; a login for the whole municipality
keeps the full list and fills in nothing (as before). What is saved passes the rules,
and the row lands in the login's bydel.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from urllib.parse import urlsplit

import psycopg
import pytest
from pg_support import GAMLE_OSLO, GRUNERLOKKA, PgServer
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_support import (
    new_wizard,
    stored,
    synthetic,
    type_search,
    type_text,
    wait_started,
    widget,
)

from jsdesk.domain.code_domains import OSLO_BYDELER
from jsdesk.domain.period import Period
from jsdesk.rules import default_form, evaluate
from jsdesk.storage.server import add_user
from jsdesk.ui.app import create_main_window
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.wizard import ParticipationWizard

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

LOGINS = {"kari": [GAMLE_OSLO], "ola": [GRUNERLOKKA], "per": [GAMLE_OSLO, GRUNERLOKKA], "oslo": []}


@pytest.fixture
def logins(pg_server: PgServer, oslo_server: str) -> dict[str, str]:
    """Each login's URL (with its password): kari Gamle Oslo, ola Grünerløkka, per
    both, «oslo» the whole municipality."""
    database = urlsplit(oslo_server).path[1:]
    urls = {}
    for name, bydeler in LOGINS.items():
        password = f"{name} sitt passord"
        add_user(oslo_server, None, name, bydeler=bydeler, new_password=password)
        urls[name] = pg_server.url(name, password, database)
    return urls


@pytest.fixture
def open_window(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MainWindow]]:
    monkeypatch.delenv("JSDESK_PASSPHRASE", raising=False)
    windows: list[MainWindow] = []
    yield windows
    for window in windows:
        window.close()


def _wizard(qtbot: QtBot, windows: list[MainWindow], url: str) -> ParticipationWizard:
    window = create_main_window(["jsdesk", "--db", url])
    qtbot.addWidget(window)
    windows.append(window)
    wait_started(qtbot, window)
    assert window.stack.currentWidget() is window.overview
    return new_wizard(qtbot, window)


def _offered(wizard: ParticipationWizard) -> list[str]:
    combo = wizard.fields["bydel"].combo  # type: ignore[attr-defined]
    return [str(combo.itemData(i)) for i in range(1, combo.count())]  # 0: not answered


def _save_person(qtbot: QtBot, wizard: ParticipationWizard, individual: int) -> None:
    type_text(qtbot, wizard, "fodselsnummer", synthetic(date(1990, 3, 4), individual))
    type_text(qtbot, wizard, "oppstartsdato", "01.09.2025")
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, Qt.Key.Key_Tab)


def _check_saved(
    windows: list[MainWindow], wizard: ParticipationWizard, owner: str, bydel: str
) -> None:
    window = windows[-1]
    values = stored(window, wizard)
    assert values["bydel"] == bydel
    evaluation = evaluate(default_form(), values, **window.context.rules_context())
    assert not [f for f in evaluation.findings if f.variable in {"bydel", "kommunenummer"}]
    with psycopg.connect(owner) as conn:  # the row is in the login's bydel
        row = conn.execute(
            "SELECT enhet FROM participations WHERE id = %s", (wizard.participation_id,)
        ).fetchone()
    assert row == (bydel,)


@pytest.mark.parametrize(("login", "bydel"), [("kari", GAMLE_OSLO), ("ola", GRUNERLOKKA)])
def test_login_of_one_bydel__filled_in_and_the_only_choice__saved_passes_the_rules(
    qtbot: QtBot,
    logins: dict[str, str],
    oslo_server: str,
    open_window: list[MainWindow],
    login: str,
    bydel: str,
) -> None:
    wizard = _wizard(qtbot, open_window, logins[login])
    assert _offered(wizard) == [bydel]
    _save_person(qtbot, wizard, 200 if login == "kari" else 250)
    # Filled in with the installation's values when the participation is first saved.
    assert wizard.fields["bydel"].value() == bydel
    _check_saved(open_window, wizard, oslo_server, bydel)
    window = open_window[-1]
    assert window.context.require_db().settings.bydel is None  # as server init left it
    name = OSLO_BYDELER.name_of(bydel)
    assert window.installation_label.text().endswith(f"(0301), bydel {name} ({bydel})")


def test_login_of_two_bydeler__chooses_among_those_only(
    qtbot: QtBot, logins: dict[str, str], oslo_server: str, open_window: list[MainWindow]
) -> None:
    wizard = _wizard(qtbot, open_window, logins["per"])
    assert sorted(_offered(wizard)) == sorted([GAMLE_OSLO, GRUNERLOKKA])
    assert "bydelene Gamle Oslo (030101), Grünerløkka (030102)" in open_window[-1].windowTitle()
    _save_person(qtbot, wizard, 300)
    assert wizard.fields["bydel"].value() is None  # per chooses
    combo = widget(wizard, "bydel")
    type_search(qtbot, combo, GRUNERLOKKA)  # typed as the list shows it: "030102 …"
    qtbot.keyClick(combo, Qt.Key.Key_Tab)
    assert wizard.fields["bydel"].value() == GRUNERLOKKA
    _check_saved(open_window, wizard, oslo_server, GRUNERLOKKA)


def test_login_for_the_whole_municipality__every_bydel_offered_none_filled_in(
    qtbot: QtBot, logins: dict[str, str], open_window: list[MainWindow]
) -> None:
    wizard = _wizard(qtbot, open_window, logins["oslo"])
    _save_person(qtbot, wizard, 350)
    assert wizard.fields["bydel"].value() is None
    every = [choice.value for choice in OSLO_BYDELER.choices(Period.day(date.today()))]
    assert sorted(_offered(wizard)) == sorted(every) and len(every) > 2
