"""The signing certificate in the export dialog: what is in use, and how to get one.

Shows the stored certificate with its validity (a warning 30 days before it expires,
a refusal when it has expired), and offers "Lag testsertifikat" (test installations
only; the key is generated off the UI thread) and importing a virksomhetssertifikat
from a PKCS#12 file with its password. The rules are the ones ``jsdesk cert`` uses.

Signals: ``credentials_changed()`` after a certificate was stored; ``busy_changed(bool)``
when making a test certificate starts and ends (the key is generated in a thread).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from jsdesk.errors import UserError
from jsdesk.submission import credentials as credential_store
from jsdesk.submission.credentials import (
    SigningCredentials,
    expiry_warning,
    load_credentials,
    load_pkcs12,
    require_usable,
    save_credentials,
)
from jsdesk.ui.background import BackgroundJob, Report
from jsdesk.ui.context import AppContext

ERROR_STYLE = "color:#a00000;font-weight:bold;"
WARNING_STYLE = "color:#7a4b00;font-weight:bold;"


def show_status(label: QLabel, text: str, *, error: bool) -> None:
    """Put ``text`` in a status label, marked as an error in words and style, and read out."""
    label.setText(text)
    label.setStyleSheet(ERROR_STYLE if error else "")
    label.setAccessibleName(text)


def certificate_problem(
    credentials: SigningCredentials | None, test_installation: bool, now: datetime
) -> str | None:
    """Why these credentials cannot sign now (Bokmål), or ``None`` when they can."""
    if credentials is None:
        how = (
            "Lag et testsertifikat eller importer virksomhetssertifikatet (PKCS#12) nedenfor."
            if test_installation
            else "Importer virksomhetssertifikatet (PKCS#12-fil og passord) nedenfor."
        )
        return f"Ingen signeringssertifikat er satt opp, så filen kan ikke signeres. {how}"
    try:
        require_usable(credentials.certificate, now)
    except UserError as exc:
        return exc.message.replace(" med 'jsdesk cert import'", " nedenfor")
    if credentials.is_test and not test_installation:
        return (
            "Dette er en produksjonsinstallasjon, men signeringssertifikatet er et "
            "testsertifikat. Importer virksomhetssertifikatet nedenfor."
        )
    return None


class CertificatePanel(QGroupBox):
    credentials_changed = Signal()
    busy_changed = Signal(bool)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Signeringssertifikat", parent)
        self.context = context
        self.setObjectName("sertifikat")
        self.credentials: SigningCredentials | None = None
        self._job: BackgroundJob | None = None
        layout = QGridLayout(self)
        self.status = QLabel("", self)
        self.status.setObjectName("sertifikat_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status, 0, 0, 1, 3)
        self.warning = QLabel("", self)
        self.warning.setObjectName("sertifikat_advarsel")
        self.warning.setWordWrap(True)
        layout.addWidget(self.warning, 1, 0, 1, 3)
        self.create_test = QPushButton("Lag &testsertifikat", self)
        self.create_test.setObjectName("lag_testsertifikat")
        self.create_test.setAccessibleName("Lag testsertifikat")
        self.create_test.clicked.connect(self.start_create_test)
        layout.addWidget(self.create_test, 2, 0, 1, 3)

        file_label = QLabel("P&KCS#12-fil:", self)
        self.p12_path = QLineEdit(self)
        self.p12_path.setObjectName("p12_fil")
        self.p12_path.setAccessibleName("PKCS#12-fil med virksomhetssertifikatet")
        file_label.setBuddy(self.p12_path)
        self.browse = QPushButton("&Bla gjennom …", self)
        self.browse.setObjectName("velg_p12")
        self.browse.setAccessibleName("Velg PKCS#12-fil")
        self.browse.clicked.connect(self._choose_file)
        layout.addWidget(file_label, 3, 0)
        layout.addWidget(self.p12_path, 3, 1)
        layout.addWidget(self.browse, 3, 2)
        password_label = QLabel("Pass&ord:", self)
        self.p12_password = QLineEdit(self)
        self.p12_password.setObjectName("p12_passord")
        self.p12_password.setAccessibleName("Passord til PKCS#12-filen")
        self.p12_password.setEchoMode(QLineEdit.EchoMode.Password)
        password_label.setBuddy(self.p12_password)
        self.import_button = QPushButton("&Importer virksomhetssertifikat", self)
        self.import_button.setObjectName("importer_sertifikat")
        self.import_button.setAccessibleName("Importer virksomhetssertifikat")
        self.import_button.clicked.connect(self.import_p12)
        self.p12_password.returnPressed.connect(self.import_p12)
        layout.addWidget(password_label, 4, 0)
        layout.addWidget(self.p12_password, 4, 1)
        layout.addWidget(self.import_button, 4, 2)
        self.message = QLabel("", self)
        self.message.setObjectName("sertifikat_melding")
        self.message.setWordWrap(True)
        layout.addWidget(self.message, 5, 0, 1, 3)

    # -- state -----------------------------------------------------------------
    def refresh(self) -> None:
        """Read the stored certificate and show it, with its warning or refusal."""
        db = self.context.require_db()
        test_installation = db.settings.test_installation
        self.create_test.setVisible(test_installation)
        self.credentials = load_credentials(db.signing_store)
        now = datetime.now(UTC)
        problem = certificate_problem(self.credentials, test_installation, now)
        if self.credentials is None:
            self.status.setText("Ingen signeringssertifikat er satt opp.")
        else:
            cert = self.credentials.certificate
            kind = " (TESTSERTIFIKAT, ikke ekte)" if self.credentials.is_test else ""
            self.status.setText(
                f"I bruk: {self.credentials.subject}{kind}, gyldig "
                f"{cert.not_valid_before_utc:%d.%m.%Y}–{cert.not_valid_after_utc:%d.%m.%Y}."
            )
        warning = (
            None if self.credentials is None else expiry_warning(self.credentials.certificate, now)
        )
        shown = problem or warning or ""
        self.warning.setText(shown)
        self.warning.setStyleSheet(ERROR_STYLE if problem else WARNING_STYLE)
        self.warning.setVisible(bool(shown))
        self.warning.setAccessibleName(shown)

    def problem(self) -> str | None:
        db = self.context.require_db()
        return certificate_problem(
            self.credentials, db.settings.test_installation, datetime.now(UTC)
        )

    @property
    def busy(self) -> bool:
        return self._job is not None

    def _tell(self, text: str, *, error: bool) -> None:
        show_status(self.message, text, error=error)

    def _stored(self, credentials: SigningCredentials, what: str) -> None:
        save_credentials(self.context.require_db().signing_store, credentials)
        self.refresh()
        self._tell(f"{what} er lagret (nøkkelen kryptert i databasen).", error=False)
        self.credentials_changed.emit()

    # -- test certificate ----------------------------------------------------------
    @Slot()
    def start_create_test(self) -> None:
        db = self.context.require_db()
        if not db.settings.test_installation or self._job is not None:
            return
        organisation = db.settings.kommunenummer

        def job(_report: Report) -> object:
            return credential_store.create_test_credentials(organisation)

        self.create_test.setEnabled(False)
        self._tell("Lager testsertifikat …", error=False)
        self._job = BackgroundJob(
            self, job, on_success=self._test_created, on_failure=self._job_failed
        ).start()
        self.busy_changed.emit(True)

    def _test_created(self, credentials: object) -> None:
        self._finish_job()
        assert isinstance(credentials, SigningCredentials)
        if not self.context.is_open:
            return  # locked meanwhile: nothing is stored
        self._stored(credentials, "Testsertifikatet")

    def _job_failed(self, exc: BaseException) -> None:
        self._finish_job()
        if isinstance(exc, UserError):
            self._tell(exc.message, error=True)
            return
        self._tell("Testsertifikatet ble ikke laget på grunn av en feil i jsdesk.", error=True)

    def _finish_job(self) -> None:
        if self._job is not None:
            self._job = None
            self.busy_changed.emit(False)
        self.create_test.setEnabled(True)

    # -- PKCS#12 import --------------------------------------------------------------
    @Slot()
    def _choose_file(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self,
            "Velg virksomhetssertifikat",
            self.p12_path.text() or str(Path.home()),
            "PKCS#12 (*.p12 *.pfx);;Alle filer (*)",
        )
        if chosen:
            self.p12_path.setText(chosen)
            self.p12_password.setFocus()

    @Slot()
    def import_p12(self) -> None:
        """Read the chosen file with its password and store it (the rules of ``cert import``)."""
        text = self.p12_path.text().strip()
        if not text:
            self._tell("Velg PKCS#12-filen med virksomhetssertifikatet først.", error=True)
            self.p12_path.setFocus()
            return
        path = Path(text).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._tell(f"Kan ikke lese {path}: {exc.strerror or exc}.", error=True)
            return
        try:
            credentials = load_pkcs12(data, self.p12_password.text())
            require_usable(credentials.certificate)
        except UserError as exc:
            self._tell(f"{path.name}: {exc.message}", error=True)
            return
        if credentials.is_test and not self.context.require_db().settings.test_installation:
            self._tell(
                f"{path.name}: testsertifikater kan bare brukes i en testinstallasjon; dette er "
                "en produksjonsinstallasjon.",
                error=True,
            )
            return
        self.p12_password.clear()
        self._stored(credentials, "Virksomhetssertifikatet")
