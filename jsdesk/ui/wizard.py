"""The participation wizard: one page per form part, built from the form definition.

Data flows one way: a field edit updates the in-memory record and is stored at once
(autosave, one write transaction); storage evaluates the record once with this
wizard's form and returns what it computed (``RecordChange``), and every field gets
its state and findings from that evaluation. Nothing is read back or evaluated
twice. A field that becomes locked while holding a value is
cleared, with an "Angre" button that restores what was there.

Keyboard: Enter moves to the next field (a focused button is pressed), Ctrl+Enter to
the next page; Tab reaches only fields one can type into (read-only values are in the
page's accessible description; F4 opens a date's calendar, Shift+F1 says why a field is
locked). Within a page, a field that one answer unlocks comes after that answer.

"Lukk" (Escape) closes: every change is already stored. "Angre endringer siden åpning"
puts back, after a confirmation, the record as it was when the wizard opened (stored and
audited like any other change).

Signals (on ``ParticipationWizard``): ``saved(int)`` with the participation id
after every stored change.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWhatsThis,
    QWidget,
    QWizard,
    QWizardPage,
)

from jsdesk.errors import UserError
from jsdesk.forms.model import Role
from jsdesk.registry import provenance
from jsdesk.rules import dependencies, evaluate, in_form_words
from jsdesk.storage import RecordConflict
from jsdesk.ui.bokmal import FOCUS_STYLE, format_time, translate_message_box, translate_wizard
from jsdesk.ui.conflict_dialog import MINE, ConflictDialog, shown_value
from jsdesk.ui.field_factory import domain_choices, make_field
from jsdesk.ui.fields import (
    PROBLEM_WORDS,
    ChoiceField,
    DateField,
    Field,
    ReadOnlyField,
    with_mnemonic,
)
from jsdesk.ui.print_record import PrintParticipationDialog
from jsdesk.ui.warnings_dialog import AcceptWarningsDialog
from jsdesk.ui.window_state import place

if TYPE_CHECKING:
    from jsdesk.forms import FormDefinition, Part, Variable
    from jsdesk.rules import Evaluation, Finding
    from jsdesk.storage import AcceptedWarningInfo, RecordChange
    from jsdesk.ui.context import AppContext

REQUIRED_LEGEND = "Felt merket * er obligatoriske. Låste felt er merket (låst)."
PREFERRED_SIZE = QSize(1100, 760)
WINDOW_NAME = "veiviser"
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
CHECK_KEYS = "Ctrl+K"
FIELD_ROLE = Qt.ItemDataRole.UserRole
PROBLEM_LINES = 6  # the page's problem list grows to this many text lines, then scrolls
PROBLEM_PADDING = 6  # pixels around an item's wrapped text


def accepted_text(info: AcceptedWarningInfo) -> str:
    """«godtatt av kari 01.12.2026 kl. 20:15: begrunnelse»"""
    moment = info.accepted_at.astimezone() if info.accepted_at.tzinfo else info.accepted_at
    return f"godtatt av {info.user} {moment.strftime('%d.%m.%Y kl. %H:%M')}: «{info.reason}»"


def page_name(number: int) -> str:
    return f"del{number}"


class FormPage(QWizardPage):
    """One form part. Always complete: pages may be left unfinished and revisited."""

    def __init__(self, part: Part, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.part = part
        self.setObjectName(page_name(part.number))
        self.setTitle(f"Del {part.number}: {part.title}")
        self.setSubTitle(part.description or "")
        self.fields: list[Field] = []
        outer = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setObjectName(f"{page_name(part.number)}_oppsummering")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        outer.addWidget(self.summary)
        # Every problem of the page, each one activates (Enter, click) to its field; the list
        # scrolls instead of growing.
        self.problems = QListWidget(self)
        self.problems.setObjectName(f"{page_name(part.number)}_problemer")
        self.problems.setAccessibleName(f"Feil og advarsler i del {part.number}")
        self.problems.setAccessibleDescription("Enter flytter til feltet.")
        self.problems.setWordWrap(True)
        self.problems.hide()
        self.problems.installEventFilter(self)
        outer.addWidget(self.problems)
        legend = QLabel(REQUIRED_LEGEND, self)
        legend.setWordWrap(True)
        outer.addWidget(legend)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.body = QWidget(self.scroll_area)
        self.body_layout = QVBoxLayout(self.body)
        self.scroll_area.setWidget(self.body)
        outer.addWidget(self.scroll_area, 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.problems
            and isinstance(event, QResizeEvent)
            and event.size().width() != event.oldSize().width()
        ):
            QTimer.singleShot(0, self.fit_problems)  # wrapped heights follow the width
        # Enter on a problem goes to its field; the wizard must not take it as "Neste".
        if (
            watched is self.problems
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            item = self.problems.currentItem()
            if item is not None:
                self.problems.itemActivated.emit(item)
            return True
        return super().eventFilter(watched, event)

    def fit_problems(self) -> None:
        """As high as its first four items, each wrapped to the list's width so that no
        message is cut off (at most ``PROBLEM_LINES`` lines); scrolls beyond that."""
        count = self.problems.count()
        self.problems.setVisible(count > 0)
        if not count:
            return
        # A list view does not wrap an item's height by itself: give each item the height
        # its text needs at the list's width (done again when the width changes).
        width = max(80, self.problems.viewport().width() - 2 * PROBLEM_PADDING)
        metrics = self.problems.fontMetrics()
        heights = []
        for row in range(count):
            item = self.problems.item(row)
            box = metrics.boundingRect(
                QRect(0, 0, width, 100_000), Qt.TextFlag.TextWordWrap, item.text()
            )
            heights.append(box.height() + PROBLEM_PADDING)
            item.setSizeHint(QSize(width, heights[-1]))
        shown = min(sum(heights[:4]), metrics.lineSpacing() * PROBLEM_LINES + 4 * PROBLEM_PADDING)
        self.problems.setFixedHeight(shown + 2 * self.problems.frameWidth() + 2)

    def add_field(self, field: Field) -> None:
        self.fields.append(field)
        self.body_layout.addWidget(field.row)
        field.row.installEventFilter(self)

    def finish_layout(self) -> None:
        self.body_layout.addStretch(1)
        chain = [widget for field in self.fields for widget in field_focus_chain(field)]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def describe_read_only(self) -> None:
        """Read-only values and locked fields are not in the Tab order: the page's accessible
        description carries them for screen readers."""
        values = [
            f"{field.variable.label}: {field.shown_text()}"
            for field in self.fields
            if isinstance(field, ReadOnlyField)
        ]
        locked = [
            f"{field.variable.label}: {field.locked_reason}"
            for field in self.fields
            if field.locked and not field.read_only
        ]
        parts = []
        if values:
            parts.append("Verdier som ikke kan endres: " + "; ".join(values) + ".")
        if locked:
            parts.append("Låste felt: " + " ".join(locked))
        self.setAccessibleDescription(" ".join(parts))

    def locked_after(self, field: Field) -> list[Field]:
        """The locked fields right after ``field`` (Tab skips them), up to the next open one."""
        following = self.fields[self.fields.index(field) + 1 :]
        found = []
        for other in following:
            if other.read_only:
                continue
            if not other.locked:
                break
            found.append(other)
        return found

    def focus_first(self, *, skip: str | None = None) -> None:
        """Focus the first input the caseworker can type into (read-only values are skipped).
        The cursor goes in without selecting the text, so one key press never overwrites a
        value; ``skip`` names a variable to pass over (the identity of an opened record)."""
        for field in self.fields:
            if field.read_only or field.name == skip:
                continue
            for widget in field_focus_chain(field):
                if widget.isEnabled():
                    widget.setFocus(Qt.FocusReason.OtherFocusReason)
                    return

    def isComplete(self) -> bool:
        return True


def field_focus_chain(field: Field) -> list[QWidget]:
    return list(field.input_widgets())


def in_dependency_order(
    variables: tuple[Variable, ...], depends_on: Mapping[str, frozenset[str]]
) -> list[Variable]:
    """``variables`` in form order, except that a variable whose state an answer on the
    same page decides (an enable rule, or validity by the start date) follows that answer."""
    on_page = {variable.name for variable in variables}
    placed: list[Variable] = []
    done: set[str] = set()
    waiting: list[Variable] = []

    def ready(variable: Variable) -> bool:
        return not ((depends_on.get(variable.name, frozenset()) & on_page) - done)

    for variable in variables:
        waiting.append(variable)
        progress = True
        while progress:
            progress = False
            for candidate in list(waiting):
                if ready(candidate):
                    waiting.remove(candidate)
                    placed.append(candidate)
                    done.add(candidate.name)
                    progress = True
                    break
    return placed + waiting


class ParticipationWizard(QWizard):
    saved = Signal(int)

    def __init__(
        self,
        context: AppContext,
        form: FormDefinition,
        participation_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.form = form
        self.participation_id = participation_id
        self.record: dict[str, object] = {}
        # The values as stored at record version ``_version``: a save says what it
        # changes from, so another caseworker's newer save is never overwritten.
        self._stored: dict[str, object] = {}
        self._version = 0
        self.evaluation: Evaluation | None = None
        self.fields: dict[str, Field] = {}
        self.pages: dict[int, FormPage] = {}
        self._group_of: dict[str, str] = {
            field.name: variable.name for variable in form.variables for field in variable.fields
        }
        self._last_state: dict[str, object] = {}
        self._choices_period: object = object()  # the lists are offered at the first render
        self._undo: dict[str, object] | None = None
        self.opened_record: dict[str, object] = {}
        self._accepted: tuple[AcceptedWarningInfo, ...] = ()
        # A new record shows no problems until a field is left or a check is asked for.
        self._show_all = participation_id is not None
        self._start_focus_done = False
        self.setObjectName("wizard")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.HaveHelpButton, True)
        self.setOption(QWizard.WizardOption.HaveFinishButtonOnEarlyPages, True)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, False)
        translate_wizard(self)
        self.setStyleSheet(FOCUS_STYLE)
        close = self.button(QWizard.WizardButton.CancelButton)
        close.setObjectName("lukk")
        close.setToolTip("Lukker veiviseren (Escape). Alt du har skrevet er allerede lagret.")
        self.setWindowModality(Qt.WindowModality.NonModal)
        self._build_side_panel()
        self._build_pages()
        self.helpRequested.connect(self.show_help)
        self.currentIdChanged.connect(self._page_changed)
        QShortcut(QKeySequence(CHECK_KEYS), self, self.check)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.next)
        for number in self.pages:
            QShortcut(QKeySequence(f"Ctrl+{number}"), self, lambda n=number: self.go_to_page(n))
        QShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents), self, self.show_help)
        QShortcut(QKeySequence("Shift+F1"), self, self.explain_focused)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
        self._load()
        self.opened_record = dict(self.record)
        self._update_restore_button()
        place(self, WINDOW_NAME, PREFERRED_SIZE)

    # -- construction -------------------------------------------------------
    def _build_side_panel(self) -> None:
        side = QWidget(self)
        side.setObjectName("sidepanel")
        side.setMinimumWidth(240)
        side.setMaximumWidth(300)
        layout = QVBoxLayout(side)
        if self.context.options.sandbox:
            banner = QLabel("PILOT-SANDKASSE: data her slettes og sendes aldri inn.", side)
            banner.setObjectName("sandkasse_banner")
            banner.setWordWrap(True)
            banner.setStyleSheet("background:#fff3b0;border:2px solid #8a6d00;padding:4px;")
            layout.addWidget(banner)
        pages_label = QLabel("&Sider (Ctrl+1 … Ctrl+4):", side)
        self.page_list = QListWidget(side)
        self.page_list.setObjectName("sideliste")
        self.page_list.setAccessibleName("Sider i skjemaet")
        pages_label.setBuddy(self.page_list)
        self.page_list.setMaximumHeight(110)
        self.page_list.currentRowChanged.connect(self._page_list_changed)
        layout.addWidget(pages_label)
        layout.addWidget(self.page_list)
        self.saved_label = QLabel("Ikke lagret ennå", side)
        self.saved_label.setObjectName("lagret")
        self.saved_label.setAccessibleName("Lagringsstatus")
        self.status_label = QLabel("", side)
        self.status_label.setObjectName("status")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.saved_label)
        layout.addWidget(self.status_label)
        self.undo_label = QLabel("", side)
        self.undo_label.setObjectName("tomt_melding")
        self.undo_label.setWordWrap(True)
        self.undo_button = QPushButton("&Angre tømming", side)
        self.undo_button.setObjectName("angre")
        self.undo_button.clicked.connect(self.undo_clear)
        self.undo_label.hide()
        self.undo_button.hide()
        layout.addWidget(self.undo_label)
        layout.addWidget(self.undo_button)
        self.restore_button = QPushButton("Angr&e endringer siden åpning …", side)
        self.restore_button.setObjectName("angre_siden_apning")
        self.restore_button.setToolTip(
            "Setter deltakelsen tilbake slik den var da veiviseren ble åpnet (spør først)."
        )
        self.restore_button.clicked.connect(self.confirm_restore_opened)
        layout.addWidget(self.restore_button)
        self.print_button = QPushButton("Skriv &ut deltakelse …", side)
        self.print_button.setObjectName("skriv_ut_deltakelse")
        self.print_button.setToolTip("Alle fire deler til skriver eller PDF, for saksarkivet.")
        self.print_button.clicked.connect(self.print_participation)
        layout.addWidget(self.print_button)
        self.check_button = QPushButton(f"Kontroller ({CHECK_KEYS})", side)
        self.check_button.setObjectName("kontroller")
        self.check_button.setToolTip("Viser alle feil og advarsler i skjemaet.")
        self.check_button.clicked.connect(self.check)
        layout.addWidget(self.check_button)
        self.accept_button = QPushButton("Godta advarsler …", side)
        self.accept_button.setObjectName("godta_advarsler")
        self.accept_button.clicked.connect(self.accept_warnings)
        layout.addWidget(self.accept_button)
        help_title = QLabel("Hjelp (F1):", side)
        self.help_panel = QLabel("", side)
        self.help_panel.setObjectName("hjelp")
        self.help_panel.setWordWrap(True)
        self.help_panel.setTextFormat(Qt.TextFormat.PlainText)
        self.help_panel.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(help_title)
        layout.addWidget(self.help_panel, 1)
        self.setSideWidget(side)

    def _build_pages(self) -> None:
        derived = {rule.variable for rule in self.form.rules if str(rule.kind) == "derive"}
        depends_on = dependencies(self.form)
        for part in self.form.parts:
            page = FormPage(part, self)
            page.setFinalPage(True)  # Fullfør is available on every page
            used: set[str] = set()
            variables = self.form.part_variables(part.number)
            for variable in in_dependency_order(variables, depends_on):
                label = with_mnemonic(variable.label, used)
                field = make_field(variable, label, page.body, derived=variable.name in derived)
                field.edited.connect(self._edited)
                page.add_field(field)
                self.fields[variable.name] = field
            page.finish_layout()
            page.problems.itemActivated.connect(self._problem_chosen)
            page.problems.itemClicked.connect(self._problem_chosen)
            self.setPage(part.number, page)
            self.pages[part.number] = page
            self.page_list.addItem(f"Del {part.number}: {part.title}")

    def replace_form(self, form: FormDefinition) -> None:
        """Rebuild every page for ``form`` in place, keeping the values entered (pilot sandbox).

        Nothing is stored: the record stays as it is, values of variables the new form
        no longer has stay in it (and show as findings), and the page shown stays shown.
        """
        current = self.currentId()
        self.form = form
        self._group_of = {
            field.name: variable.name for variable in form.variables for field in variable.fields
        }
        for page_id in list(self.pageIds()):
            page = self.page(page_id)
            self.removePage(page_id)
            page.deleteLater()
        self.fields.clear()
        self.pages.clear()
        self.page_list.blockSignals(True)
        self.page_list.clear()
        self.page_list.blockSignals(False)
        self._choices_period = None
        self._build_pages()
        self.restart()
        self.go_to_page(current if current in self.pages else min(self.pages, default=0))
        self._show_record()

    def _load(self) -> None:
        if self.participation_id is None:
            self.setWindowTitle("Ny deltakelse – jsdesk")
        else:
            stored = self.context.require_db().get_participation(self.participation_id)
            self.record = {k: v for k, v in dict(stored.values).items() if v is not None}
            self._stored, self._version = dict(self.record), stored.record_version
            self._accepted = stored.accepted_warnings
            self.setWindowTitle(f"Deltakelse {self.participation_id} – jsdesk")
            self.status_label.setText(f"Status: {stored.status}")
            changed = (
                stored.changed_at.astimezone() if stored.changed_at.tzinfo else stored.changed_at
            )
            self.saved_label.setText(f"Sist lagret {changed.strftime('%d.%m.%Y kl. %H:%M:%S')}")
        self._show_record()

    def _show_record(self) -> None:
        for name, field in self.fields.items():
            field.set_value(self.record.get(name))
        self._show_provenance()
        self._last_state.clear()
        self.reevaluate()

    def reload(self) -> None:
        """Read the record again from storage (after a registry import changed it)."""
        self._last_state.clear()
        self._hide_undo()
        self._load()

    def _show_provenance(self) -> None:
        """Registry values imported from an extract say where and when they came from."""
        if self.participation_id is None:
            return
        facts = provenance(self.context.require_db(), self.participation_id)
        for name, field in self.fields.items():
            has_value = self.record.get(name) not in (None, [])
            field.set_provenance(facts.get(name) if has_value else None)

    # -- the edit loop ------------------------------------------------------
    def _edited(self, name: str, value: object) -> None:
        previous = self.record.get(name)
        self._set_record(name, value)
        change = self._store({name: value})
        if change is None:
            return
        was_locked = {n: f.locked for n, f in self.fields.items()}
        self.show_evaluation(change.evaluation)
        cleared = self._clear_newly_locked(was_locked)
        if cleared:
            # Clearing what the edit locked is a second change of its own (undoable).
            cleared_change = self._store(dict.fromkeys(cleared))
            if cleared_change is not None:
                self.show_evaluation(cleared_change.evaluation)
            self._offer_undo(name, previous, cleared)
        else:
            self._hide_undo()

    def _set_record(self, name: str, value: object) -> None:
        if value is None:
            self.record.pop(name, None)
        else:
            self.record[name] = value

    def _clear_newly_locked(self, was_locked: Mapping[str, bool]) -> dict[str, object]:
        cleared: dict[str, object] = {}
        for name, field in self.fields.items():
            if field.read_only or not field.locked or was_locked.get(name, False):
                continue
            if self.record.get(name) is not None:
                cleared[name] = self.record.pop(name)
                field.set_value(None)
        return cleared

    def _offer_undo(self, trigger: str, previous: object, cleared: Mapping[str, object]) -> None:
        self._undo = {trigger: previous, **cleared}
        lines = []
        for name in cleared:
            field = self.fields[name]
            lines.append(
                f"«{field.variable.label}» ble tømt fordi feltet nå er låst: {field.locked_reason}"
            )
        self.undo_label.setText("\n".join(lines))
        self.undo_label.show()
        self.undo_button.show()

    def _hide_undo(self) -> None:
        self._undo = None
        self.undo_label.hide()
        self.undo_button.hide()

    def undo_clear(self) -> None:
        if self._undo is None:
            return
        restore = self._undo
        self._hide_undo()
        for name, value in restore.items():
            self._set_record(name, value)
            self.fields[name].set_value(value)
        change = self._store(dict(restore))
        if change is not None:
            self.show_evaluation(change.evaluation)

    def _store(self, values: Mapping[str, object]) -> RecordChange | None:
        """Store ``values`` (one write transaction); None when storage refused them.

        Storage evaluates the record once, with this wizard's form, and returns what
        it computed: the caller shows that evaluation instead of evaluating again.
        """
        db = self.context.require_db()
        try:
            if self.participation_id is None:
                self._add_installation_values()
                change = db.add_participation(dict(self.record), form=self.form)
                self.participation_id = change.participation_id
                self._stored, self._version = dict(self.record), change.record_version
                self.setWindowTitle(f"Deltakelse {self.participation_id} – jsdesk")
            else:
                change = db.set_values(
                    self.participation_id,
                    dict(values),
                    form=self.form,
                    base_version=self._version,
                    base={name: self._stored.get(name) for name in values},
                )
                self._after_save(change, values)
        except RecordConflict as conflict:
            return self._resolve(conflict)
        except UserError as exc:
            self.saved_label.setText(f"Ikke lagret: {exc.message}")
            if len(values) == 1:
                (name,) = values
                self.fields[name].set_note(f"Ikke lagret: {exc.message}")
            return None
        self.saved_label.setText(f"Lagret kl. {format_time(change.changed_at)}")
        self.status_label.setText(f"Status: {change.status}")
        self.saved.emit(self.participation_id)
        self.context.changed.emit()
        return change

    def _after_save(self, change: RecordChange, values: Mapping[str, object]) -> None:
        """Follow the stored version; take in what another caseworker saved meanwhile."""
        merged = change.written and change.record_version != self._version + 1
        for name, value in values.items():
            if value is None:
                self._stored.pop(name, None)
            else:
                self._stored[name] = value
        self._version = change.record_version
        if merged:
            self._take_stored(keep=set(values))

    def _take_stored(self, *, keep: set[str]) -> None:
        """Show the stored record's values (another caseworker's changes) in every field
        but ``keep`` (what this caseworker just saved)."""
        assert self.participation_id is not None
        stored = self.context.require_db().get_participation(self.participation_id)
        current = {k: v for k, v in dict(stored.values).items() if v is not None}
        for name in set(current) | set(self.record):
            if name in keep or current.get(name) == self.record.get(name):
                continue
            self._set_record(name, current.get(name))
            if name in self.fields:
                self.fields[name].set_value(current.get(name))
                self.fields[name].set_note("Endret av en annen saksbehandler.")
        self._stored, self._version = current, stored.record_version

    def _resolve(self, conflict: RecordConflict) -> RecordChange | None:
        """Ask whose value wins per field, then save the caseworker's chosen ones."""
        dialog = ConflictDialog(self.form, conflict.fields, self)
        accepted = dialog.exec() == ConflictDialog.DialogCode.Accepted
        choices = dialog.choices() if accepted else {}
        keep = {f.variable: f.mine for f in conflict.fields if choices.get(f.variable) == MINE}
        for field in conflict.fields:
            if field.variable in keep:
                continue
            self._set_record(field.variable, field.theirs)
            if field.variable in self.fields:
                widget = self.fields[field.variable]
                widget.set_value(field.theirs)
                widget.set_note(
                    "Den andre saksbehandlerens verdi gjelder. Din verdi var: "
                    f"{shown_value(self.form, field.variable, field.mine)}"
                )
        self._take_stored(keep=set(keep))
        if not keep:
            self.reevaluate()
            self.saved_label.setText("Den andre saksbehandlerens verdier gjelder.")
            return None
        return self._store(keep)

    def _refresh_status(self) -> None:
        if self.participation_id is None:
            return
        stored = self.context.require_db().get_participation(self.participation_id)
        self.status_label.setText(f"Status: {stored.status}")

    def _add_installation_values(self) -> None:
        settings = self.context.require_db().settings
        for variable in self.form.variables:
            if not variable.is_input or variable.name in self.record:
                continue
            value: object = None
            if variable.role is Role.MUNICIPALITY:
                value = settings.kommunenummer
            elif variable.domain == "oslo_bydel":
                # A login granted one bydel registers for it; with several it chooses.
                value = settings.own_bydel
            if value:
                self.record[variable.name] = value
                self.fields[variable.name].set_value(value)

    def reevaluate(self) -> Evaluation:
        """Evaluate the record here (when it is shown; an edit gets its evaluation from storage)."""
        evaluation = evaluate(self.form, self.record, **self.context.rules_context())
        self.show_evaluation(evaluation)
        return evaluation

    def show_evaluation(self, evaluation: Evaluation) -> None:
        """Every field's state and findings, and the page summaries, from ``evaluation``."""
        self.evaluation = evaluation
        self._render(evaluation)

    def _render(self, evaluation: Evaluation) -> None:
        """Give every field its state and findings, and every page its summary."""
        by_variable: dict[str, list[Finding]] = defaultdict(list)
        for finding in evaluation.findings:
            by_variable[self._group_of.get(finding.variable, finding.variable)].append(finding)
        accepted = self.accepted_texts(evaluation.warnings)
        for name, field in self.fields.items():
            state = evaluation.states.get(name)
            findings = by_variable.get(name, [])
            derived = evaluation.derived.get(name)
            shown = self._show_all
            accepted_here = {f: accepted[f] for f in findings if f in accepted}
            key = (state, tuple(findings), derived, shown, tuple(accepted_here.items()))
            if self._last_state.get(name) == key:
                continue
            self._last_state[name] = key
            field.apply_state(state, findings, accepted=accepted_here, shown=shown)
            if isinstance(field, ReadOnlyField):
                field.set_derived(derived)
        self._offer_period_choices(evaluation)
        self._update_summaries(by_variable, accepted)
        for page in self.pages.values():
            page.describe_read_only()
        self._update_restore_button()

    def _offer_period_choices(self, evaluation: Evaluation) -> None:
        """Lists of domain values follow the participation's period (start to end/today)."""
        if evaluation.period == self._choices_period:
            return
        self._choices_period = evaluation.period
        granted = self.context.login_bydeler
        for field in self.fields.values():
            if isinstance(field, ChoiceField):
                choices = domain_choices(
                    field.variable,
                    evaluation.period,
                    installation=self.context.installation,
                    bydeler=granted,
                )
                if choices is not None:
                    field.set_choices(choices)

    def accepted_texts(self, warnings: tuple[Finding, ...]) -> dict[Finding, str]:
        """Each accepted warning with who accepted it, when and why (the latest acceptance)."""
        texts: dict[Finding, str] = {}
        for warning in warnings:
            for info in self._accepted:
                if (info.variable, info.code, info.index) == (
                    warning.variable,
                    str(warning.code),
                    warning.index,
                ):
                    texts[warning] = accepted_text(info)
        return texts

    def _update_summaries(
        self, by_variable: Mapping[str, list[Finding]], accepted: Mapping[Finding, str]
    ) -> None:
        for number, page in self.pages.items():
            errors = warnings = done = hidden = 0
            page.problems.clear()
            for field in page.fields:
                for finding in by_variable.get(field.name, []):
                    kind = "error" if finding.is_error else "warning"
                    if finding in accepted:
                        kind = "accepted"
                    errors += kind == "error"
                    warnings += kind == "warning"
                    done += kind == "accepted"
                    if not self._show_all:
                        hidden += 1
                        continue
                    where = f"rad {finding.index + 1}: " if finding.index is not None else ""
                    words = in_form_words(self.form, field.name, finding.message)
                    text = f"{PROBLEM_WORDS[kind]}: {where}{words}"
                    item = QListWidgetItem(text)
                    item.setData(FIELD_ROLE, field.name)
                    item.setToolTip(accepted.get(finding, "Enter eller klikk flytter til feltet."))
                    page.problems.addItem(item)
            if errors or warnings or done:
                head = f"Del {number}: {errors} feil og {warnings} advarsler"
                head += f" ({done} godtatt)." if done else "."
            else:
                head = f"Del {number}: ingen feil eller advarsler."
            if hidden:
                head += f" Trykk {CHECK_KEYS} (Kontroller) for å se alle."
            page.summary.setText(head)
            page.fit_problems()
            item = self.page_list.item(number - 1)
            if item is not None:
                mark = "ok" if not errors else f"{errors} feil"
                item.setText(f"Del {number}: {page.part.title} ({mark})")

    # -- undo since opening ----------------------------------------------------
    def changes_since_opening(self) -> dict[str, object]:
        """Every variable whose stored value differs from when the wizard opened, with the
        value it had then (None: it was empty)."""
        names = set(self.record) | set(self.opened_record)
        return {
            name: self.opened_record.get(name)
            for name in sorted(names)
            if self.record.get(name) != self.opened_record.get(name)
        }

    def _update_restore_button(self) -> None:
        self.restore_button.setEnabled(
            self.participation_id is not None and bool(self.changes_since_opening())
        )

    def confirm_restore_opened(self) -> None:
        changes = self.changes_since_opening()
        if self.participation_id is None or not changes:
            return
        labels = ", ".join(
            f"«{self.fields[name].variable.label}»" if name in self.fields else name
            for name in changes
        )
        box = QMessageBox(self)
        box.setObjectName("angre_siden_apning_dialog")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Angre endringer siden åpning")
        box.setText(
            "Sette deltakelsen tilbake slik den var da veiviseren ble åpnet? "
            f"{len(changes)} felt endres tilbake: {labels}."
        )
        box.setInformativeText("Tilbakestillingen lagres og logges som en vanlig endring.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        translate_message_box(box)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(self.restore_opened)
        box.open()

    def restore_opened(self) -> None:
        """Store the record as it was when the wizard opened (one audited change)."""
        changes = self.changes_since_opening()
        if self.participation_id is None or not changes:
            return
        self._hide_undo()
        for name, value in changes.items():
            self._set_record(name, value)
        if not self._store(changes):
            return
        self._show_record()
        self.saved_label.setText(f"Endringene siden åpning er angret. {self.saved_label.text()}")

    def print_participation(self) -> None:
        """ "Skriv ut deltakelse": asks about the fødselsnummer, then prints or saves PDF."""
        if self.participation_id is None:
            self.saved_label.setText("Skriv noe først: en tom deltakelse kan ikke skrives ut.")
            return

        stored = self.context.require_db().get_participation(self.participation_id)
        dialog = PrintParticipationDialog(
            self.form,
            stored.values,
            title=f"Deltakelse {self.participation_id}",
            status=str(stored.status),
            done=self.saved_label.setText,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # -- keyboard ------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter: a focused button is pressed, in a field the focus moves to the next field."""
        plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() in ENTER_KEYS and plain == Qt.KeyboardModifier.NoModifier:
            focus = QApplication.focusWidget()
            if isinstance(focus, QAbstractButton) and not isinstance(
                focus, QRadioButton | QCheckBox
            ):
                if focus.isEnabled():
                    focus.click()
                event.accept()
                return
            if self._field_for(focus) is not None:
                self.focusNextChild()
                event.accept()
                return
        super().keyPressEvent(event)

    def explain_focused(self) -> None:
        """Shift+F1 ("Hvorfor?" from the keyboard): why the focused field is locked, or why
        the locked fields that Tab skips right after it are; else the field's help."""
        field = self._field_for(QApplication.focusWidget())
        if field is None:
            self.show_help()
            return
        if field.locked:
            field.explain()
            return
        page = self._page_of(field)
        skipped = page.locked_after(field) if page is not None else []
        if not skipped:
            self.show_help()
            return
        box = QMessageBox(self)
        box.setObjectName("hvorfor_dialog")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("Hvorfor er feltene låst?")
        box.setText(f"Tab hopper over disse låste feltene etter «{field.variable.label}»:")
        box.setInformativeText(
            "\n\n".join(f"«{other.variable.label}»: {other.locked_reason}" for other in skipped)
        )
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        translate_message_box(box)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def check(self) -> None:
        """Show every problem in the form, also on a new record's untouched fields."""
        self._show_all = True
        if self.evaluation is not None:
            self._render(self.evaluation)

    def _problem_chosen(self, item: QListWidgetItem) -> None:
        name = item.data(FIELD_ROLE)
        if isinstance(name, str):
            self.focus_field(name)

    def focus_field(self, name: str) -> None:
        """Go to the field's page, scroll it into view and put the cursor in it."""
        field = self.fields[name]
        self.go_to_page(field.variable.part)
        page = self.pages.get(field.variable.part)
        if page is not None:
            page.scroll_area.ensureWidgetVisible(field.row)
            # Again once the page is laid out (the first time it is shown).
            area = page.scroll_area
            QTimer.singleShot(0, area, lambda: area.ensureWidgetVisible(field.row))
        target = next((w for w in field_focus_chain(field) if w.isEnabled()), field.focus_widget())
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        if isinstance(target, QLineEdit):  # the cursor goes in; one key never overwrites it all
            target.deselect()
            QTimer.singleShot(0, target, target.deselect)

    def _start_field(self) -> str | None:
        """For an opened record: the first field with an error that one can type into."""
        if self.evaluation is None or self.participation_id is None:
            return None
        for finding in self.evaluation.errors:
            name = self._group_of.get(finding.variable, finding.variable)
            field = self.fields.get(name)
            if field is not None and not field.read_only and not field.locked:
                return name
        return None

    # -- navigation, help, warnings -------------------------------------------
    def go_to_page(self, number: int) -> None:
        if number not in self.pages:
            return
        guard = len(self.pages) * 2
        while self.currentId() < number and guard:
            self.next()
            guard -= 1
        while self.currentId() > number and guard:
            self.back()
            guard -= 1

    def _page_list_changed(self, row: int) -> None:
        if row >= 0:
            self.go_to_page(row + 1)

    def _page_changed(self, page_id: int) -> None:
        page = self.pages.get(page_id)
        if page is None:
            return
        self.page_list.blockSignals(True)
        self.page_list.setCurrentRow(page_id - 1)
        self.page_list.blockSignals(False)
        if not self._start_focus_done:
            self._start_focus_done = True
            start = self._start_field()
            if start is not None:
                self.focus_field(start)
                return
        if not self.page_list.hasFocus():
            page.focus_first(skip=self._identity_of_opened())

    def _identity_of_opened(self) -> str | None:
        """The variable the form declares ``role: identity``, for an opened record: the
        focus never lands there by itself (one key press would overwrite the identity)."""
        identity = self.form.role_variable(Role.IDENTITY)
        return identity.name if identity is not None and self.participation_id else None

    def _page_of(self, field: Field) -> FormPage | None:
        return next((p for p in self.pages.values() if field in p.fields), None)

    def focused_field(self) -> Field | None:
        """The field that holds the keyboard focus, if any."""
        return self._field_for(QApplication.focusWidget())

    def _field_for(self, widget: QWidget | None) -> Field | None:
        while widget is not None:
            for field in self.fields.values():
                if widget is field.editor or widget in field.input_widgets():
                    return field
            widget = widget.parentWidget()
        return None

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        field = self._field_for(new)
        if field is not None:
            self._show_help_for(field)
        left = self._field_for(old)
        if left is not None and left is not field and not self._show_all:
            self.check()

    def _show_help_for(self, field: Field) -> None:
        variable = field.variable
        lines = [f"{variable.id} {variable.label}", variable.description or ""]
        if variable.guidance:
            lines.append(f"Veiledning: {variable.guidance}")
        source = field.provenance_text
        lines.append(f"{source[0].upper()}{source[1:]}. {variable.importance}.")
        if field.locked_reason:
            lines.append(f"Låst: {field.locked_reason} (Shift+F1 viser hvorfor.)")
        page = self._page_of(field)
        if page is not None and page.locked_after(field):
            lines.append(
                "Tab hopper over de låste feltene etter dette; Shift+F1 forklarer hvorfor."
            )
        if isinstance(field, DateField):
            lines.append("F4 eller Alt+↓ åpner kalenderen. Datoen kan skrives som DD.MM.ÅÅÅÅ.")
        self.help_panel.setText("\n\n".join(line for line in lines if line))

    def show_help(self) -> None:
        field = self._field_for(QApplication.focusWidget())
        if field is None:
            self.help_panel.setText(
                "Velg et felt for å se hjelp. Enter eller Tab flytter til neste felt, "
                "Ctrl+Enter eller Alt+N går til neste side, Ctrl+1 … Ctrl+4 går rett til en "
                "side. F4 åpner kalenderen i et datofelt, Shift+F1 forklarer hvorfor et felt "
                "er låst. Escape lukker (alt er allerede lagret)."
            )
            return
        self._show_help_for(field)
        focus = field.focus_widget()
        QWhatsThis.showText(focus.mapToGlobal(focus.rect().bottomLeft()), self.help_panel.text())

    def accept_warnings(self) -> None:
        if self.evaluation is None or self.participation_id is None:
            return
        warnings = self.evaluation.warnings_to_accept
        reasons = {
            finding: info.reason
            for finding in warnings
            for info in self._accepted
            if (info.variable, info.code, info.index)
            == (finding.variable, str(finding.code), finding.index)
        }
        dialog = AcceptWarningsDialog(self.form, warnings, self, reasons=reasons)
        dialog.accepted_reasons.connect(self._store_accepted)
        dialog.open()

    def _store_accepted(self, reasons: list[tuple[Finding, str]]) -> None:
        if self.participation_id is None:
            return
        db = self.context.require_db()
        for finding, reason in reasons:
            db.accept_warning(
                self.participation_id,
                finding.variable,
                str(finding.code),
                reason,
                index=finding.index,
            )
        self._accepted = db.get_participation(self.participation_id).accepted_warnings
        self._refresh_status()
        if self.evaluation is not None:
            self._render(self.evaluation)
        self.saved.emit(self.participation_id)
        self.context.changed.emit()

    def focus_variable(self, variable: str) -> None:
        """Show the page of ``variable`` (a group field: its group) and put the cursor there."""
        field = self.fields.get(self._group_of.get(variable, variable))
        if field is None:
            return
        self.go_to_page(field.variable.part)
        target = next((w for w in field_focus_chain(field) if w.isEnabled()), field.editor)
        target.setFocus(Qt.FocusReason.OtherFocusReason)
