"""A caseworker's day: nothing typed vanishes, every problem is shown where it is,
the right person and municipality. Driven by keyboard against the shipped form."""

from __future__ import annotations

import json
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QListWidget
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import (
    make_installation,
    new_wizard,
    open_installation_window,
    person,
    press,
    spin,
    stored,
    synthetic,
    type_text,
    widget,
)

from jsdesk.cli import main
from jsdesk.storage import Status
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.wizard import ParticipationWizard

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

FNR = synthetic(date(1987, 6, 14), 310)


@pytest.fixture
def app_installation(installation: Installation) -> Installation:
    """The overview on each back end (the local file, a shared database)."""
    return installation


@pytest.fixture
def wizard(qtbot: QtBot, wizard: ParticipationWizard) -> ParticipationWizard:
    """A new participation with its fødselsnummer typed in."""
    type_text(qtbot, wizard, "fodselsnummer", FNR)
    return wizard


def leave(qtbot: QtBot, wizard: ParticipationWizard) -> None:
    """Tab out of the focused field, as a caseworker moves on."""
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, Qt.Key.Key_Tab)


def status(window: MainWindow, wizard: ParticipationWizard) -> Status:
    assert wizard.participation_id is not None
    return window.context.require_db().get_participation(wizard.participation_id).status


def reopen(qtbot: QtBot, window: MainWindow, wizard: ParticipationWizard) -> ParticipationWizard:
    pid = wizard.participation_id
    wizard.close()
    qtbot.waitUntil(lambda: wizard not in window.wizards)
    again = window.open_participation(pid)
    assert again is not None and again is not wizard
    qtbot.waitUntil(again.isActiveWindow)
    return again


# -- nothing typed vanishes -------------------------------------------------------------


@pytest.mark.parametrize("typed", ["31.02.2025", "1.9.2O25", "i går"])
def test_date_field__unreadable_text__kept_flagged_and_shown_on_reopening(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard, typed: str
) -> None:
    type_text(qtbot, wizard, "oppstartsdato", typed)
    leave(qtbot, wizard)
    assert stored(app_window, wizard)["oppstartsdato"] == typed
    field = wizard.fields["oppstartsdato"]
    assert field.problem == "error"
    assert field.message.isVisibleTo(wizard) and "Feil:" in field.message.text()
    assert "ingen feil" not in widget(wizard, "del1_oppsummering").text()
    assert status(app_window, wizard) == Status.KLADD
    again = reopen(qtbot, app_window, wizard)
    assert again.fields["oppstartsdato"].editor.text() == typed  # type: ignore[attr-defined]
    assert again.fields["oppstartsdato"].problem == "error"


def test_records_show__typed_text_kept__json_returns_it(
    qtbot: QtBot,
    app_window: MainWindow,
    wizard: ParticipationWizard,
    installation: Installation,
    capsys: pytest.CaptureFixture[str],
) -> None:
    type_text(qtbot, wizard, "oppstartsdato", "31.02.2025")
    pid = wizard.participation_id
    app_window.close()
    target = str(installation.target)
    assert main(["records", "show", str(pid), "--format", "json", "--db", target]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["oppstartsdato"] == "31.02.2025"


@pytest.mark.parametrize("typed", ["1.9.2025", "01092025", "1.9.25", "01.09.2025"])
def test_date_field__short_forms__stored_as_date_and_shown_dd_mm_yyyy_on_leaving(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard, typed: str
) -> None:
    type_text(qtbot, wizard, "oppstartsdato", typed)
    leave(qtbot, wizard)
    assert stored(app_window, wizard)["oppstartsdato"] == "2025-09-01"
    assert wizard.fields["oppstartsdato"].editor.text() == "01.09.2025"  # type: ignore[attr-defined]
    assert wizard.fields["oppstartsdato"].problem is None


def test_number_field__letters__kept_and_flagged(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard
) -> None:
    type_text(qtbot, wizard, "oppstartsdato", "01.03.2024")
    wizard.go_to_page(2)
    press(qtbot, wizard, "omsorgsansvar_barn_1")
    type_text(qtbot, wizard, "antall_barn", "2 barn")
    leave(qtbot, wizard)
    assert stored(app_window, wizard)["antall_barn"] == "2 barn"
    field = wizard.fields["antall_barn"]
    assert field.problem == "error" and "Antall barn" in field.message.text()
    spin(qtbot, wizard, "antall_barn", 2)
    assert stored(app_window, wizard)["antall_barn"] == 2
    assert wizard.fields["antall_barn"].problem is None


def test_fnr_field__six_of_eleven_digits__kept_and_flagged(
    qtbot: QtBot, app_window: MainWindow
) -> None:
    created = new_wizard(qtbot, app_window)
    type_text(qtbot, created, "fodselsnummer", FNR[:6])
    leave(qtbot, created)
    assert stored(app_window, created)["fodselsnummer"] == FNR[:6]
    assert created.fields["fodselsnummer"].problem == "error"
    again = reopen(qtbot, app_window, created)
    assert again.fields["fodselsnummer"].editor.text() == FNR[:6]  # type: ignore[attr-defined]


# -- every problem shown where it is ------------------------------------------------------


def test_new_record__untouched__no_error_shown_until_a_field_is_left_but_counted(
    qtbot: QtBot, app_window: MainWindow
) -> None:
    created = new_wizard(qtbot, app_window)
    qtbot.keyClicks(widget(created, "fodselsnummer"), FNR[:4])
    assert all(field.problem is None for field in created.fields.values())
    assert not created.fields["fodselsnummer"].message.text().startswith("Feil")
    summary = widget(created, "del1_oppsummering").text()
    assert "feil" in summary and "ingen feil" not in summary
    leave(qtbot, created)
    assert created.fields["fodselsnummer"].problem == "error"


def test_new_record__check_asked__every_problem_shown(qtbot: QtBot, app_window: MainWindow) -> None:
    created = new_wizard(qtbot, app_window)
    assert created.fields["oppstartsdato"].problem is None
    qtbot.keyClick(
        widget(created, "fodselsnummer"), Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier
    )
    assert created.fields["oppstartsdato"].problem == "error"


def test_field_with_error__icon_words_and_red_border__warning_another_icon(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    type_text(qtbot, wizard, "oppstartsdato", "01.03.2024")
    wizard.go_to_page(2)
    press(qtbot, wizard, "omsorgsansvar_barn_1")
    spin(qtbot, wizard, "antall_barn", 16)
    leave(qtbot, wizard)
    warned = wizard.fields["antall_barn"]
    failed = wizard.fields["deltatt_intro"]
    assert (failed.problem, warned.problem) == ("error", "warning")
    for field, word in ((failed, "Feil"), (warned, "Advarsel")):
        assert field.problem_icon.isVisibleTo(wizard)
        assert field.problem_icon.accessibleName() == word
        assert field.message.text().startswith(f"{word}:")
        assert "border" in field.frame.styleSheet()
    assert "#b00020" in failed.frame.styleSheet()
    error_icon = failed.problem_icon.pixmap().toImage()
    assert error_icon != warned.problem_icon.pixmap().toImage()
    assert warned.message.text() in warned.editor.toolTip()
    assert warned.message.text() in warned.editor.accessibleDescription()


def test_page_summary__lists_every_problem__activating_one_moves_focus_there(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    leave(qtbot, wizard)
    wizard.go_to_page(2)
    problems = widget(wizard, "del2_problemer")
    assert isinstance(problems, QListWidget)
    findings = [f for f in wizard.evaluation.findings if wizard.form.variable(f.variable).part == 2]  # type: ignore[union-attr]
    assert len(findings) > 6
    assert problems.count() == len(findings)
    assert "… og" not in widget(wizard, "del2_oppsummering").text()
    assert problems.height() < 200
    last = problems.item(problems.count() - 1)
    name = last.data(Qt.ItemDataRole.UserRole)
    problems.setCurrentItem(last)
    qtbot.keyClick(problems, Qt.Key.Key_Return)
    assert wizard.currentId() == 2
    focused = QApplication.focusWidget()
    assert focused in wizard.fields[name].input_widgets()


def test_accept_warning__shown_accepted_with_reason__count_drops_record_komplett_reopen_keeps(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jsdesk.demo import generate_records

    complete = next(
        r
        for r in generate_records(40, 3, bydel="030101")
        if r.get("avslutningsdato") and r.get("antall_barn")
    )
    record = {**complete, "omsorgsansvar_barn": 1, "antall_barn": 16}
    window, (pid,) = open_existing(qtbot, installation, monkeypatch, [record])
    assert window.context.require_db().get_participation(pid).status == Status.KLADD
    wizard = window.open_participation(pid)
    assert wizard is not None
    qtbot.waitUntil(wizard.isActiveWindow)
    field = wizard.fields["antall_barn"]
    assert field.problem == "warning"
    qtbot.keyClick(widget(wizard, "godta_advarsler"), Qt.Key.Key_Space)
    dialog = wizard.findChild(QDialog, "godta_advarsler_dialog")
    assert dialog is not None
    qtbot.waitUntil(dialog.isActiveWindow)
    (reason,) = [
        e for e in dialog.findChildren(QLineEdit) if e.objectName().startswith("begrunnelse_")
    ]
    qtbot.keyClicks(reason, "Storfamilie, bekreftet av NAV")
    qtbot.keyClick(reason, Qt.Key.Key_Return)
    assert field.problem == "accepted"
    assert "Storfamilie, bekreftet av NAV" in field.problem_icon.toolTip()
    assert "godtatt av" in field.editor.toolTip()
    assert "0 advarsler (1 godtatt)" in widget(wizard, "del2_oppsummering").text()
    assert status(window, wizard) == Status.KOMPLETT
    again = reopen(qtbot, window, wizard)
    assert again.fields["antall_barn"].problem == "accepted"
    qtbot.keyClick(widget(again, "godta_advarsler"), Qt.Key.Key_Space)
    dialog = again.findChild(QDialog, "godta_advarsler_dialog")
    assert dialog is not None
    (reason,) = [
        e for e in dialog.findChildren(QLineEdit) if e.objectName().startswith("begrunnelse_")
    ]
    assert reason.text() == "Storfamilie, bekreftet av NAV"
    window.close()


# -- the right person -------------------------------------------------------------------


def test_open_existing__no_errors__focus_not_in_fnr_and_nothing_selected(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jsdesk.demo import generate_records

    records = generate_records(20, 5, bydel="030101")  # of the installation's bydel
    complete = next(r for r in records if not r.get("avslutningsdato"))
    window, (pid,) = open_existing(qtbot, installation, monkeypatch, [complete])
    wizard = window.open_participation(pid)
    assert wizard is not None
    qtbot.waitUntil(wizard.isActiveWindow)
    focused = QApplication.focusWidget()
    assert focused is not wizard.fields["fodselsnummer"].editor
    assert wizard.fields["fodselsnummer"].editor.selectedText() == ""  # type: ignore[attr-defined]
    window.close()


def test_open_existing__with_error__focus_on_first_field_with_error(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = person(
        date(1990, 1, 2),
        400,
        "2024-03-01",
        kommunenummer="0301",
        bydel="030101",
        finansieringstype=1,
        antall_barn=2,
        omsorgsansvar_barn=1,
    )
    window, (pid,) = open_existing(qtbot, installation, monkeypatch, [record])
    wizard = window.open_participation(pid)
    assert wizard is not None
    qtbot.waitUntil(wizard.isActiveWindow)
    assert wizard.currentId() == 2
    assert QApplication.focusWidget() in wizard.fields["deltatt_intro"].input_widgets()
    window.close()


def test_open_existing__first_error_in_the_fnr__cursor_there_nothing_selected(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    partial = FNR[:10]  # one digit short: an error on the identity itself
    record = {"fodselsnummer": partial, "kommunenummer": "0301", "bydel": "030101"}
    window, (pid,) = open_existing(qtbot, installation, monkeypatch, [record])
    wizard = window.open_participation(pid)
    assert wizard is not None
    qtbot.waitUntil(wizard.isActiveWindow)
    edit = wizard.fields["fodselsnummer"].editor
    assert isinstance(edit, QLineEdit)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edit)
    qtbot.wait(50)
    assert edit.selectedText() == ""  # one key press must not overwrite the identity
    qtbot.keyClick(edit, Qt.Key.Key_7)
    assert edit.text() != "7" and edit.text().startswith(partial[:6])
    window.close()


def open_existing(
    qtbot: QtBot,
    installation: Installation,
    monkeypatch: pytest.MonkeyPatch,
    records: list[dict[str, object]],
) -> tuple[MainWindow, list[int]]:
    """The overview of a new installation holding ``records`` (on each back end), and
    their ids."""
    pids = make_installation(installation, records)
    return open_installation_window(qtbot, installation, monkeypatch), pids


def test_overview__edited_participation_moves__selection_follows_and_enter_opens_it(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        person(date(1970 + i % 30, 1 + i % 12, 1 + i % 27), 100 + i, "2024-02-15")
        for i in range(200)
    ]
    window, _ = open_existing(qtbot, installation, monkeypatch, records)
    table, model = window.table, window.overview.model
    table.setFocus()
    table.setCurrentIndex(model.index(150, 0))
    chosen = window.overview.selected_id()
    assert chosen is not None
    wizard = window.open_participation(chosen)
    assert wizard is not None
    qtbot.waitUntil(wizard.isActiveWindow)
    type_text(qtbot, wizard, "oppstartsdato", "01.03.2024")
    wizard.close()
    qtbot.waitUntil(lambda: table.currentIndex().row() == 0)  # newest change first
    assert window.overview.selected_id() == chosen
    window.activateWindow()
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert [w.participation_id for w in window.wizards] == [chosen]
    window.close()


def test_overview__problem_column__counts_and_every_problem_in_the_forms_words(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jsdesk.ui.participations_model import COLUMNS

    record = person(date(1990, 1, 2), 400, "2024-03-01", antall_barn="to", omsorgsansvar_barn=1)
    window, _ = open_existing(qtbot, installation, monkeypatch, [record])
    column = [c.title for c in COLUMNS].index("Feil/advarsler")
    model = window.overview.model
    index = model.index(0, column)
    assert window.table.isColumnHidden(column) is False
    cell = index.data()
    (summary,) = [model.summary(0)]
    assert summary is not None and len(summary.errors) > 1
    assert cell == f"{len(summary.errors)} feil"
    details = index.data(Qt.ItemDataRole.ToolTipRole)
    assert details == index.data(Qt.ItemDataRole.AccessibleDescriptionRole)
    assert details.count("Feil: ") == len(summary.errors)
    assert "«Antall barn»" in details and "«Kommune nr»" in details
    for internal in ("antall_barn", "kommunenummer", "deltatt_intro"):
        assert internal not in details
    window.close()


def test_rule_message__private_practice_chosen__names_only_that_choice(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    type_text(qtbot, wizard, "oppstartsdato", "01.03.2024")
    wizard.go_to_page(3)
    press(qtbot, wizard, "sted_arbeidspraksis_3")
    leave(qtbot, wizard)
    field = wizard.fields["oppstartsdato_forste_praksis"]
    text = field.message.text()
    assert "«Hos private virksomheter og bedrifter»" in text
    for other in ("Praksis med fokus arbeid", "Hos offentlig arbeidsgiver", "norskopplæring"):
        assert other not in text
    assert "Hos private virksomheter" in (field.locked_reason or field.editor.toolTip())
