"""The pilot loop in the sandbox (``--form FILE --sandbox``): live form, comments, test cases.

``PilotSession`` (one per sandbox window):

- watches the form file (``QFileSystemWatcher``, also its folder, since editors
  save by writing a new file and renaming it). When the file changes and passes
  ``form check``, every open wizard is rebuilt in place with the new form, keeping
  the values entered; when it fails, the findings show in the "Skjemakontroll"
  panel and the last good version stays in use;
- gives every field "Kommenter felt …" (``COMMENT_KEYS`` and the field's context
  menu): the comment is stored with the form version, the variable, the record's
  synthetic values and the time (:mod:`jsdesk.forms.feedback`) and listed in the
  "Tilbakemeldinger" panel; "Eksporter tilbakemeldinger …" writes them as JSON or CSV;
- adds "Lagre som testtilfelle" to each wizard: the record with the outcome the
  form gives it now is written to ``cases/`` beside the form file, for
  ``jsdesk form test``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QFileSystemWatcher, QObject, QPoint, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from jsdesk.forms import feedback
from jsdesk.forms.model import VarType
from jsdesk.rules import check_form_file, load_form
from jsdesk.rules.cases import new_case, write_case
from jsdesk.ui.unstorable import storable_note

if TYPE_CHECKING:
    from jsdesk.forms import FormDefinition
    from jsdesk.ui.fields import Field
    from jsdesk.ui.main_window import MainWindow
    from jsdesk.ui.wizard import ParticipationWizard

COMMENT_KEYS = "Ctrl+M"
COMMENT_TEXT = "Kommenter felt …"
CASES_FOLDER = "cases"


class CommentDialog(QDialog):
    """The comment on one field: a text and OK/Avbryt."""

    def __init__(self, label: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("kommentar_dialog")
        self.setWindowTitle("Kommenter felt")
        layout = QVBoxLayout(self)
        heading = QLabel(f"&Kommentar til «{label}» (sendes til skjemaeieren):", self)
        heading.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("kommentar_tekst")
        self.text.setAccessibleName(f"Kommentar til {label}")
        self.text.setTabChangesFocus(True)
        heading.setBuddy(self.text)
        layout.addWidget(heading)
        layout.addWidget(self.text)
        layout.addWidget(storable_note(self.text, self))
        buttons = QDialogButtonBox(self)
        self.ok_button = buttons.addButton(
            "&Lagre kommentar", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setObjectName("lagre_kommentar")
        cancel = buttons.addButton("&Avbryt", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setObjectName("avbryt_kommentar")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(480, 220)


class CaseNameDialog(QDialog):
    """The name of a test case to save."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("testtilfelle_dialog")
        self.setWindowTitle("Lagre som testtilfelle")
        layout = QVBoxLayout(self)
        label = QLabel("&Navn på testtilfellet (hva det viser):", self)
        self.name = QLineEdit(self)
        self.name.setObjectName("testtilfelle_navn")
        label.setBuddy(self.name)
        layout.addWidget(label)
        layout.addWidget(self.name)
        layout.addWidget(storable_note(self.name, self))
        buttons = QDialogButtonBox(self)
        self.ok_button = buttons.addButton("&Lagre", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("lagre_testtilfelle")
        buttons.addButton("&Avbryt", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class PilotSession(QObject):
    """The sandbox's live form, feedback and test cases (see the module docstring)."""

    def __init__(self, window: MainWindow, form_path: Path, form: FormDefinition) -> None:
        super().__init__(window)
        self.setObjectName("pilotokt")
        self.window = window
        self.form_path = form_path.resolve()
        self.form = form
        self.problems: list[str] = []
        self.comment_dialog: CommentDialog | None = None
        self.case_dialog: CaseNameDialog | None = None
        self.last_case: Path | None = None
        self._build_panels()
        self._build_actions()
        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._changed)
        self.watcher.directoryChanged.connect(self._changed)
        self._watch()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.reload)
        self._last_text = self._read_text()
        self._show_comments()

    # -- panels and actions -----------------------------------------------------------
    def _build_panels(self) -> None:
        window = self.window
        self.form_dock = QDockWidget("Skjemakontroll", window)
        self.form_dock.setObjectName("skjemakontroll_panel")
        body = QWidget(self.form_dock)
        layout = QVBoxLayout(body)
        self.form_status = QLabel("", body)
        self.form_status.setObjectName("skjemastatus")
        self.form_status.setWordWrap(True)
        self.findings = QListWidget(body)
        self.findings.setObjectName("skjemafunn")
        self.findings.setAccessibleName("Funn i skjemafilen")
        self.findings.setWordWrap(True)
        layout.addWidget(self.form_status)
        layout.addWidget(self.findings, 1)
        self.form_dock.setWidget(body)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.form_dock)
        self.comments_dock = QDockWidget("Tilbakemeldinger", window)
        self.comments_dock.setObjectName("tilbakemeldinger_panel")
        self.comment_list = QListWidget(self.comments_dock)
        self.comment_list.setObjectName("tilbakemeldinger")
        self.comment_list.setAccessibleName("Kommentarer til skjemaet")
        self.comment_list.setWordWrap(True)
        self.comments_dock.setWidget(self.comment_list)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.comments_dock)
        window.tabifyDockWidget(self.form_dock, self.comments_dock)
        # The overview keeps most of a 1366×768 screen; the panels can be dragged larger.
        window.resizeDocks([self.form_dock], [150], Qt.Orientation.Vertical)
        self._set_form_status(ok=True)

    def _build_actions(self) -> None:
        window = self.window
        self.action_export = QAction("Eksporter &tilbakemeldinger …", window)
        self.action_export.setObjectName("action_export_feedback")
        self.action_export.triggered.connect(self.choose_export)
        menu = window.menuBar().addMenu("&Pilot")
        menu.setObjectName("pilotmeny")
        menu.addAction(self.action_export)
        menu.addAction(self.form_dock.toggleViewAction())
        menu.addAction(self.comments_dock.toggleViewAction())

    # -- the watched form file ----------------------------------------------------------
    def _watch(self) -> None:
        paths = [str(self.form_path.parent)]
        if self.form_path.exists():
            paths.append(str(self.form_path))
        missing = [p for p in paths if p not in self.watcher.files() + self.watcher.directories()]
        if missing:
            self.watcher.addPaths(missing)

    def _read_text(self) -> bytes | None:
        try:
            return self.form_path.read_bytes()
        except OSError:
            return None

    @Slot(str)
    def _changed(self, _path: str) -> None:
        self._watch()  # a save by rename drops the file from the watcher
        self._debounce.start()

    @Slot()
    def reload(self) -> None:
        """Check the form file again; rebuild the wizards when it passes, else show why not."""
        text = self._read_text()
        if text is None or text == self._last_text:
            return
        self._last_text = text
        problems = check_form_file(self.form_path)
        if problems:
            self.problems = [str(problem) for problem in problems]
            self.findings.clear()
            self.findings.addItems(self.problems)
            self._set_form_status(ok=False)
            self.form_dock.show()
            self.form_dock.raise_()
            return
        form = load_form(self.form_path)
        self.problems = []
        self.findings.clear()
        self.form = form
        self.window.context.pilot_form = form
        for wizard in list(self.window.wizards):
            wizard.replace_form(form)
            self.attach_fields(wizard)
        self._set_form_status(ok=True, reloaded=True)

    def _set_form_status(self, *, ok: bool, reloaded: bool = False) -> None:
        name = self.form_path.name
        if ok:
            self.form_status.setText(
                f"{name}: skjemaversjon {self.form.version} er i bruk"
                + (" (lest på nytt)." if reloaded else ".")
                + " Endringer i filen tas i bruk når du lagrer den."
            )
        else:
            self.form_status.setText(
                f"{name} har {len(self.problems)} feil og er ikke tatt i bruk. Siste gode "
                f"versjon ({self.form.version}) brukes til filen er rettet:"
            )
        self.window.statusBar().showMessage(self.form_status.text(), 10000)

    # -- wizards ---------------------------------------------------------------------------
    def attach(self, wizard: ParticipationWizard) -> None:
        """Give a newly opened wizard the comment shortcut, context menus and a case button."""
        shortcut = QShortcut(QKeySequence(COMMENT_KEYS), wizard)
        shortcut.activated.connect(lambda: self.comment_on_focused(wizard))
        side = wizard.sideWidget()
        layout = side.layout() if side is not None else None
        button = QPushButton("Lagre som &testtilfelle …", side)
        button.setObjectName("lagre_som_testtilfelle")
        button.setToolTip("Lagrer deltakelsen med utfallet den har nå, for «jsdesk form test».")
        button.clicked.connect(lambda: self.ask_case_name(wizard))
        if layout is not None:
            layout.addWidget(button)
        self.attach_fields(wizard)

    def attach_fields(self, wizard: ParticipationWizard) -> None:
        for field in wizard.fields.values():
            for widget in field.input_widgets():
                widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
                widget.customContextMenuRequested.connect(
                    lambda pos, w=widget, f=field: self._context_menu(wizard, f, w, pos)
                )
            field.row.setToolTip(f"{COMMENT_TEXT} ({COMMENT_KEYS})")

    def field_menu(self, wizard: ParticipationWizard, field: Field, widget: QWidget) -> QMenu:
        """The field's context menu: the widget's own entries and "Kommenter felt …"."""
        standard = getattr(widget, "createStandardContextMenu", None)
        menu = standard() if standard is not None else QMenu(widget)
        assert isinstance(menu, QMenu)
        menu.setObjectName("feltmeny")
        menu.addSeparator()
        action = menu.addAction(COMMENT_TEXT)
        action.setObjectName("kommenter_felt")
        action.setShortcut(QKeySequence(COMMENT_KEYS))
        action.triggered.connect(lambda: self.ask_comment(wizard, field))
        return menu

    def _context_menu(
        self, wizard: ParticipationWizard, field: Field, widget: QWidget, pos: QPoint
    ) -> None:
        menu = self.field_menu(wizard, field, widget)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(widget.mapToGlobal(pos))

    def comment_on_focused(self, wizard: ParticipationWizard) -> None:
        field = wizard.focused_field()
        if field is not None:
            self.ask_comment(wizard, field)

    # -- comments --------------------------------------------------------------------------
    def ask_comment(self, wizard: ParticipationWizard, field: Field) -> CommentDialog:
        dialog = CommentDialog(field.variable.label, wizard)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.add_comment(wizard, field.variable.name, dialog.text.toPlainText())
        )
        self.comment_dialog = dialog
        dialog.show()
        dialog.activateWindow()
        dialog.text.setFocus()
        return dialog

    def add_comment(self, wizard: ParticipationWizard, variable: str, text: str) -> None:
        if not text.strip():
            return
        form = wizard.form
        fnr_variables = [v.name for v in form.variables if v.type is VarType.FNR]
        label = next((v.label for v in form.variables if v.name == variable), variable)
        values = feedback.safe_values(wizard.record, fnr_variables)
        feedback.add_comment(
            feedback.new_comment(form.version, variable, label, text.strip(), values)
        )
        self._show_comments()
        self.window.statusBar().showMessage(f"Kommentaren til «{label}» er lagret.", 8000)

    def _show_comments(self) -> None:
        self.comment_list.clear()
        for comment in feedback.read_comments():
            moment = comment.at.astimezone().strftime("%d.%m.%Y %H:%M")
            self.comment_list.addItem(
                f"{moment} · {comment.form_version} · {comment.label} ({comment.variable}): "
                f"{comment.text}"
            )

    @Slot()
    def choose_export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self.window,
            "Eksporter tilbakemeldinger",
            str(Path.home() / "tilbakemeldinger.json"),
            "JSON (*.json);;CSV for regneark (*.csv)",
        )
        if path:
            self.export(Path(path))

    def export(self, path: Path) -> int:
        """Write every comment to ``path`` (.csv: CSV, otherwise JSON); how many."""
        comments = feedback.read_comments()
        data = (
            feedback.export_csv(comments)
            if path.suffix.lower() == ".csv"
            else feedback.export_json(comments)
        )
        try:
            path.write_bytes(data)
        except OSError as exc:
            self.window.statusBar().showMessage(
                f"Kunne ikke skrive {path}: {exc.strerror or exc}", 15000
            )
            return 0
        self.window.statusBar().showMessage(
            f"{len(comments)} tilbakemeldinger er eksportert til {path}.", 15000
        )
        return len(comments)

    # -- test cases ------------------------------------------------------------------------
    def ask_case_name(self, wizard: ParticipationWizard) -> CaseNameDialog:
        dialog = CaseNameDialog(wizard)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.save_case(wizard, dialog.name.text()))
        self.case_dialog = dialog
        dialog.show()
        dialog.activateWindow()
        dialog.name.setFocus()
        return dialog

    def save_case(self, wizard: ParticipationWizard, name: str) -> Path:
        """Write the wizard's record with its outcome now to ``cases/`` beside the form."""
        case = new_case(
            wizard.form,
            wizard.record,
            name=name.strip() or "testtilfelle",
            description=f"Lagret i pilot-sandkassen fra {self.form_path.name}.",
            today=date.today(),
        )
        path = write_case(self.form_path.parent / CASES_FOLDER, case)
        self.last_case = path
        self.window.statusBar().showMessage(
            f"Testtilfellet «{case.name}» er lagret i {path} ({case.outcome.short()}).", 15000
        )
        return path
