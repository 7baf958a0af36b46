"""Printing and PDF with Qt's own means (QPrinter, QPdfWriter): no extra dependency.

``print_document`` prints an HTML document on a printer chosen in Qt's print dialog, or,
on a machine without printers, saves it as PDF in a file the user chooses. ``save_file``
is the save dialog every "Lagre som …" uses: non-blocking, starts in the last folder used
for that purpose and remembers the folder chosen (``jsdesk.ui.window_state``).
"""

from __future__ import annotations

import html
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import QFileDialog, QWidget

from jsdesk.errors import os_error_reason
from jsdesk.ui.window_state import last_folder, remember_folder

PDF_FILTER = "PDF-filer (*.pdf)"
DOCUMENT_STYLE = (
    "body { font-family: sans-serif; font-size: 10pt; } "
    "h1 { font-size: 15pt; } h2 { font-size: 12pt; margin-top: 14px; } "
    "td, th { padding: 2px 6px; vertical-align: top; } th { text-align: left; }"
)


def html_page(title: str, body: Sequence[str]) -> str:
    """A whole HTML document: ``title`` as heading, then the (already escaped) ``body``."""
    return (
        f"<html><head><style>{DOCUMENT_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{''.join(body)}</body></html>"
    )


def html_table(rows: Sequence[tuple[str, str]]) -> str:
    """Label/value rows, both escaped."""
    cells = "".join(
        f'<tr><th align="left">{html.escape(label)}</th><td>{html.escape(value)}</td></tr>'
        for label, value in rows
    )
    return f'<table cellspacing="0">{cells}</table>'


# PySide6 6.12's QTextDocument.setHtml drops one reference to None per call (the same
# kind of binding bug tests/ui_support.py works around for QtTest); enough calls and the
# interpreter aborts with "deallocating None". ``document`` gives back what it took.
_GIVEN_BACK: list[None] = []


def document(html_text: str) -> QTextDocument:
    doc = QTextDocument()
    before = sys.getrefcount(None)
    doc.setHtml(html_text)
    _GIVEN_BACK.extend([None] * max(0, before - sys.getrefcount(None)))
    return doc


def write_pdf(doc: QTextDocument, path: Path) -> None:
    """``doc`` as an A4 PDF at ``path``, written to a temporary file and then renamed."""
    path = Path(path)
    fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        writer = QPdfWriter(partial)
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(18, 18, 18, 18),
            )
        )
        writer.setTitle(doc.metaInformation(QTextDocument.MetaInformation.DocumentTitle))
        doc.print_(writer)
        del writer  # flushes and closes the file
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def save_file(
    parent: QWidget,
    *,
    name: str,
    title: str,
    purpose: str,
    suggested: str,
    name_filter: str,
    chosen: Callable[[Path], None],
) -> QFileDialog:
    """An open (non-blocking) save dialog; ``chosen(path)`` runs with the file picked."""
    dialog = QFileDialog(parent, title)
    dialog.setObjectName(name)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilter(name_filter)
    folder = last_folder(purpose, str(Path.home()))
    dialog.setDirectory(folder)
    dialog.selectFile(suggested)

    def picked(file_name: str) -> None:
        path = Path(file_name)
        if name_filter == PDF_FILTER and path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        remember_folder(purpose, path)
        chosen(path)

    dialog.fileSelected.connect(picked)
    dialog.open()
    return dialog


def print_document(
    parent: QWidget,
    doc: QTextDocument,
    *,
    suggested: str,
    done: Callable[[str], None],
) -> QWidget:
    """Qt's print dialog when the machine has a printer, else "save as PDF".

    ``done(text)`` reports the result in Bokmål (printed, or the PDF file written).
    """
    if QPrinterInfo.availablePrinters():
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, parent)
        dialog.setObjectName("utskrift_dialog")

        def accepted() -> None:
            doc.print_(printer)
            done(f"Sendt til skriveren {printer.printerName()}.")

        dialog.accepted.connect(accepted)
        dialog.show()
        return dialog

    def chosen(path: Path) -> None:
        try:
            write_pdf(doc, path)
        except OSError as exc:
            done(f"Kunne ikke lagre {path}: {os_error_reason(exc)}.")
            return
        done(f"Lagret som PDF: {path}")

    return save_file(
        parent,
        name="lagre_pdf_dialog",
        title="Lagre som PDF (ingen skriver funnet)",
        purpose="utskrift",
        suggested=suggested,
        name_filter=PDF_FILTER,
        chosen=chosen,
    )
