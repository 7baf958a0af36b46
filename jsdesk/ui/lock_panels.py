"""First-start setup, the recovery key shown once, and the unlock screen.

They are panels inside the main window (not separate windows) so that the idle
lock can cover the overview without closing anything that is open.

Signals: ``SetupPanel.create_requested(str, str, str, bool)`` with passphrase,
kommunenummer, bydel ("" outside Oslo) and test installation;
``RecoveryPanel.done()``; ``UnlockPanel.unlock_requested(str)`` with the secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from jsdesk.domain.code_domains import MUNICIPALITIES, Choice
from jsdesk.errors import os_error_reason
from jsdesk.storage.files import write_atomic
from jsdesk.ui.printing import document, html_page, print_document, save_file

MIN_PASSPHRASE = 12


def _message_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel("", parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
    return label


def _password_edit(parent: QWidget, name: str, accessible: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setAccessibleName(accessible)
    return edit


class SetupPanel(QWidget):
    create_requested = Signal(str, str, str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("oppsett")
        layout = QVBoxLayout(self)
        title = QLabel("Velkommen til jsdesk", self)
        title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        layout.addWidget(title)
        intro = QLabel(
            "Databasen krypteres med en passordfrase du velger nå (minst 12 tegn). "
            "Etterpå vises en gjenopprettingsnøkkel én gang. Velg også kommunen "
            "(og bydelen i Oslo) som får utbetalt tilskuddet.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        layout.addLayout(form)
        self.passphrase = _password_edit(self, "passordfrase", "Passordfrase")
        self.repeat = _password_edit(self, "gjenta_passordfrase", "Gjenta passordfrase")
        self.kommune = QComboBox(self)
        self.kommune.setObjectName("kommune")
        self.kommune.setAccessibleName("Kommune")
        self.kommune.setEditable(True)
        self.kommune.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.bydel = QComboBox(self)
        self.bydel.setObjectName("bydel")
        self.bydel.setAccessibleName("Bydel (bare Oslo)")
        self.test_installation = QCheckBox(
            "&Testinstallasjon (syntetiske fødselsnumre tillatt, alt merkes TEST)", self
        )
        self.test_installation.setObjectName("testinstallasjon")
        for text, widget in (
            ("&Passordfrase (minst 12 tegn):", self.passphrase),
            ("&Gjenta passordfrase:", self.repeat),
            ("&Kommune:", self.kommune),
            ("&Bydel (bare Oslo):", self.bydel),
        ):
            label = QLabel(text, self)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow("", self.test_installation)
        self.error = _message_label(self, "oppsett_feil")
        layout.addWidget(self.error)
        self.create_button = QPushButton("Opp&rett database", self)
        self.create_button.setAutoDefault(True)  # Enter on the focused button presses it
        self.create_button.setObjectName("opprett")
        self.create_button.clicked.connect(self.submit)
        self.passphrase.returnPressed.connect(self.repeat.setFocus)
        self.repeat.returnPressed.connect(self.submit)
        layout.addWidget(self.create_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.kommune.currentIndexChanged.connect(self._kommune_changed)
        self.kommune.editTextChanged.connect(self._kommune_changed)

    def set_choices(self, municipalities: Sequence[Choice], bydeler: Sequence[Choice]) -> None:
        """Offer the choices of the municipality and bydel domains (see code_domains)."""
        self.kommune.clear()
        for choice in municipalities:
            self.kommune.addItem(choice.label, choice.value)
        completer = QCompleter([self.kommune.itemText(i) for i in range(self.kommune.count())])
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.kommune.setCompleter(completer)
        self.kommune.setCurrentIndex(-1)
        self.bydel.clear()
        self.bydel.addItem("– ingen bydel –", "")
        for choice in bydeler:
            self.bydel.addItem(choice.label, choice.value)
        self._kommune_changed()

    def _kommune_changed(self) -> None:
        per_bydel = MUNICIPALITIES.reports_per_bydel(self._chosen_kommune())
        self.bydel.setEnabled(per_bydel)
        if not per_bydel:
            self.bydel.setCurrentIndex(0)

    def _chosen_kommune(self) -> str | None:
        typed = self.kommune.currentText().strip()
        index = self.kommune.findText(typed)
        if index < 0 and typed[:4].isdigit():
            index = self.kommune.findData(typed[:4])
        if index < 0:
            return None
        data = self.kommune.itemData(index)
        return str(data) if data else None

    def submit(self) -> None:
        passphrase = self.passphrase.text()
        problem = None
        kommune = self._chosen_kommune()
        bydel = str(self.bydel.currentData() or "")
        if len(passphrase) < MIN_PASSPHRASE:
            problem = (
                f"Passordfrasen må ha minst {MIN_PASSPHRASE} tegn (den har {len(passphrase)})."
            )
        elif passphrase != self.repeat.text():
            problem = "De to passordfrasene er ikke like. Skriv den samme frasen to ganger."
        elif kommune is None:
            problem = "Velg kommunen fra listen (skriv nummer eller navn og velg et forslag)."
        elif MUNICIPALITIES.reports_per_bydel(kommune) and not bydel:
            problem = "Oslo rapporterer per bydel: velg bydelen som får utbetalt tilskuddet."
        if problem is not None:
            self.error.setText(problem)
            return
        self.error.setText("")
        assert kommune is not None
        self.create_requested.emit(passphrase, kommune, bydel, self.test_installation.isChecked())


class RecoveryPanel(QWidget):
    """The recovery key, shown until the user confirms having kept it.

    The database is not opened for use before that: closing the window here leaves the key
    unconfirmed, and the next start shows a new key (the old one stops working).
    """

    done = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gjenopprettingsnokkel")
        layout = QVBoxLayout(self)
        title = QLabel("Gjenopprettingsnøkkel", self)
        title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        layout.addWidget(title)
        self.intro = _message_label(self, "nokkel_forklaring")
        layout.addWidget(self.intro)
        key_label = QLabel("&Gjenopprettingsnøkkel:", self)
        self.key = QLineEdit(self)
        self.key.setObjectName("nokkel")
        self.key.setReadOnly(True)
        self.key.setAccessibleName("Gjenopprettingsnøkkel")
        self.key.setMinimumWidth(420)
        key_label.setBuddy(self.key)
        layout.addWidget(key_label)
        layout.addWidget(self.key)
        row = QHBoxLayout()
        self.copy_button = QPushButton("&Kopier", self)
        self.copy_button.setObjectName("kopier_nokkel")
        self.copy_button.clicked.connect(self.copy_key)
        self.print_button = QPushButton("Skriv &ut …", self)
        self.print_button.setObjectName("skriv_ut_nokkel")
        self.print_button.clicked.connect(self.print_key)
        self.save_button = QPushButton("&Lagre som fil …", self)
        self.save_button.setObjectName("lagre_nokkel")
        self.save_button.clicked.connect(self.save_key)
        for button in (self.copy_button, self.print_button, self.save_button):
            button.setAutoDefault(True)  # Enter on the focused button presses it
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status = _message_label(self, "nokkel_status")
        layout.addWidget(self.status)
        self.confirm = QCheckBox("&Jeg har tatt vare på gjenopprettingsnøkkelen", self)
        self.confirm.setObjectName("bekreft_nokkel")
        layout.addWidget(self.confirm)
        self.continue_button = QPushButton("Fo&rtsett", self)
        self.continue_button.setAutoDefault(True)  # Enter on the focused button presses it
        self.continue_button.setObjectName("fortsett")
        self.continue_button.setEnabled(False)
        self.confirm.toggled.connect(self.continue_button.setEnabled)
        self.continue_button.clicked.connect(self._done)
        layout.addWidget(self.continue_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def show_key(self, key: str, *, replaced: bool = False) -> None:
        text = (
            "Skriv ned, skriv ut eller lagre nøkkelen nedenfor og oppbevar den trygt, atskilt "
            "fra maskinen. Den låser opp databasen hvis passordfrasen glemmes. Databasen kan "
            "ikke brukes før du har bekreftet at du har tatt vare på nøkkelen; lukkes vinduet "
            "før det, vises en ny nøkkel neste gang og denne slutter å virke."
        )
        if replaced:
            text = (
                "Gjenopprettingsnøkkelen ble ikke bekreftet forrige gang, så den er byttet ut og "
                "virker ikke lenger. Dette er den nye nøkkelen. " + text
            )
        self.intro.setText(text)
        self.key.setText(key)
        self.status.setText("")
        self.confirm.setChecked(False)

    def copy_key(self) -> None:
        QGuiApplication.clipboard().setText(self.key.text())
        self.status.setText(
            "Nøkkelen er kopiert. Lim den inn der du oppbevarer den, og tøm utklippstavlen etterpå."
        )

    def _key_html(self) -> str:
        return html_page(
            "Gjenopprettingsnøkkel for jsdesk",
            [
                f"<p style='font-family: monospace; font-size: 16pt'>{self.key.text()}</p>",
                "<p>Nøkkelen låser opp databasen hvis passordfrasen glemmes. Oppbevar den "
                "trygt, atskilt fra maskinen.</p>",
            ],
        )

    def print_key(self) -> None:
        print_document(
            self,
            document(self._key_html()),
            suggested="gjenopprettingsnokkel.pdf",
            done=self.status.setText,
        )

    def save_key(self) -> None:
        save_file(
            self,
            name="lagre_nokkel_dialog",
            title="Lagre gjenopprettingsnøkkelen",
            purpose="nokkel",
            suggested="gjenopprettingsnokkel.txt",
            name_filter="Tekstfiler (*.txt)",
            chosen=self.write_key,
        )

    def write_key(self, path: Path) -> None:
        text = (
            "Gjenopprettingsnøkkel for jsdesk\n\n"
            f"{self.key.text()}\n\n"
            "Nøkkelen låser opp databasen hvis passordfrasen glemmes. Oppbevar den trygt, "
            "atskilt fra maskinen.\n"
        )
        try:
            write_atomic(path, text.encode("utf-8"))
        except OSError as exc:
            self.status.setText(f"Kunne ikke lagre {path}: {os_error_reason(exc)}.")
            return
        self.status.setText(f"Nøkkelen er lagret i {path}. Flytt filen bort fra maskinen.")

    def _done(self) -> None:
        if not self.confirm.isChecked():
            return
        self.key.clear()
        self.done.emit()


class UnlockPanel(QWidget):
    unlock_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("opplasing")
        layout = QVBoxLayout(self)
        self.title = QLabel("Databasen er låst", self)
        self.title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        layout.addWidget(self.title)
        self.where = _message_label(self, "databasesti")
        layout.addWidget(self.where)
        label = QLabel("&Passordfrase eller gjenopprettingsnøkkel:", self)
        self.secret = _password_edit(
            self, "hemmelighet", "Passordfrase eller gjenopprettingsnøkkel"
        )
        label.setBuddy(self.secret)
        layout.addWidget(label)
        layout.addWidget(self.secret)
        self.error = _message_label(self, "opplasing_feil")
        layout.addWidget(self.error)
        self.unlock_button = QPushButton("&Lås opp", self)
        self.unlock_button.setAutoDefault(True)  # Enter on the focused button presses it
        self.unlock_button.setObjectName("las_opp")
        self.unlock_button.clicked.connect(self.submit)
        self.secret.returnPressed.connect(self.submit)
        layout.addWidget(self.unlock_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def prepare(self, path: Path | str, *, idle: bool, problem: str | None = None) -> None:
        self.title.setText("Låst etter en periode uten aktivitet" if idle else "Databasen er låst")
        hint = "Det du hadde åpent er bevart og vises igjen når du låser opp. " if idle else ""
        self.where.setText(f"{hint}Database: {path}")
        self.error.setText(problem or "")
        self.secret.clear()
        self.secret.setFocus()

    def submit(self) -> None:
        secret = self.secret.text()
        if not secret:
            self.error.setText("Skriv passordfrasen eller gjenopprettingsnøkkelen.")
            return
        self.unlock_requested.emit(secret)
