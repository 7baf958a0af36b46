"""Installing update packages from the GUI: "Installer oppdatering …" and a watched folder.

``install(window)`` adds two actions to the Fil menu:

- "Installer oppdatering …" (``action_install_update``): pick a ``.jspkg``; it is
  verified off the UI thread, then ``UpdateDialog`` shows the same preview as
  ``jsdesk package install`` (form diff, migration dry run against the open
  database, data summary) and installs only when the user presses "Installer";
- "Oppdateringsmappe …" (``action_update_folder``): an optional folder (a network
  share) checked once at start, when the database has been opened, for packages
  newer than what is installed; each is offered in the same dialog.

A refused package is shown with its Bokmål reason and changes nothing. Installing
writes the package to the user's data folder (:mod:`jsdesk.packages.install`); forms
and data take effect on its valid-from date, for wizards opened from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from jsdesk.errors import UserError
from jsdesk.installed import InstalledPackage, installed_packages
from jsdesk.storage import Database
from jsdesk.ui.background import BackgroundJob
from jsdesk.ui.dialogs import message_box
from jsdesk.ui.window_state import settings

if TYPE_CHECKING:
    from jsdesk.packages.archive import VerifiedPackage
    from jsdesk.ui.host import MainWindowHost

FOLDER_SETTING = "oppdateringer/mappe"


@dataclass(frozen=True)
class Prepared:
    """A verified package that may be installed, and what it changes."""

    path: Path
    package: VerifiedPackage
    lines: tuple[str, ...]


def prepare(path: Path, db: object | None) -> Prepared:
    """Verify ``path`` and make its preview (runs in a worker; raises PackageRefused)."""
    # Package signatures are checked with jsdesk.packages, loaded on first use and not
    # with the main window (86-90 modules, about 1 s on the loaded 2-core build machine).
    from jsdesk.packages.archive import open_package
    from jsdesk.packages.install import install_check, preview
    from jsdesk.packages.publishers import publisher_trust

    package = open_package(path, publisher_trust())
    install_check(package)
    shown = preview(package, db if isinstance(db, Database) else None)
    return Prepared(path=path, package=package, lines=shown.lines)


def newer_packages_in(folder: Path) -> tuple[list[Path], list[str]]:
    """The packages in ``folder`` newer than what is installed, and why others were skipped.

    A package of a name and version already installed is skipped quietly; one that
    fails verification is reported.
    """
    # jsdesk.packages on first use, as in prepare above.
    from jsdesk.packages.archive import PACKAGE_SUFFIX, PackageRefused, open_package
    from jsdesk.packages.publishers import publisher_trust

    installed = {(p.manifest.name, p.manifest.version_key) for p in installed_packages()}
    newest = {name: key for name, key in sorted(installed)}
    offered: list[Path] = []
    problems: list[str] = []
    try:
        candidates = sorted(folder.glob(f"*{PACKAGE_SUFFIX}"))
    except OSError as exc:
        return [], [f"Oppdateringsmappen {folder} kan ikke leses ({exc.strerror or exc})."]
    trust = publisher_trust()
    for path in candidates:
        try:
            manifest = open_package(path, trust).manifest
        except (PackageRefused, UserError) as exc:
            problems.append(f"{path.name}: {exc.message}")
            continue
        if manifest.version_key > newest.get(manifest.name, ()):
            offered.append(path)
    return offered, problems


class UpdateDialog(QDialog):
    """The preview of one package with "Installer" and "Avbryt".

    Signals: ``installed(object)`` with the InstalledPackage after a successful install.
    """

    installed = Signal(object)

    def __init__(self, prepared: Prepared, db: object | None, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("oppdateringsdialog")
        self.setWindowTitle("Installer oppdatering")
        self.prepared = prepared
        self._db = db
        manifest = prepared.package.manifest
        layout = QVBoxLayout(self)
        heading = QLabel(
            f"Oppdateringspakken {prepared.path.name} er ekte og signert av "
            f"{prepared.package.publisher_name}. Dette endres om du installerer den:",
            self,
        )
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.preview = QPlainTextEdit("\n".join(prepared.lines), self)
        self.preview.setObjectName("oppdatering_forhandsvisning")
        self.preview.setAccessibleName("Hva oppdateringen endrer")
        self.preview.setReadOnly(True)
        heading.setBuddy(self.preview)
        layout.addWidget(self.preview, 1)
        note = QLabel(
            "Ingen registreringer flyttes til en ny skjemaversjon ved installasjonen. "
            f"Pakken tar effekt {manifest.valid_from:%d.%m.%Y} eller straks om datoen er passert.",
            self,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        self.status = QLabel("", self)
        self.status.setObjectName("oppdatering_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(self)
        self.install_button = QPushButton("&Installer", self)
        self.install_button.setObjectName("installer_knapp")
        buttons.addButton(self.install_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = QPushButton("&Avbryt", self)
        self.cancel_button.setObjectName("avbryt_knapp")
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.install_button.clicked.connect(self.install)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(760, 520)
        self.cancel_button.setFocus()

    @Slot()
    def install(self) -> None:
        from jsdesk.packages.install import install_package

        db = self._db if isinstance(self._db, Database) else None
        try:
            done = install_package(self.prepared.package, db)
        except UserError as exc:
            self.status.setText(exc.message)
            return
        except OSError as exc:
            self.status.setText(
                f"Pakken kunne ikke skrives til datamappen ({exc.strerror or exc}). "
                "Ingenting er endret."
            )
            return
        self.installed.emit(done)
        self.accept()


class UpdateActions(QObject):
    """Owns the two actions, the newest dialog (for tests) and the start-up folder check."""

    def __init__(self, window: MainWindowHost, menu: QMenu, before: QAction | None) -> None:
        super().__init__(window.as_widget())
        self.setObjectName("oppdateringshandlinger")
        self.window = window
        self.dialog: UpdateDialog | None = None
        self.job: BackgroundJob | None = None
        self._queue: list[Path] = []
        self._folder_checked = False
        parent = window.as_widget()
        self.action_install = QAction("Installer &oppdatering …", parent)
        self.action_install.setObjectName("action_install_update")
        self.action_install.triggered.connect(self.choose_package)
        self.action_folder = QAction("Oppdaterings&mappe …", parent)
        self.action_folder.setObjectName("action_update_folder")
        self.action_folder.triggered.connect(self.choose_folder)
        for action in (self.action_install, self.action_folder):
            if before is None:
                menu.addAction(action)
            else:
                menu.insertAction(before, action)
        window.context.unlocked.connect(self.check_folder_once)

    # -- one file ----------------------------------------------------------------
    @Slot()
    def choose_package(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self.window.as_widget(),
            "Velg oppdateringspakke",
            str(self.folder() or Path.home()),
            "Oppdateringspakker (*.jspkg)",
        )
        if path:
            self.offer(Path(path))

    def offer(self, path: Path) -> None:
        """Verify ``path`` off the UI thread, then show its preview (or why it is refused)."""
        db = self.window.context.db
        self.window.statusBar().showMessage(f"Kontrollerer {path.name} …")
        self.window.pause_idle_lock()
        self.job = BackgroundJob(
            self,
            lambda _report: prepare(path, db),
            on_success=self._prepared,
            on_failure=lambda exc: self._refused(path, exc),
        ).start()

    def _prepared(self, result: object) -> None:
        self.window.resume_idle_lock()
        self.window.statusBar().clearMessage()
        assert isinstance(result, Prepared)
        dialog = UpdateDialog(result, self.window.context.db, self.window.as_widget())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.installed.connect(self._installed)
        dialog.finished.connect(lambda _result: self._next())
        self.dialog = dialog
        dialog.destroyed.connect(lambda _obj=None: self._forget(dialog))
        dialog.show()
        dialog.activateWindow()

    def _forget(self, dialog: UpdateDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _refused(self, path: Path, exc: BaseException) -> None:
        self.window.resume_idle_lock()
        self.window.statusBar().clearMessage()
        if not isinstance(exc, UserError):
            raise exc
        box = message_box(
            self.window.as_widget(),
            "Oppdateringen kan ikke installeres",
            f"{path.name} kan ikke installeres.",
            details=exc.message,
            name="oppdatering_avvist",
        )
        box.finished.connect(lambda _result: self._next())

    def _installed(self, done: object) -> None:
        assert isinstance(done, InstalledPackage)
        manifest = done.manifest
        self.window.statusBar().showMessage(
            f"Oppdateringen {manifest.name} {manifest.version} er installert; den gjelder fra "
            f"{manifest.valid_from:%d.%m.%Y}.",
            15000,
        )
        self.window.refresh()

    # -- the watched folder ------------------------------------------------------
    def folder(self) -> Path | None:
        value = settings().value(FOLDER_SETTING, "")
        return Path(str(value)) if value else None

    @Slot()
    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self.window.as_widget(),
            "Mappe som sjekkes for oppdateringer ved oppstart",
            str(self.folder() or Path.home()),
        )
        if chosen:
            self.set_folder(Path(chosen))

    def set_folder(self, folder: Path | None) -> None:
        settings().setValue(FOLDER_SETTING, str(folder) if folder else "")
        shown = str(folder) if folder else "ingen"
        self.window.statusBar().showMessage(f"Oppdateringsmappe: {shown}.", 10000)

    @Slot()
    def check_folder_once(self) -> None:
        """At start (first unlock), offer the folder's packages that are newer."""
        if self._folder_checked:
            return
        self._folder_checked = True
        self.check_folder()

    def check_folder(self) -> None:
        """Look for newer packages in the folder off the UI thread (a share may be slow)."""
        folder = self.folder()
        if folder is None:
            return
        self.job = BackgroundJob(
            self,
            lambda _report: newer_packages_in(folder),
            on_success=lambda found: self._found(folder, found),
            on_failure=lambda exc: self._refused(folder, exc),
        ).start()

    def _found(self, folder: Path, found: object) -> None:
        assert isinstance(found, tuple)
        offered, problems = found
        if problems:
            message_box(
                self.window.as_widget(),
                "Oppdateringsmappen",
                f"Noen pakker i {folder} kan ikke brukes:",
                details="\n".join(problems),
                icon=QMessageBox.Icon.Information,
                name="oppdateringsmappe_problemer",
            )
        self._queue = offered
        self._next()

    def _next(self) -> None:
        if self._queue:
            self.offer(self._queue.pop(0))


def install(window: MainWindowHost, menu: QMenu, before: QAction | None = None) -> UpdateActions:
    """Add the actions to ``menu`` (before ``before``) and check the folder at first unlock."""
    return UpdateActions(window, menu, before)
