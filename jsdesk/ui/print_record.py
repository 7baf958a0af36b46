""" "Skriv ut deltakelse": one participation, all four parts, labels and values, for the
municipality's own case archive (printed, or saved as PDF without a printer).

The fødselsnummer is masked ("010190*****") unless the user ticks that it is to be shown;
the person id is never printed (docs/person-id.md).
Codes are printed with their text, dates as DD.MM.ÅÅÅÅ, computed values (fødselsår,
kommune) from the rule engine, and each test result as one line.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QLabel, QVBoxLayout, QWidget

from jsdesk.domain.fnr import mask
from jsdesk.forms import Role, VarType
from jsdesk.rules import evaluate
from jsdesk.ui.bokmal import format_date, format_iso_date, ok_cancel_buttons
from jsdesk.ui.printing import document, html_page, html_table, print_document

if TYPE_CHECKING:
    from jsdesk.forms import FormDefinition, Variable

EMPTY = "–"


def value_text(variable: Variable, value: object, *, show_fnr: bool) -> str:
    """How a stored value reads on paper."""

    if value is None or value == [] or value == "":
        return EMPTY
    kind = variable.type
    if kind is VarType.FNR and isinstance(value, str):
        return value if show_fnr else mask(value)
    if kind is VarType.CODE and isinstance(value, int):
        return f"{value} {variable.code_text(value)}"
    if kind is VarType.MULTICODE and isinstance(value, list):
        return "; ".join(
            f"{code} {variable.code_text(code)}" if isinstance(code, int) else str(code)
            for code in value
        )
    if kind is VarType.DATE and isinstance(value, str):
        return format_iso_date(value)
    if variable.fields and isinstance(value, list):
        lines = []
        for number, entry in enumerate(value, start=1):
            if not isinstance(entry, Mapping):
                lines.append(str(entry))
                continue
            cells = [
                f"{field.label}: {value_text(field, entry.get(field.name), show_fnr=show_fnr)}"
                for field in variable.fields
            ]
            lines.append(f"{number}. " + ", ".join(cells))
        return "\n".join(lines)
    return str(value)


def participation_parts(
    form: FormDefinition, values: Mapping[str, object], *, show_fnr: bool
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per form part: its heading and (label, value) rows, every variable of the part."""

    derived = evaluate(form, dict(values), allow_synthetic=True).derived
    parts = []
    for part in form.parts:
        rows = []
        for variable in form.part_variables(part.number):
            if variable.role is Role.PERSON_ID:
                continue  # local only; on a masked print it would sit by the birth date
            value = values.get(variable.name)
            if value is None:
                value = derived.get(variable.name)
            rows.append((variable.label, value_text(variable, value, show_fnr=show_fnr)))
        parts.append((f"Del {part.number}: {part.title}", rows))
    return parts


def participation_html(
    form: FormDefinition,
    values: Mapping[str, object],
    *,
    title: str,
    status: str,
    show_fnr: bool,
) -> str:
    now = datetime.now()
    body = [
        html_table(
            [
                ("Status", status),
                ("Skjemaversjon", form.version),
                ("Skrevet ut", f"{format_date(now.date())} kl. {now:%H:%M}"),
            ]
        )
    ]
    for heading, rows in participation_parts(form, values, show_fnr=show_fnr):
        body.append(f"<h2>{html.escape(heading)}</h2>")
        body.append(html_table(rows).replace("\n", "<br>"))
    return html_page(title, body)


class PrintParticipationDialog(QDialog):
    """Asks whether the full fødselsnummer is to be printed, then prints (or saves PDF)."""

    def __init__(
        self,
        form: FormDefinition,
        values: Mapping[str, object],
        *,
        title: str,
        status: str,
        done: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.form = form
        self.values = dict(values)
        self.title = title
        self.status = status
        self._done = done
        self.setObjectName("skriv_ut_deltakelse_dialog")
        self.setWindowTitle("Skriv ut deltakelse")
        layout = QVBoxLayout(self)
        text = QLabel(
            "Deltakelsen skrives ut med alle fire deler, ledetekster og verdier, for kommunens "
            "eget arkiv. Uten skriver lagres den som PDF.",
            self,
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(text)
        self.show_fnr = QCheckBox("&Vis hele fødselsnummeret (ellers skjules personnummeret)", self)
        self.show_fnr.setObjectName("vis_fodselsnummer")
        layout.addWidget(self.show_fnr)
        layout.addWidget(ok_cancel_buttons(self, self._print, self.reject))

    def html(self) -> str:
        return participation_html(
            self.form,
            self.values,
            title=self.title,
            status=self.status,
            show_fnr=self.show_fnr.isChecked(),
        )

    def _print(self) -> None:
        parent = self.parentWidget() or self
        suggested = self.title.lower().replace(" ", "-") + ".pdf"
        print_document(parent, document(self.html()), suggested=suggested, done=self._done)
        self.accept()
