"""Every dependency rule of the shipped form, both directions, as the caseworker sees it."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialog,
    QLineEdit,
    QMessageBox,
    QPushButton,
)
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import (
    choose,
    is_locked,
    make_installation,
    new_wizard,
    open_installation_window,
    press,
    spin,
    stored,
    synthetic,
    type_search,
    type_text,
    widget,
)

from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.wizard import ParticipationWizard

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

FNR = synthetic(date(1988, 9, 3), 230)


@pytest.fixture
def app_installation(installation: Installation) -> Installation:
    """The overview on each back end (the local file, a shared database)."""
    return installation


@pytest.fixture
def wizard(qtbot: QtBot, wizard: ParticipationWizard) -> ParticipationWizard:
    """A new participation with fødselsnummer and start date typed in."""
    type_text(qtbot, wizard, "fodselsnummer", FNR)
    type_text(qtbot, wizard, "oppstartsdato", "01.03.2024")
    return wizard


def required_marked(wizard: ParticipationWizard, name: str) -> bool:
    return wizard.fields[name].label.text().endswith(" *")


def message(wizard: ParticipationWizard, name: str) -> str:
    label = wizard.fields[name].message
    return label.text() if label.isVisibleTo(wizard) else ""


def test_intro_date__ja_then_nei__enabled_required_then_locked_cleared_with_undo(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard
) -> None:
    wizard.go_to_page(2)
    assert is_locked(wizard, "intro_avsluttet_dato")
    assert "(låst)" in wizard.fields["intro_avsluttet_dato"].label.text()
    press(qtbot, wizard, "deltatt_intro_1")
    assert not is_locked(wizard, "intro_avsluttet_dato")
    assert required_marked(wizard, "intro_avsluttet_dato")
    assert "må fylles ut" in message(wizard, "intro_avsluttet_dato")
    type_text(qtbot, wizard, "intro_avsluttet_dato", "15.01.2024")
    assert message(wizard, "intro_avsluttet_dato") == ""
    assert stored(app_window, wizard)["intro_avsluttet_dato"] == "2024-01-15"

    press(qtbot, wizard, "deltatt_intro_2")
    field = wizard.fields["intro_avsluttet_dato"]
    assert is_locked(wizard, "intro_avsluttet_dato")
    assert field.edit.text() == ""
    assert stored(app_window, wizard).get("intro_avsluttet_dato") is None
    reason = field.locked_reason
    assert reason is not None and "deltager i introduksjonsprogrammet" in reason
    assert field.edit.toolTip() == reason
    assert "ble tømt" in wizard.undo_label.text()
    undo = widget(wizard, "angre")
    assert isinstance(undo, QPushButton) and undo.isVisibleTo(wizard)
    qtbot.keyClick(undo, Qt.Key.Key_Space)
    assert field.edit.text() == "15.01.2024"
    assert wizard.fields["deltatt_intro"].value() == 1
    values = stored(app_window, wizard)
    assert (values["deltatt_intro"], values["intro_avsluttet_dato"]) == (1, "2024-01-15")
    assert not is_locked(wizard, "intro_avsluttet_dato")


def test_intro_date__after_start__warning_under_field(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    wizard.go_to_page(2)
    press(qtbot, wizard, "deltatt_intro_1")
    type_text(qtbot, wizard, "intro_avsluttet_dato", "15.06.2024")
    assert message(wizard, "intro_avsluttet_dato").startswith("Advarsel:")
    assert "advarsler" in widget(wizard, "del2_oppsummering").text()


def test_antall_barn__omsorgsansvar_ja_nei__enabled_then_locked(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard
) -> None:
    wizard.go_to_page(2)
    assert is_locked(wizard, "antall_barn")
    press(qtbot, wizard, "omsorgsansvar_barn_1")
    assert not is_locked(wizard, "antall_barn")
    spin(qtbot, wizard, "antall_barn", 0)
    assert message(wizard, "antall_barn").startswith("Feil:")
    spin(qtbot, wizard, "antall_barn", 3)
    assert message(wizard, "antall_barn") == ""
    assert stored(app_window, wizard)["antall_barn"] == 3
    press(qtbot, wizard, "omsorgsansvar_barn_2")
    assert is_locked(wizard, "antall_barn")
    assert stored(app_window, wizard).get("antall_barn") is None


def test_bydel__kommune_not_oslo__locked_and_back_to_oslo_required(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard
) -> None:
    # An Oslo installation's list offers only Oslo: "not Oslo" is no answer.
    assert stored(app_window, wizard)["bydel"] == "030101"
    assert required_marked(wizard, "bydel")
    qtbot.keyClick(widget(wizard, "kommunenummer"), Qt.Key.Key_Home)  # – ikke besvart –
    assert is_locked(wizard, "bydel")
    assert stored(app_window, wizard).get("bydel") is None
    choose_text(qtbot, wizard, "kommunenummer", "0301")
    assert not is_locked(wizard, "bydel")
    assert required_marked(wizard, "bydel")
    assert "må fylles ut" in message(wizard, "bydel")


def choose_text(qtbot: QtBot, wizard: ParticipationWizard, name: str, prefix: str) -> None:
    combo = widget(wizard, name)
    assert isinstance(combo, QComboBox)
    for _attempt in range(3):
        type_search(qtbot, combo, prefix)
        if combo.currentText().startswith(prefix):
            return
    raise AssertionError((name, prefix, combo.currentText()))


@pytest.mark.parametrize(
    "box",
    ["norskopplaring_spraktrening_3", "arbeidsrettede_tiltak_6", "sted_arbeidspraksis_1"],
)
def test_first_practice_date__practice_checked_unchecked__required_then_open_with_warning(
    qtbot: QtBot, wizard: ParticipationWizard, box: str
) -> None:
    # Without registered practice the date is not locked; a date
    # given then is a warning, and unchecking practice keeps what was typed.
    name = "oppstartsdato_forste_praksis"
    wizard.go_to_page(3)
    assert not is_locked(wizard, name) and not required_marked(wizard, name)
    press(qtbot, wizard, box)
    assert not is_locked(wizard, name) and required_marked(wizard, name)
    type_text(qtbot, wizard, name, "01.02.2024")
    assert message(wizard, name).startswith("Feil:")
    press(qtbot, wizard, box)
    assert not is_locked(wizard, name) and not required_marked(wizard, name)
    assert wizard.fields[name].value() == "2024-02-01"
    assert "fylt ut selv om" in message(wizard, name)


END_OF_WORK = ("type_arbeid", "stillingsprosent_arbeid", "type_naring_arbeid")


def test_avslutning__drop_out_then_work__avbrutt_and_work_fields_swap(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard
) -> None:
    wizard.go_to_page(4)
    for name in ("hovedarsak_avbrutt", *END_OF_WORK):
        assert is_locked(wizard, name)
    choose(qtbot, wizard, "hovedarsak_avslutning", 16)
    assert not is_locked(wizard, "hovedarsak_avbrutt")
    assert required_marked(wizard, "hovedarsak_avbrutt")
    for name in END_OF_WORK:
        assert is_locked(wizard, name)
    choose(qtbot, wizard, "hovedarsak_avbrutt", 5)
    choose(qtbot, wizard, "hovedarsak_avslutning", 1)
    assert is_locked(wizard, "hovedarsak_avbrutt")
    assert stored(app_window, wizard).get("hovedarsak_avbrutt") is None
    for name in END_OF_WORK:
        assert not is_locked(wizard, name)
        assert required_marked(wizard, name)
    press(qtbot, wizard, "type_arbeid_2")
    choose(qtbot, wizard, "hovedarsak_avslutning", 14)
    for name in ("hovedarsak_avbrutt", *END_OF_WORK):
        assert is_locked(wizard, name)
    assert stored(app_window, wizard).get("type_arbeid") is None


def test_avslutning__part_four_answered__record_avsluttet_parts_required(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    wizard.go_to_page(3)
    assert not required_marked(wizard, "arbeidsrettede_tiltak")
    wizard.go_to_page(4)
    type_text(qtbot, wizard, "avslutningsdato", "30.06.2024")
    assert wizard.evaluation is not None and str(wizard.evaluation.stage) == "avsluttet"
    assert required_marked(wizard, "arbeidsrettede_tiltak")
    assert required_marked(wizard, "hovedarsak_avslutning")


def test_exclusive_code__ingen_tiltak__unchecks_others_and_says_so(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard
) -> None:
    wizard.go_to_page(2)
    press(qtbot, wizard, "tiltak_for_jobbsjansen_1")
    press(qtbot, wizard, "tiltak_for_jobbsjansen_3")
    press(qtbot, wizard, "tiltak_for_jobbsjansen_99")
    field = wizard.fields["tiltak_for_jobbsjansen"]
    assert field.value() == [99]
    assert "kan ikke kombineres" in message(wizard, "tiltak_for_jobbsjansen")
    assert "1 Opplæring i norsk og samfunnskunnskap" in message(wizard, "tiltak_for_jobbsjansen")
    assert stored(app_window, wizard)["tiltak_for_jobbsjansen"] == [99]
    press(qtbot, wizard, "tiltak_for_jobbsjansen_2")
    assert field.value() == [2]
    assert "99 Ingen tiltak" in message(wizard, "tiltak_for_jobbsjansen")
    assert stored(app_window, wizard)["tiltak_for_jobbsjansen"] == [2]


def test_locked_field__hvorfor__explains_in_engine_words(
    qtbot: QtBot, wizard: ParticipationWizard
) -> None:
    wizard.go_to_page(4)
    button = wizard.findChild(QAbstractButton, "hovedarsak_avbrutt_hvorfor")
    assert button is not None and button.isVisibleTo(wizard)
    qtbot.keyClick(button, Qt.Key.Key_Space)
    box = wizard.findChild(QMessageBox, "hvorfor_dialog")
    assert box is not None and box.isVisible()
    assert box.informativeText() == wizard.fields["hovedarsak_avbrutt"].locked_reason
    assert box.buttons()[0].text() == "OK"
    box.close()


def test_read_only_values__system_and_freg__shown_with_source(
    wizard: ParticipationWizard,
) -> None:
    fodselsar = wizard.fields["fodselsar"]
    assert fodselsar.editor.text() == "1988"
    assert "kilde: System" in fodselsar.label.text()
    assert isinstance(fodselsar.editor, QLineEdit) and fodselsar.editor.isReadOnly()
    fodeland = wizard.fields["fodeland"]
    assert fodeland.editor.text() == "hentes av registeret"
    assert "kilde: FREG" in fodeland.label.text()


def test_warning__accepted_with_reason__reason_stored(
    qtbot: QtBot, app_window: MainWindow, wizard: ParticipationWizard
) -> None:
    wizard.go_to_page(2)
    press(qtbot, wizard, "omsorgsansvar_barn_1")
    spin(qtbot, wizard, "antall_barn", 16)
    assert message(wizard, "antall_barn").startswith("Advarsel:")
    qtbot.keyClick(widget(wizard, "godta_advarsler"), Qt.Key.Key_Space)
    dialog = wizard.findChild(QDialog, "godta_advarsler_dialog")
    assert dialog is not None and dialog.isVisible()
    reasons = [
        edit
        for edit in dialog.findChildren(QLineEdit)
        if edit.objectName().startswith("begrunnelse_")
    ]
    assert reasons
    for edit in reasons:
        qtbot.keyClicks(edit, "Storfamilie, bekreftet av NAV")
    qtbot.keyClick(reasons[-1], Qt.Key.Key_Return)
    assert wizard.participation_id is not None
    record = app_window.context.require_db().get_participation(wizard.participation_id)
    accepted = {(w.variable, w.reason) for w in record.accepted_warnings}
    assert ("antall_barn", "Storfamilie, bekreftet av NAV") in accepted


def test_locked_date__calendar_button_disabled_too(wizard: ParticipationWizard) -> None:
    wizard.go_to_page(2)
    calendar = widget(wizard, "intro_avsluttet_dato_kalender")
    assert not calendar.isEnabled()
    assert widget(wizard, "intro_avsluttet_dato_hvorfor").isEnabled()


def test_production_installation__synthetic_number__not_saved_and_told_why(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_installation(installation, kommunenummer="4601", bydel=None, test=False)
    window = open_installation_window(qtbot, installation, monkeypatch)
    assert not window.banner.isVisible()
    wizard = new_wizard(qtbot, window)
    type_text(qtbot, wizard, "oppstartsdato", "01.03.2024")
    type_text(qtbot, wizard, "fodselsnummer", FNR)
    note = wizard.fields["fodselsnummer"].message.text()
    assert "Ikke lagret" in note and "syntetisk" in note
    assert wizard.saved_label.text().startswith("Ikke lagret")
    # What was typed before the number was whole is kept; the synthetic number itself is not.
    assert stored(window, wizard).get("fodselsnummer") != FNR
