"""Bar charts of report tables (pyqtgraph), for the results view and the PDF.

A chart is drawn from a ``Table`` and never holds a figure the table beside it
does not show: cells hidden by suppression (the PDF) get no bar. Bars are told
apart by pattern as well as colour, and each chart carries an accessible
description; the table beside it is the accessible form of the same figures.

pyqtgraph (MIT, with numpy) draws into Qt's own graphics view, so the same code
serves the window and the PDF; Qt Charts was GPL-3.0 in open-source Qt.
"""

from __future__ import annotations

import math
from collections.abc import Collection

import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget

from jsdesk.reports.tables import Table

# The charts draw with QPainter, never through OpenGL: the Windows bundle leaves out Qt's
# software OpenGL (build_installer.spec), which a machine without a driver would need.
pg.setConfigOptions(useOpenGL=False)

# Colours that keep apart for colour-blind readers (Okabe-Ito), each with its own pattern.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
PATTERNS = (
    Qt.BrushStyle.SolidPattern,
    Qt.BrushStyle.BDiagPattern,
    Qt.BrushStyle.Dense4Pattern,
    Qt.BrushStyle.CrossPattern,
    Qt.BrushStyle.FDiagPattern,
    Qt.BrushStyle.Dense2Pattern,
    Qt.BrushStyle.HorPattern,
)
Hidden = Collection[tuple[int, int]]


def _detail_rows(table: Table) -> list[int]:
    """Rows to draw: the group/detail rows, not totals (and not indented details)."""
    rows = [r for r, row in enumerate(table.rows) if not row.indent]
    total = table.share_base
    return [r for r in rows if r != total and not table.rows[r].label.startswith("Herav")]


def _columns(table: Table) -> list[int]:
    count = len(table.columns) - (1 if table.total_column else 0)
    return list(range(count))


def chart_for(table: Table, hidden: Hidden = (), parent: QWidget | None = None) -> pg.PlotWidget:
    """Bars of the table: one set per row over the columns, or one set over the rows."""
    widget = pg.PlotWidget(parent, background="w")
    plot = widget.getPlotItem()
    plot.setTitle(table.title, color="#000000", bold=True, size="10pt")
    plot.setMouseEnabled(x=False, y=False)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    columns = _columns(table)
    rows = _detail_rows(table)
    highest = 0
    if len(columns) > 1:
        categories = [table.columns[c] for c in columns]
        # One line of legend along the top, above the bars (the y range leaves room).
        legend = plot.addLegend(offset=(10, 5), labelTextColor="#000000")
        legend.setColumnCount(len(rows))
        width = 0.8 / max(len(rows), 1)
        for i, r in enumerate(rows):
            values = [0 if (r, c) in hidden else table.count(r, c) for c in columns]
            highest = max([highest, *values])
            offset = (i - (len(rows) - 1) / 2) * width
            xs = [position + offset for position in range(len(columns))]
            plot.addItem(_bars(xs, values, width, i, table.rows[r].label))
    else:
        categories = [table.rows[r].label for r in rows]
        values = [0 if (r, 0) in hidden else table.count(r, 0) for r in rows]
        highest = max([highest, *values])
        plot.addItem(_bars(list(range(len(rows))), values, 0.6, 0, table.columns[0]))
    bottom = plot.getAxis("bottom")
    bottom.setTicks([list(enumerate(categories)), []])
    left = plot.getAxis("left")
    left.setLabel("Antall")
    top = max(highest, 4)
    step = _nice_step(top)
    left.setTickSpacing(major=step, minor=step)
    for axis in (bottom, left):
        axis.setPen(pg.mkPen("#000000"))
        axis.setTextPen(pg.mkPen("#000000"))
    plot.setXRange(-0.6, len(categories) - 0.4, padding=0)
    plot.setYRange(0, math.ceil(top / step) * step * 1.25, padding=0)
    return widget


def _nice_step(top: int) -> int:
    """A whole-number tick step giving about five ticks (1, 2, 5, 10, 20, 50 …)."""
    rough = max(top / 5, 1)
    power = 10 ** math.floor(math.log10(rough))
    for factor in (1, 2, 5, 10):
        if factor * power >= rough:
            return int(factor * power)
    return int(10 * power)


def _bars(
    xs: list[float], values: list[int], width: float, index: int, label: str
) -> pg.BarGraphItem:
    colour = QColor(PALETTE[index % len(PALETTE)])
    return pg.BarGraphItem(
        x=xs,
        height=values,
        width=width,
        brush=QBrush(colour, PATTERNS[index % len(PATTERNS)]),
        pen=pg.mkPen(colour.darker(150)),  # cosmetic: one pixel, not one data unit
        name=label,
    )


def describe(table: Table) -> str:
    """A sentence for screen readers: what the chart shows and where its figures are."""
    return (
        f"Stolpediagram: {table.title}. De samme tallene står i tabellen ved siden av diagrammet."
    )


def chart_view(table: Table, parent: QWidget | None = None) -> pg.PlotWidget:
    view = chart_for(table, parent=parent)
    view.setObjectName(f"diagram_{table.name}")
    view.setAccessibleName(f"Diagram: {table.title}")
    view.setAccessibleDescription(describe(table))
    view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the table beside it takes the focus
    view.setMinimumSize(QSize(360, 240))
    return view


def chart_image(table: Table, hidden: Hidden, size: QSize) -> QImage:
    """The chart drawn into an image (for the PDF), hidden cells without bars."""
    widget = chart_for(table, hidden)
    # Laid out at ``size`` as if shown (pyqtgraph lays out on resize events), never on screen.
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    widget.resize(size)
    widget.show()
    # Laid out at ``size``, drawn at twice that for print sharpness (the scene is vector).
    image = QImage(size * 2, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        source = widget.mapToScene(widget.viewport().rect()).boundingRect()
        widget.scene().render(painter, QRectF(image.rect()), source)
    finally:
        painter.end()
        widget.close()
        widget.deleteLater()
    return image
