"""Bar charts of report tables (Qt Charts), for the results view and the PDF.

A chart is drawn from a ``Table`` and never holds a figure the table beside it
does not show: cells hidden by suppression (the PDF) get no bar. Bars are told
apart by pattern as well as colour, and each chart carries an accessible
description; the table beside it is the accessible form of the same figures.
"""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene, QWidget

from jsdesk.reports.tables import Table

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


def chart_for(table: Table, hidden: Hidden = ()) -> QChart:
    """Bars of the table: one set per row over the columns, or one set over the rows."""
    chart = QChart()
    chart.setTitle(table.title)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    series = QBarSeries()
    columns = _columns(table)
    rows = _detail_rows(table)
    highest = 0
    if len(columns) > 1:
        categories = [table.columns[c] for c in columns]
        for i, r in enumerate(rows):
            bar_set = _bar_set(table.rows[r].label, i)
            for c in columns:
                value = 0 if (r, c) in hidden else table.count(r, c)
                highest = max(highest, value)
                bar_set.append(value)
            series.append(bar_set)
        chart.legend().setVisible(True)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    else:
        categories = [table.rows[r].label for r in rows]
        bar_set = _bar_set(table.columns[0], 0)
        for r in rows:
            value = 0 if (r, 0) in hidden else table.count(r, 0)
            highest = max(highest, value)
            bar_set.append(value)
        series.append(bar_set)
        chart.legend().setVisible(False)
    chart.addSeries(series)
    x_axis = QBarCategoryAxis()
    x_axis.append(categories)
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(x_axis)
    y_axis = QValueAxis()
    y_axis.setLabelFormat("%d")
    y_axis.setRange(0, max(highest, 4))
    y_axis.applyNiceNumbers()
    y_axis.setTitleText("Antall")
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(y_axis)
    font = QFont(chart.titleFont())
    font.setBold(True)
    chart.setTitleFont(font)
    return chart


def _bar_set(label: str, index: int) -> QBarSet:
    bar_set = QBarSet(label)
    colour = QColor(PALETTE[index % len(PALETTE)])
    brush = QBrush(colour, PATTERNS[index % len(PATTERNS)])
    bar_set.setBrush(brush)
    bar_set.setBorderColor(colour.darker(150))
    return bar_set


def describe(table: Table) -> str:
    """A sentence for screen readers: what the chart shows and where its figures are."""
    return (
        f"Stolpediagram: {table.title}. De samme tallene står i tabellen ved siden av diagrammet."
    )


def chart_view(table: Table, parent: QWidget | None = None) -> QChartView:
    view = QChartView(chart_for(table), parent)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setObjectName(f"diagram_{table.name}")
    view.setAccessibleName(f"Diagram: {table.title}")
    view.setAccessibleDescription(describe(table))
    view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the table beside it takes the focus
    view.setMinimumSize(QSize(360, 240))
    return view


def chart_image(table: Table, hidden: Hidden, size: QSize) -> QImage:
    """The chart drawn into an image (for the PDF), hidden cells without bars."""
    chart = chart_for(table, hidden)
    scene = QGraphicsScene()
    scene.addItem(chart)
    chart.resize(QSizeF(size))
    # Drawn at twice the size for print sharpness, laid out at ``size``.
    image = QImage(size * 2, QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(2.0)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(0, 0, size.width(), size.height())
        scene.render(painter, area, area)
    finally:
        painter.end()
    return image
