"""The right municipality, in the GUI: the wizard offers and fills in only the
installation's municipality, another municipality's number is shown as an error on the
field, in the page summary, in the overview and in the Send inn preview; an opened
record never puts the focus in the identity the form declares (``role: identity``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_support import shipping
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QListWidget
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import (
    FORM_VERSION,
    is_locked,
    make_installation,
    new_wizard,
    open_installation_window,
    person,
    synthetic,
    type_text,
    widget,
)

from jsdesk.forms import FormDefinition
from jsdesk.rules import form_by_version, shipped_form_paths
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.wizard import ParticipationWizard

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

DRAMMEN = "3301"


def open_window(
    qtbot: QtBot,
    installation: Installation,
    monkeypatch: pytest.MonkeyPatch,
    records: list[dict[str, object]],
    *,
    kommunenummer: str = DRAMMEN,
    bydel: str | None = None,
) -> MainWindow:
    """The overview of a new installation holding ``records``, on each back end."""
    make_installation(installation, records, kommunenummer=kommunenummer, bydel=bydel)
    return open_installation_window(qtbot, installation, monkeypatch)


def offered(wizard: ParticipationWizard, name: str) -> list[str]:
    combo = wizard.fields[name].editor
    assert isinstance(combo, QComboBox)
    return [combo.itemData(i) for i in range(combo.count()) if combo.itemData(i)]


def opened(qtbot: QtBot, window: MainWindow, pid: int) -> ParticipationWizard:
    wizard = window.open_participation(pid)
    assert wizard is not None
    qtbot.waitUntil(wizard.isActiveWindow)
    return wizard


def test_wizard__drammen_installation__fills_in_and_offers_only_drammens_numbers(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, installation, monkeypatch, [])
    wizard = new_wizard(qtbot, window)
    assert offered(wizard, "kommunenummer") == [DRAMMEN]  # no start yet: today's number
    type_text(qtbot, wizard, "fodselsnummer", synthetic(date(1987, 6, 14), 310))
    type_text(qtbot, wizard, "oppstartsdato", "01.03.2023")
    qtbot.keyClick(widget(wizard, "oppstartsdato"), Qt.Key.Key_Tab)
    assert offered(wizard, "kommunenummer") == ["3005", DRAMMEN]  # 2023 to today
    assert wizard.fields["kommunenummer"].value() == DRAMMEN  # filled in
    assert wizard.fields["kommunenummer"].problem is None
    assert is_locked(wizard, "bydel")  # Drammen reports no bydel
    window.close()


def test_wizard__oslo_bydel_installation__bydel_filled_in_changeable_to_other_bydeler(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the local file any of Oslo's bydeler may be chosen; on a shared database those
    the login is granted (here its one bydel)."""
    window = open_window(qtbot, installation, monkeypatch, [], kommunenummer="0301", bydel="030105")
    wizard = new_wizard(qtbot, window)
    type_text(qtbot, wizard, "fodselsnummer", synthetic(date(1987, 6, 14), 310))
    assert offered(wizard, "kommunenummer") == ["0301"]
    assert wizard.fields["bydel"].value() == "030105"
    bydeler = offered(wizard, "bydel")
    if installation.shared is None:
        assert "030101" in bydeler and "030115" in bydeler
    else:  # a shared database's login: only the bydeler it is granted (row-level security)
        assert bydeler == ["030105"]
    assert all(b.startswith("0301") for b in bydeler)
    assert "030116" not in bydeler and "030199" not in bydeler  # statistical areas, unknown
    window.close()


def test_other_municipality__shown_on_field_summary_overview_and_send_inn_preview(
    qtbot: QtBot, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jsdesk.ui.export_dialog import ExportDialog
    from jsdesk.ui.participations_model import COLUMNS

    other = person(date(1990, 1, 2), 400, "2024-03-01", kommunenummer="0301", bydel="030101")
    (pid,) = make_installation(installation, [other], kommunenummer=DRAMMEN, bydel=None)
    window = open_installation_window(qtbot, installation, monkeypatch)

    column = [c.title for c in COLUMNS].index("Feil/advarsler")
    details = window.overview.model.index(0, column).data(Qt.ItemDataRole.ToolTipRole)
    assert "«Kommune nr»" in details and "hører ikke til installasjonens kommune" in details

    wizard = opened(qtbot, window, pid)
    field = wizard.fields["kommunenummer"]
    assert field.problem == "error"
    assert "hører ikke til installasjonens kommune, Drammen" in field.message.text()
    assert field.problem_icon.isVisibleTo(wizard)
    assert "0301" in field.editor.currentText()  # type: ignore[attr-defined]  # kept, shown
    assert wizard.fields["bydel"].problem is None  # not locked or cleared because of it
    problems = wizard.findChild(QListWidget, "del1_problemer")
    assert problems is not None
    (item,) = [
        problems.item(i)
        for i in range(problems.count())
        if "hører ikke til installasjonens kommune" in problems.item(i).text()
    ]

    def whole_message_shown() -> bool:
        """The message wrapped at the list's width fits its row, and the row the list."""
        rect = problems.visualItemRect(item)
        wrapped = problems.fontMetrics().boundingRect(
            QRect(0, 0, rect.width(), 10_000), Qt.TextFlag.TextWordWrap, item.text()
        )
        return rect.height() >= wrapped.height() and problems.viewport().height() >= rect.bottom()

    qtbot.waitUntil(whole_message_shown)
    wizard.resize(640, wizard.height())  # narrower: the message wraps to more lines
    qtbot.waitUntil(lambda: problems.visualItemRect(item).width() < 500)
    qtbot.waitUntil(whole_message_shown)
    assert QApplication.focusWidget() in field.input_widgets()  # the first error
    wizard.close()

    dialog = ExportDialog(window.context, window)
    qtbot.addWidget(dialog)
    assert dialog.plan is not None and dialog.plan.included == ()
    assert dialog.excluded.rowCount() == 1
    reason = dialog.excluded.item(0, 2).text()
    assert "hører ikke til installasjonens kommune" in reason
    dialog.close()
    window.close()


@pytest.fixture
def text_identity_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FormDefinition]:
    """A copy of the shipped form whose identity (``role: identity``) is a text field,
    shipped beside it."""
    (shipped,) = (p for p in shipped_form_paths() if FORM_VERSION.split(".")[0] in p.name)
    data: dict[str, Any] = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["form"]["version"] = "2098.1"
    (identity,) = (v for v in data["variables"] if v.get("role") == "identity")
    identity["type"] = "string"
    path = tmp_path / "jobbsjansen-2098.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with shipping(path, tmp_path / "forms", monkeypatch):
        yield form_by_version("2098.1")


def test_open_existing__focus_skips_the_variable_with_role_identity_whatever_its_type(
    qtbot: QtBot,
    installation: Installation,
    monkeypatch: pytest.MonkeyPatch,
    text_identity_form: FormDefinition,
) -> None:
    from jsdesk.demo import generate_records

    # Of the installation's bydel: a shared database's login may store no other.
    records = generate_records(20, 5, bydel="030101")
    complete = next(r for r in records if not r.get("avslutningsdato"))
    (pid,) = make_installation(installation, [complete], form_version=text_identity_form.version)
    window = open_installation_window(qtbot, installation, monkeypatch)
    wizard = opened(qtbot, window, pid)
    assert wizard.form is text_identity_form
    assert wizard.evaluation is not None and wizard.evaluation.errors == ()
    identity = wizard.fields["fodselsnummer"]
    assert not identity.read_only  # a text field, not a fødselsnummer field
    assert QApplication.focusWidget() not in identity.input_widgets()
    assert QApplication.focusWidget() in wizard.fields["kommunenummer"].input_widgets()
    window.close()
