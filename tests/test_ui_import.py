"""Registry import in the GUI: file chooser, checked report, choices, values in the wizard."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QLineEdit, QListWidget
from pytestqt.qtbot import QtBot
from registry_support import FREG_HEADER, PAD_HEADER, synthetic_numbers, write_csv
from storage_helpers import Installation
from ui_support import make_installation, open_installation_window

from jsdesk.ui.import_dialog import ImportController, ImportDialog
from jsdesk.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

NUMBERS = synthetic_numbers(4)
A, B, C, UNKNOWN = NUMBERS
TODAY = date.today().strftime("%d.%m.%Y")


@pytest.fixture
def window(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    """The overview on a test installation with A (no FREG values), B (born in SOM), C, on
    each back end."""
    make_installation(
        installation,
        [
            {"fodselsnummer": A, "oppstartsdato": "2025-02-03"},
            {"fodselsnummer": B, "oppstartsdato": "2025-03-04", "fodeland": "SOM"},
            {"fodselsnummer": C, "oppstartsdato": "2025-04-05"},
        ],
    )
    main = open_installation_window(qtbot, installation, monkeypatch)
    yield main
    main.close()


def participation_ids(window: MainWindow) -> dict[str, int]:
    db = window.context.require_db()
    ids = {}
    for row in db.query_participations():
        number = db.get_participation(row.id).values["fodselsnummer"]
        assert isinstance(number, str)
        ids[number] = row.id
    assert len(ids) == 3
    return ids


def values(window: MainWindow, number: str) -> dict[str, object]:
    pid = participation_ids(window)[number]
    return dict(window.context.require_db().get_participation(pid).values)


def choose_by_keyboard(qtbot: QtBot, window: MainWindow, path: Path) -> ImportDialog:
    """Ctrl+I, type the file name, Enter; returns the dialog once the file is checked."""
    qtbot.keyClick(window.table, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    chooser = window.findChild(QFileDialog, "import_filvelger")
    assert chooser is not None and chooser.isVisible()
    assert chooser.windowTitle() == "Velg registeruttrekk (FREG eller PAD)"
    qtbot.waitUntil(chooser.isActiveWindow)
    name_edit = chooser.findChild(QLineEdit, "fileNameEdit")
    assert name_edit is not None
    assert QApplication.focusWidget() is name_edit
    # setText rather than typing: the completer's popup would take the Return.
    name_edit.setText(str(path))
    qtbot.keyClick(name_edit, Qt.Key.Key_Return)
    dialog = controller(window).dialog
    assert dialog is not None
    return finished(qtbot, dialog)


def finished(qtbot: QtBot, dialog: ImportDialog) -> ImportDialog:
    assert dialog.objectName() == "import_dialog" and dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def start(qtbot: QtBot, window: MainWindow, path: Path) -> ImportDialog:
    dialog = controller(window).start(path)
    assert isinstance(dialog, ImportDialog)
    return finished(qtbot, dialog)


def controller(window: MainWindow) -> ImportController:
    found = window.findChild(ImportController, "import_controller")
    assert isinstance(found, ImportController)
    return found


def texts(items: QListWidget) -> list[str]:
    return [items.item(row).text() for row in range(items.count())]


def alt(qtbot: QtBot, dialog: ImportDialog, key: Qt.Key) -> None:
    focus = QApplication.focusWidget() or dialog
    qtbot.keyClick(focus, key, Qt.KeyboardModifier.AltModifier)


def test_ui_import__good_freg_file__applied_and_shown_with_source_in_wizard(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshed: list[bool] = []
    original_refresh = window.refresh
    monkeypatch.setattr(window, "refresh", lambda: (refreshed.append(True), original_refresh()))
    action = window.findChild(type(window.action_new), "action_import")
    assert action is not None and action.isEnabled()
    assert action.text() == "Importer &registeruttrekk …"
    wizard = window.open_participation(participation_ids(window)[A])
    assert wizard is not None
    assert wizard.fields["fodeland"].editor.text() == "hentes av registeret"  # type: ignore[attr-defined]
    path = write_csv(tmp_path / "freg.csv", FREG_HEADER, [(A, "SYR", "gift", 2016, None)])

    dialog = choose_by_keyboard(qtbot, window, path)
    assert "FREG-uttrekk freg.csv: 1 rad." in dialog.status.text()
    assert not dialog.use_good_rows.isVisible() and not dialog.accept_changes.isVisible()
    assert dialog.apply_button.isEnabled()
    assert values(window, A).get("fodeland") is None  # nothing stored before the choice
    alt(qtbot, dialog, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: dialog.outcome is not None and not dialog.busy)
    assert "Importert: 3 nye verdier og 0 endringer i 1 deltakelse." in dialog.status.text()
    stored = values(window, A)
    assert (stored["fodeland"], stored["ankomstar"]) == ("SYR", 2016)
    assert refreshed
    # The open wizard was read again and shows where the values came from.
    label = wizard.fields["fodeland"].label.text()
    assert f"(kilde: FREG, importert {TODAY}; kan ikke endres)" in label
    assert wizard.fields["fodeland"].editor.text() == "SYR"  # type: ignore[attr-defined]
    assert "importert" in wizard.fields["fodeland"].editor.accessibleDescription()
    dialog.close_button.click()
    wizard.close()
    # Opened afresh as well; a participation without imported values still says so.
    again = window.open_participation(participation_ids(window)[A])
    assert again is not None
    shown = again.fields["fodeland"].label.text().replace("&", "")
    assert f"Fødeland (kilde: FREG, importert {TODAY}" in shown
    other = window.open_participation(participation_ids(window)[C])
    assert other is not None
    assert other.fields["fodeland"].editor.text() == "hentes av registeret"  # type: ignore[attr-defined]
    assert "importert" not in other.fields["fodeland"].label.text()


def test_ui_import__bad_rows__line_numbers_listed_nothing_applied_until_good_rows_chosen(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(A, "SYR", "gift", 2016, None), (C, "XXY", "gift", 2016, None)],
    )
    dialog = start(qtbot, window, path)
    problems = texts(dialog.problems)
    assert len(problems) == 1 and problems[0].startswith("linje 3, fodeland: ")
    assert "XXY" in problems[0]
    assert dialog.use_good_rows.isVisible() and not dialog.use_good_rows.isChecked()
    assert not dialog.apply_button.isEnabled()
    assert "«Bruk de gyldige radene»" in dialog.hint.text()
    alt(qtbot, dialog, Qt.Key.Key_I)  # disabled: nothing happens
    qtbot.wait(300)
    assert dialog.outcome is None and not dialog.busy
    assert values(window, A).get("fodeland") is None
    dialog.close_button.click()
    qtbot.waitUntil(lambda: window.findChild(ImportDialog, "import_dialog") is None)
    assert values(window, A).get("fodeland") is None

    dialog = start(qtbot, window, path)
    alt(qtbot, dialog, Qt.Key.Key_B)
    qtbot.waitUntil(dialog.use_good_rows.isChecked)  # a mnemonic clicks after a short delay
    assert dialog.apply_button.isEnabled()
    alt(qtbot, dialog, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: dialog.outcome is not None and not dialog.busy)
    assert "1 rad med feil ble hoppet over" in dialog.status.text()
    assert values(window, A)["fodeland"] == "SYR"
    assert values(window, C).get("fodeland") is None


def test_ui_import__changed_value__shown_as_change_applied_only_when_accepted(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(B, "ERI", None, 2018, None)],
    )
    dialog = start(qtbot, window, path)
    changes = texts(dialog.changes)
    assert len(changes) == 1 and "linje 2" in changes[0]
    assert changes[0].endswith("Fødeland: SOM → ERI")
    assert B not in changes[0]  # the number is masked
    assert dialog.accept_changes.isVisible() and not dialog.accept_changes.isChecked()
    assert "«Godta endringer»" in dialog.hint.text()
    alt(qtbot, dialog, Qt.Key.Key_I)  # the new year of arrival only
    qtbot.waitUntil(lambda: dialog.outcome is not None and not dialog.busy)
    assert "1 endring ble ikke tatt inn" in dialog.status.text()
    assert (values(window, B)["fodeland"], values(window, B)["ankomstar"]) == ("SOM", 2018)
    dialog.close_button.click()

    dialog = start(qtbot, window, path)
    assert texts(dialog.changes) == changes
    alt(qtbot, dialog, Qt.Key.Key_G)
    qtbot.waitUntil(dialog.accept_changes.isChecked)
    alt(qtbot, dialog, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: dialog.outcome is not None and not dialog.busy)
    assert values(window, B)["fodeland"] == "ERI"


def test_ui_import__unknown_person__listed_and_not_stored(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(A, "SYR", None, None, None), (UNKNOWN, "IRQ", "ugift", 2019, None)],
    )
    dialog = start(qtbot, window, path)
    unknown = texts(dialog.unknown)
    assert len(unknown) == 1 and unknown[0].startswith("linje 3, ")
    assert unknown[0].endswith("finnes ikke i databasen") and UNKNOWN not in unknown[0]
    assert dialog.unknown.accessibleName() and dialog.problems.count() == 0
    alt(qtbot, dialog, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: dialog.outcome is not None and not dialog.busy)
    assert window.model.rowCount() == 3
    assert values(window, A)["fodeland"] == "SYR"


def test_ui_import__unreadable_file__says_why_and_offers_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "freg.csv", FREG_HEADER, [(A, "SYR", "gift", 2016, None)], encoding="utf-16"
    )
    dialog = start(qtbot, window, path)
    assert dialog.status.text().startswith("Filen freg.csv ble ikke importert.")
    assert not dialog.apply_button.isVisible() and dialog.close_button.isEnabled()
    assert values(window, A).get("fodeland") is None


@pytest.mark.slow
def test_ui_import__50000_rows__checked_in_worker_while_ui_runs(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    numbers = synthetic_numbers(50_000, start_year=1960)
    rows = [(number, "SOM", "gift", 2015, None) for number in numbers]
    path = write_csv(tmp_path / "stor.csv", FREG_HEADER, rows)
    worker_threads: list[threading.Thread] = []
    original = ImportDialog._planned

    def planned(self: ImportDialog, result: object) -> None:
        worker_threads.append(threading.current_thread())
        original(self, result)

    ticks: list[bool] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(True))
    timer.start()
    ImportDialog._planned = planned  # type: ignore[method-assign]
    try:
        dialog = controller(window).start(path)
        assert isinstance(dialog, ImportDialog)
        assert dialog.busy and dialog.progress.isVisible()  # start() returned at once
        assert not dialog.close_button.isEnabled()
        dialog.reject()  # cannot be closed while the worker runs
        assert dialog.isVisible()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=60_000)
    finally:
        ImportDialog._planned = original  # type: ignore[method-assign]
        timer.stop()
    assert len(ticks) >= 5  # the UI thread's event loop kept running meanwhile
    assert worker_threads == [threading.main_thread()]  # results handled in the UI thread
    assert len(texts(dialog.unknown)) == 501  # 500 listed, then "… og 49500 til."
    assert texts(dialog.unknown)[-1] == "… og 49500 til."


def test_ui_import__pad_results__changed_result_shown_with_date_and_texts(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    db = window.context.require_db()
    b_id = participation_ids(window)[B]
    db.set_value(
        b_id,
        "proveresultater",
        [{"provedato": "2025-05-06", "provetype": 1, "proveresultat": 4}],
    )
    path = write_csv(
        tmp_path / "pad.csv",
        PAD_HEADER,
        [(B, "06.05.2025", 1, 6), (A, "2025-06-07", 2, 5)],
        delimiter=",",
    )
    dialog = start(qtbot, window, path)
    assert dialog.status.text().startswith("PAD-uttrekk pad.csv: 2 rader.")
    (change,) = texts(dialog.changes)
    assert change.startswith("linje 2, ") and "06.05.2025" in change and " → " in change
    old_text, new_text = change.split(" → ")
    assert old_text.endswith("PROVE_NORSK_LES: A1") and new_text.endswith("B1"), change
    alt(qtbot, dialog, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: dialog.outcome is not None and not dialog.busy)
    assert values(window, A)["proveresultater"] == [
        {"provedato": "2025-06-07", "provetype": 2, "proveresultat": 5}
    ]
    assert values(window, B)["proveresultater"] == [
        {"provedato": "2025-05-06", "provetype": 1, "proveresultat": 4}
    ]
    wizard = window.open_participation(participation_ids(window)[A])
    assert wizard is not None
    label = wizard.fields["proveresultater"].label.text().replace("&", "")
    assert f"(kilde: PAD, importert {TODAY}; kan også føres inn her)" in label


def test_ui_import__window_closed_while_worker_runs__worker_finishes_first(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from jsdesk.ui import import_dialog

    original = import_dialog.plan_extract
    calls: list[bool] = []

    def slow_plan(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        result = original(*args, **kwargs)  # uses the database: must still be open
        calls.append(True)
        return result

    monkeypatch.setattr(import_dialog, "plan_extract", slow_plan)
    path = write_csv(tmp_path / "freg.csv", FREG_HEADER, [(A, "SYR", "gift", 2016, None)])
    dialog = controller(window).start(path)
    assert dialog is not None and dialog.busy
    window.close()
    assert calls == [True] and not window.context.is_open


def test_ui_import__dialog__labelled_and_tab_order_follows_layout(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [
            (B, "ERI", None, None, None),
            (C, "XXY", None, None, None),
            (UNKNOWN, "IRQ", None, None, None),
        ],
    )
    dialog = start(qtbot, window, path)
    assert QApplication.focusWidget() is dialog.problems  # the first list with content
    for items in (dialog.problems, dialog.unknown, dialog.changes):
        label = dialog.findChild(QLabel, f"{items.objectName()}_etikett")
        assert label is not None and label.buddy() is items and "&" in label.text()
        assert items.accessibleName()
    for box in (dialog.use_good_rows, dialog.accept_changes):
        assert box.text().startswith("&")
    order = []
    for _step in range(7):
        focus = QApplication.focusWidget()
        assert focus is not None
        order.append(focus.objectName())
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
    assert order == [
        "feilrader",
        "ukjente_personer",
        "endringer",
        "bruk_gyldige_rader",
        "godta_endringer",
        "lukk",  # Importer is disabled until a choice is made
        "feilrader",
    ]
