"""The results as a PDF (Qt's ``QPdfWriter``): key figures, charts and tables.

Written suppressed, like every export: tables through ``jsdesk.reports.export``
(the same cells as the Excel file), charts without bars for hidden cells. The
tables are real text in the PDF, so it can be searched and read aloud.
"""

from __future__ import annotations

import html
import os
import sys
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSize, QUrl
from PySide6.QtGui import (
    QFont,
    QPageLayout,
    QPageSize,
    QPdfWriter,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import QApplication

from jsdesk.reports.export import (
    Cell,
    atomic_path,
    cell_text,
    figure_rows,
    suppressed_tables,
    table_rows,
)
from jsdesk.reports.results import Results
from jsdesk.reports.suppression import NOTE
from jsdesk.ui.bokmal import format_date
from jsdesk.ui.report_charts import chart_image

CHART_SIZE = QSize(720, 360)
CHART_WIDTH_PT = 480


def results_html(results: Results, *, with_charts: bool = True) -> str:
    """The document: title, note, key figures, then each table (with its chart)."""
    tables = suppressed_tables(results)
    title = f"{results.form_title}: resultater {results.period.label}"
    if results.bydel:
        title += f", bydel {results.bydel}"
    parts = [
        "<html><body style='font-family: sans-serif; font-size: 9pt;'>",
        f"<h1 style='font-size: 15pt;'>{html.escape(title)}</h1>",
        f"<p>Periode {format_date(results.period.start)}–{format_date(results.period.end)}."
        f" {html.escape(NOTE)}</p>",
        "<h2 style='font-size: 12pt;'>Nøkkeltall</h2>",
        _html_table(["Nøkkeltall", "Verdi", "Andel (%) / enhet"], figure_rows(results)),
    ]
    for name, suppressed in tables.items():
        table = suppressed.table
        parts.append(f"<h2 style='font-size: 12pt;'>{html.escape(table.title)}</h2>")
        if table.note:
            parts.append(f"<p>{html.escape(table.note)}</p>")
        if with_charts and name in results.charts:
            parts.append(f"<p><img src='chart:{name}' width='{CHART_WIDTH_PT}'></p>")
        headings, rows = table_rows(suppressed)
        parts.append(_html_table(headings, rows))
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(headings: list[str], rows: list[list[Cell]]) -> str:
    out = ["<table border='1' cellspacing='0' cellpadding='3'><tr>"]
    out += [f"<th align='left'>{html.escape(h)}</th>" for h in headings]
    out.append("</tr>")
    for row in rows:
        out.append("<tr>")
        for i, value in enumerate(row):
            align = "left" if i == 0 else "right"
            out.append(f"<td align='{align}'>{html.escape(cell_text(value))}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def write_results_pdf(results: Results, target: Path) -> None:
    """Write the PDF atomically (needs a running QApplication)."""
    tables = suppressed_tables(results)
    document = QTextDocument()
    font = document.defaultFont()
    # No shaping, so no ligatures: «fi», not «ﬁ», since the PDF's text is searched
    font.setStyleStrategy(QFont.StyleStrategy.PreferNoShaping)
    document.setDefaultFont(font)
    option = document.defaultTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)  # «Utdanning», never «Utdanni / ng»
    document.setDefaultTextOption(option)
    for name in results.charts:
        if name in tables:
            image = chart_image(tables[name].table, tables[name].hidden, CHART_SIZE)
            document.addResource(
                QTextDocument.ResourceType.ImageResource, QUrl(f"chart:{name}"), image
            )
    document.setHtml(results_html(results))
    with atomic_path(target) as path:
        writer = QPdfWriter(str(path))
        writer.setTitle(f"Resultater {results.period.label}")
        writer.setCreator("jsdesk")
        writer.setResolution(300)
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(15, 15, 15, 15),
                QPageLayout.Unit.Millimeter,
            )
        )
        document.print_(writer)
        del writer  # the file is complete once the writer is gone


def write_results_pdf_headless(results: Results, target: Path) -> None:
    """For ``jsdesk report``: start Qt without a window when none is running."""
    if QApplication.instance() is None:
        if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(["jsdesk"])
        write_results_pdf(results, target)
        del app  # the command ends right after
        return
    write_results_pdf(results, target)
