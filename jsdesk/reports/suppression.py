"""Small-number suppression for everything exported or printed.

Counts from 1 to 4 can identify people in a small municipality. As statistics
offices do: such a count is hidden (primary suppression, shown as «<5»), and
where a published sum would let a reader compute it back, a second cell of
that sum is hidden too (secondary suppression, shown as «:»), repeated until
every published sum has none or at least two hidden cells. Shares of hidden
cells, and shares of a hidden base, are hidden with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from jsdesk.reports.tables import Table

SMALL_MIN, SMALL_MAX = 1, 4
PRIMARY_TEXT = "<5"
SECONDARY_TEXT = ":"
NOTE = (
    "Tall fra 1 til 4 er skjult («<5») for å hindre at enkeltpersoner kan kjennes igjen, "
    "og et annet tall er skjult («:») der det skjulte ellers kunne regnes ut av summene."
)
SCREEN_NOTE = (
    "Eksakte tall, bare til saksbehandling – ikke for publisering. Utskrift og eksport "
    "skjuler tall fra 1 til 4."
)


class Hidden(StrEnum):
    PRIMARY = "primary"  # a count from 1 to 4
    SECONDARY = "secondary"  # hidden so that a primary one cannot be computed back


def is_small(count: int) -> bool:
    return SMALL_MIN <= count <= SMALL_MAX


@dataclass(frozen=True)
class SuppressedTable:
    """A table as it may be published: which cells are hidden, and how to show a cell."""

    table: Table
    hidden: dict[tuple[int, int], Hidden]

    def count_text(self, row: int, column: int) -> str:
        mark = self.hidden.get((row, column))
        if mark is Hidden.PRIMARY:
            return PRIMARY_TEXT
        if mark is Hidden.SECONDARY:
            return SECONDARY_TEXT
        return str(self.table.count(row, column))

    def count_value(self, row: int, column: int) -> int | None:
        """The count, or None when it is hidden."""
        if (row, column) in self.hidden:
            return None
        return self.table.count(row, column)

    def share_value(self, row: int, column: int) -> float | None:
        """The share, or None when it is hidden (or has no base)."""
        base = self.table.share_base
        if base is None or (row, column) in self.hidden or (base, column) in self.hidden:
            return None
        return self.table.share(row, column)

    def share_hidden(self, row: int, column: int) -> bool:
        base = self.table.share_base
        return base is not None and ((row, column) in self.hidden or (base, column) in self.hidden)


# A cell of one table that equals a cell of another (same people counted twice):
# (table name, row, column) on both sides.
CellRef = tuple[str, int, int]
Link = tuple[CellRef, CellRef]


def suppress(table: Table) -> SuppressedTable:
    """Primary suppression of 1-4, then secondary until no sum gives a hidden cell away."""
    return suppress_linked([table])[table.name]


def suppress_linked(
    tables: Sequence[Table], links: Sequence[Link] = ()
) -> dict[str, SuppressedTable]:
    """Suppress tables that share cells: a cell hidden in one is hidden in the other.

    Otherwise a reader could take from one table what the other hides. Runs
    each table's secondary suppression and the links in turn until nothing
    changes.
    """
    by_name = {table.name: table for table in tables}
    hidden: dict[str, dict[tuple[int, int], Hidden]] = {}
    for table in tables:
        hidden[table.name] = {
            (r, c): Hidden.PRIMARY
            for r, row in enumerate(table.rows)
            for c, count in enumerate(row.counts)
            if is_small(count)
        }
    equations = {table.name: table.equations() for table in tables}
    changed = True
    while changed:
        changed = False
        for table in tables:
            changed |= _secondary(table, equations[table.name], hidden[table.name])
        for (name_a, *cell_a), (name_b, *cell_b) in links:
            if name_a not in by_name or name_b not in by_name:
                continue
            a, b = (cell_a[0], cell_a[1]), (cell_b[0], cell_b[1])
            in_a, in_b = a in hidden[name_a], b in hidden[name_b]
            if in_a and not in_b:
                hidden[name_b][b] = hidden[name_a][a]
                changed = True
            elif in_b and not in_a:
                hidden[name_a][a] = hidden[name_b][b]
                changed = True
    return {table.name: SuppressedTable(table, hidden[table.name]) for table in tables}


def _secondary(
    table: Table, equations: list[list[tuple[int, int]]], hidden: dict[tuple[int, int], Hidden]
) -> bool:
    changed = False
    again = True
    while again:
        again = False
        for cells in equations:
            if sum(cell in hidden for cell in cells) != 1:
                continue
            candidates = [cell for cell in cells if cell not in hidden]
            hidden[_second_cell(table, candidates)] = Hidden.SECONDARY
            again = changed = True
    return changed


def _second_cell(table: Table, candidates: list[tuple[int, int]]) -> tuple[int, int]:
    """The cell that costs least to hide: the smallest non-zero count, a detail before a sum.

    A zero is hidden only when nothing else is left: a hidden zero next to a
    hidden 3 still lets the reader see that the two add up to 3, but protects
    nobody more.
    """

    def cost(cell: tuple[int, int]) -> tuple[bool, bool, int]:
        r, c = cell
        count = table.count(r, c)
        is_sum = table.rows[r].is_sum or (table.total_column and c == len(table.columns) - 1)
        return (count == 0, is_sum, count)

    return min(candidates, key=cost)


def unsuppressed(table: Table) -> SuppressedTable:
    """The exact table in the same shape (for the screen)."""
    return SuppressedTable(table, {})
