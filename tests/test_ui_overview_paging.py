"""The overview with a few hundred participations, on both back ends: Ctrl+End shows the
last participation of the list, scrolling up from there and down from the top shows
every participation once in the list's order, also sorted by a column most rows leave
empty, and participations saved while the caseworker scrolls repeat no row."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import FORM_VERSION, person

from jsdesk.storage import Database
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.participations_model import PAGE_SIZE

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

COUNT = PAGE_SIZE * 2 + 60


@pytest.fixture
def app_installation(installation: Installation) -> Installation:
    """The overview on each back end (the local file, a shared database)."""
    return installation


@pytest.fixture
def window(app_window: MainWindow) -> MainWindow:
    """The overview over ``COUNT`` participations: one import (all with the same time of
    change), every fifth ended."""
    records = [
        person(
            date(1970 + n % 30, 1 + n % 12, 1 + n % 28),
            100 + n % 350,
            f"202{3 + n % 2}-0{1 + n % 9}-1{n % 10}",
            **({"avslutningsdato": "2025-01-31"} if n % 5 == 0 else {}),
        )
        for n in range(COUNT)
    ]
    db(app_window).import_records(records, form_version=FORM_VERSION)
    app_window.overview.refresh()
    assert app_window.model.rowCount() == COUNT
    return app_window


def db(window: MainWindow) -> Database:
    return window.context.require_db()


def listed(window: MainWindow) -> list[int]:
    f = window.model.filters
    rows = db(window).query_participations(
        order_by=f.order_by, descending=f.descending, limit=COUNT + 10
    )
    return [s.id for s in rows]


def shown_id(window: MainWindow, row: int) -> int:
    summary = window.model.summary(row)
    assert summary is not None, row
    return summary.id


def test_overview__ctrl_end__last_participation_shown_then_every_row_once_upwards(
    qtbot: QtBot, window: MainWindow
) -> None:
    expected = listed(window)
    window.table.setFocus()
    window.table.setCurrentIndex(window.model.index(0, 0))
    before = window.model.fetches
    qtbot.keyClick(window.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert window.table.currentIndex().row() == COUNT - 1
    last = window.model.index(COUNT - 1, 0)
    assert window.table.visualRect(last).intersects(window.table.viewport().rect())
    assert shown_id(window, COUNT - 1) == expected[-1]
    assert window.model.fetches - before <= 2
    # Up from the end, page by page: the pages before the last one, by their keys.
    assert [shown_id(window, row) for row in reversed(range(COUNT))] == expected[::-1]


@pytest.mark.parametrize("descending", [False, True])
def test_overview__sorted_by_end_date__scrolled_down_and_up__list_order(
    qtbot: QtBot, window: MainWindow, descending: bool
) -> None:
    order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
    window.table.sortByColumn(3, order)
    assert window.model.filters.order_by == "avslutningsdato"
    expected = listed(window)
    assert [shown_id(window, row) for row in range(COUNT)] == expected
    window.table.setFocus()
    window.table.setCurrentIndex(window.model.index(0, 3))
    qtbot.keyClick(window.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    top = db(window).overview_page(order_by="avslutningsdato", descending=descending, limit=1)
    ended = [s for s in db(window).query_participations(limit=COUNT) if s.avslutningsdato]
    assert 0 < len(ended) < COUNT
    assert window.table.currentIndex().row() == COUNT - 1
    assert shown_id(window, COUNT - 1) == expected[-1] != top.rows[0].id
    assert [shown_id(window, row) for row in reversed(range(COUNT))] == expected[::-1]


def test_overview__participations_saved_while_scrolling__no_row_repeated(
    qtbot: QtBot, window: MainWindow
) -> None:
    expected = listed(window)
    window.table.setFocus()
    window.table.setCurrentIndex(window.model.index(0, 0))
    first_page = [shown_id(window, row) for row in range(PAGE_SIZE)]
    # Other caseworkers add a participation and change one further down, before this
    # overview reloads: both go to the top of the newest-first list, ahead of the page
    # already shown.
    edited = expected[PAGE_SIZE * 2 + 10]
    db(window).set_value(edited, "ankomstar", 2016)
    added = db(window).create_participation(
        person(date(1999, 9, 9), 420, "2025-02-01"), form_version=FORM_VERSION
    )
    for _ in range(COUNT // 10):
        qtbot.keyClick(window.table, Qt.Key.Key_PageDown)
    assert window.table.currentIndex().row() == COUNT - 1
    rest = [window.model.summary(row) for row in range(PAGE_SIZE, COUNT)]
    shown = first_page + [s.id for s in rest if s is not None]
    assert len(shown) == len(set(shown))
    assert shown == [pid for pid in expected if pid != edited]
    window.overview.refresh()
    assert window.model.rowCount() == COUNT + 1
    assert [shown_id(window, row) for row in range(2)] == [added, edited]
