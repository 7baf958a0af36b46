"""The export dialog ("Send inn"): what goes in, what is left out and why, then the file.

The plan (``plan_submission``) is read on the UI thread when the dialog opens or the
selection changes; it is fast. The export itself (``create_submission``: re-read,
sign, verify, write, mark as sent) runs in a ``BackgroundJob`` thread that touches no
widgets and reports progress by signals.

Why the worker may use the open ``Database``: every public method of it opens its
own session, and the engine's ``QueuePool`` hands each thread its own connection
(``check_same_thread=False`` only lets a connection move between threads, it is never
shared at the same time). SQLite in WAL mode with ``BEGIN IMMEDIATE`` and
``busy_timeout`` serialises the writes. The one danger is the database being closed
under the worker (idle lock, Ctrl+L, quitting): the dialog is modal, refuses to
close while the export runs, and emits ``busy_changed(True)`` so the main window
stops the idle lock until ``busy_changed(False)``.

Signals: ``exported(object)`` with the ``SubmissionResult`` after a successful export;
``busy_changed(bool)`` when an export (or making a test certificate) starts and ends.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QSize, QStandardPaths, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from jsdesk.errors import UserError
from jsdesk.storage import Status, installation_wide_refusal, refused_for_rights
from jsdesk.submission.create import Plan, SubmissionResult, create_submission, plan_submission
from jsdesk.submission.credentials import load_certificate_file, load_recipient, save_recipient
from jsdesk.ui.background import BackgroundJob, Report
from jsdesk.ui.bokmal import format_date, translate_button_box
from jsdesk.ui.busy_dialog import BusyGuardedDialog
from jsdesk.ui.certificate_panel import ERROR_STYLE, CertificatePanel, show_status
from jsdesk.ui.context import AppContext
from jsdesk.ui.receipt import NEXT_STEPS_SETTING, ReceiptDialog
from jsdesk.ui.window_state import last_folder, place, remember_folder

WINDOW_NAME = "send_inn"
PREFERRED_SIZE = QSize(900, 760)
FOLDER_PURPOSE = "innsending"
LIST_LIMIT = 500  # included records listed by name; the count is always exact
# Share of the progress bar per phase of create_submission, in order.
PHASE_SHARES = (
    ("Henter poster", 50),
    ("Bygger og signerer", 25),
    ("Kontrollerer filen", 15),
    ("Skriver filen", 5),
    ("Markerer som innsendt", 5),
)


def overall_progress(phase: str, done: int, total: int) -> int:
    """Percent done over the whole export for ``done`` of ``total`` in ``phase``."""
    before = 0
    for name, share in PHASE_SHARES:
        if name == phase:
            return before + (share * done // total if total > 0 else 0)
        before += share
    return before


class ExportDialog(BusyGuardedDialog):
    exported = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.plan: Plan | None = None
        self.last_result: SubmissionResult | None = None
        self._job: BackgroundJob | None = None
        self.setObjectName("export_dialog")
        self.setWindowTitle("Send inn til Jobbsjanseregisteret")
        self.setModal(True)
        self.receipt: ReceiptDialog | None = None
        outer = QVBoxLayout(self)
        # The content scrolls on a small screen; the buttons below always show.
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        content = QWidget(scroll)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._build_selection())
        self.summary = QLabel("", self)
        self.summary.setObjectName("oppsummering")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        layout.addWidget(self.summary)
        layout.addLayout(self._build_lists(), 1)
        self.certificate = CertificatePanel(context, self)
        self.certificate.credentials_changed.connect(self._update)
        self.certificate.busy_changed.connect(self.busy_changed)
        layout.addWidget(self.certificate)
        recipient_row = QHBoxLayout()
        self.recipient = QLabel("", self)
        self.recipient.setObjectName("mottaker")
        self.recipient.setWordWrap(True)
        self.choose_recipient = QPushButton("Vel&g mottakersertifikat …", self)
        self.choose_recipient.setObjectName("velg_mottaker")
        self.choose_recipient.setAccessibleName("Velg mottakerens krypteringssertifikat")
        self.choose_recipient.clicked.connect(self._choose_recipient)
        recipient_row.addWidget(self.recipient, 1)
        recipient_row.addWidget(self.choose_recipient)
        layout.addLayout(recipient_row)
        layout.addLayout(self._build_folder())
        self.refusal = QLabel("", self)
        self.refusal.setObjectName("hindring")
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet(ERROR_STYLE)
        layout.addWidget(self.refusal)
        layout.addLayout(self._build_progress())
        scroll.setWidget(content)
        outer.addWidget(scroll, 1)
        outer.addWidget(self._build_buttons())
        place(self, WINDOW_NAME, PREFERRED_SIZE)
        self.year.currentIndexChanged.connect(lambda _index: self.refresh_plan())
        self.selection.idToggled.connect(self._selection_toggled)
        self.folder.textChanged.connect(lambda _text: self._update())
        self.refresh_plan()
        self.certificate.refresh()
        self._update()
        self.only_changed.setFocus()

    # -- construction --------------------------------------------------------------
    def _build_selection(self) -> QGroupBox:
        box = QGroupBox("Utvalg", self)
        grid = QGridLayout(box)
        self.only_changed = QRadioButton("&Nye og endrede poster siden forrige innsending", box)
        self.only_changed.setObjectName("utvalg_endret")
        self.all_in_year = QRadioButton("&Alle komplette poster i ett år (også innsendte)", box)
        self.all_in_year.setObjectName("utvalg_alle")
        self.selection = QButtonGroup(box)
        self.selection.addButton(self.only_changed, 0)
        self.selection.addButton(self.all_in_year, 1)
        self.only_changed.setChecked(True)
        year_label = QLabel("Å&r:", box)
        self.year = QComboBox(box)
        self.year.setObjectName("aar")
        self.year.setAccessibleName("År for innsendingen")
        # From this year back to the year the register opened (the form says which).
        opened = self.context.form_for_new().register_opened.year
        for year in range(date.today().year, opened - 1, -1):
            self.year.addItem(str(year), year)
        year_label.setBuddy(self.year)
        self.year.setEnabled(False)
        grid.addWidget(self.only_changed, 0, 0, 1, 3)
        grid.addWidget(self.all_in_year, 1, 0)
        grid.addWidget(year_label, 1, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.year, 1, 2)
        return box

    def _build_lists(self) -> QHBoxLayout:
        row = QHBoxLayout()
        left = QVBoxLayout()
        self.included_label = QLabel("Sendes &med:", self)
        self.included = QListWidget(self)
        self.included.setObjectName("med")
        self.included.setAccessibleName("Poster som sendes inn")
        self.included_label.setBuddy(self.included)
        left.addWidget(self.included_label)
        left.addWidget(self.included, 1)
        right = QVBoxLayout()
        self.excluded_label = QLabel("&Utelatt, og hvorfor:", self)
        self.excluded = QTableWidget(0, 3, self)
        self.excluded.setObjectName("utelatt")
        self.excluded.setAccessibleName("Poster som er utelatt, med årsak")
        self.excluded.setHorizontalHeaderLabels(["Fødselsnummer", "Status", "Årsak"])
        self.excluded.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.excluded.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.excluded.setTabKeyNavigation(False)
        self.excluded.setWordWrap(True)
        self.excluded.verticalHeader().hide()
        header = self.excluded.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # Row heights follow the wrapped reasons once the columns have their real widths.
        header.sectionResized.connect(lambda *_args: self.excluded.resizeRowsToContents())
        self.excluded_label.setBuddy(self.excluded)
        right.addWidget(self.excluded_label)
        right.addWidget(self.excluded, 1)
        row.addLayout(left, 2)
        row.addLayout(right, 5)
        return row

    def _build_folder(self) -> QHBoxLayout:
        row = QHBoxLayout()
        label = QLabel("Lagre i ma&ppe:", self)
        self.folder = QLineEdit(default_folder(), self)
        self.folder.setObjectName("mappe")
        self.folder.setAccessibleName("Mappe innsendingsfilen lagres i")
        label.setBuddy(self.folder)
        self.choose_folder = QPushButton("&Velg mappe …", self)
        self.choose_folder.setObjectName("velg_mappe")
        self.choose_folder.setAccessibleName("Velg mappe")
        self.choose_folder.clicked.connect(self._choose_folder)
        row.addWidget(label)
        row.addWidget(self.folder, 1)
        row.addWidget(self.choose_folder)
        return row

    def _build_progress(self) -> QGridLayout:
        grid = QGridLayout()
        progress_label = QLabel("Fremdrift:", self)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("fremdrift")
        self.progress.setAccessibleName("Fremdrift for innsendingen")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        progress_label.setBuddy(self.progress)
        self.phase = QLabel("", self)
        self.phase.setObjectName("fase")
        grid.addWidget(progress_label, 0, 0)
        grid.addWidget(self.progress, 0, 1)
        grid.addWidget(self.phase, 0, 2)
        result_label = QLabel("Laget fil:", self)
        self.result_name = QLineEdit(self)
        self.result_name.setObjectName("resultat")
        self.result_name.setAccessibleName("Innsendingsfilen som ble laget")
        self.result_name.setReadOnly(True)
        result_label.setBuddy(self.result_name)
        self.open_folder = QPushButton("&Åpne mappen", self)
        self.open_folder.setObjectName("apne_mappe")
        self.open_folder.setAccessibleName("Åpne mappen med innsendingsfilen")
        self.open_folder.setEnabled(False)
        self.open_folder.clicked.connect(self._open_folder)
        grid.addWidget(result_label, 1, 0)
        grid.addWidget(self.result_name, 1, 1)
        grid.addWidget(self.open_folder, 1, 2)
        self.message = QLabel("", self)
        self.message.setObjectName("melding")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        grid.addWidget(self.message, 2, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        return grid

    def _build_buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        translate_button_box(buttons)
        self.send = QPushButton("&Send inn", self)
        self.send.setObjectName("send_inn")
        self.send.setAccessibleName("Lag og send inn innsendingsfilen")
        self.send.setDefault(True)
        buttons.addButton(self.send, QDialogButtonBox.ButtonRole.ActionRole)
        self.send.clicked.connect(self.start_export)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setObjectName("lukk")
        QWidget.setTabOrder(self.send, self.close_button)  # as they are shown: left to right
        return buttons

    # -- the plan ----------------------------------------------------------------------
    @Slot(int, bool)
    def _selection_toggled(self, _button: int, checked: bool) -> None:
        if checked:
            self.year.setEnabled(self.all_in_year.isChecked())
            self.refresh_plan()

    def refresh_plan(self) -> None:
        """Plan again for the chosen selection and show what goes in and what is left out."""
        db = self.context.require_db()
        every = self.all_in_year.isChecked()
        year = self.year.currentData() if every else None
        self.plan = plan_submission(
            db, year=year, all_records=every, forms=self.context.form_for_version
        )
        self._show_plan(self.plan)
        self._update()

    def _show_plan(self, plan: Plan) -> None:
        self.included.clear()
        for text in included_lines(self.context, plan):
            self.included.addItem(text)
        self.included_label.setText(f"Sendes &med ({len(plan.included)}):")
        self.excluded.setRowCount(len(plan.excluded))
        for row, item in enumerate(plan.excluded):
            for column, text in enumerate((item.masked_fnr, item.status, item.reason)):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                self.excluded.setItem(row, column, cell)
        self.excluded.resizeRowsToContents()
        self.excluded_label.setText(f"&Utelatt, og hvorfor ({len(plan.excluded)}):")
        self.summary.setText(summary_text(plan))

    # -- what stops an export --------------------------------------------------------
    def blockers(self) -> list[str]:
        """Every reason the export cannot run now (Bokmål); empty when it can."""
        db = self.context.require_db()
        found: list[str] = []
        nothing = self._nothing_to_send()
        if nothing:
            found.append(nothing)
        problem = self.certificate.problem()
        if problem:
            found.append(problem)
        if not db.settings.test_installation and load_recipient(db) is None:
            found.append(
                "Ekte innsendinger skal krypteres til mottakeren, men intet mottakersertifikat "
                "er satt opp. Velg mottakerens sertifikat (PEM eller DER) med «Velg "
                "mottakersertifikat …»."
            )
        typed = self.folder.text().strip()
        if not typed:
            found.append("Velg mappen innsendingsfilen skal lagres i.")
        elif not Path(typed).expanduser().is_dir():
            found.append(f"Mappen «{typed}» finnes ikke. Velg en mappe som finnes.")
        return found

    def _nothing_to_send(self) -> str:
        if self.plan is None or self.plan.included:
            return ""
        return "Ingen poster å sende inn: ingen komplette poster i utvalget" + (
            " som er nye eller endret siden forrige innsending."
            if self.plan.selection == "changed"
            else "."
        )

    def _update(self) -> None:
        db = self.context.require_db()
        recipient = load_recipient(db)
        if recipient is not None:
            self.recipient.setText(
                f"Mottakersertifikat: {recipient.subject.rfc4514_string()}. Filen krypteres "
                "til mottakeren (.asice.p7m)."
            )
        elif db.settings.test_installation:
            self.recipient.setText(
                "Intet mottakersertifikat er satt opp: filen krypteres ikke (bare tillatt i en "
                "testinstallasjon)."
            )
        else:
            self.recipient.setText("Intet mottakersertifikat er satt opp.")
        found = self.blockers()
        shown = found
        if self.last_result is not None:
            # Right after a submission the records just sent are out of the selection: the
            # success message and the receipt say what happened, not "Ingen poster" in red.
            shown = [problem for problem in found if problem != self._nothing_to_send()]
        text = "\n".join(shown)
        self.refusal.setText(text)
        self.refusal.setAccessibleName(text)
        self.refusal.setVisible(bool(shown))
        self.send.setEnabled(not found and not self.busy)

    # -- the export ----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None

    @Slot()
    def start_export(self) -> None:
        """Start ``create_submission`` in a worker thread, unless something stops it."""
        if self.busy or self.certificate.busy:
            return
        found = self.blockers()
        if found or self.plan is None:
            self._update()
            self._tell("Innsendingsfilen er ikke laget:\n" + "\n".join(found), error=True)
            return
        db = self.context.require_db()
        plan = self.plan
        out_dir = Path(self.folder.text().strip()).expanduser()
        remember_folder(FOLDER_PURPOSE, out_dir)
        forms = self.context.form_for_version

        def job(report: Report) -> object:  # worker thread: no widgets here
            return create_submission(db, plan, out_dir, report, forms=forms)

        self.last_result = None
        self.result_name.clear()
        self.open_folder.setEnabled(False)
        self.progress.setValue(0)
        self._tell("Lager innsendingsfilen …", error=False)
        self._set_busy(True)
        self._job = BackgroundJob(
            self,
            job,
            on_success=self._succeeded,
            on_failure=self._failed,
            on_progress=self._progressed,
        ).start()

    def _set_busy(self, busy: bool) -> None:
        for widget in (
            self.only_changed,
            self.all_in_year,
            self.folder,
            self.choose_folder,
            self.choose_recipient,
            self.certificate,
            self.close_button,
        ):
            widget.setEnabled(not busy)
        self.year.setEnabled(not busy and self.all_in_year.isChecked())
        self.send.setEnabled(not busy)
        self.busy_changed.emit(busy)

    def _end_job(self) -> None:
        self._job = None
        self._set_busy(False)

    @Slot(str, int, int)
    def _progressed(self, phase: str, done: int, total: int) -> None:
        self.progress.setValue(overall_progress(phase, done, total))
        self.phase.setText(f"{phase} ({done} av {total})" if total > 1 else phase)

    def _succeeded(self, result: object) -> None:
        assert isinstance(result, SubmissionResult)
        self._end_job()
        self.last_result = result
        self.progress.setValue(100)
        self.phase.setText("Ferdig")
        self.result_name.setText(result.path.name)
        self.result_name.setToolTip(str(result.path))
        self.open_folder.setEnabled(True)
        lines = [
            f"Innsendingsfilen er laget og kontrollert: {result.record_count} poster"
            + (", kryptert til mottakeren." if result.encrypted else ", ikke kryptert.")
            + f" Den ligger i {result.path.parent}.",
            *result.warnings,
        ]
        if result.dropped:
            lines.append(
                f"{len(result.dropped)} poster ble endret mens filen ble laget og er ikke med: "
                + ", ".join(item.masked_fnr for item in result.dropped)
            )
        self._tell("\n".join(lines), error=False)
        self.refresh_plan()
        self.exported.emit(result)
        self.result_name.setFocus()
        self.show_receipt(result)

    def show_receipt(self, result: SubmissionResult) -> ReceiptDialog:
        next_steps = self.context.require_db().get_own_setting(NEXT_STEPS_SETTING) or ""
        self.receipt = ReceiptDialog(result, str(next_steps), self)
        self.receipt.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.receipt.open()
        return self.receipt

    def _failed(self, exc: BaseException) -> None:
        self._end_job()
        self.progress.setValue(0)
        self.phase.setText("")
        if isinstance(exc, UserError):
            self._tell(
                f"Innsendingsfilen ble ikke laget: {exc.message}\nIngen fil er lagret, og ingen "
                "poster er merket som innsendt.",
                error=True,
            )
            self._update()
            return
        self._tell(
            "Innsendingsfilen ble ikke laget på grunn av en feil i jsdesk. Ingen poster er "
            "merket som innsendt.",
            error=True,
        )
        self._update()  # BackgroundJob raises the bug again for the error handling

    def _tell(self, text: str, *, error: bool) -> None:
        show_status(self.message, text, error=error)

    # -- folder ----------------------------------------------------------------------------
    @Slot()
    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Velg mappe", self.folder.text())
        if chosen:
            self.folder.setText(chosen)
            remember_folder(FOLDER_PURPOSE, chosen)

    @Slot()
    def _choose_recipient(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self,
            "Velg mottakerens sertifikat",
            str(Path.home()),
            "Sertifikat (*.pem *.crt *.cer *.der);;Alle filer (*)",
        )
        if chosen:
            self.set_recipient_file(Path(chosen))

    def set_recipient_file(self, path: Path) -> None:
        """Store the certificate in ``path`` as the recipient files are encrypted to."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._tell(f"Kan ikke lese {path}: {exc.strerror or exc}.", error=True)
            return
        try:
            save_recipient(self.context.require_db(), load_certificate_file(path.name, data))
        except UserError as exc:
            if refused_for_rights(exc):
                # A shared database's recipient is the installation's: IT's owner login.
                self._tell(installation_wide_refusal("Mottakersertifikatet"), error=True)
                return
            self._tell(
                f"{path.name}: {exc.message}" if path.name not in exc.message else exc.message,
                error=True,
            )
            return
        self._update()
        self._tell("Mottakersertifikatet er lagret; filene krypteres til mottakeren.", error=False)

    @Slot()
    def _open_folder(self) -> None:
        if self.last_result is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_result.path.parent)))

    # -- closing -------------------------------------------------------------------------
    def busy_message(self) -> str | None:
        if self.busy or self.certificate.busy:
            return "Vent til innsendingsfilen er ferdig før du lukker."
        return None

    def show_busy_message(self, message: str) -> None:
        self._tell(message, error=False)


def default_folder() -> str:
    """The folder last used for submission files, else the user's documents folder."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    fallback = documents if documents and Path(documents).is_dir() else str(Path.home())
    return last_folder(FOLDER_PURPOSE, fallback)


def summary_text(plan: Plan) -> str:
    parts = [f"{len(plan.included)} poster sendes inn"]
    if plan.corrections:
        parts[0] += f", {plan.corrections} av dem som rettelser av tidligere innsendte poster"
    parts[0] += "."
    if plan.excluded:
        parts.append(f"{len(plan.excluded)} poster er utelatt fordi de har feil (se årsakene).")
    if plan.unchanged:
        parts.append(
            f"{plan.unchanged} innsendte poster er uendret siden forrige innsending og sendes "
            "ikke på nytt."
        )
    parts.append(
        f"Rapporteringsperiode: {format_date(plan.period_from)}–{format_date(plan.period_to)}."
    )
    if plan.test_data:
        parts.append("Testinstallasjon: filen merkes som TEST.")
    return " ".join(parts)


def included_lines(context: AppContext, plan: Plan) -> list[str]:
    """One line per included record (masked number, status, "rettelse"), at most LIST_LIMIT."""

    wanted = set(plan.included)
    lines: list[str] = []
    offset = 0
    db = context.require_db()
    while wanted and len(lines) < LIST_LIMIT:
        page = db.query_participations(order_by="id", descending=False, offset=offset, limit=1000)
        for summary in page:
            if summary.id in wanted and len(lines) < LIST_LIMIT:
                wanted.discard(summary.id)
                correction = Status(summary.status) in (Status.INNSENDT, Status.ENDRET)
                mark = " – RETTELSE" if correction else ""
                lines.append(f"{summary.masked_fnr} ({summary.status}){mark}")
        if len(page) < 1000:
            break
        offset += len(page)
    rest = len(plan.included) - len(lines)
    if rest > 0:
        lines.append(f"… og {rest} til")
    return lines
