"""Report tables: counts in rows and columns, with their totals and shares.

A ``Table`` holds exact counts. Rows may be the sum of other rows (a total, or
a subtotal such as "i arbeid eller utdanning"), and a last column may be the sum
of the others; ``jsdesk.reports.suppression`` uses exactly these relations to
decide which further cells to hide when small counts are hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

TOTAL = "I alt"


@dataclass(frozen=True)
class Row:
    label: str
    counts: tuple[int, ...]
    sum_of: tuple[int, ...] = ()  # indexes of the rows this row adds up (total/subtotal)
    indent: bool = False  # a detail under the group row above it

    @property
    def is_sum(self) -> bool:
        return bool(self.sum_of)


@dataclass(frozen=True)
class Table:
    """Counts with Norwegian headings; ``share_base`` is the row shares are taken of."""

    name: str  # stable key: JSON key, sheet name, object names
    title: str
    row_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    share_base: int | None = None
    total_column: bool = False  # the last column adds up the others
    note: str = ""
    # Further published sums, row by row: (sum row, the rows it equals the sum of),
    # e.g. a total that is also the sum of group rows.
    extra_sums: tuple[tuple[int, tuple[int, ...]], ...] = ()

    def count(self, row: int, column: int) -> int:
        return self.rows[row].counts[column]

    def share(self, row: int, column: int) -> float | None:
        """Percent of the base row in the same column (None without base or when it is 0)."""
        if self.share_base is None:
            return None
        base = self.rows[self.share_base].counts[column]
        if base == 0:
            return None
        return 100.0 * self.rows[row].counts[column] / base

    def equations(self) -> list[list[tuple[int, int]]]:
        """Sets of cells where one is the sum of the rest (each published sum is one)."""
        result: list[list[tuple[int, int]]] = []
        sums = [(r, row.sum_of) for r, row in enumerate(self.rows) if row.is_sum]
        for r, members in [*sums, *self.extra_sums]:
            for c in range(len(self.columns)):
                result.append([(r, c), *((m, c) for m in members)])
        if self.total_column:
            last = len(self.columns) - 1
            for r in range(len(self.rows)):
                result.append([(r, last), *((r, c) for c in range(last))])
        return result


def count_table(
    name: str,
    title: str,
    row_header: str,
    labels: Sequence[str],
    counts: Sequence[int],
    *,
    subtotals: Sequence[tuple[str, Sequence[int]]] = (),
    column: str = "Antall",
    note: str = "",
) -> Table:
    """One column of counts, the given subtotals, a total row, and shares of the total."""
    rows = [Row(label, (count,)) for label, count in zip(labels, counts, strict=True)]
    members = tuple(range(len(rows)))
    for label, indexes in subtotals:
        rows.append(Row(label, (sum(counts[i] for i in indexes),), tuple(indexes)))
    rows.append(Row(TOTAL, (sum(counts),), members))
    return Table(
        name=name,
        title=title,
        row_header=row_header,
        columns=(column,),
        rows=tuple(rows),
        share_base=len(rows) - 1,
        note=note,
    )


def cross_table(
    name: str,
    title: str,
    row_header: str,
    labels: Sequence[str],
    columns: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    note: str = "",
) -> Table:
    """Rows × columns with a total row, a total column and shares of each column's total."""
    rows = [
        Row(label, (*values, sum(values))) for label, values in zip(labels, counts, strict=True)
    ]
    width = len(columns) + 1
    totals = tuple(sum(row.counts[c] for row in rows) for c in range(width))
    rows.append(Row(TOTAL, totals, tuple(range(len(rows)))))
    return Table(
        name=name,
        title=title,
        row_header=row_header,
        columns=(*columns, TOTAL),
        rows=tuple(rows),
        share_base=len(rows) - 1,
        total_column=True,
        note=note,
    )
