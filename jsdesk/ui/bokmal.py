"""Bokmål on jsdesk's own dialogs: standard button texts, the nb_NO locale, DD.MM.ÅÅÅÅ dates.

Qt ships no Bokmål translation of its standard buttons, so every dialog button box,
message box and wizard gets its texts set here explicitly; dates are typed and shown
as DD.MM.ÅÅÅÅ (``parse_nb_date``, ``format_*``). The texts inside Qt's own widgets
(context menus, spin boxes) are translated by :mod:`jsdesk.ui.qt_translator`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime

from PySide6.QtCore import QCollator, QLocale
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QWidget, QWizard

DATE_FORMAT_HINT = "DD.MM.ÅÅÅÅ"

_BUTTON_BOX_TEXTS: dict[QDialogButtonBox.StandardButton, str] = {
    QDialogButtonBox.StandardButton.Ok: "OK",
    QDialogButtonBox.StandardButton.Cancel: "Avbryt",
    QDialogButtonBox.StandardButton.Yes: "&Ja",
    QDialogButtonBox.StandardButton.No: "&Nei",
    QDialogButtonBox.StandardButton.Close: "&Lukk",
    QDialogButtonBox.StandardButton.Save: "&Lagre",
    QDialogButtonBox.StandardButton.Help: "&Hjelp",
    QDialogButtonBox.StandardButton.Apply: "&Bruk",
    QDialogButtonBox.StandardButton.Discard: "&Forkast",
    QDialogButtonBox.StandardButton.Reset: "&Tilbakestill",
    QDialogButtonBox.StandardButton.Open: "&Åpne",
    QDialogButtonBox.StandardButton.Retry: "&Prøv igjen",
}

_MESSAGE_BOX_TEXTS: dict[QMessageBox.StandardButton, str] = {
    QMessageBox.StandardButton.Ok: "OK",
    QMessageBox.StandardButton.Cancel: "Avbryt",
    QMessageBox.StandardButton.Yes: "&Ja",
    QMessageBox.StandardButton.No: "&Nei",
    QMessageBox.StandardButton.Close: "&Lukk",
}

WIZARD_BUTTON_TEXTS: dict[QWizard.WizardButton, str] = {
    QWizard.WizardButton.NextButton: "&Neste",
    QWizard.WizardButton.BackButton: "&Tilbake",
    # With autosave there is nothing to cancel: the button closes (Escape does the same).
    QWizard.WizardButton.CancelButton: "&Lukk",
    QWizard.WizardButton.FinishButton: "&Fullfør",
    QWizard.WizardButton.HelpButton: "&Hjelp",
    QWizard.WizardButton.CommitButton: "&Lagre",
}


def norwegian_locale() -> QLocale:
    return QLocale(QLocale.Language.NorwegianBokmal, QLocale.Country.Norway)


def sorted_norwegian(words: Iterable[str]) -> list[str]:
    """In Norwegian alphabetical order, as Qt sorts (æ, ø, å after z; ICU on Linux)."""
    return sorted(words, key=QCollator(norwegian_locale()).sortKey)


def upper_norwegian(text: str) -> str:
    return norwegian_locale().toUpper(text)


def install_locale() -> None:
    QLocale.setDefault(norwegian_locale())


def translate_button_box(box: QDialogButtonBox) -> None:
    for standard, text in _BUTTON_BOX_TEXTS.items():
        button = box.button(standard)
        if button is not None:
            button.setText(text)


def ok_cancel_buttons(
    parent: QWidget, on_accept: Callable[[], None], on_reject: Callable[[], None]
) -> QDialogButtonBox:
    """OK/Avbryt in Bokmål, OK the default button, wired to the dialog's handlers."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent
    )
    translate_button_box(buttons)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setDefault(True)
    buttons.accepted.connect(on_accept)
    buttons.rejected.connect(on_reject)
    return buttons


def translate_message_box(box: QMessageBox) -> None:
    for standard, text in _MESSAGE_BOX_TEXTS.items():
        button = box.button(standard)
        if button is not None:
            button.setText(text)


def translate_wizard(wizard: QWizard) -> None:
    for which, text in WIZARD_BUTTON_TEXTS.items():
        wizard.setButtonText(which, text)


def format_date(value: date | None) -> str:
    return "" if value is None else value.strftime("%d.%m.%Y")


def format_iso_date(iso: object) -> str:
    """A record's ISO date string shown as DD.MM.YYYY (anything else as given)."""
    if isinstance(iso, date):
        return format_date(iso)
    if isinstance(iso, str):
        try:
            return format_date(date.fromisoformat(iso))
        except ValueError:
            return iso
    return "" if iso is None else str(iso)


def format_time(moment: datetime) -> str:
    local = moment.astimezone() if moment.tzinfo is not None else moment
    return local.strftime("%H:%M:%S")


_TYPED_DATE = re.compile(r"^\s*(\d{1,2})[.\-/ ](\d{1,2})[.\-/ ](\d{4}|\d{2})\s*$")
_COMPACT_DATE = re.compile(r"^\s*(\d{2})(\d{2})(\d{4})\s*$")


def parse_nb_date(text: str, today: date | None = None) -> date | None:
    """A date typed as DD.MM.ÅÅÅÅ, D.M.ÅÅÅÅ, D.M.ÅÅ or DDMMÅÅÅÅ; None when it is not a real date.

    A two-digit year is this century's unless that would be more than ten years ahead.
    """
    match = _TYPED_DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    if len(match.group(3)) == 2:
        this_year = (today or date.today()).year
        year += 2000 if 2000 + year <= this_year + 10 else 1900
    try:
        return date(year, month, day)
    except ValueError:
        return None


def escape_mnemonic(text: str) -> str:
    """Show a literal '&' in a label or button text."""
    return text.replace("&", "&&")


# Keyboard focus must be plain to see (EN 301 549 / WCAG 2.4.7), also in styles whose own
# focus frame is faint: a thick outline colour plus a tinted background, not colour alone.
FOCUS_STYLE = """
QLineEdit:focus, QComboBox:focus, QSpinBox:focus, QTableView:focus, QListWidget:focus {
    border: 2px solid #0b4fb3;
}
QRadioButton:focus, QCheckBox:focus {
    background: #dbe8ff;
    border: 1px dashed #0b4fb3;
}
QPushButton:focus, QToolButton:focus {
    border: 2px solid #0b4fb3;
    padding: 2px 6px;
}
"""
