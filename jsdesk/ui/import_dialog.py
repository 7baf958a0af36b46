"""Registry import in the GUI: choose a FREG/PAD extract, see what it would do, apply it.

``install_import_action(window, menu, toolbar)`` adds *Importer registeruttrekk …*
(Ctrl+I) to the overview. It opens a file chooser; the chosen file goes to an
``ImportDialog`` (object name ``import_dialog``) that reads, checks and matches
the file in a worker thread (``jsdesk.registry``: read_extract, then plan_extract,
which streams the rows through the checks) while a bar shows how far through the
file it is, then lists rows with problems (line and
problem), rows for unknown persons (not stored) and values that would change
(old → new). Applying (``apply_plan``) also runs in the worker.

Nothing is applied while the file has bad rows unless *Bruk de gyldige radene*
is ticked; changes to stored values only with *Godta endringer*.

Threads and the database: the worker gets everything it needs (database, path,
form, flags) when it starts and touches no widget; it reports back through Qt
signals, which run in the UI thread. The storage ``Database`` may be used from
another thread (its engine pools connections opened with
``check_same_thread=False``; every call has its own session and transaction,
and SQLite serialises writers). So that nothing else writes or closes the
database meanwhile, the dialog is application-modal (no wizard can be edited,
Ctrl+L cannot lock), the idle lock is paused while the worker runs, and the
dialog cannot be closed until the worker has finished.

Signals: ``ImportDialog.imported(object)`` with the ``ImportOutcome`` and the set
of participation ids touched, after values were stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QMenu,
    QProgressBar,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from jsdesk.errors import UserError
from jsdesk.registry import (
    ImportOutcome,
    ImportPlan,
    apply_plan,
    describe_value,
    plan_extract,
    read_extract,
)
from jsdesk.ui.background import BackgroundJob, Job, Report
from jsdesk.ui.bokmal import translate_button_box
from jsdesk.ui.busy_dialog import BusyGuardedDialog
from jsdesk.ui.window_state import last_folder, place, remember_folder

if TYPE_CHECKING:
    from jsdesk.forms import FormDefinition
    from jsdesk.registry import ValueChange
    from jsdesk.storage import Database
    from jsdesk.ui.host import MainWindowHost

MAX_LISTED = 500  # rows shown per list; the rest are counted
PROGRESS_STEPS = 1000  # the bar counts thousandths of the file
FILE_FILTER = "Registeruttrekk (*.csv *.json);;Alle filer (*)"


def _n(count: int, one: str, many: str) -> str:
    """``1 rad``, ``2 rader``."""
    return f"{count} {one if count == 1 else many}"


# --- the worker ---------------------------------------------------------------------------


def _plan_work(
    db: Database, path: Path, form: FormDefinition, allow_synthetic: bool, today: dt.date
) -> Job:
    def work(report: Report) -> object:  # worker thread: no widgets here
        report(f"Leser {path.name} …", 0, PROGRESS_STEPS)
        extract = read_extract(path)

        def progress(rows: int, position: int, size: int) -> None:
            done = position * PROGRESS_STEPS // size if size else PROGRESS_STEPS
            report(f"Kontrollerer {path.name}: {_n(rows, 'rad', 'rader')} …", done, PROGRESS_STEPS)

        return plan_extract(
            db, extract, form, allow_synthetic=allow_synthetic, today=today, progress=progress
        )

    return work


def _apply_work(
    db: Database,
    plan: ImportPlan,
    accept_changes: bool,
    file_name: str,
    today: dt.date,
    form: FormDefinition,
) -> Job:
    def work(report: Report) -> object:  # worker thread: no widgets here
        report("Lagrer verdiene …", 0, 1)
        return apply_plan(
            db, plan, accept_changes=accept_changes, source_name=file_name, today=today, form=form
        )

    return work


# --- the dialog ---------------------------------------------------------------------------


class ImportDialog(BusyGuardedDialog):
    imported = Signal(object, object)  # ImportOutcome, frozenset[int] of participation ids
    busy_changed = Signal(bool)

    def __init__(
        self,
        db: Database,
        path: Path,
        form: FormDefinition,
        *,
        allow_synthetic: bool,
        today: dt.date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.path = path
        self.form = form
        self.allow_synthetic = allow_synthetic
        self.today = today or dt.date.today()
        self.plan: ImportPlan | None = None
        self.outcome: ImportOutcome | None = None
        self._job: BackgroundJob | None = None
        self.setObjectName("import_dialog")
        self.setWindowTitle(f"Importer registeruttrekk – {path.name}")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        place(self, "registerimport", QSize(760, 620))
        layout = QVBoxLayout(self)

        self.status = QLabel("", self)
        self.status.setObjectName("import_status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.status.setAccessibleName("Status for importen")
        layout.addWidget(self.status)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("import_fremdrift")
        self.progress.setRange(0, 0)  # busy until the worker reports how far it is
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Importen arbeider")
        layout.addWidget(self.progress)

        self.problems = self._list(
            layout, "feilrader", "&Rader med feil (linje, kolonne: problem):", "Rader med feil"
        )
        self.unknown = self._list(
            layout,
            "ukjente_personer",
            "&Ukjente personer (lagres ikke):",
            "Rader for personer uten deltakelse",
        )
        self.changes = self._list(
            layout,
            "endringer",
            "&Endringer i lagrede verdier (gammel → ny):",
            "Verdier som ville bli endret",
        )
        self.use_good_rows = QCheckBox("&Bruk de gyldige radene", self)
        self.use_good_rows.setObjectName("bruk_gyldige_rader")
        self.use_good_rows.setAccessibleDescription(
            "Importer radene uten feil og hopp over radene med feil."
        )
        self.use_good_rows.toggled.connect(self._update_buttons)
        layout.addWidget(self.use_good_rows)
        self.accept_changes = QCheckBox("&Godta endringer", self)
        self.accept_changes.setObjectName("godta_endringer")
        self.accept_changes.setAccessibleDescription(
            "Erstatt lagrede verdier med verdiene fra uttrekket."
        )
        self.accept_changes.toggled.connect(self._update_buttons)
        layout.addWidget(self.accept_changes)
        self.hint = QLabel("", self)
        self.hint.setObjectName("import_hint")
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.hint)

        self.buttons = QDialogButtonBox(self)
        self.apply_button = QPushButton("&Importer", self)
        self.apply_button.setObjectName("importer")
        self.buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setObjectName("lukk")
        translate_button_box(self.buttons)
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for widget in (self.use_good_rows, self.accept_changes, self.apply_button):
            widget.hide()

    def _list(
        self, layout: QVBoxLayout, name: str, label_text: str, accessible: str
    ) -> QListWidget:
        label = QLabel(label_text, self)
        label.setObjectName(f"{name}_etikett")
        items = QListWidget(self)
        items.setObjectName(name)
        items.setAccessibleName(accessible)
        items.setWordWrap(True)  # a problem's whole text, not cut off at the edge
        label.setBuddy(items)
        layout.addWidget(label)
        layout.addWidget(items, 1)
        label.hide()
        items.hide()
        items.setProperty("label", label)
        return items

    # -- running ---------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None

    def start(self) -> None:
        """Read, check and match the file in the worker."""
        self._run(
            _plan_work(self.db, self.path, self.form, self.allow_synthetic, self.today),
            self._planned,
        )

    def apply(self) -> None:
        if self.plan is None or not self.apply_button.isEnabled() or self.busy:
            return
        self.use_good_rows.setEnabled(False)
        self.accept_changes.setEnabled(False)
        self.apply_button.setEnabled(False)
        self._run(
            _apply_work(
                self.db,
                self.plan,
                self.accept_changes.isChecked(),
                self.path.name,
                self.today,
                self.form,
            ),
            self._applied,
        )

    def _run(self, work: Job, then: Callable[[object], None]) -> None:
        def succeeded(result: object) -> None:
            then(result)
            self._job_finished()

        def failed(exc: BaseException) -> None:
            self._failed(exc)
            self._job_finished()

        self._job = BackgroundJob(
            self,
            work,
            on_success=succeeded,
            on_failure=failed,
            on_progress=self._progressed,
        )
        self.progress.show()
        self.close_button.setEnabled(False)
        self.busy_changed.emit(True)
        self._job.start()

    def _progressed(self, phase: str, done: int, total: int) -> None:
        self.status.setText(phase)
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _job_finished(self) -> None:
        self._job = None
        self.progress.hide()
        self.close_button.setEnabled(True)
        self.busy_changed.emit(False)
        if self.plan is None or self.outcome is not None:
            # Nothing (more) to choose: the file could not be read, or it was imported.
            self.close_button.setFocus()

    def wait_for_worker(self, timeout_ms: int = 60_000) -> bool:
        """Block until the worker (if any) has finished; for closing and tests."""
        return self._job is None or self._job.wait(timeout_ms)

    def _failed(self, exc: BaseException) -> None:
        message = (
            exc.message
            if isinstance(exc, UserError)
            else "Importen stoppet på grunn av en feil i jsdesk. Ingenting er endret."
        )
        self.status.setText(f"Filen {self.path.name} ble ikke importert.\n{message}")
        self.apply_button.hide()

    # -- showing the plan -----------------------------------------------------
    def _planned(self, result: object) -> None:
        assert isinstance(result, ImportPlan)
        self.plan = result
        checked = result.checked
        self._fill(
            self.problems, [str(problem) for problem in checked.problems], checked.problem_count
        )
        self._fill(
            self.unknown,
            [f"linje {item.line}, {item.masked_fnr}: {item.reason}" for item in result.unknown],
            result.unknown_count,
        )
        changes = sorted(result.changes, key=lambda change: change.line)
        self._fill(self.changes, [self._change_text(change) for change in changes], len(changes))
        bad = checked.bad_row_count
        self.use_good_rows.setVisible(bad > 0)
        self.accept_changes.setVisible(bool(result.changes))
        self.apply_button.show()
        lines = [
            f"{checked.kind.value}-uttrekk {self.path.name}: "
            f"{_n(checked.row_count, 'rad', 'rader')}.",
            f"{_n(len(result.new_values), 'ny verdi', 'nye verdier')} i tomme felt, "
            f"{_n(len(result.changes), 'endring', 'endringer')} av lagrede verdier, "
            f"{_n(result.unchanged, 'verdi', 'verdier')} er allerede like.",
            f"{_n(bad, 'rad', 'rader')} med feil, "
            f"{_n(result.unknown_count, 'rad', 'rader')} for ukjente personer (lagres ikke).",
        ]
        self.status.setText("\n".join(lines))
        self._update_buttons()
        first = next(
            (box for box in (self.problems, self.unknown, self.changes) if box.count()), None
        )
        (first or self.apply_button).setFocus()

    def _change_text(self, change: ValueChange) -> str:
        label = (
            self.form.variable(change.variable).label
            if self.form.has_variable(change.variable)
            else change.variable
        )
        old = describe_value(self.form, change.variable, change.old)
        new = describe_value(self.form, change.variable, change.new)
        return f"linje {change.line}, {change.masked_fnr}: {label}: {old} → {new}"

    @staticmethod
    def _fill(items: QListWidget, texts: Sequence[str], count: int) -> None:
        """The first ``MAX_LISTED`` of ``texts``, then how many of ``count`` are not listed."""
        items.clear()
        items.addItems(list(texts[:MAX_LISTED]))
        if count > MAX_LISTED:
            items.addItem(f"… og {count - MAX_LISTED} til.")
        label = items.property("label")
        visible = bool(texts)
        items.setVisible(visible)
        if isinstance(label, QLabel):
            label.setVisible(visible)
        if visible:
            items.setCurrentRow(0)

    def _update_buttons(self) -> None:
        plan = self.plan
        if plan is None or self.outcome is not None:
            return
        has_bad = bool(plan.checked.problems)
        blocked = has_bad and not self.use_good_rows.isChecked()
        changes = len(plan.changes) if self.accept_changes.isChecked() else 0
        something = bool(plan.new_values) or changes > 0
        self.apply_button.setEnabled(not blocked and something)
        hints = []
        if blocked:
            hints.append(
                "Filen har rader med feil. Ingenting importeres med mindre du krysser av "
                "for «Bruk de gyldige radene»."
            )
        if plan.changes and not self.accept_changes.isChecked():
            hints.append(
                f"{_n(len(plan.changes), 'lagret verdi', 'lagrede verdier')} beholdes. Kryss av "
                "for «Godta endringer» for å erstatte med verdiene fra uttrekket."
            )
        if not blocked and not something:
            hints.append("Det er ingenting å importere.")
        self.hint.setText("\n".join(hints))
        self.apply_button.setAccessibleDescription(" ".join(hints))

    def _applied(self, result: object) -> None:
        assert isinstance(result, ImportOutcome) and self.plan is not None
        self.outcome = result
        self.apply_button.hide()
        self.hint.setText("")
        text = (
            f"Importert: {_n(result.values_set, 'ny verdi', 'nye verdier')} og "
            f"{_n(result.changes_applied, 'endring', 'endringer')} i "
            f"{_n(result.participations, 'deltakelse', 'deltakelser')}."
        )
        if result.changes_left:
            text += f" {_n(result.changes_left, 'endring', 'endringer')} ble ikke tatt inn."
        skipped = self.plan.checked.bad_row_count
        if skipped:
            text += f" {_n(skipped, 'rad', 'rader')} med feil ble hoppet over."
        self.status.setText(text)
        chosen = list(self.plan.new_values) + (
            list(self.plan.changes) if self.accept_changes.isChecked() else []
        )
        self.imported.emit(result, frozenset(item.participation_id for item in chosen))

    # -- closing ----------------------------------------------------------------
    def busy_message(self) -> str | None:
        return "Vent til importen er ferdig …" if self.busy else None

    def show_busy_message(self, message: str) -> None:
        self.status.setText(message)


# --- the overview's action ----------------------------------------------------------------


class ImportController(QObject):
    """Owns the overview's import action: file chooser → ``ImportDialog`` → refresh."""

    def __init__(self, window: MainWindowHost) -> None:
        super().__init__(window.as_widget())
        self.window = window
        self.action = QAction("Importer &registeruttrekk …", window.as_widget())
        self.action.setObjectName("action_import")
        self.action.setShortcut(QKeySequence("Ctrl+I"))
        self.action.setToolTip("Importer registeruttrekk fra FREG eller PAD (Ctrl+I)")
        self.action.setStatusTip("Les inn en uttrekksfil fra Folkeregisteret eller PAD.")
        self.action.triggered.connect(self.choose_file)
        self.action.setEnabled(window.context.is_open)
        window.addAction(self.action)
        window.context.unlocked.connect(lambda: self.action.setEnabled(True))
        window.context.locked.connect(lambda: self.action.setEnabled(False))
        self.dialog: ImportDialog | None = None
        # Closing the window closes the database: let a running worker finish first.
        window.as_widget().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and self.dialog is not None:
            self.dialog.wait_for_worker()
        return False

    def choose_file(self) -> QFileDialog | None:
        if not self.window.context.is_open:
            return None
        chooser = QFileDialog(self.window.as_widget(), "Velg registeruttrekk (FREG eller PAD)")
        chooser.setObjectName("import_filvelger")
        chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        chooser.setNameFilter(FILE_FILTER)
        chooser.setDirectory(last_folder("registeruttrekk", str(Path.home())))
        chooser.fileSelected.connect(lambda name: remember_folder("registeruttrekk", name))
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        chooser.fileSelected.connect(lambda name: self.start(Path(name)))
        chooser.open()
        return chooser

    def start(self, path: Path) -> ImportDialog | None:
        context = self.window.context
        if not context.is_open:
            return None
        dialog = ImportDialog(
            context.require_db(),
            path,
            context.form_for_new(),
            allow_synthetic=context.allow_synthetic,
            parent=self.window.as_widget(),
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.busy_changed.connect(self._busy)
        dialog.imported.connect(self._imported)
        dialog.finished.connect(lambda _result, shown=dialog: self._forget(shown))
        self.dialog = dialog
        dialog.show()
        dialog.activateWindow()
        dialog.start()
        return dialog

    def _forget(self, dialog: ImportDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _busy(self, busy: bool) -> None:
        # The idle lock closes the database: not while the worker uses it.
        if busy:
            self.window.pause_idle_lock()
        else:
            self.window.resume_idle_lock()

    def _imported(self, _outcome: object, touched: object) -> None:
        self.window.refresh()
        self.window.reload_wizards(touched if isinstance(touched, frozenset) else frozenset())
        self.window.statusBar().showMessage("Registeruttrekket er importert.", 10000)


def install_import_action(window: MainWindowHost, menu: QMenu, toolbar: QToolBar) -> QAction:
    """Add the import action to the overview's menu and toolbar; returns the action."""
    controller = ImportController(window)
    controller.setObjectName("import_controller")
    for container in (menu, toolbar):
        settings = [a for a in container.actions() if a.objectName() == "action_settings"]
        if settings:
            container.insertAction(settings[0], controller.action)
        else:
            container.addAction(controller.action)
    return controller.action
