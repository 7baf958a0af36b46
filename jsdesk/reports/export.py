"""Write reports and lists to Excel (.xlsx), CSV and JSON, atomically.

Results are always written suppressed (``jsdesk.reports.suppression``): a
hidden count is the text «<5» or «:», every other count a number. Lists name
participants only by masked fødselsnummer unless the caller passes the full
numbers on the user's explicit choice (the caller audits it).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter

from jsdesk.errors import UserError, os_error_reason
from jsdesk.reports.quality import QualityItem
from jsdesk.reports.results import KeyFigure, Results
from jsdesk.reports.suppression import (
    NOTE,
    PRIMARY_TEXT,
    SECONDARY_TEXT,
    SuppressedTable,
    is_small,
    suppress_linked,
)

SHARE_HEADER = "Andel (%)"
INDENT = "   "  # a code under its group
Cell = str | int | float | date | None


# ---------------------------------------------------------------- key figures


def suppressed_tables(results: Results) -> dict[str, SuppressedTable]:
    """Every table of the results as it may be published (linked cells agree)."""
    return suppress_linked(results.tables, results.links)


def figure_cells(
    figure: KeyFigure, tables: Mapping[str, SuppressedTable] | None = None
) -> tuple[Cell, Cell]:
    """(value, share or unit) of a key figure; exact when ``tables`` is None.

    A count hidden in the table it comes from is hidden here too; a share is
    hidden with its count, or when its base or the rest of the base is 1-4.
    """
    exact = tables is None
    if figure.unit:
        if figure.median is None:
            return None, figure.unit
        if not exact and (figure.base or 0) < 5:
            return SECONDARY_TEXT, figure.unit
        return figure.median, figure.unit
    count = figure.count
    if count is None:
        return None, None
    share = None if figure.share is None else round(figure.share, 1)
    if exact:
        return count, share
    assert tables is not None
    text: str | None = None
    if figure.source is not None:
        name, row, column = figure.source
        if (row, column) in tables[name].hidden:
            text = tables[name].count_text(row, column)
    elif is_small(count):
        text = PRIMARY_TEXT
    if text is not None:
        return text, (SECONDARY_TEXT if figure.base is not None else None)
    if figure.base is not None and (is_small(figure.base) or is_small(figure.base - count)):
        return count, SECONDARY_TEXT
    return count, share


def figure_rows(results: Results, *, exact: bool = False) -> list[list[Cell]]:
    tables = None if exact else suppressed_tables(results)
    return [[f.label, *figure_cells(f, tables)] for f in results.key_figures]


# ---------------------------------------------------------------- table rows


def table_rows(suppressed: SuppressedTable) -> tuple[list[str], list[list[Cell]]]:
    """Headings and rows as written to a sheet: counts (and shares) per column."""
    table = suppressed.table
    shares = table.share_base is not None
    headings = [table.row_header]
    for column in table.columns:
        headings.append(column if len(table.columns) > 1 or not shares else "Antall")
        if shares:
            headings.append(f"{SHARE_HEADER} {column}" if len(table.columns) > 1 else SHARE_HEADER)
    rows: list[list[Cell]] = []
    for r, row in enumerate(table.rows):
        cells: list[Cell] = [f"{INDENT}{row.label}" if row.indent else row.label]
        for c in range(len(table.columns)):
            value = suppressed.count_value(r, c)
            cells.append(value if value is not None else suppressed.count_text(r, c))
            if shares:
                share = suppressed.share_value(r, c)
                if suppressed.share_hidden(r, c):
                    cells.append(SECONDARY_TEXT)
                else:
                    cells.append(None if share is None else round(share, 1))
        rows.append(cells)
    return headings, rows


def results_json(results: Results) -> dict[str, Any]:
    """The suppressed results as JSON-ready data (``jsdesk report --format json``)."""
    return {
        "periode": {
            "fra": results.period.start.isoformat(),
            "til": results.period.end.isoformat(),
            "navn": results.period.label,
        },
        "bydel": results.bydel,
        "merknad": NOTE,
        "nokkeltall": [
            {"navn": f.name, "tekst": label, "verdi": value, "andel_eller_enhet": extra}
            for f, (label, value, extra) in zip(
                results.key_figures, figure_rows(results), strict=True
            )
        ],
        "tabeller": [_table_json(table) for table in suppressed_tables(results).values()],
    }


def _table_json(suppressed: SuppressedTable) -> dict[str, Any]:
    headings, rows = table_rows(suppressed)
    table = suppressed.table
    return {
        "navn": table.name,
        "tittel": table.title,
        "merknad": table.note,
        "kolonner": headings,
        "rader": rows,
    }


# ---------------------------------------------------------------- files


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` that replaces it only when all is written."""
    folder = target.parent
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UserError(f"Kan ikke skrive til mappen {folder}: {os_error_reason(exc)}.", 1) from exc
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, target)
    except OSError as exc:
        raise UserError(f"Kunne ikke lagre {target.name}: {os_error_reason(exc)}.", 1) from exc
    finally:
        temporary.unlink(missing_ok=True)


def write_results_json(results: Results, target: Path) -> None:
    text = json.dumps(results_json(results), ensure_ascii=False, indent=2)
    with atomic_path(target) as path:
        path.write_text(text + "\n", encoding="utf-8")


def write_results_xlsx(results: Results, target: Path) -> None:
    """One sheet per table (suppressed), the key figures first, numbers as numbers."""
    title = f"{results.form_title}: resultater {results.period.label}"
    if results.bydel:
        title += f", bydel {results.bydel}"
    with atomic_path(target) as path:
        book = _workbook(path)
        sheet = book.add_worksheet("Nøkkeltall")
        bold = book.add_format({"bold": True})
        sheet.write(0, 0, title, bold)
        sheet.write(1, 0, NOTE)
        _write_rows(
            sheet, 3, ["Nøkkeltall", "Verdi", "Andel (%) / enhet"], figure_rows(results), bold
        )
        sheet.set_column(0, 0, 48)
        used = {"Nøkkeltall"}
        for suppressed in suppressed_tables(results).values():
            table = suppressed.table
            name = _sheet_name(table.title, used)
            sheet = book.add_worksheet(name)
            sheet.write(0, 0, table.title, bold)
            sheet.write(1, 0, table.note)
            headings, rows = table_rows(suppressed)
            _write_rows(sheet, 3, headings, rows, bold)
            sheet.set_column(0, 0, 48)
            sheet.set_column(1, len(headings), 14)
        book.close()


def _workbook(path: Path) -> Any:
    return xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    name, n = base, 2
    while name in used:
        suffix = f" {n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _write_rows(
    sheet: Any, first_row: int, headings: Sequence[str], rows: Sequence[Sequence[Cell]], bold: Any
) -> None:
    for c, heading in enumerate(headings):
        sheet.write_string(first_row, c, heading, bold)
    for r, row in enumerate(rows, start=first_row + 1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_string(r, c, "ja" if value else "nei")
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif isinstance(value, date):
                sheet.write_string(r, c, value.strftime("%d.%m.%Y"))
            else:
                sheet.write_string(r, c, str(value))


# ---------------------------------------------------------------- lists


def write_list(
    target: Path, sheet_title: str, headings: Sequence[str], rows: Sequence[Sequence[Cell]]
) -> None:
    """A list as .xlsx (by suffix) or CSV (semicolon, UTF-8 with BOM: Excel in Norway)."""
    suffix = target.suffix.lower()
    with atomic_path(target) as path:
        if suffix == ".xlsx":
            book = _workbook(path)
            sheet = book.add_worksheet(_sheet_name(sheet_title, set()))
            bold = book.add_format({"bold": True})
            _write_rows(sheet, 0, headings, rows, bold)
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(len(rows), 1), max(len(headings) - 1, 0))
            book.close()
        elif suffix == ".csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
            writer.writerow(headings)
            for row in rows:
                writer.writerow([cell_text(v) for v in row])
            path.write_text(buffer.getvalue(), encoding="utf-8-sig")
        else:
            raise UserError("Velg et filnavn som slutter på .xlsx eller .csv.", 2)


def cell_text(value: Cell) -> str:
    """A cell as Norwegian text: decimal comma, dates as DD.MM.ÅÅÅÅ, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


QUALITY_HEADINGS = (
    "Deltakelse",
    "Fødselsnummer",
    "Oppstartsdato",
    "Status",
    "Del",
    "Felt",
    "Alvorlighet",
    "Melding",
)


def quality_rows(items: Sequence[QualityItem], *, full_fnr: bool = False) -> list[list[Cell]]:
    return [
        [
            item.participation_id,
            (item.fnr or "") if full_fnr else item.masked_fnr,
            item.oppstartsdato,
            item.status,
            f"{item.part} {item.part_title}".strip() if item.part else "",
            item.label,
            item.severity_text,
            item.message,
        ]
        for item in items
    ]
