"""One input per form variable, chosen from the variable's type at run time.

Each ``Field`` owns a row on a wizard page: a buddy label with a mnemonic, the
input widget (object name = variable name), a "Hvorfor?" button shown while the
field is locked, and a message line under the field. Fields never decide rules:
the wizard hands them the engine's ``VariableState`` and findings.

Signals (on ``Field``): ``edited(str, object)`` with the variable name and the
new value in record form (ISO date string, int code, list of codes, None).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QElapsedTimer, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QRadioButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from jsdesk.domain.fnr import FnrError, analyse
from jsdesk.storable import DROPPED_NOTE
from jsdesk.ui.bokmal import (
    DATE_FORMAT_HINT,
    escape_mnemonic,
    format_iso_date,
    norwegian_locale,
    parse_nb_date,
    translate_message_box,
)
from jsdesk.ui.unstorable import drop_unstorable

if TYPE_CHECKING:
    from jsdesk.forms import Code, Variable
    from jsdesk.rules import Finding, VariableState

# Letters the wizard itself uses: Neste, Tilbake, Fullfør, Hjelp, Lukk, Sider, Angre tømming,
# Angre endringer siden åpning, Skriv ut deltakelse.
RESERVED_MNEMONICS = frozenset("ntfhlsaeu")
RADIO_MAX_CODES = 4
NOT_ANSWERED = "– ikke besvart –"
FETCHED_SOURCES = {"FREG": "hentes av registeret", "PAD": "hentes av registeret"}
COMPUTED = "beregnes automatisk"

# How a field with a problem looks. Never colour alone: an icon with an accessible name and
# the words "Feil:" / "Advarsel:" / "Godtatt advarsel:" in the message under the field.
ERROR, WARNING, ACCEPTED = "error", "warning", "accepted"
PROBLEM_WORDS = {ERROR: "Feil", WARNING: "Advarsel", ACCEPTED: "Godtatt advarsel"}
PROBLEM_ICONS = {
    ERROR: QStyle.StandardPixmap.SP_MessageBoxCritical,
    WARNING: QStyle.StandardPixmap.SP_MessageBoxWarning,
    ACCEPTED: QStyle.StandardPixmap.SP_DialogApplyButton,
}
PROBLEM_BORDERS = {ERROR: "2px solid #b00020", WARNING: "2px dashed #8a5300"}


def with_mnemonic(text: str, used: set[str]) -> str:
    """The label text with '&' before the first letter not used yet on the page."""
    escaped_positions = []
    for position, char in enumerate(text):
        lower = char.lower()
        if char.isalpha() and lower not in used and lower not in RESERVED_MNEMONICS:
            escaped_positions.append(position)
            break
    if not escaped_positions:
        return escape_mnemonic(text)
    position = escaped_positions[0]
    used.add(text[position].lower())
    return escape_mnemonic(text[:position]) + "&" + escape_mnemonic(text[position:])


def code_label(code: Code) -> str:
    """The code and its text, plus the last valid day for a code that expires."""
    text = f"{code.code} {code.text}"
    if code.valid_to is not None:
        text += f" (gyldig til {format_iso_date(code.valid_to)})"
    return text


def source_text(variable: Variable, provenance: Mapping[str, str] | None = None) -> str:
    """``kilde: FREG``, or with an imported value ``kilde: FREG, importert 29.11.2026``."""
    if not provenance:
        return f"kilde: {variable.source}"
    text = f"kilde: {provenance.get('kilde') or variable.source}"
    if provenance.get("importert"):
        text += f", importert {format_iso_date(provenance['importert'])}"
    return text


class Field(QObject):
    edited = Signal(str, object)

    def __init__(self, variable: Variable, label_text: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.variable = variable
        self.name = variable.name
        self._label_text = label_text
        self._loading = False
        self._note: str | None = None
        self._dropped_note: str | None = None
        self._findings_text = ""
        self._locked_reason: str | None = None
        self._provenance: Mapping[str, str] | None = None
        self.row = QWidget(parent)
        self.row.setObjectName(f"rad_{self.name}")
        layout = QVBoxLayout(self.row)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(2)
        self.label = QLabel(self.row)
        self.label.setObjectName(f"{self.name}_etikett")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.label)
        self.frame = QFrame(self.row)
        self.frame.setObjectName(f"{self.name}_ramme")
        line = QHBoxLayout(self.frame)
        line.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.frame)
        self.problem: str | None = None
        self.problem_icon = QLabel(self.row)
        self.problem_icon.setObjectName(f"{self.name}_ikon")
        self.problem_icon.hide()
        self.editor = self._build(self.row, line)
        line.insertWidget(0, self.problem_icon, 0, Qt.AlignmentFlag.AlignTop)
        self.editor.setObjectName(self.name)
        self.why_button = QToolButton(self.row)
        self.why_button.setObjectName(f"{self.name}_hvorfor")
        self.why_button.setText("Hvorfor?")
        self.why_button.setAccessibleName(f"Hvorfor er «{variable.label}» låst?")
        # Not in the Tab order: Shift+F1 on the field does the same (see the wizard's help).
        self.why_button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.why_button.clicked.connect(self.explain)
        self.why_button.hide()
        line.addWidget(self.why_button, 0, Qt.AlignmentFlag.AlignTop)
        self.message = QLabel(self.row)
        self.message.setObjectName(f"{self.name}_melding")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.message.hide()
        layout.addWidget(self.message)
        self.label.setBuddy(self.focus_widget())
        help_text = variable.description or variable.label
        if variable.guidance:
            help_text += f"\n\nVeiledning: {variable.guidance}"
        for widget in self.input_widgets():
            widget.setWhatsThis(help_text)
        self._required = False
        self._update_label()
        self._update_accessibility()

    # -- subclasses ---------------------------------------------------------
    def _build(self, row: QWidget, line: QHBoxLayout) -> QWidget:
        raise NotImplementedError

    def value(self) -> object:
        raise NotImplementedError

    def _show(self, value: object) -> None:
        raise NotImplementedError

    def input_widgets(self) -> Sequence[QWidget]:
        """Widgets that take keyboard focus, in visual order."""
        return [self.editor]

    def focus_widget(self) -> QWidget:
        return self.input_widgets()[0]

    @property
    def read_only(self) -> bool:
        return False

    # -- shared behaviour ---------------------------------------------------
    def set_value(self, value: object) -> None:
        self._loading = True
        try:
            self._show(value)
        finally:
            self._loading = False

    def _emit(self, value: object) -> None:
        if not self._loading:
            self.edited.emit(self.name, value)

    def set_note(self, note: str | None) -> None:
        self._note = note
        self._update_message()

    def _storable_text(self, edit: QLineEdit, text: str) -> str:
        """``text`` as typed or pasted, without what cannot be stored (a NUL), which is
        taken out of ``edit`` too and said on the field until it is edited again."""
        kept = drop_unstorable(edit, text)
        dropped_note = DROPPED_NOTE if kept != text else None
        if dropped_note != self._dropped_note:
            self._dropped_note = dropped_note
            self._update_message()
            self._update_accessibility()
        return kept

    def set_provenance(self, provenance: Mapping[str, str] | None) -> None:
        """Where an imported registry value came from (``jsdesk.registry.provenance``)."""
        self._provenance = dict(provenance) if provenance else None
        self._update_label()
        self._update_accessibility()

    @property
    def provenance_text(self) -> str:
        return source_text(self.variable, self._provenance)

    @property
    def locked(self) -> bool:
        return self._locked_reason is not None

    @property
    def locked_reason(self) -> str | None:
        return self._locked_reason

    def apply_state(
        self,
        state: VariableState | None,
        findings: Sequence[Finding],
        *,
        accepted: Mapping[Finding, str] | None = None,
        shown: bool = True,
    ) -> None:
        """Show the engine's state and findings; ``accepted`` maps each accepted warning to
        who accepted it, when and why; ``shown`` False keeps the problems out of sight (a new,
        untouched record) while the summary still counts them."""
        enabled = state is None or (state.enabled and state.applicable)
        self._required = state is not None and state.required and enabled
        if enabled:
            self._locked_reason = None
        else:
            reason = state.reason if state is not None else None
            self._locked_reason = reason or "Feltet er låst etter reglene i skjemaet."
        if not self.read_only:
            self.editor.setEnabled(enabled)
            for widget in self.input_widgets():
                widget.setEnabled(enabled)
        self.why_button.setVisible(self._locked_reason is not None)
        tooltip = self._locked_reason or (self.variable.description or self.variable.label)
        self.label.setToolTip(tooltip)
        accepted = accepted or {}
        lines = []
        kinds = set()
        for finding in findings if shown else ():
            kind = ERROR if finding.is_error else ACCEPTED if finding in accepted else WARNING
            kinds.add(kind)
            where = f"rad {finding.index + 1}: " if finding.index is not None else ""
            line = f"{PROBLEM_WORDS[kind]}: {where}{finding.message}"
            if kind == ACCEPTED:
                line += f" ({accepted[finding]})"
            lines.append(line)
        self._findings_text = "\n".join(lines)
        self.problem = next((kind for kind in (ERROR, WARNING, ACCEPTED) if kind in kinds), None)
        self._show_problem()
        self._update_label()
        self._update_message()
        self._update_accessibility()

    def _show_problem(self) -> None:
        problem = self.problem
        if problem is None:
            self.problem_icon.hide()
            self.frame.setStyleSheet("")
            return
        size = self.problem_icon.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon = self.problem_icon.style().standardIcon(PROBLEM_ICONS[problem])
        self.problem_icon.setPixmap(icon.pixmap(size, size))
        self.problem_icon.setAccessibleName(PROBLEM_WORDS[problem])
        self.problem_icon.setToolTip(self._findings_text)
        self.problem_icon.show()
        border = PROBLEM_BORDERS.get(problem)
        self.frame.setStyleSheet(
            f"QFrame#{self.frame.objectName()} {{ border: {border}; border-radius: 3px; }}"
            if border
            else ""
        )

    def explain(self) -> None:
        box = QMessageBox(self.row)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("Hvorfor er feltet låst?")
        box.setText(f"«{self.variable.label}» er låst.")
        box.setInformativeText(self._locked_reason or "Feltet er ikke låst.")
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        translate_message_box(box)
        box.setObjectName("hvorfor_dialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _update_label(self) -> None:
        text = self._label_text
        if self._required:
            text += " *"
        if self._locked_reason is not None and not self.read_only:
            text += " (låst)"
        if self.read_only:
            text += f" ({self.provenance_text}; kan ikke endres)"
        elif not self.variable.is_input:
            text += f" ({self.provenance_text}; kan også føres inn her)"
        self.label.setText(text)

    def _update_message(self) -> None:
        parts = [part for part in (self._dropped_note, self._note, self._findings_text) if part]
        text = "\n".join(parts)
        self.message.setText(text)
        self.message.setVisible(bool(text))
        tooltip = self._locked_reason or (self.variable.description or self.variable.label)
        if self._findings_text:
            tooltip = f"{self._findings_text}\n\n{tooltip}"
        for widget in self.input_widgets():
            widget.setToolTip(tooltip)

    def _update_accessibility(self) -> None:
        description = [self.variable.description or ""]
        if self.variable.guidance:
            description.append(f"Veiledning: {self.variable.guidance}")
        if self._provenance:
            description.append(self.provenance_text[0].upper() + self.provenance_text[1:] + ".")
        if self._required:
            description.append("Obligatorisk.")
        if self._locked_reason is not None:
            description.append(f"Låst: {self._locked_reason}")
        if self.message.text():
            description.append(self.message.text())
        joined = " ".join(part for part in description if part)
        self.editor.setAccessibleName(self.variable.label)
        self.editor.setAccessibleDescription(joined)
        for widget in self.input_widgets():
            if widget is not self.editor:
                widget.setAccessibleDescription(joined)


class ComboField(Field):
    """A drop-down of the variable's codes; subclasses choose other items and keys."""

    UNKNOWN = "ukjent kode"

    def _items(self) -> list[tuple[str, object]]:
        return [(code_label(code), code.code) for code in self.variable.codes]

    def _key(self, value: object) -> object:
        return value

    def _build(self, row: QWidget, line: QHBoxLayout) -> QWidget:
        self.combo = QComboBox(row)
        self.combo.addItem(NOT_ANSWERED, None)
        for text, key in self._items():
            self.combo.addItem(text, key)
        self.combo.currentIndexChanged.connect(self._changed)
        self.combo.installEventFilter(self)
        self._typed_code = ""
        self._typed_at = QElapsedTimer()
        line.addWidget(self.combo, 1)
        return self.combo

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Digits typed in a row pick the code with exactly that number ("1" is "1 Arbeid",
        "1" then "2" is "12 …"), not the next text that starts with the digit."""
        if (
            watched is self.combo
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.text().isdigit()
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            self.type_code(event.text())
            return True
        return super().eventFilter(watched, event)

    def type_code(self, digit: str) -> None:
        interval = QApplication.keyboardInputInterval()
        if self._typed_at.isValid() and self._typed_at.elapsed() <= interval:
            typed = self._typed_code + digit
        else:
            typed = digit
        keys = [str(self.combo.itemData(i)) for i in range(1, self.combo.count())]
        if not any(key.startswith(typed) for key in keys):
            typed = digit
        self._typed_code = typed
        if typed in keys:
            self.combo.setCurrentIndex(keys.index(typed) + 1)  # stores the answer at once
        # Measured from the end of the store: a digit typed while it ran still belongs here.
        self._typed_at.restart()

    def _changed(self, index: int) -> None:
        self._emit(self.combo.itemData(index) if index > 0 else None)

    def value(self) -> object:
        index = self.combo.currentIndex()
        return self.combo.itemData(index) if index > 0 else None

    def _show(self, value: object) -> None:
        if value is None:
            self.combo.setCurrentIndex(0)
            return
        key = self._key(value)
        index = self.combo.findData(key)
        if index < 0:
            self.combo.addItem(f"{value} ({self.UNKNOWN})", key)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)


class RadioField(Field):
    """Radio buttons named ``<variable>_<code>``; Delete clears the answer."""

    def _build(self, row: QWidget, line: QHBoxLayout) -> QWidget:
        box = QWidget(row)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(box)
        self.buttons: list[QRadioButton] = []
        for code in self.variable.codes:
            button = QRadioButton(escape_mnemonic(code_label(code)), box)
            button.setObjectName(f"{self.variable.name}_{code.code}")
            button.setAccessibleName(f"{self.variable.label}: {code.text}")
            button.installEventFilter(self)
            self.group.addButton(button, code.code)
            self.buttons.append(button)
            layout.addWidget(button)
        self.group.idToggled.connect(self._toggled)
        line.addWidget(box, 1)
        return box

    def input_widgets(self) -> Sequence[QWidget]:
        return self.buttons

    def _toggled(self, code: int, checked: bool) -> None:
        if checked:
            self._emit(code)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(event, QKeyEvent) or event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            if self.group.checkedButton() is not None:
                self._clear()
                self._emit(None)
            return True
        if (
            event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Right)
            and self.group.checkedButton() is None
        ):
            # No answer yet: the first arrow press chooses the first option, not the second.
            first = self.buttons[0]
            first.setFocus(Qt.FocusReason.TabFocusReason)
            first.setChecked(True)
            return True
        return super().eventFilter(watched, event)

    def _clear(self) -> None:
        self.group.setExclusive(False)
        for button in self.buttons:
            button.setChecked(False)
        self.group.setExclusive(True)

    def value(self) -> object:
        checked = self.group.checkedId()
        return None if checked == -1 else checked

    def _show(self, value: object) -> None:
        button = self.group.button(value) if isinstance(value, int) else None
        if button is None:
            self._clear()
        else:
            button.setChecked(True)


class MultiCodeField(Field):
    """Check boxes named ``<variable>_<code>``; exclusive codes uncheck the others."""

    def _build(self, row: QWidget, line: QHBoxLayout) -> QWidget:
        box = QWidget(row)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[int, QCheckBox] = {}
        for code in self.variable.codes:
            check = QCheckBox(escape_mnemonic(code_label(code)), box)
            check.setObjectName(f"{self.variable.name}_{code.code}")
            check.setAccessibleName(f"{self.variable.label}: {code.text}")
            check.toggled.connect(lambda checked, c=code.code: self._toggled(c, checked))
            self.boxes[code.code] = check
            layout.addWidget(check)
        line.addWidget(box, 1)
        return box

    def input_widgets(self) -> Sequence[QWidget]:
        return list(self.boxes.values())

    def _toggled(self, code: int, checked: bool) -> None:
        if self._loading:
            return
        exclusive = set(self.variable.exclusive_codes)
        note = None
        if checked and code in exclusive:
            removed = [c for c, box in self.boxes.items() if c != code and box.isChecked()]
            if removed:
                self._set_checked(removed, False)
                names = ", ".join(self._text(c) for c in removed)
                note = (
                    f"«{self._text(code)}» kan ikke kombineres med andre valg, "
                    f"så disse ble fjernet: {names}."
                )
        elif checked:
            removed = [c for c in exclusive if self.boxes[c].isChecked()]
            if removed:
                self._set_checked(removed, False)
                names = ", ".join(self._text(c) for c in removed)
                note = f"{names} kan ikke kombineres med andre valg og ble fjernet."
        self.set_note(note)
        self._emit(self.value())

    def _text(self, code: int) -> str:
        return f"{code} {self.variable.code_text(code)}"

    def _set_checked(self, codes: Sequence[int], checked: bool) -> None:
        for code in codes:
            box = self.boxes[code]
            box.blockSignals(True)
            box.setChecked(checked)
            box.blockSignals(False)

    def value(self) -> object:
        chosen = [code for code, box in self.boxes.items() if box.isChecked()]
        return sorted(chosen) if chosen else None

    def _show(self, value: object) -> None:
        chosen = set(value) if isinstance(value, list) else set()
        for code, box in self.boxes.items():
            box.setChecked(code in chosen)


class TypedField(Field):
    """A line edit whose text is read as a value (a date, a number).

    Nothing typed is lost: text that cannot be read is emitted (and so stored) exactly as
    typed, so the rule engine reports it where it is and the caseworker finds it again.
    Leaving the field shows a value that could be read in its normal form.
    """

    PLACEHOLDER = ""

    def _build(self, row: QWidget, line: QHBoxLayout) -> QWidget:
        self.edit = QLineEdit(row)
        self.edit.setPlaceholderText(self.PLACEHOLDER)
        self.edit.textEdited.connect(self._typed)
        self.edit.editingFinished.connect(self._finished)
        line.addWidget(self.edit, 1)
        return self.edit

    def parse(self, text: str) -> object:
        """The value read from ``text``; None when it cannot be read."""
        raise NotImplementedError

    def display(self, value: object) -> str:
        return "" if value is None else str(value)

    def _typed(self, text: str) -> None:
        text = self._storable_text(self.edit, text)
        if not text.strip():
            self._emit(None)
            return
        parsed = self.parse(text)
        self._emit(text if parsed is None else parsed)

    def _finished(self) -> None:
        parsed = self.parse(self.edit.text())
        if parsed is not None and self.display(parsed) != self.edit.text():
            self.edit.setText(self.display(parsed))

    def value(self) -> object:
        text = self.edit.text()
        if not text.strip():
            return None
        parsed = self.parse(text)
        return text if parsed is None else parsed

    def _show(self, value: object) -> None:
        self.edit.setText(self.display(value))


class DateField(TypedField):
    """DD.MM.ÅÅÅÅ line edit with a calendar popup (button, F4 or Alt+Down).

    Also reads 1.9.2025, 01092025 and 1.9.25; shows DD.MM.ÅÅÅÅ once the field is left.
    """

    PLACEHOLDER = DATE_FORMAT_HINT

    def _build(self, row: QWidget, line: QHBoxLayout) -> QWidget:
        edit = super()._build(row, line)
        self.edit.installEventFilter(self)
        self.calendar_button = QToolButton(row)
        self.calendar_button.setObjectName(f"{self.variable.name}_kalender")
        self.calendar_button.setText("Kalender")
        self.calendar_button.setAccessibleName(f"Velg «{self.variable.label}» i kalender")
        # Not in the Tab order: F4 or Alt+Down in the date field opens the calendar too.
        self.calendar_button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.calendar_button.clicked.connect(self.open_calendar)
        line.addWidget(self.calendar_button)
        self.calendar: QCalendarWidget | None = None
        return edit

    def input_widgets(self) -> Sequence[QWidget]:
        return [self.edit, self.calendar_button]

    def parse(self, text: str) -> object:
        typed = parse_nb_date(text)
        return typed.isoformat() if typed is not None else None

    def display(self, value: object) -> str:
        return format_iso_date(value)

    def _finished(self) -> None:
        super()._finished()
        text = self.edit.text()
        if text.strip() and self.parse(text) is None:
            self.set_note(
                f"«{text}» er ikke en gyldig dato. Skriv datoen som {DATE_FORMAT_HINT}, "
                "for eksempel 15.01.2024."
            )
        else:
            self.set_note(None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            alt_down = (
                event.key() == Qt.Key.Key_Down
                and event.modifiers() & Qt.KeyboardModifier.AltModifier
            )
            if event.key() == Qt.Key.Key_F4 or alt_down:
                self.open_calendar()
                return True
        return super().eventFilter(watched, event)

    def open_calendar(self) -> None:
        if self.calendar is None:
            self.calendar = QCalendarWidget(self.edit)
            self.calendar.setObjectName(f"{self.variable.name}_kalendervisning")
            self.calendar.setWindowFlag(Qt.WindowType.Popup)
            self.calendar.setLocale(norwegian_locale())
            self.calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
            self.calendar.activated.connect(self._picked)
            self.calendar.clicked.connect(self._picked)
        current = parse_nb_date(self.edit.text()) or date.today()
        self.calendar.setSelectedDate(QDate(current.year, current.month, current.day))
        self.calendar.move(self.edit.mapToGlobal(self.edit.rect().bottomLeft()))
        self.calendar.show()
        self.calendar.setFocus()

    def _picked(self, picked: QDate) -> None:
        chosen = date(picked.year(), picked.month(), picked.day())
        if self.calendar is not None:
            self.calendar.hide()
        self.edit.setText(format_iso_date(chosen))
        self.edit.setFocus()
        self.set_note(None)
        self._emit(chosen.isoformat())


class NumberField(TypedField):
    """A whole number (or a year); letters are kept as typed and flagged by the rules."""

    def _build(self, row: QWidget, line: QHBoxLayout) -> QWidget:
        self.PLACEHOLDER = "ÅÅÅÅ" if str(self.variable.type) == "year" else "tall"
        edit = super()._build(row, line)
        self.edit.setMaximumWidth(160)
        line.addStretch(1)
        return edit

    def parse(self, text: str) -> object:
        stripped = text.strip()
        digits = stripped.removeprefix("-")
        return int(stripped) if digits.isascii() and digits.isdigit() else None


class TextField(Field):
    def _build(self, row: QWidget, line: QHBoxLayout) -> QWidget:
        self.edit = QLineEdit(row)
        self.edit.textEdited.connect(self._typed)
        line.addWidget(self.edit, 1)
        return self.edit

    def _typed(self, text: str) -> None:
        self._emit(self._storable_text(self.edit, text).strip() or None)

    def value(self) -> object:
        return self.edit.text().strip() or None

    def _show(self, value: object) -> None:
        self.edit.setText("" if value is None else str(value))


class FnrField(Field):
    """Fødselsnummer with a live check while typing (via jsdesk.domain.fnr).

    Every keystroke is stored as typed, also an incomplete number, so nothing is lost and
    the rule engine reports what is wrong with it."""

    def _build(self, row: QWidget, line: QHBoxLayout) -> QWidget:
        self.edit = QLineEdit(row)
        self.edit.setPlaceholderText("11 sifre")
        self.edit.textEdited.connect(self._typed)
        line.addWidget(self.edit, 1)
        return self.edit

    def _typed(self, text: str) -> None:
        digits = self._storable_text(self.edit, text).strip()
        if not digits:
            self.set_note(None)
            self._emit(None)
            return
        if len(digits) < 11 and digits.isdigit():
            self.set_note(f"Fødselsnummeret har {len(digits)} av 11 sifre.")
        elif len(digits) == 11 and digits.isdigit():
            self.set_note(check_fnr(digits))
        else:
            self.set_note(None)
        self._emit(digits)

    def value(self) -> object:
        return self.edit.text().strip() or None

    def _show(self, value: object) -> None:
        self.edit.setText("" if value is None else str(value))
        self.set_note(None)


def check_fnr(number: str) -> str:
    try:
        info = analyse(number)
    except FnrError as exc:
        return f"Ugyldig fødselsnummer: {exc.message}"
    kind = {
        "FODSELSNUMMER": "fødselsnummer",
        "D_NUMMER": "D-nummer",
        "H_NUMMER": "H-nummer",
        "FH_NUMMER": "FH-nummer",
    }.get(info.kind.name, "identitetsnummer")
    parts = [f"Gyldig {kind}"]
    if info.synthetic:
        parts.append("(syntetisk testnummer)")
    if info.birth_date is not None:
        parts.append(f"født {format_iso_date(info.birth_date)}")
    return " ".join(parts) + "."


class ChoiceField(ComboField):
    """A fixed list of string values (municipality or bydel), searchable by typing."""

    UNKNOWN = "ikke i gjeldende liste"

    def __init__(
        self, variable: Variable, label_text: str, parent: QWidget, choices: dict[str, str]
    ) -> None:
        self._choices = choices
        super().__init__(variable, label_text, parent)

    def _items(self) -> list[tuple[str, object]]:
        return [(label, key) for key, label in self._choices.items()]

    def _key(self, value: object) -> object:
        return str(value)

    def set_choices(self, choices: dict[str, str]) -> None:
        """Offer ``choices`` instead (the participation's period changed); keeps the value."""
        if choices == self._choices:
            return
        current = self.value()
        self._choices = choices
        blocked = self.combo.blockSignals(True)
        try:
            while self.combo.count() > 1:
                self.combo.removeItem(1)
            for text, key in self._items():
                self.combo.addItem(text, key)
            self._show(current)
        finally:
            self.combo.blockSignals(blocked)


class ReadOnlyField(Field):
    """A value from FREG, PAD or the system: shown, never typed."""

    def _build(self, row: QWidget, line: QHBoxLayout) -> QWidget:
        self.edit = QLineEdit(row)
        self.edit.setReadOnly(True)
        # Tab skips it; the page's accessible description carries the value.
        self.edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._derived: object = None
        self._value: object = None
        line.addWidget(self.edit, 1)
        return self.edit

    @property
    def read_only(self) -> bool:
        return True

    def set_derived(self, derived: object) -> None:
        self._derived = derived
        self._render()

    def value(self) -> object:
        return self._value

    def _show(self, value: object) -> None:
        self._value = value
        self._render()

    def shown_text(self) -> str:
        shown = self._value if self._value is not None else self._derived
        if shown is None:
            return FETCHED_SOURCES.get(str(self.variable.source), COMPUTED)
        if str(self.variable.type) == "code" and isinstance(shown, int):
            return f"{shown} {self.variable.code_text(shown)}"
        if str(self.variable.type) == "date":
            return format_iso_date(shown)
        return str(shown)

    def _render(self) -> None:
        self.edit.setText(self.shown_text())
