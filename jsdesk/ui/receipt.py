"""The receipt after "Send inn": which file, where, how many records, which period, its
SHA-256, and what to do next; with "Åpne mappen" and "Skriv ut kvittering …".

What to do next is the installation's own text (setting ``NEXT_STEPS_SETTING``, set under
*Innstillinger*), since how the file reaches the register differs between municipalities.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from jsdesk.ui.bokmal import format_date, translate_button_box
from jsdesk.ui.printing import document, html_page, html_table, print_document
from jsdesk.ui.window_state import place

if TYPE_CHECKING:
    from jsdesk.submission.create import SubmissionResult

NEXT_STEPS_SETTING = "kvittering_neste_steg"
DEFAULT_NEXT_STEPS = (
    "Send filen til Jobbsjanseregisteret slik kommunen har avtalt med IMDi, og ta vare på "
    "denne kvitteringen. Filen er signert; endrer du den, blir den avvist. Ta kontakt med "
    "kommunens IT-avdeling hvis du er usikker på hvordan filen skal leveres."
)
WINDOW_NAME = "kvittering"


def receipt_rows(result: SubmissionResult) -> list[tuple[str, str]]:
    """The receipt's facts as label/value pairs (shown, printed and tested alike)."""
    period = (
        f"{format_date(result.period_from)}–{format_date(result.period_to)}"
        if result.period_from is not None and result.period_to is not None
        else "–"
    )
    return [
        ("Fil", result.path.name),
        ("Mappe", str(result.path.parent)),
        ("Antall poster", str(result.record_count)),
        ("Rapporteringsperiode", period),
        ("Kryptert til mottakeren", "ja" if result.encrypted else "nei"),
        ("SHA-256", result.sha256),
        ("Innsendings-id", result.submission_id),
    ]


class ReceiptDialog(QDialog):
    def __init__(
        self, result: SubmissionResult, next_steps: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.submission = result
        self.next_steps = next_steps.strip() or DEFAULT_NEXT_STEPS
        self.created = datetime.now()
        self.setObjectName("kvittering_dialog")
        self.setWindowTitle("Kvittering for innsending")
        outer = QVBoxLayout(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = QWidget(scroll)
        layout = QVBoxLayout(body)
        heading = QLabel("Innsendingsfilen er laget og kontrollert.", body)
        heading.setStyleSheet("font-size: 13pt; font-weight: bold;")
        layout.addWidget(heading)
        self.facts = QLabel(html_table(receipt_rows(result)), body)
        self.facts.setObjectName("kvittering")
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.facts.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.facts.setAccessibleName("Kvittering")
        self.facts.setAccessibleDescription(
            "; ".join(f"{label}: {value}" for label, value in receipt_rows(result))
        )
        layout.addWidget(self.facts)
        steps_title = QLabel("Hva nå?", body)
        steps_title.setStyleSheet("font-weight: bold;")
        layout.addWidget(steps_title)
        self.steps = QLabel(self.next_steps, body)
        self.steps.setObjectName("neste_steg")
        self.steps.setWordWrap(True)
        self.steps.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.steps)
        for warning in result.warnings:
            note = QLabel(warning, body)
            note.setWordWrap(True)
            layout.addWidget(note)
        self.status = QLabel("", body)
        self.status.setObjectName("kvittering_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        translate_button_box(buttons)
        self.open_folder = QPushButton("&Åpne mappen", self)
        self.open_folder.setObjectName("apne_mappe")
        self.open_folder.clicked.connect(self.show_folder)
        self.print_button = QPushButton("Skriv &ut kvittering …", self)
        self.print_button.setObjectName("skriv_ut_kvittering")
        self.print_button.clicked.connect(self.print_receipt)
        buttons.addButton(self.open_folder, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)
        place(self, WINDOW_NAME, QSize(720, 520))
        self.facts.setFocus()

    def html(self) -> str:
        created = f"{format_date(self.created.date())} kl. {self.created:%H:%M}"
        return html_page(
            "Kvittering for innsending til Jobbsjanseregisteret",
            [
                html_table([*receipt_rows(self.submission), ("Laget", created)]),
                "<h2>Hva nå?</h2>",
                f"<p>{html.escape(self.next_steps)}</p>",
            ],
        )

    def show_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.submission.path.parent)))

    def print_receipt(self) -> None:
        stem = self.submission.path.name.split(".")[0]
        print_document(
            self,
            document(self.html()),
            suggested=f"kvittering-{stem}.pdf",
            done=self.status.setText,
        )
