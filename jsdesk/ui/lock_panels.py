"""First-start setup, the recovery key shown once, and the unlock screen.

They are panels inside the main window (not separate windows) so that the idle
lock can cover the overview without closing anything that is open.

The first-start screen offers «Lokal fil» (an encrypted file on this machine, the
default) or «Felles database» (the municipality's shared PostgreSQL server: address,
login and the server's CA file; see docs/server.md).

Signals: ``SetupPanel.create_requested(str, str, str, bool)`` with passphrase,
kommunenummer, bydel ("" outside Oslo) and test installation;
``SetupPanel.connect_requested(str, str)`` with the shared database's URL (no
password in it) and the password; ``RecoveryPanel.done()``;
``UnlockPanel.unlock_requested(str)`` with the secret;
``PasswordPanel.password_chosen(str)`` with the caseworker's own new password;
``Checking.cancelled()`` (``SharedDatabaseForm.checking``, ``UnlockPanel.checking``)
when the caseworker stops waiting for the shared database's server (Esc or «Avbryt»).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from jsdesk.domain.code_domains import MUNICIPALITIES, Choice
from jsdesk.errors import os_error_reason
from jsdesk.storage.files import write_atomic
from jsdesk.ui.printing import document, html_page, print_document, save_file

MIN_PASSPHRASE = 12
DEFAULT_PORT = 5432


def _message_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel("", parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
    return label


class Checking(QWidget):
    """While the shared database's server is asked (off the UI thread): a busy bar, what
    is going on, and «Avbryt» (or Esc), which stops the waiting; hidden otherwise."""

    cancelled = Signal()

    def __init__(self, parent: QWidget, name: str) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar(self)
        self.bar.setObjectName(f"{name}_indikator")
        self.bar.setRange(0, 0)  # no steps to count: it moves until the server answers
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(160)
        self.bar.setAccessibleName("Venter på serveren")
        self.text = _message_label(self, f"{name}_tekst")
        self.cancel_button = QPushButton("&Avbryt", self)
        self.cancel_button.setObjectName(f"{name}_avbryt")
        self.cancel_button.setAutoDefault(True)
        self.cancel_button.clicked.connect(self.cancelled)
        row.addWidget(self.bar)
        row.addWidget(self.text, 1)
        row.addWidget(self.cancel_button)
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), parent)
        self.escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.escape.setEnabled(False)
        self.escape.activated.connect(self.cancelled)
        self.hide()

    def start(self, text: str) -> None:
        self.text.setText(text)
        self.escape.setEnabled(True)
        self.show()
        self.cancel_button.setFocus()

    def stop(self) -> None:
        self.escape.setEnabled(False)
        self.hide()

    @property
    def running(self) -> bool:
        return self.escape.isEnabled()


def _password_edit(parent: QWidget, name: str, accessible: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setAccessibleName(accessible)
    return edit


class SetupPanel(QWidget):
    create_requested = Signal(str, str, str, bool)
    connect_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("oppsett")
        outer = QVBoxLayout(self)
        title = QLabel("Velkommen til jsdesk", self)
        title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        outer.addWidget(title)
        where = QLabel("Hvor skal registeret ligge?", self)
        outer.addWidget(where)
        choice = QHBoxLayout()
        self.choose_local = QRadioButton("&Lokal fil (kryptert, på denne maskinen)", self)
        self.choose_local.setObjectName("valg_lokal")
        self.choose_shared = QRadioButton("F&elles database (kommunens server)", self)
        self.choose_shared.setObjectName("valg_felles")
        self.choice = QButtonGroup(self)
        for button in (self.choose_local, self.choose_shared):
            self.choice.addButton(button)
            choice.addWidget(button)
        choice.addStretch(1)
        outer.addLayout(choice)
        self.pages = QStackedWidget(self)
        outer.addWidget(self.pages, 1)
        local = QWidget(self.pages)
        local.setObjectName("oppsett_lokal")
        self.local = local
        self.shared = SharedDatabaseForm(self.pages)
        self.shared.connect_requested.connect(self.connect_requested)
        self.pages.addWidget(local)
        self.pages.addWidget(self.shared)
        self.choose_local.setChecked(True)
        self.choose_local.toggled.connect(self._choice_changed)

        layout = QVBoxLayout(local)
        layout.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(
            "Databasen krypteres med en passordfrase du velger nå (minst 12 tegn). "
            "Etterpå vises en gjenopprettingsnøkkel én gang. Velg også kommunen "
            "(og bydelen i Oslo) som får utbetalt tilskuddet.",
            local,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        layout.addLayout(form)
        self.passphrase = _password_edit(local, "passordfrase", "Passordfrase")
        self.repeat = _password_edit(local, "gjenta_passordfrase", "Gjenta passordfrase")
        self.kommune = QComboBox(local)
        self.kommune.setObjectName("kommune")
        self.kommune.setAccessibleName("Kommune")
        self.kommune.setEditable(True)
        self.kommune.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.bydel = QComboBox(local)
        self.bydel.setObjectName("bydel")
        self.bydel.setAccessibleName("Bydel (bare Oslo)")
        self.test_installation = QCheckBox(
            "&Testinstallasjon (syntetiske fødselsnumre tillatt, alt merkes TEST)", local
        )
        self.test_installation.setObjectName("testinstallasjon")
        for text, widget in (
            ("&Passordfrase (minst 12 tegn):", self.passphrase),
            ("&Gjenta passordfrase:", self.repeat),
            ("&Kommune:", self.kommune),
            ("&Bydel (bare Oslo):", self.bydel),
        ):
            label = QLabel(text, local)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow("", self.test_installation)
        self.error = _message_label(local, "oppsett_feil")
        layout.addWidget(self.error)
        self.create_button = QPushButton("Opp&rett database", local)
        self.create_button.setAutoDefault(True)  # Enter on the focused button presses it
        self.create_button.setObjectName("opprett")
        self.create_button.clicked.connect(self.submit)
        self.passphrase.returnPressed.connect(self.repeat.setFocus)
        self.repeat.returnPressed.connect(self.submit)
        layout.addWidget(self.create_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.kommune.currentIndexChanged.connect(self._kommune_changed)
        self.kommune.editTextChanged.connect(self._kommune_changed)

    def _choice_changed(self) -> None:
        shared = self.choose_shared.isChecked()
        self.pages.setCurrentWidget(self.shared if shared else self.local)

    def first_field(self) -> QWidget:
        """Where the typing starts on the page chosen."""
        return self.shared.host if self.choose_shared.isChecked() else self.passphrase

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


class SharedDatabaseForm(QWidget):
    """The shared database's address, the caseworker's login and the server's CA file.

    The connection is always checked against the CA (``sslmode=verify-full``); the
    password is sent to the server only and never stored (asked at every start)."""

    connect_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("oppsett_felles")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(
            "Flere saksbehandlere i kommunen arbeider i det samme registeret på kommunens "
            "databaseserver. IT i kommunen gir deg serverens adresse, din innlogging (med et "
            "engangspassord første gang) og serverens CA-sertifikat (en fil). Passordet "
            "lagres ikke: du skriver det hver gang jsdesk starter.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        layout.addLayout(form)
        self.host = self._edit("felles_server", "Server (vertsnavn)")
        self.port = self._edit("felles_port", "Port")
        self.port.setText(str(DEFAULT_PORT))
        self.database = self._edit("felles_database", "Databasenavn")
        self.user = self._edit("felles_bruker", "Brukernavn")
        self.password = _password_edit(self, "felles_passord", "Passord")
        self.ca_file = self._edit("felles_ca", "CA-sertifikat (fil)")
        self.choose_ca = QPushButton("&Velg …", self)
        self.choose_ca.setObjectName("felles_ca_velg")
        self.choose_ca.setAccessibleName("Velg CA-sertifikatfil")
        self.choose_ca.clicked.connect(self._choose_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(self.choose_ca)
        for text, widget, row in (
            ("&Server (vertsnavn):", self.host, None),
            ("Por&t:", self.port, None),
            ("&Databasenavn:", self.database, None),
            ("&Brukernavn:", self.user, None),
            ("&Passord:", self.password, None),
            ("&CA-sertifikat (fil):", self.ca_file, ca_row),
        ):
            label = QLabel(text, self)
            label.setBuddy(widget)
            if row is None:
                form.addRow(label, widget)
            else:
                form.addRow(label, row)
        self.error = _message_label(self, "felles_feil")
        layout.addWidget(self.error)
        self.connect_button = QPushButton("&Koble til", self)
        self.connect_button.setAutoDefault(True)
        self.connect_button.setObjectName("koble_til")
        self.connect_button.clicked.connect(self.submit)
        self.password.returnPressed.connect(self.submit)
        layout.addWidget(self.connect_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.checking = Checking(self, "felles_sjekk")
        layout.addWidget(self.checking)
        layout.addStretch(1)

    def _edit(self, name: str, accessible: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setAccessibleName(accessible)
        return edit

    def _choose_ca(self) -> None:
        dialog = QFileDialog(self, "Velg serverens CA-sertifikat")
        dialog.setObjectName("felles_ca_dialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setNameFilter("Sertifikater (*.pem *.crt *.cer);;Alle filer (*)")
        dialog.fileSelected.connect(self.ca_file.setText)
        dialog.open()

    def url(self) -> str | None:
        """The URL from the fields (no password in it), or None with the problem shown."""
        host, database = self.host.text().strip(), self.database.text().strip()
        user, ca = self.user.text().strip(), self.ca_file.text().strip()
        port = self.port.text().strip()
        problem = None
        if not host:
            problem = "Skriv serverens adresse (vertsnavnet IT har gitt deg)."
        elif not (port.isdigit() and 0 < int(port) < 65536):
            problem = f"Porten må være et tall fra 1 til 65535 (vanligvis {DEFAULT_PORT})."
        elif not database:
            problem = "Skriv navnet på databasen (IT har gitt deg det)."
        elif not user:
            problem = "Skriv brukernavnet ditt (innloggingen IT har laget til deg)."
        elif not ca:
            problem = (
                "Velg serverens CA-sertifikat (en fil fra IT). Uten det kan ikke jsdesk "
                "kontrollere at det er kommunens server du kobler deg til."
            )
        elif not Path(ca).is_file():
            problem = f"Fant ikke CA-sertifikatet {ca}. Velg filen du har fått fra IT."
        if problem is not None:
            self.error.setText(problem)
            return None
        self.error.setText("")
        return (
            f"postgresql://{quote(user, safe='')}@{host}:{int(port)}/{quote(database, safe='')}"
            f"?sslmode=verify-full&sslrootcert={quote(str(Path(ca).resolve()), safe='/:')}"
        )

    def submit(self) -> None:
        if self.checking.running:
            return
        url = self.url()
        if url is None:
            return
        if not self.password.text():
            self.error.setText("Skriv passordet ditt (første gang: engangspassordet fra IT).")
            return
        self.error.setText("")
        self.connect_requested.emit(url, self.password.text())

    def set_checking(self, host: str | None) -> None:
        """Show that ``host`` is being asked (the button waits), or None: it is over."""
        self.connect_button.setEnabled(host is None)
        if host is None:
            self.checking.stop()
            self.connect_button.setFocus()
        else:
            self.checking.start(f"Kobler til {host} og kontrollerer innloggingen …")


class PasswordPanel(QWidget):
    """The caseworker chooses their own password instead of IT's one-time password;
    it is set on their own login to the shared database."""

    password_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eget_passord_panel")
        layout = QVBoxLayout(self)
        title = QLabel("Velg ditt eget passord", self)
        title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        layout.addWidget(title)
        intro = _message_label(self, "eget_passord_forklaring")
        intro.setText(
            "Du er logget inn med engangspassordet fra IT. Velg ditt eget passord nå (minst "
            f"{MIN_PASSPHRASE} tegn); det gjelder innloggingen din på den felles databasen "
            "fra nå av, og engangspassordet slutter å virke."
        )
        layout.addWidget(intro)
        form = QFormLayout()
        layout.addLayout(form)
        self.password = _password_edit(self, "eget_passord", "Nytt passord")
        self.repeat = _password_edit(self, "gjenta_eget_passord", "Gjenta nytt passord")
        for text, widget in (
            ("N&ytt passord:", self.password),
            ("&Gjenta nytt passord:", self.repeat),
        ):
            label = QLabel(text, self)
            label.setBuddy(widget)
            form.addRow(label, widget)
        self.error = _message_label(self, "eget_passord_feil")
        layout.addWidget(self.error)
        self.save_button = QPushButton("&Lagre passordet", self)
        self.save_button.setAutoDefault(True)
        self.save_button.setObjectName("lagre_eget_passord")
        self.save_button.clicked.connect(self.submit)
        self.password.returnPressed.connect(self.repeat.setFocus)
        self.repeat.returnPressed.connect(self.submit)
        layout.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def set_saving(self, saving: bool) -> None:
        """The new password is being set on the server (the button waits), or not."""
        self.save_button.setEnabled(not saving)
        if saving:
            self.error.setText("Lagrer det nye passordet på serveren …")

    def prepare(self) -> None:
        self.password.clear()
        self.repeat.clear()
        self.error.setText("")
        self.password.setFocus()

    def submit(self) -> None:
        if not self.save_button.isEnabled():
            return
        password = self.password.text()
        if len(password) < MIN_PASSPHRASE:
            self.error.setText(
                f"Passordet må ha minst {MIN_PASSPHRASE} tegn (det har {len(password)})."
            )
            return
        if password != self.repeat.text():
            self.error.setText("De to passordene er ikke like. Skriv det samme to ganger.")
            return
        self.error.setText("")
        self.password_chosen.emit(password)


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
        self.shared = False
        self.label = QLabel("&Passordfrase eller gjenopprettingsnøkkel:", self)
        self.secret = _password_edit(
            self, "hemmelighet", "Passordfrase eller gjenopprettingsnøkkel"
        )
        self.label.setBuddy(self.secret)
        layout.addWidget(self.label)
        layout.addWidget(self.secret)
        self.error = _message_label(self, "opplasing_feil")
        layout.addWidget(self.error)
        self.unlock_button = QPushButton("&Lås opp", self)
        self.unlock_button.setAutoDefault(True)  # Enter on the focused button presses it
        self.unlock_button.setObjectName("las_opp")
        self.unlock_button.clicked.connect(self.submit)
        self.secret.returnPressed.connect(self.submit)
        layout.addWidget(self.unlock_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.checking = Checking(self, "opplasing_sjekk")
        layout.addWidget(self.checking)
        layout.addStretch(1)

    def prepare(
        self, path: Path | str, *, idle: bool, problem: str | None = None, shared: bool = False
    ) -> None:
        self.shared = shared
        self.title.setText("Låst etter en periode uten aktivitet" if idle else "Databasen er låst")
        hint = "Det du hadde åpent er bevart og vises igjen når du låser opp. " if idle else ""
        if shared:
            self.label.setText("&Passord (din innlogging på den felles databasen):")
            self.secret.setAccessibleName("Passord")
            self.where.setText(f"{hint}Felles database: {path}")
        else:
            self.label.setText("&Passordfrase eller gjenopprettingsnøkkel:")
            self.secret.setAccessibleName("Passordfrase eller gjenopprettingsnøkkel")
            self.where.setText(f"{hint}Database: {path}")
        self.error.setText(problem or "")
        self.secret.clear()
        self.secret.setFocus()

    def set_checking(self, checking: bool) -> None:
        """The shared database's server is being asked (the button waits), or not."""
        self.unlock_button.setEnabled(not checking)
        if checking:
            self.error.setText("")
            self.checking.start("Kobler til den felles databasen …")
        else:
            self.checking.stop()
            self.secret.setFocus()

    def submit(self) -> None:
        if self.checking.running:
            return
        secret = self.secret.text()
        if not secret:
            self.error.setText(
                "Skriv passordet ditt."
                if self.shared
                else "Skriv passordfrasen eller gjenopprettingsnøkkelen."
            )
            return
        self.unlock_requested.emit(secret)
