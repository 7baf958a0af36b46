"""Pilot mode: a form file tried on a throwaway database, and broken forms explained.

The sandbox is a throwaway local file whatever database the program is given (SQLite only
by nature); with a shared database named, the sandbox writes nothing to it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import make_installation, new_wizard, synthetic, type_text

from jsdesk.errors import UserError
from jsdesk.paths import forms_dir
from jsdesk.rules import form_by_version
from jsdesk.ui.app import create_main_window, parse_options
from jsdesk.ui.export_dialog import ExportDialog
from jsdesk.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def start(qtbot: QtBot, form: Path, *db: str) -> MainWindow:
    """The sandbox on ``form``; ``db``: further options (``--db TARGET``)."""
    window = create_main_window(["jsdesk", "--form", str(form), "--sandbox", *db])
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is not window.loading or window.exit_code)
    return window


def test_pilot__broken_form__findings_in_dialog_no_crash(qtbot: QtBot, tmp_path: Path) -> None:
    broken = tmp_path / "utkast.yaml"
    shipped = (forms_dir() / "jobbsjansen-2023.yaml").read_text(encoding="utf-8")
    broken.write_text(
        shipped.replace('  title: "Jobbsjanseregisteret"', "  tittel: x", 1).replace(
            "type: code", "type: kode", 1
        ),
        encoding="utf-8",
    )
    window = start(qtbot, broken)
    box = window.findChild(QMessageBox, "skjemafeil_dialog")
    assert box is not None and box.isVisible()
    assert "utkast.yaml" in box.text()
    assert "ukjent nøkkel «tittel»" in box.informativeText()
    assert "finansieringstype" in box.informativeText()
    assert window.exit_code == 1
    assert not window.context.is_open
    box.accept()
    qtbot.waitUntil(lambda: not window.isVisible())


@pytest.mark.sqlite_only  # the sandbox is a throwaway local file on every back end
def test_pilot__valid_form__banner_synthetic_numbers_and_throwaway_db(
    qtbot: QtBot, tmp_path: Path
) -> None:
    form = tmp_path / "pilot.yaml"
    shutil.copy(forms_dir() / "jobbsjansen-2023.yaml", form)
    window = start(qtbot, form)
    assert window.stack.currentWidget() is window.overview
    assert "PILOT-SANDKASSE" in window.banner.text() and window.banner.isVisible()
    db_path = window.context.db_path
    assert db_path is not None and tmp_path not in db_path.parents
    wizard = new_wizard(qtbot, window)
    assert wizard.findChild(type(window.banner), "sandkasse_banner") is not None
    type_text(qtbot, wizard, "fodselsnummer", synthetic(date(1992, 2, 2), 200))
    assert wizard.saved_label.text().startswith("Lagret kl. ")
    messages = wizard.fields["fodselsnummer"].message.text()
    assert "syntetisk testnummer" in messages and "Feil" not in messages
    window.close()
    assert not db_path.exists()


@pytest.mark.parametrize("installation", ["postgresql"], indirect=True)
def test_pilot__shared_database_named__sandbox_is_a_local_throwaway_and_writes_nothing_there(
    qtbot: QtBot, tmp_path: Path, installation: Installation
) -> None:
    make_installation(installation)
    form = tmp_path / "pilot.yaml"
    shutil.copy(forms_dir() / "jobbsjansen-2023.yaml", form)
    window = start(qtbot, form, "--db", str(installation.target))
    assert window.stack.currentWidget() is window.overview
    assert "PILOT-SANDKASSE" in window.banner.text()
    db_path = window.context.db_path
    assert db_path is not None and window.context.db_url is None
    wizard = new_wizard(qtbot, window)
    type_text(qtbot, wizard, "fodselsnummer", synthetic(date(1992, 2, 2), 200))
    assert wizard.saved_label.text().startswith("Lagret kl. ")
    window.close()
    assert not db_path.exists()
    with installation.reopen() as shared:
        assert shared.query_participations(limit=10) == []


def test_pilot__form_without_sandbox__refused_with_message() -> None:
    with pytest.raises(UserError, match="--sandbox"):
        parse_options(["jsdesk", "--form", "utkast.yaml"])


def test_options__unknown_option__bokmal_message() -> None:
    with pytest.raises(UserError, match="ukjente valg: --fart"):
        parse_options(["jsdesk", "--fart"])
    with pytest.raises(UserError, match="--db: mangler verdi"):
        parse_options(["jsdesk", "--db"])


@pytest.mark.sqlite_only  # the sandbox is a throwaway local file on every back end
def test_pilot__form_with_new_version__participation_stored_banner_shown(
    qtbot: QtBot, tmp_path: Path
) -> None:
    form = tmp_path / "pilot.yaml"
    shipped = (forms_dir() / "jobbsjansen-2023.yaml").read_text(encoding="utf-8")
    assert 'version: "2023.1"' in shipped
    draft = shipped.replace('version: "2023.1"', 'version: "2099.7"', 1)
    draft = draft.replace('label: "Dato for oppstart"', 'label: "Startdato (utkast)"', 1)
    form.write_text(draft, "utf-8")
    window = start(qtbot, form)
    assert window.stack.currentWidget() is window.overview
    assert "skjemaversjon 2099.7" in window.banner.text() and window.banner.isVisible()
    wizard = new_wizard(qtbot, window)
    assert wizard.findChild(type(window.banner), "sandkasse_banner") is not None
    type_text(qtbot, wizard, "fodselsnummer", synthetic(date(1991, 3, 4), 210))
    assert wizard.saved_label.text().startswith("Lagret kl. "), wizard.saved_label.text()
    assert wizard.participation_id is not None
    record = window.context.require_db().get_participation(wizard.participation_id)
    assert record.form_version == "2099.7"
    # The export dialog plans with the draft form: the unfinished record is left out with
    # the reason in the draft form's words (nothing process-wide knows of the form).
    dialog = ExportDialog(window.context, window)
    qtbot.addWidget(dialog)
    assert dialog.plan is not None
    (left_out,) = dialog.plan.excluded
    assert left_out.id == wizard.participation_id
    assert "«Startdato (utkast)» må fylles ut" in left_out.reason
    window.close()
    with pytest.raises(UserError, match=r"2099\.7"):
        form_by_version("2099.7")
