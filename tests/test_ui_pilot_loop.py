"""The pilot loop in the sandbox: a live draft form, comments and their export, test cases.

SQLite only by nature: the sandbox is always a throwaway local file (test_ui_pilot shows
it stays one with a shared database named)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot
from ui_support import new_wizard, synthetic, type_text

from jsdesk.forms import feedback
from jsdesk.paths import forms_dir
from jsdesk.rules.cases import read_case
from jsdesk.ui.app import create_main_window
from jsdesk.ui.fields import DateField, Field
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.pilot import PilotSession
from jsdesk.ui.wizard import ParticipationWizard

pytestmark = [
    pytest.mark.qt_log_ignore("This plugin does not support"),
    pytest.mark.sqlite_only,  # the sandbox is a throwaway local file on every back end
]

NEW_CODE = '      - {code: 6, text: "Startet i arbeid", valid_from: "2023-01-01", valid_to: null}\n'


def start(
    qtbot: QtBot, form: Path, number: str
) -> tuple[MainWindow, PilotSession, ParticipationWizard]:
    """The sandbox on ``form`` and a new participation in it with fødselsnummer ``number``."""
    window = create_main_window(["jsdesk", "--form", str(form), "--sandbox"])
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is not window.loading)
    assert window.pilot is not None
    wizard = new_wizard(qtbot, window)
    type_text(qtbot, wizard, "fodselsnummer", number)
    return window, window.pilot, wizard


def offered(field: Field) -> str:
    texts = [str(w.text()) for w in field.input_widgets() if hasattr(w, "text")]
    editor = getattr(field, "editor", None)
    if isinstance(editor, QComboBox):
        texts += [editor.itemText(i) for i in range(editor.count())]
    return " | ".join(texts)


def date_text(wizard: ParticipationWizard) -> str:
    field = wizard.fields["oppstartsdato"]
    assert isinstance(field, DateField)
    return field.edit.text()


def with_new_code(text: str) -> str:
    """The form with code 6 added to hovedarsak_avbrutt (after its code 5)."""
    anchor = text.index("name: hovedarsak_avbrutt")
    codes = text.index("codes:", anchor)
    line_end = text.index("\n", codes) + 1
    return text[:line_end] + NEW_CODE + text[line_end:]


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    path = tmp_path / "utkast" / "jobbsjansen-utkast.yaml"
    path.parent.mkdir()
    shutil.copy(forms_dir() / "jobbsjansen-2023.yaml", path)
    return path


def edit(qtbot: QtBot, window: MainWindow, path: Path, text: str) -> None:
    """Save the draft as an editor does (new file renamed over the old) and let it reload."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    pilot = window.pilot
    assert pilot is not None
    qtbot.waitUntil(lambda: pilot._last_text == path.read_bytes(), timeout=10000)


def test_sandbox__draft_edited__wizard_rebuilt_keeping_values_last_good_kept_on_error(
    qtbot: QtBot, draft: Path
) -> None:
    number = synthetic(date(1992, 2, 2), 200)
    window, pilot, wizard = start(qtbot, draft, number)
    type_text(qtbot, wizard, "oppstartsdato", "01.03.2025")
    assert "Startet i arbeid" not in offered(wizard.fields["hovedarsak_avbrutt"])
    original = draft.read_text(encoding="utf-8")

    # 1. A code is added: the wizard is rebuilt in place and keeps the values entered.
    edit(qtbot, window, draft, with_new_code(original))
    assert "Startet i arbeid" in offered(wizard.fields["hovedarsak_avbrutt"])
    assert wizard.record["fodselsnummer"] == number
    assert date_text(wizard) == "01.03.2025"
    assert window.wizards == [wizard] and wizard.isVisible()
    assert pilot.findings.count() == 0 and "lest på nytt" in pilot.form_status.text()

    # 2. The file is broken: findings in the panel, the last good version stays.
    edit(qtbot, window, draft, original.replace("  - id: bydel_aktiv", "  - idd: bydel_aktiv"))
    assert pilot.findings.count() >= 1
    shown = [pilot.findings.item(i).text() for i in range(pilot.findings.count())]
    assert any("idd" in text for text in shown)
    assert "er ikke tatt i bruk" in pilot.form_status.text()
    assert "Startet i arbeid" in offered(wizard.fields["hovedarsak_avbrutt"])
    assert wizard.record["fodselsnummer"] == number

    # 3. Fixed (without the new code): rebuilt again, findings gone, values still there.
    edit(qtbot, window, draft, original.replace("Hovedårsak til avbrutt", "Hovedgrunn til avbrutt"))
    assert pilot.findings.count() == 0
    assert "Startet i arbeid" not in offered(wizard.fields["hovedarsak_avbrutt"])
    assert wizard.fields["hovedarsak_avbrutt"].variable.label.startswith("Hovedgrunn")
    assert date_text(wizard) == "01.03.2025"
    # A value typed after the rebuild is stored with the new form.
    type_text(qtbot, wizard, "ankomstar", "2015")
    assert wizard.saved_label.text().startswith("Lagret kl. ")
    window.close()


def test_sandbox__comment_on_field__listed_and_exported_as_json_and_csv(
    qtbot: QtBot, draft: Path, tmp_path: Path
) -> None:
    number = synthetic(date(1990, 5, 17), 300)
    window, pilot, wizard = start(qtbot, draft, number)

    # The shortcut comments on the focused field.
    field = wizard.fields["fodselsnummer"]
    field.focus_widget().setFocus()
    qtbot.waitUntil(lambda: wizard.focused_field() is field)
    qtbot.keyClick(field.focus_widget(), Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    dialog = pilot.comment_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.text, "Ledeteksten bør si at D-nummer også godtas.")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    # The context menu of another field has the same entry.
    start_field = wizard.fields["oppstartsdato"]
    menu = pilot.field_menu(wizard, start_field, start_field.focus_widget())
    (entry,) = [a for a in menu.actions() if a.text() == "Kommenter felt …"]
    entry.trigger()
    second = pilot.comment_dialog
    assert second is not None and second is not dialog
    qtbot.keyClicks(second.text, "Hva om oppstart var før 2023; semikolon; og «sitat»")
    qtbot.mouseClick(second.ok_button, Qt.MouseButton.LeftButton)

    assert pilot.comment_list.count() == 2
    assert "Fødselsnummer" in pilot.comment_list.item(0).text()

    assert pilot.export(tmp_path / "tilbakemeldinger.json") == 2
    exported = json.loads((tmp_path / "tilbakemeldinger.json").read_text(encoding="utf-8"))
    assert [c["variable"] for c in exported] == ["fodselsnummer", "oppstartsdato"]
    assert exported[0]["form_version"] == wizard.form.version
    assert exported[0]["values"]["fodselsnummer"] == number  # synthetic: kept
    assert exported[0]["text"] == "Ledeteksten bør si at D-nummer også godtas."

    assert pilot.export(tmp_path / "tilbakemeldinger.csv") == 2
    raw = (tmp_path / "tilbakemeldinger.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(feedback.CSV_COLUMNS)
    assert rows[2][2] == "oppstartsdato"
    assert rows[2][4] == "Hva om oppstart var før 2023; semikolon; og «sitat»"
    window.close()
    # The sandbox database is gone, the comments are not.
    assert len(feedback.read_comments()) == 2


def test_feedback__real_identity_number__never_stored() -> None:
    real_looking = "01010112345"  # not a valid number; what matters: not synthetic
    values = feedback.safe_values(
        {"fodselsnummer": real_looking, "ankomstar": 2015}, ["fodselsnummer"]
    )
    assert values == {"fodselsnummer": feedback.NOT_SYNTHETIC, "ankomstar": 2015}


def test_sandbox__save_as_test_case__outcome_stored_beside_the_form(
    qtbot: QtBot, draft: Path
) -> None:
    window, pilot, wizard = start(qtbot, draft, synthetic(date(1992, 2, 2), 200))
    dialog = pilot.ask_case_name(wizard)
    qtbot.keyClicks(dialog.name, "Bare fødselsnummer")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    path = pilot.last_case
    assert path is not None and path.parent == draft.parent / "cases"
    case = read_case(path)
    assert case.name == "Bare fødselsnummer"
    assert case.outcome.valid is False
    assert "REQUIRED" in case.outcome.errors["oppstartsdato"]
    assert case.record["fodselsnummer"] == wizard.record["fodselsnummer"]
    window.close()
