"""Small dialogs of the overview: delete with reason, settings, form problems.

Signals: ``DeleteDialog.confirmed(str)`` with the reason;
``SettingsDialog.idle_minutes_chosen(int)`` and ``SettingsDialog.next_steps_chosen(str)``
(the installation's "what to do next" text on the submission receipt).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from jsdesk.ui.bokmal import ok_cancel_buttons, translate_button_box, translate_message_box
from jsdesk.ui.unstorable import storable_note


class DeleteDialog(QDialog):
    confirmed = Signal(str)

    def __init__(self, masked_fnr: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("slett_dialog")
        self.setWindowTitle("Slett deltakelse")
        layout = QVBoxLayout(self)
        text = QLabel(
            f"Deltakelsen for {masked_fnr} slettes for godt, også personopplysningene i "
            "loggen. Bruk dette bare for en deltakelse som ble registrert ved en feil.",
            self,
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        reason_label = QLabel("&Begrunnelse (påkrevd):", self)
        self.reason = QLineEdit(self)
        self.reason.setObjectName("begrunnelse")
        self.reason.setAccessibleName("Begrunnelse for sletting")
        reason_label.setBuddy(self.reason)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason)
        layout.addWidget(storable_note(self.reason, self))
        self.confirm = QCheckBox("&Jeg bekrefter at deltakelsen skal slettes", self)
        self.confirm.setObjectName("bekreft_sletting")
        layout.addWidget(self.confirm)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.delete_button = QPushButton("&Slett", self)
        self.delete_button.setObjectName("slett")
        buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.AcceptRole)
        translate_button_box(buttons)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reason.textChanged.connect(self._update)
        self.confirm.toggled.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.delete_button.setEnabled(bool(self.reason.text().strip()) and self.confirm.isChecked())

    def _accept(self) -> None:
        if not self.delete_button.isEnabled():
            return
        self.confirmed.emit(self.reason.text().strip())
        self.accept()


class SettingsDialog(QDialog):
    idle_minutes_chosen = Signal(int)
    next_steps_chosen = Signal(str)

    def __init__(
        self,
        installation: Sequence[tuple[str, str]],
        idle_minutes: int,
        parent: QWidget | None,
        next_steps: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("innstillinger_dialog")
        self.setWindowTitle("Innstillinger")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        for caption, value in installation:
            shown = QLineEdit(value, self)
            shown.setReadOnly(True)
            shown.setAccessibleName(caption)
            label = QLabel(f"{caption}:", self)
            label.setBuddy(shown)
            form.addRow(label, shown)
        self.idle = QSpinBox(self)
        self.idle.setObjectName("lasetid")
        self.idle.setRange(1, 240)
        self.idle.setSuffix(" min")
        self.idle.setValue(idle_minutes)
        self.idle.setAccessibleName("Lås etter minutter uten aktivitet")
        idle_label = QLabel("&Lås etter minutter uten aktivitet:", self)
        idle_label.setBuddy(self.idle)
        form.addRow(idle_label, self.idle)
        self.next_steps = QPlainTextEdit(next_steps, self)
        self.next_steps.setObjectName("neste_steg")
        self.next_steps.setTabChangesFocus(True)
        self.next_steps.setAccessibleName("Hva nå etter innsending (tekst på kvitteringen)")
        self.next_steps.setPlaceholderText(
            "For eksempel hvordan filen sendes til registeret i denne kommunen."
        )
        self.next_steps.setMaximumHeight(110)
        steps_label = QLabel("&Hva nå etter innsending (på kvitteringen):", self)
        steps_label.setWordWrap(True)
        steps_label.setBuddy(self.next_steps)
        form.addRow(steps_label, self.next_steps)
        form.addRow(storable_note(self.next_steps, self))
        layout.addWidget(ok_cancel_buttons(self, self._accept, self.reject))

    def _accept(self) -> None:
        self.idle_minutes_chosen.emit(self.idle.value())
        self.next_steps_chosen.emit(self.next_steps.toPlainText().strip())
        self.accept()


def message_box(
    parent: QWidget | None,
    title: str,
    text: str,
    *,
    details: str | None = None,
    icon: QMessageBox.Icon = QMessageBox.Icon.Warning,
    name: str = "melding",
) -> QMessageBox:
    """A non-blocking message box with Bokmål buttons, already shown (``open``)."""
    box = QMessageBox(parent)
    box.setObjectName(name)
    box.setIcon(icon)
    box.setWindowTitle(title)
    box.setText(text)
    if details:
        box.setInformativeText(details)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    translate_message_box(box)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
