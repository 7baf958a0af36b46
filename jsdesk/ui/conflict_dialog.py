"""When another caseworker saved the same field first (a shared database).

Each field both changed is one row: the field's name, the caseworker's own value and
the other's, as two radio buttons (own value chosen at first); «Behold alle mine» and
«Ta alle den andres» choose every row at once. Nothing is written until the caseworker
presses «Bruk valgene»; closing the dialog (Esc) keeps the other's values and shows the
caseworker's own in the field's note, so nothing typed is lost from view.
"""

from __future__ import annotations

import contextlib

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from jsdesk.forms import FormDefinition
from jsdesk.storage import FieldConflict

MINE, THEIRS = "mine", "theirs"


def shown_value(form: FormDefinition, name: str, value: object) -> str:
    """A stored value as the caseworker knows it (a code with its text)."""
    if value is None or value == "" or value == []:
        return "(tomt)"
    variable = form.variable(name) if form.has_variable(name) else None
    values = value if isinstance(value, list) else [value]
    parts = []
    for one in values:
        text = str(one)
        if variable is not None and variable.codes:
            with contextlib.suppress(ValueError, KeyError):
                text = f"{one} – {variable.code_text(int(str(one)))}"
        parts.append(text)
    return ", ".join(parts)


class ConflictDialog(QDialog):
    """Choose, per field, whose value is kept."""

    def __init__(
        self,
        form: FormDefinition,
        conflicts: tuple[FieldConflict, ...],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle("Noen andre har endret de samme feltene – jsdesk")
        self.conflicts = conflicts
        layout = QVBoxLayout(self)
        intro = QLabel(
            "En annen saksbehandler har lagret en nyere versjon av denne deltakelsen, med andre "
            "verdier i feltene under. Velg hvilken verdi som skal gjelde for hvert felt. Det "
            "den andre endret i andre felt er tatt med. Lukker du vinduet (Esc), gjelder den "
            "andres verdier, og din verdi står ved feltet."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        grid = QGridLayout()
        for column, title in enumerate(("Felt", "Din verdi", "Den andres verdi")):
            header = QLabel(f"<b>{title}</b>")
            grid.addWidget(header, 0, column)
        self._groups: dict[str, QButtonGroup] = {}
        for row, conflict in enumerate(conflicts, start=1):
            label = (
                form.variable(conflict.variable).label
                if form.has_variable(conflict.variable)
                else conflict.variable
            )
            grid.addWidget(QLabel(label), row, 0)
            mine = QRadioButton(shown_value(form, conflict.variable, conflict.mine))
            theirs = QRadioButton(shown_value(form, conflict.variable, conflict.theirs))
            mine.setObjectName(f"conflict_mine_{conflict.variable}")
            theirs.setObjectName(f"conflict_theirs_{conflict.variable}")
            mine.setAccessibleName(f"{label}: behold din verdi {mine.text()}")
            theirs.setAccessibleName(f"{label}: ta den andres verdi {theirs.text()}")
            mine.setChecked(True)
            group = QButtonGroup(self)
            group.addButton(mine)
            group.addButton(theirs)
            self._groups[conflict.variable] = group
            grid.addWidget(mine, row, 1)
            grid.addWidget(theirs, row, 2)
        layout.addLayout(grid)
        buttons = QDialogButtonBox()
        for text, name, side in (
            ("Behold alle &mine", "conflictAllMine", MINE),
            ("Ta alle den &andres", "conflictAllTheirs", THEIRS),
        ):
            every = buttons.addButton(text, QDialogButtonBox.ButtonRole.ActionRole)
            every.setObjectName(name)
            every.clicked.connect(lambda _checked=False, side=side: self.choose_all(side))
        use = buttons.addButton("&Bruk valgene", QDialogButtonBox.ButtonRole.AcceptRole)
        use.setObjectName("conflictApply")
        use.setDefault(True)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)

    def choose_all(self, side: str) -> None:
        """Choose ``MINE`` or ``THEIRS`` in every row."""
        prefix = f"conflict_{side}_"
        for group in self._groups.values():
            for button in group.buttons():
                if button.objectName().startswith(prefix):
                    button.setChecked(True)

    def choices(self) -> dict[str, str]:
        """Per field: ``MINE`` or ``THEIRS``."""
        result = {}
        for name, group in self._groups.items():
            checked = group.checkedButton()
            mine = checked is not None and checked.objectName().startswith("conflict_mine_")
            result[name] = MINE if mine else THEIRS
        return result
