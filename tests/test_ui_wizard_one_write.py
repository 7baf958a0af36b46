"""One edit in the wizard: one rule evaluation and one write transaction.

Storage evaluates the record once while it writes and returns what it computed
(``RecordChange``); the wizard shows that instead of reading the record back and
evaluating again. Counted with the real engine and the real database: every rule
evaluation makes one findings collector, every SQL statement passes SQLAlchemy's
``before_cursor_execute``, every transaction its ``begin`` (on both back ends: the local
file's ``BEGIN IMMEDIATE`` is a statement, a shared database's BEGIN is the driver's own).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, event
from storage_helpers import Installation
from ui_support import is_locked, new_wizard, press, stored

from jsdesk.rules import engine
from jsdesk.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


class Counter:
    """Rule evaluations, write transactions and SQL statements while ``counting`` is on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counting = False
        self.evaluations = 0
        self.write_transactions = 0
        self.statements: list[tuple[str, bool]] = []  # (first word(s), overview query?)
        counter = self

        class CountingCollector(engine._Collector):
            """The findings collector; ``evaluate`` makes one per evaluation."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                counter.evaluations += counter.counting
                super().__init__(*args, **kwargs)

        monkeypatch.setattr(engine, "_Collector", CountingCollector)
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Engine, "begin", self._begin)

    def _begin(self, conn: Any) -> None:
        if self.counting and not conn.get_execution_options().get("jsdesk_read"):
            self.write_transactions += 1

    def _statement(self, conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if self.counting:
            words = sql.split()
            kind = " ".join(words[:2]) if words[0] == "BEGIN" else " ".join(words[:4]).upper()
            overview = bool(conn.get_execution_options().get("jsdesk_single_statement"))
            self.statements.append((kind, overview))

    def close(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._statement)
        event.remove(Engine, "begin", self._begin)

    def of_the_edit(self) -> list[str]:
        """The statements the edit ran (not the overview refreshing its page)."""
        return [kind for kind, overview in self.statements if not overview]


@pytest.fixture
def app_installation(installation: Installation) -> Installation:
    """The overview on each back end (the local file, a shared database)."""
    return installation


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    counting = Counter(monkeypatch)
    yield counting
    counting.close()


def test_wizard_edit__one_answer__one_evaluation_and_one_write_transaction(
    qtbot: QtBot, app_window: MainWindow, counter: Counter
) -> None:
    wizard = new_wizard(qtbot, app_window)
    wizard.go_to_page(2)
    press(qtbot, wizard, "omsorgsansvar_barn_1")  # the first answer creates the record
    assert wizard.participation_id is not None
    version_before = (
        app_window.context.require_db().get_participation(wizard.participation_id).record_version
    )

    counter.counting = True
    press(qtbot, wizard, "omsorgsansvar_barn_2")
    counter.counting = False

    assert counter.evaluations == 1
    edit = counter.of_the_edit()
    assert counter.write_transactions == 1
    assert sum(kind.startswith("UPDATE PARTICIPATIONS") for kind in edit) == 1
    assert sum(kind.startswith("INSERT INTO AUDIT_EVENTS") for kind in edit) == 1  # one event
    # Nothing is read back: after the write, storage only notes the audit chain's head.
    after_write = edit[edit.index("INSERT INTO AUDIT_EVENTS (ID,") + 1 :]
    assert not [kind for kind in after_write if "PARTICIPATIONS" in kind], after_write
    # What the user sees comes from that one evaluation: locked field, status, stored value.
    assert is_locked(wizard, "antall_barn")
    assert stored(app_window, wizard)["omsorgsansvar_barn"] == 2
    record = app_window.context.require_db().get_participation(wizard.participation_id)
    assert record.record_version == version_before + 1
    assert wizard.status_label.text() == f"Status: {record.status}"


def test_wizard_edit__answer_that_locks_a_filled_field__cleared_as_a_second_change(
    qtbot: QtBot, app_window: MainWindow, counter: Counter
) -> None:
    wizard = new_wizard(qtbot, app_window)
    wizard.go_to_page(2)
    press(qtbot, wizard, "omsorgsansvar_barn_1")
    wizard.fields["antall_barn"].set_value(3)
    wizard._edited("antall_barn", 3)
    assert stored(app_window, wizard)["antall_barn"] == 3

    counter.counting = True
    press(qtbot, wizard, "omsorgsansvar_barn_2")
    counter.counting = False

    # The answer and the clearing of "antall_barn" are two changes (the second undoable).
    assert counter.evaluations == 2
    assert counter.write_transactions == 2
    assert stored(app_window, wizard).get("antall_barn") is None
    assert wizard.undo_button.isVisibleTo(wizard)
