"""Accept a record's warnings, each with a short reason that is stored.

Signals (on ``AcceptWarningsDialog``): ``accepted_reasons(list)`` with
``(Finding, reason)`` pairs for every warning given a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from jsdesk.ui.bokmal import ok_cancel_buttons
from jsdesk.ui.unstorable import storable_note

if TYPE_CHECKING:
    from jsdesk.forms import FormDefinition
    from jsdesk.rules import Finding


class AcceptWarningsDialog(QDialog):
    accepted_reasons = Signal(list)

    def __init__(
        self,
        form: FormDefinition,
        warnings: Sequence[Finding],
        parent: QWidget | None = None,
        *,
        reasons: Mapping[Finding, str] | None = None,
    ) -> None:
        """``reasons``: the reasons already given, shown so they can be read and changed."""
        super().__init__(parent)
        self.setObjectName("godta_advarsler_dialog")
        self.setWindowTitle("Godta advarsler")
        self._warnings = list(warnings)
        self._given = dict(reasons or {})
        self.reasons: list[QLineEdit] = []
        layout = QVBoxLayout(self)
        if not self._warnings:
            layout.addWidget(QLabel("Registreringen har ingen advarsler.", self))
        else:
            layout.addWidget(
                QLabel("Skriv en kort begrunnelse for hver advarsel du vil godta.", self)
            )
        form_layout = QFormLayout()
        layout.addLayout(form_layout)
        for position, finding in enumerate(self._warnings):
            try:
                label = form.variable(finding.variable).label
            except KeyError:
                label = finding.variable
            edit = QLineEdit(self)
            edit.setObjectName(f"begrunnelse_{position}")
            edit.setText(self._given.get(finding, ""))
            edit.setAccessibleName(f"Begrunnelse for advarsel om {label}")
            caption = QLabel(f"{label}: {finding.message}", self)
            caption.setWordWrap(True)
            caption.setBuddy(edit)
            form_layout.addRow(caption, edit)
            form_layout.addRow(storable_note(edit, self))
            self.reasons.append(edit)
        layout.addWidget(ok_cancel_buttons(self, self._accept, self.reject))

    def _accept(self) -> None:
        chosen = [
            (finding, edit.text().strip())
            for finding, edit in zip(self._warnings, self.reasons, strict=True)
            if edit.text().strip() and edit.text().strip() != self._given.get(finding)
        ]
        self.accepted_reasons.emit(chosen)
        self.accept()
