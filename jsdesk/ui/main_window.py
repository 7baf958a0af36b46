"""The main window: setup/unlock panels and the participation overview.

The window is shown before any heavy module is imported; ``start()`` runs right
after and decides between first-start setup, unlock and (with ``JSDESK_PASSPHRASE``)
opening straight to the overview.

Start-up cost: the form and its rules, the panels, the overview, the wizard and the
dialogs pull in YAML, storage (SQLAlchemy, SQLCipher), the registry and the reports
(XlsxWriter). They are imported inside the methods that first need them, after the
window is painted: imported at the top they take the first window's imports from 191
to 627 modules and about three times the import time (``python -X importtime``;
benchmarks/startup.py times the first window).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6 import QtCore
from PySide6.QtCore import QItemSelectionModel, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from jsdesk.domain.period import Period
from jsdesk.errors import UserError
from jsdesk.ui.background import BackgroundJob, Job, Report
from jsdesk.ui.bokmal import FOCUS_STYLE, install_locale
from jsdesk.ui.context import IDLE_SETTING, AppContext
from jsdesk.ui.dialogs import DeleteDialog, SettingsDialog, message_box
from jsdesk.ui.window_state import place
from jsdesk.ui.window_state import settings as stored_settings

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QComboBox, QLineEdit, QTableView

    from jsdesk.storage import Database
    from jsdesk.ui.idle import IdleWatcher
    from jsdesk.ui.lock_panels import PasswordPanel, RecoveryPanel, SetupPanel, UnlockPanel
    from jsdesk.ui.overview import OverviewPanel
    from jsdesk.ui.participations_model import ParticipationsModel
    from jsdesk.ui.pilot import PilotSession
    from jsdesk.ui.report_actions import ReportActions
    from jsdesk.ui.submission_actions import SubmissionActions
    from jsdesk.ui.update_actions import UpdateActions
    from jsdesk.ui.wizard import ParticipationWizard

PASSPHRASE_ENV = "JSDESK_PASSPHRASE"
# The shared database chosen at the first start (its URL, never a password); --db and
# JSDESK_DB override it.
SHARED_DB_SETTING = "database/felles"
APP_TITLE = "jsdesk – Jobbsjanseregisteret"
WINDOW_NAME = "hovedvindu"
BANNER_STYLE = (
    "background:#fff3b0;color:#3d3000;border:2px solid #8a6d00;padding:6px;font-weight:bold;"
)


class MainWindow(QMainWindow):
    """Shown at once with only a "starting" line; ``start()`` builds the rest."""

    setup_panel: SetupPanel
    password_panel: PasswordPanel
    recovery_panel: RecoveryPanel
    unlock_panel: UnlockPanel
    overview: OverviewPanel
    model: ParticipationsModel
    table: QTableView
    search: QLineEdit
    status_filter: QComboBox
    stage_filter: QComboBox
    year_filter: QComboBox
    count_label: QLabel
    idle: IdleWatcher
    submission_actions: SubmissionActions  # export dialog and history
    report_actions: ReportActions
    update_actions: UpdateActions  # update packages (Fil → Installer oppdatering …)

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.exit_code = 0
        self.wizards: list[ParticipationWizard] = []
        self._hidden_wizards: list[ParticipationWizard] = []
        self._sandbox_dir: Path | None = None
        self.pilot: PilotSession | None = None  # the sandbox's live form and feedback
        self._pending_db: Database | None = None  # open, but its recovery key unconfirmed
        # Logins to the shared database run off the UI thread (a dead server takes the
        # connect timeout): the one the screen waits for, and every one still running.
        self._login: BackgroundJob | None = None
        self._server_jobs: list[BackgroundJob] = []
        self._toolbar: QToolBar | None = None
        self._built = False
        self.setObjectName("main_window")
        self.setWindowTitle(APP_TITLE)

        place(self, WINDOW_NAME, QSize(1200, 720))
        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 6)
        self.banner = QLabel("", central)
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        outer.addWidget(self.banner)
        # Storage problems (damaged database, failed daily backup) stay visible until
        # they are gone: a status-bar message that fades is easy to miss.
        self.installation_label: QLabel | None = None
        self.storage_warning = QLabel("", central)
        self.storage_warning.setObjectName("lagringsvarsel")
        self.storage_warning.setAccessibleName("Varsel om lagring")
        self.storage_warning.setWordWrap(True)
        self.storage_warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.storage_warning.setStyleSheet(
            "background:#fde2e1;border:2px solid #a4262c;color:#000;padding:4px;"
        )
        self.storage_warning.hide()
        outer.addWidget(self.storage_warning)
        self.stack = QStackedWidget(central)
        outer.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.loading = QLabel("Starter jsdesk …", self.stack)
        self.stack.addWidget(self.loading)

    # -- construction (after the window is on screen) -------------------------
    def _build(self) -> None:
        if self._built:
            return
        self._built = True
        from jsdesk.ui.idle import IdleWatcher
        from jsdesk.ui.lock_panels import PasswordPanel, RecoveryPanel, SetupPanel, UnlockPanel
        from jsdesk.ui.overview import OverviewPanel

        install_locale()
        self.stack.setStyleSheet(FOCUS_STYLE)
        self.loading.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)

        self.banner.setStyleSheet(BANNER_STYLE)
        self.setup_panel = SetupPanel(self.stack)
        self.recovery_panel = RecoveryPanel(self.stack)
        self.unlock_panel = UnlockPanel(self.stack)
        self.overview = OverviewPanel(self.context, self.stack)
        self.model = self.overview.model
        self.table = self.overview.table
        self.search = self.overview.search
        self.status_filter = self.overview.status_filter
        self.stage_filter = self.overview.stage_filter
        self.year_filter = self.overview.year_filter
        self.count_label = self.overview.count_label
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.password_panel = PasswordPanel(self.stack)
        for panel in (
            self.setup_panel,
            self.recovery_panel,
            self.unlock_panel,
            self.password_panel,
            self.overview,
        ):
            self.stack.addWidget(panel)
        self.idle = IdleWatcher(15, self)
        self.idle.idle.connect(lambda: self.lock(idle=True))
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.idle)
        self._build_actions()
        # Submissions: "Send inn …" and "Innsendinger …" (jsdesk/ui/submission_actions.py)
        from jsdesk.ui import submission_actions

        self.submission_actions = submission_actions.install(self)
        # Results, data quality and the list export: jsdesk/ui/report_actions.py
        from jsdesk.ui import report_actions

        self.report_actions = report_actions.install(self)
        self._build_help_menu()
        self.setup_panel.create_requested.connect(self._create_database)
        self.setup_panel.connect_requested.connect(self._connect_shared)
        self.password_panel.password_chosen.connect(self._password_chosen)
        self.recovery_panel.done.connect(self._recovery_confirmed)
        self.unlock_panel.unlock_requested.connect(self.unlock)
        self.setup_panel.shared.checking.cancelled.connect(self._cancel_login)
        self.unlock_panel.checking.cancelled.connect(self._cancel_login)
        self.context.changed.connect(self._schedule_refresh)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(300)
        self._refresh_timer.timeout.connect(self.refresh)
        self._backup_timer = QTimer(self)
        self._backup_timer.setSingleShot(True)
        self._backup_timer.setInterval(500)
        self._backup_timer.timeout.connect(self._daily_backup)
        self._set_unlocked_actions(False)

    def _action(self, name: str, text: str, keys: str | QKeySequence.StandardKey) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(keys))
        action.setToolTip(f"{text.replace('&', '')} ({QKeySequence(keys).toString()})")
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.action_new = self._action("action_new", "&Ny deltakelse", "Ctrl+N")
        self.action_new.triggered.connect(lambda: self.open_participation(None))
        self.action_open = self._action("action_open", "Å&pne", "Ctrl+O")
        self.action_open.triggered.connect(self.open_selected)
        self.table_open = QAction("Åpne valgt", self.table)
        self.table_open.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        self.table_open.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetShortcut)
        self.table_open.triggered.connect(self.open_selected)
        self.table.addAction(self.table_open)
        self.action_delete = self._action("action_delete", "Sl&ett …", "Delete")
        self.action_delete.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.removeAction(self.action_delete)
        self.table.addAction(self.action_delete)
        self.action_delete.triggered.connect(self.delete_selected)
        self.action_reveal = self._action(
            "action_reveal", "&Vis/skjul fødselsnummer", "Ctrl+Shift+F"
        )
        self.action_reveal.triggered.connect(self.toggle_reveal)
        self.action_print = self._action("action_print", "Skriv &ut deltakelse …", "Ctrl+P")
        self.action_print.triggered.connect(self.print_selected)
        self.action_find = self._action("action_find", "S&øk", "Ctrl+F")
        self.action_find.triggered.connect(lambda: self.search.setFocus())
        self.action_settings = self._action("action_settings", "&Innstillinger …", "Ctrl+,")
        self.action_settings.triggered.connect(self.show_settings)
        self.action_lock = self._action("action_lock", "&Lås nå", "Ctrl+L")
        self.action_lock.triggered.connect(lambda: self.lock(idle=False))
        self.action_quit = self._action("action_quit", "&Avslutt", "Ctrl+Q")
        self.action_quit.triggered.connect(self.close)
        file_menu = self.menuBar().addMenu("&Fil")
        for action in (
            self.action_new,
            self.action_open,
            self.action_delete,
            self.action_reveal,
            self.action_print,
            self.action_settings,
            self.action_lock,
            self.action_quit,
        ):
            file_menu.addAction(action)
        self._build_sort_menu()
        toolbar = QToolBar("Verktøylinje", self)
        toolbar.setObjectName("verktoylinje")
        toolbar.setMovable(False)
        for action in (
            self.action_new,
            self.action_open,
            self.action_delete,
            self.action_reveal,
            self.action_settings,
            self.action_lock,
        ):
            toolbar.addAction(action)
        self.addToolBar(toolbar)
        self._toolbar = toolbar
        # Registry import, all of it in jsdesk/ui/import_dialog.py.
        from jsdesk.ui.import_dialog import install_import_action

        self.action_import = install_import_action(self, file_menu, toolbar)
        # Update packages: "Installer oppdatering …" and the watched folder (ui/update_actions.py)
        from jsdesk.ui import update_actions

        self.update_actions = update_actions.install(self, file_menu, self.action_quit)

    def _build_help_menu(self) -> None:
        """Hjelp → Om jsdesk: versions and licence notices (jsdesk/ui/about_dialog.py)."""

        self.help_menu = self.menuBar().addMenu("&Hjelp")
        self.help_menu.setObjectName("hjelpemeny")
        self.action_about = QAction("&Om jsdesk …", self)
        self.action_about.setObjectName("action_about")
        self.action_about.triggered.connect(self.show_about)
        self.help_menu.addAction(self.action_about)

    def show_about(self) -> None:
        from jsdesk.ui.about_dialog import AboutDialog

        dialog = AboutDialog(self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _build_sort_menu(self) -> None:
        """Sorting by keyboard: Alt+O, then a column; choosing it again reverses the order."""
        from jsdesk.ui.participations_model import COLUMNS

        self.sort_menu = self.menuBar().addMenu("S&ortering")
        self.sort_menu.setObjectName("sorteringsmeny")
        for column, spec in enumerate(COLUMNS):
            if spec.order_by is None:
                continue
            action = self.sort_menu.addAction(f"Etter {spec.title.lower()}")
            action.setObjectName(f"sorter_{spec.order_by}")
            action.triggered.connect(lambda _checked=False, c=column: self.sort_by(c))

    def sort_by(self, column: int) -> None:
        header = self.table.horizontalHeader()
        ascending = QtCore.Qt.SortOrder.AscendingOrder
        descending = QtCore.Qt.SortOrder.DescendingOrder
        if header.sortIndicatorSection() == column:
            order = ascending if header.sortIndicatorOrder() == descending else descending
        else:
            order = ascending
        self.table.sortByColumn(column, order)

    def _set_unlocked_actions(self, unlocked: bool) -> None:
        for action in (
            self.action_new,
            self.action_open,
            self.table_open,
            self.action_delete,
            self.action_reveal,
            self.action_print,
            self.action_find,
            self.action_settings,
            self.action_lock,
        ):
            action.setEnabled(unlocked)

    # -- start-up -----------------------------------------------------------
    def start(self) -> None:
        """Runs once the window is shown: imports storage and opens the right panel."""
        self._build()
        if self.context.options.sandbox:
            self._start_sandbox()
            return
        from jsdesk.storage import database_target, default_target, shown_target

        given = self.context.options.db or os.environ.get("JSDESK_DB", "")
        target = default_target() if not given else database_target(given)
        if target.local_file is None:
            # A shared database: the caseworker's own login (password from the URL, the
            # environment or libpq's files); the server keeps the data and its backups.
            self.context.db_url = str(target.location)
            self.unlock(os.environ.get(PASSPHRASE_ENV, ""))
            return
        chosen = stored_settings().value(SHARED_DB_SETTING)
        if not given and isinstance(chosen, str):
            # «Felles database» was chosen at the first start: the caseworker's password
            # is asked for at every start (it is never stored).
            self.context.db_url = chosen
            secret = os.environ.get(PASSPHRASE_ENV)
            if secret:
                self.unlock(secret)
                return
            self.unlock_panel.prepare(shown_target(chosen), idle=False, shared=True)
            self.stack.setCurrentWidget(self.unlock_panel)
            self.unlock_panel.secret.setFocus()
            return
        path = target.local_file
        self.context.db_path = path
        if not path.exists():
            self._show_setup()
            return
        secret = os.environ.get(PASSPHRASE_ENV)
        if secret:
            self.unlock(secret)
            return
        self.unlock_panel.prepare(path, idle=False)
        self.stack.setCurrentWidget(self.unlock_panel)
        self.unlock_panel.secret.setFocus()

    def _show_setup(self) -> None:
        from jsdesk.domain.code_domains import MUNICIPALITIES, OSLO_BYDELER

        today = Period.day(date.today())
        self.setup_panel.set_choices(MUNICIPALITIES.choices(today), OSLO_BYDELER.choices(today))
        self.stack.setCurrentWidget(self.setup_panel)
        self.setup_panel.first_field().setFocus()

    def _connect_shared(self, url: str, password: str) -> None:
        """«Felles database» at the first start: log in; the choice is kept once it works."""
        self.context.db_url = url
        self.unlock(password)

    def _create_database(self, passphrase: str, kommune: str, bydel: str, test: bool) -> None:
        from jsdesk.storage import Database

        path = self.context.db_path
        assert path is not None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db, recovery_key = Database.create(
                path,
                passphrase,
                kommunenummer=kommune,
                bydel=bydel or None,
                test_installation=test,
                recovery_confirmed=False,
            )
        except UserError as exc:
            self.setup_panel.error.setText(exc.message)
            return
        self._show_recovery(db, recovery_key, replaced=False)

    def _show_recovery(self, db: Database, key: str, *, replaced: bool) -> None:
        """The recovery key, with the database held back until the user confirms it."""
        self._pending_db = db
        self.recovery_panel.show_key(key, replaced=replaced)
        self.stack.setCurrentWidget(self.recovery_panel)
        self.recovery_panel.key.setFocus()

    def _recovery_confirmed(self) -> None:
        db = self._pending_db
        if db is None:
            return
        try:
            db.confirm_recovery_key()
        except UserError as exc:
            self.recovery_panel.status.setText(exc.message)
            return
        self._pending_db = None
        self._opened(db)
        self._backup_timer.start()

    def _start_sandbox(self) -> None:
        from jsdesk.rules import check_form_file, load_form
        from jsdesk.storage import Database

        form_path = self.context.options.form_path
        if form_path is None:
            self._fatal("Pilotmodus trenger et skjema: bruk --form FIL sammen med --sandbox.")
            return
        if not form_path.is_file():
            self._fatal(f"Finner ikke skjemafilen {form_path}.")
            return
        problems = check_form_file(form_path)
        if problems:
            self._fatal(
                f"Skjemadefinisjonen {form_path.name} kan ikke brukes. Dette er funnet:",
                "\n".join(str(problem) for problem in problems),
                name="skjemafeil_dialog",
            )
            return
        # The pilot form is passed explicitly wherever a record of it is evaluated
        # (the wizard, the registry import); nothing process-wide learns of it.
        self.context.pilot_form = load_form(form_path)
        from jsdesk.ui.pilot import PilotSession  # only the sandbox has the pilot panels

        self.pilot = PilotSession(self, form_path, self.context.pilot_form)
        self._sandbox_dir = Path(tempfile.mkdtemp(prefix="jsdesk-sandkasse-"))
        from jsdesk.domain.code_domains import OSLO_BYDELER

        # The sandbox is an Oslo bydel installation, so every part-1 field is in play.
        kommune, bydel = OSLO_BYDELER.kommunenummer, OSLO_BYDELER.first()
        db, _key = Database.create(
            self._sandbox_dir / "sandkasse.db",
            secrets.token_urlsafe(24),
            kommunenummer=kommune,
            bydel=bydel,
            test_installation=True,
        )
        self.context.db_path = self._sandbox_dir / "sandkasse.db"
        self._opened(db)

    def _fatal(self, text: str, details: str | None = None, *, name: str = "feil_dialog") -> None:
        self.exit_code = 1
        self.loading.setText(text)

        box = message_box(self, "jsdesk kan ikke starte", text, details=details, name=name)
        box.finished.connect(lambda _result: self.close())

    # -- lock and unlock ------------------------------------------------------
    def unlock(self, secret: str) -> None:
        from jsdesk.storage import Database

        if self.context.db_url is not None:
            self._log_in(self.context.db_url, secret)
            return
        path = self.context.db_path
        assert path is not None
        try:
            # The daily backup copies the whole database: run it after the overview is up.
            db = Database.open(path, secret, daily_backup=False)
        except UserError as exc:
            self.unlock_panel.prepare(path, idle=False, problem=exc.message)
            self.stack.setCurrentWidget(self.unlock_panel)
            return
        if not db.recovery_key_confirmed:
            # The window was closed on the recovery key last time: that key may never have
            # been written down. It is replaced (the old one stops working) and shown again.
            try:
                key = db.new_recovery_key()
            except UserError as exc:
                db.close()
                self.unlock_panel.prepare(path, idle=False, problem=exc.message)
                self.stack.setCurrentWidget(self.unlock_panel)
                return
            self._show_recovery(db, key, replaced=True)
            return
        self._opened(db)
        self._backup_timer.start()

    # -- the shared database's server, off the UI thread ------------------------
    def _on_server(
        self,
        job: Job,
        done: Callable[[BackgroundJob, object], None],
        failed: Callable[[BackgroundJob, BaseException], None],
    ) -> BackgroundJob:
        """Run ``job`` (it talks to the server) in the background; the window keeps
        answering and waits for it only when it closes."""

        def finished(run: BackgroundJob) -> None:
            if run in self._server_jobs:
                self._server_jobs.remove(run)

        def succeeded(result: object) -> None:
            finished(run)
            done(run, result)

        def failed_with(exc: BaseException) -> None:
            finished(run)
            failed(run, exc)

        run = BackgroundJob(self, job, on_success=succeeded, on_failure=failed_with)
        self._server_jobs.append(run)
        return run.start()

    def _log_in(self, url: str, secret: str) -> None:
        """Log in to the shared database: at the first start (the choice is kept once it
        works), at every start and after the idle lock. The screen shows that the server
        is being asked, and Esc or «Avbryt» stops the waiting."""
        from jsdesk.storage import Database, PasswordNeeded, shown_target

        if self._login is not None:
            return
        setting_up = self.stack.currentWidget() is self.setup_panel
        if setting_up:
            self.setup_panel.choose_local.setEnabled(False)  # one answer awaited at a time
            self.setup_panel.shared.set_checking(self.setup_panel.shared.host.text().strip())
        else:
            if self.stack.currentWidget() is not self.unlock_panel:  # a password given at start
                self.unlock_panel.prepare(shown_target(url), idle=False, shared=True)
                self.stack.setCurrentWidget(self.unlock_panel)
            self.unlock_panel.set_checking(True)

        def log_in(_report: Report) -> tuple[Database, bool]:
            shared = Database.connect(url, secret or None)  # reads the settings too
            try:
                return shared, shared.must_change_password
            except BaseException:
                shared.close()
                raise

        def logged_in(run: BackgroundJob, result: object) -> None:
            assert isinstance(result, tuple)
            shared, must_change = cast("tuple[Database, bool]", result)
            if run is not self._login:  # the caseworker stopped waiting for it
                shared.close()
                return
            self._login = None
            self._logged_in(shared, must_change, url, setting_up)

        def refused(run: BackgroundJob, exc: BaseException) -> None:
            if run is not self._login:
                return
            self._login = None
            self._stop_checking()
            message = exc.message if isinstance(exc, UserError) else "Innloggingen stanset."
            if setting_up:  # the first-start screen shows why, and nothing is kept
                self.context.db_url = None
                self.setup_panel.shared.error.setText(message)
                return
            if isinstance(exc, PasswordNeeded) and not secret:
                # Started with no password (Kerberos or libpq's files did not serve):
                # the prompt asks for it; nothing the caseworker typed was wrong.
                message = ""
            self.unlock_panel.prepare(shown_target(url), idle=False, problem=message, shared=True)
            self.stack.setCurrentWidget(self.unlock_panel)

        self._login = self._on_server(log_in, logged_in, refused)

    @property
    def waiting_for_server(self) -> bool:
        """True while a login to the shared database is awaited (the screen says so)."""
        return self._login is not None

    @property
    def talking_to_server(self) -> bool:
        """True while any login or password change is still running (one the caseworker
        stopped waiting for too)."""
        return bool(self._server_jobs)

    def _stop_checking(self) -> None:
        self.setup_panel.choose_local.setEnabled(True)
        self.setup_panel.shared.set_checking(None)
        self.unlock_panel.set_checking(False)

    def _cancel_login(self) -> None:
        """Esc or «Avbryt» while the server is asked: stop waiting; a late answer is dropped."""
        if self._login is None:
            return
        self._login = None
        self._stop_checking()
        stopped = "Avbrutt. Ingenting er lagret; prøv igjen når du vil."
        if self.stack.currentWidget() is self.setup_panel:
            self.context.db_url = None
            self.setup_panel.shared.error.setText(stopped)
        else:
            self.unlock_panel.error.setText(stopped)

    def _logged_in(self, shared: Database, must_change: bool, url: str, setting_up: bool) -> None:
        self._stop_checking()
        if setting_up:
            stored_settings().setValue(SHARED_DB_SETTING, url)  # no password in it
        if must_change:
            self._pending_db = shared
            self.password_panel.prepare()
            self.stack.setCurrentWidget(self.password_panel)
            self.password_panel.password.setFocus()
            return
        self._opened(shared)

    def _password_chosen(self, password: str) -> None:
        """The caseworker's own password replaces IT's one-time password on their login."""
        db = self._pending_db
        if db is None:
            return
        self.password_panel.set_saving(True)

        def changed(_run: BackgroundJob, _result: object) -> None:
            self.password_panel.set_saving(False)
            if self._pending_db is not db:  # the window is closing
                return
            self._pending_db = None
            self._opened(db)
            self.statusBar().showMessage("Det nye passordet ditt er lagret.", 8000)

        def refused(_run: BackgroundJob, exc: BaseException) -> None:
            self.password_panel.set_saving(False)
            if isinstance(exc, UserError):
                self.password_panel.error.setText(exc.message)

        self._on_server(lambda _report: db.change_login_password(password), changed, refused)

    def _daily_backup(self) -> None:
        if not self.context.is_open:
            return
        db = self.context.require_db()
        if db.damage is not None:
            self._show_storage_warning(db.damage)
            return
        try:
            made = db.ensure_daily_backup()
        except UserError as exc:
            self._show_storage_warning(
                db.damage or f"FEIL: Dagens sikkerhetskopi ble ikke laget. {exc.message}"
            )
            return
        self._show_storage_warning(None)
        if made is not None and not self.statusBar().currentMessage():
            # A routine notice: it never hides a message the user is reading (an installed
            # update, a saved export).
            self.statusBar().showMessage("Dagens sikkerhetskopi er laget.", 8000)

    def installation_text(self) -> str:
        """ "Oslo (0301), bydel Gamle Oslo (030101)": whose register this installation is."""

        from jsdesk.domain.code_domains import MUNICIPALITIES, OSLO_BYDELER

        settings = self.context.require_db().settings
        nr = settings.kommunenummer
        name = MUNICIPALITIES.name_of(nr, Period.day(date.today()))
        text = f"{name} ({nr})" if name else nr
        # A shared database's login registers for the bydeler it is granted.
        bydeler = [settings.bydel] if settings.bydel else list(settings.login_bydeler or ())
        if bydeler:
            shown = [
                f"{OSLO_BYDELER.name_of(bydel)} ({bydel})" if OSLO_BYDELER.name_of(bydel) else bydel
                for bydel in bydeler
            ]
            text += f", {'bydel' if len(shown) == 1 else 'bydelene'} {', '.join(shown)}"
        return text

    def _show_installation(self) -> None:
        text = self.installation_text()
        self.setWindowTitle(f"{APP_TITLE} – {text}")
        if self.installation_label is None:  # in the status bar once a database is open
            self.installation_label = QLabel("", self)
            self.installation_label.setObjectName("installasjon")
            self.statusBar().addPermanentWidget(self.installation_label)
        self.installation_label.setText(f"Kommune: {text}")
        self.installation_label.setAccessibleName(f"Installasjonen gjelder {text}")

    def _show_storage_warning(self, text: str | None) -> None:
        if text is None:
            self.storage_warning.hide()
            return
        self.storage_warning.setText(text)
        self.storage_warning.show()

    def _opened(self, db: Database) -> None:
        self.context.open(db)
        self.overview.fill_filters()
        self._show_installation()
        self._show_banner()
        self._show_storage_warning(db.damage)
        self.refresh()
        self.stack.setCurrentWidget(self.overview)
        self._set_unlocked_actions(True)
        for wizard in self._hidden_wizards:
            wizard.show()
        self._hidden_wizards.clear()
        self.idle.set_minutes(self.context.idle_minutes())
        self.idle.start()
        self.table.setFocus()
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.selectionModel().setCurrentIndex(
                self.model.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )

    def lock(self, *, idle: bool) -> None:
        if not self.context.is_open:
            return
        self.idle.stop()

        for top in QApplication.topLevelWidgets():
            # Small dialogs (delete, settings, "Hvorfor?") may show personal data: close
            # them; the wizards only hide and come back as they were.
            if isinstance(top, QDialog) and top not in self.wizards and top.isVisible():
                top.reject()
        for wizard in self.wizards:
            if wizard.isVisible():
                wizard.hide()
                self._hidden_wizards.append(wizard)
        self.model.hide_revealed()
        self.context.lock()
        self.model.refresh()
        self._set_unlocked_actions(False)
        where = self.context.db_url or self.context.db_path
        assert where is not None
        if self.context.db_url is not None:
            from jsdesk.storage import shown_target

            where = shown_target(self.context.db_url)
        self.unlock_panel.prepare(where, idle=idle, shared=self.context.db_url is not None)
        self.stack.setCurrentWidget(self.unlock_panel)
        self.unlock_panel.secret.setFocus()

    def _show_banner(self) -> None:
        if self.context.options.sandbox:
            form = self.context.pilot_form
            version = f" (skjemaversjon {form.version})" if form is not None else ""
            self.banner.setText(
                f"PILOT-SANDKASSE: skjemaet {self.context.options.form_path}{version} på en "
                "midlertidig database som slettes når programmet lukkes. Syntetiske "
                "fødselsnumre er tillatt. Ingenting herfra kan sendes inn."
            )
            self.banner.show()
        elif self.context.allow_synthetic:
            self.banner.setText(
                "TEST: dette er en testinstallasjon. Syntetiske fødselsnumre tillatt."
            )
            self.banner.show()
        else:
            self.banner.hide()

    # -- overview -------------------------------------------------------------
    def _schedule_refresh(self) -> None:
        self._refresh_timer.start()

    def refresh(self) -> None:
        self.overview.refresh()

    # -- what the dialogs may ask (jsdesk.ui.host.MainWindowHost) ----------------------
    @property
    def toolbar(self) -> QToolBar | None:
        return self._toolbar

    def as_widget(self) -> QWidget:
        return self

    def pause_idle_lock(self) -> None:
        self.idle.stop()

    def resume_idle_lock(self) -> None:
        if self.context.is_open:
            self.idle.start()

    def reload_wizards(self, participation_ids: frozenset[int]) -> None:
        for wizard in list(self.wizards):
            if wizard.participation_id in participation_ids:
                wizard.reload()

    def selected_id(self) -> int | None:
        index = self.table.currentIndex()
        summary = self.model.summary(index.row()) if index.isValid() else None
        return summary.id if summary is not None else None

    def open_selected(self) -> None:
        participation_id = self.selected_id()
        if participation_id is not None:
            self.open_participation(participation_id)

    def open_participation(self, participation_id: int | None) -> ParticipationWizard | None:
        if not self.context.is_open:
            return None
        from jsdesk.ui.wizard import ParticipationWizard

        for wizard in self.wizards:
            if participation_id is not None and wizard.participation_id == participation_id:
                wizard.show()
                wizard.raise_()
                wizard.activateWindow()
                return wizard
        try:
            if participation_id is None:
                form = self.context.form_for_new()
            else:
                stored = self.context.require_db().get_participation(participation_id)
                form = self.context.form_for_version(stored.form_version)
        except UserError as exc:
            message_box(self, "Kan ikke åpne deltakelsen", exc.message)
            return None
        wizard = ParticipationWizard(self.context, form, participation_id)
        wizard.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.finished.connect(lambda _result, w=wizard: self._wizard_closed(w))
        self.wizards.append(wizard)
        if self.pilot is not None:
            self.pilot.attach(wizard)
        wizard.show()
        wizard.activateWindow()
        return wizard

    def _wizard_closed(self, wizard: ParticipationWizard) -> None:
        if wizard in self.wizards:
            self.wizards.remove(wizard)
        self.refresh()
        if wizard.participation_id is not None and self.context.is_open:
            stored = self.context.require_db().get_participation(wizard.participation_id)
            self.statusBar().showMessage(
                f"Deltakelsen er lagret med status «{stored.status}».", 10000
            )

    def delete_selected(self) -> None:
        index = self.table.currentIndex()
        summary = self.model.summary(index.row()) if index.isValid() else None
        if summary is None:
            return

        dialog = DeleteDialog(summary.masked_fnr, self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.confirmed.connect(lambda reason, pid=summary.id: self._delete(pid, reason))
        dialog.open()

    def _delete(self, participation_id: int, reason: str) -> None:
        for wizard in list(self.wizards):
            if wizard.participation_id == participation_id:
                wizard.close()
        self.context.require_db().delete_participation(participation_id, reason=reason)
        self.refresh()
        self.statusBar().showMessage("Deltakelsen ble slettet.", 8000)

    def print_selected(self) -> None:
        """ "Skriv ut deltakelse …" (Ctrl+P) for the selected participation."""
        participation_id = self.selected_id()
        if participation_id is None:
            return
        from jsdesk.ui.print_record import PrintParticipationDialog

        stored = self.context.require_db().get_participation(participation_id)
        dialog = PrintParticipationDialog(
            self.context.form_for_version(stored.form_version),
            stored.values,
            title=f"Deltakelse {participation_id}",
            status=str(stored.status),
            done=lambda text: self.statusBar().showMessage(text, 15000),
            parent=self,
        )
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def toggle_reveal(self) -> None:
        if self.model.revealed:
            self.model.hide_revealed()
            return
        index = self.table.currentIndex()
        participation_id = self.selected_id()
        if participation_id is None:
            return
        from jsdesk.forms import Role

        stored = self.context.require_db().get_participation(participation_id)
        form = self.context.form_for_version(stored.form_version)
        identity = form.role_variable(Role.IDENTITY)  # the form says which is the identity
        number = stored.values.get(identity.name) if identity is not None else None
        if isinstance(number, str):
            self.model.reveal(index.row(), number)

    def show_settings(self) -> None:
        from jsdesk.domain.code_domains import MUNICIPALITIES

        db = self.context.require_db()
        settings = db.settings
        name = MUNICIPALITIES.name_of(settings.kommunenummer, Period.day(date.today())) or ""
        installation = [
            ("Kommune", f"{settings.kommunenummer} {name}".strip()),
            ("Bydel", settings.bydel or "–"),
            ("Testinstallasjon", "ja" if settings.test_installation else "nei"),
            ("Database", str(self.context.db_path)),
        ]
        from jsdesk.ui.receipt import NEXT_STEPS_SETTING

        next_steps = str(db.get_own_setting(NEXT_STEPS_SETTING) or "")
        dialog = SettingsDialog(installation, self.context.idle_minutes(), self, next_steps)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.idle_minutes_chosen.connect(self._set_idle_minutes)
        dialog.next_steps_chosen.connect(
            lambda text: self.context.require_db().set_own_setting(NEXT_STEPS_SETTING, text)
        )
        dialog.open()

    def _set_idle_minutes(self, minutes: int) -> None:
        self.context.require_db().set_own_setting(IDLE_SETTING, str(minutes))
        self.idle.set_minutes(minutes)
        self.idle.start()

    # -- closing ----------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        for wizard in list(self.wizards):
            wizard.close()
        self._login = None
        for run in list(self._server_jobs):  # at most the server's connect timeout
            run.wait()
        if self._pending_db is not None:
            self._pending_db.close()
            self._pending_db = None
        if self._built:
            self.idle.stop()
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self.idle)
        self.context.close()
        if self._sandbox_dir is not None:
            shutil.rmtree(self._sandbox_dir, ignore_errors=True)
            self._sandbox_dir = None
        super().closeEvent(event)
