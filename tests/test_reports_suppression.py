"""Small-number suppression: 1-4 hidden, a second cell where the sum would give it away."""

from __future__ import annotations

from itertools import combinations

from jsdesk.reports.suppression import Hidden, SuppressedTable, suppress, suppress_linked
from jsdesk.reports.tables import Row, Table, count_table, cross_table


def hidden_labels(suppressed: SuppressedTable, column: int = 0) -> dict[str, Hidden]:
    table = suppressed.table
    return {table.rows[r].label: mark for (r, c), mark in suppressed.hidden.items() if c == column}


def recoverable(suppressed: SuppressedTable) -> set[tuple[int, int]]:
    """Hidden cells a reader can compute from one published sum (the attack suppression stops)."""
    found: set[tuple[int, int]] = set()
    for cells in suppressed.table.equations():
        unknown = [cell for cell in cells if cell in suppressed.hidden]
        if len(unknown) == 1:
            found.add(unknown[0])
    return found


def test_suppress__a_three__it_and_the_smallest_other_cell_hidden_total_kept() -> None:
    table = count_table("t", "T", "Svar", ["a", "b", "c", "d"], [3, 10, 12, 0])
    suppressed = suppress(table)
    assert hidden_labels(suppressed) == {"a": Hidden.PRIMARY, "b": Hidden.SECONDARY}
    assert suppressed.count_text(0, 0) == "<5"
    assert suppressed.count_text(1, 0) == ":"
    assert suppressed.count_text(2, 0) == "12"
    assert suppressed.count_text(4, 0) == "25"  # the total stays, and still adds up
    assert suppressed.count_value(4, 0) == 25
    assert suppressed.share_value(0, 0) is None  # no share of a hidden count
    assert suppressed.share_value(2, 0) == 48.0
    assert recoverable(suppressed) == set()


def test_suppress__zero_and_five__never_hidden() -> None:
    table = count_table("t", "T", "Svar", ["a", "b", "c"], [0, 5, 20])
    assert suppress(table).hidden == {}


def test_suppress__two_small_cells__no_secondary_needed() -> None:
    table = count_table("t", "T", "Svar", ["a", "b", "c"], [2, 4, 30])
    assert hidden_labels(suppress(table)) == {"a": Hidden.PRIMARY, "b": Hidden.PRIMARY}


def test_suppress__small_total__everything_small_hidden() -> None:
    table = count_table("t", "T", "Svar", ["a", "b"], [1, 2])
    assert set(hidden_labels(suppress(table))) == {"a", "b", "I alt"}


def test_suppress__subtotal__cannot_be_used_to_compute_a_hidden_cell() -> None:
    # subtotal over a and b; a is 3: b must go too (then the total has two hidden cells)
    table = count_table(
        "t", "T", "Svar", ["a", "b", "c", "d"], [3, 20, 30, 40], subtotals=[("a+b", [0, 1])]
    )
    suppressed = suppress(table)
    assert recoverable(suppressed) == set()
    assert hidden_labels(suppressed) == {"a": Hidden.PRIMARY, "b": Hidden.SECONDARY}


def test_suppress__cross_table__rows_and_columns_consistent() -> None:
    table = cross_table(
        "x", "X", "Utfall", ["arbeid", "utdanning", "annet"], ["2024", "2025"],
        [[3, 30], [20, 40], [25, 2]],
    )  # fmt: skip
    suppressed = suppress(table)
    assert recoverable(suppressed) == set()
    assert suppressed.hidden[(0, 0)] is Hidden.PRIMARY
    assert suppressed.hidden[(2, 1)] is Hidden.PRIMARY
    # no row or column holds exactly one hidden cell
    for cells in table.equations():
        assert sum(cell in suppressed.hidden for cell in cells) != 1


def test_suppress__exhaustive_small_tables__nothing_recoverable() -> None:
    """Every 3-cell table with counts 0-7: no published sum gives a hidden cell away."""
    values = range(8)
    for counts in combinations(values, 3):
        suppressed = suppress(count_table("t", "T", "S", ["a", "b", "c"], list(counts)))
        assert recoverable(suppressed) == set(), counts
        for r, count in enumerate(counts):
            if 1 <= count <= 4:
                assert (r, 0) in suppressed.hidden


def test_suppress_linked__hidden_in_one_table__hidden_in_the_other() -> None:
    first = Table(
        "a",
        "A",
        "S",
        ("Antall",),
        (Row("x", (3,)), Row("y", (9,)), Row("I alt", (12,), (0, 1))),
        share_base=2,
    )
    second = Table(
        "b",
        "B",
        "S",
        ("Antall",),
        (Row("p", (12,)), Row("q", (30,)), Row("I alt", (42,), (0, 1))),
        share_base=2,
    )
    # first's total (12) is the same people as second's p: if one side hides it, so does
    # the other
    tables = suppress_linked([first, second], [(("a", 2, 0), ("b", 0, 0))])
    assert (2, 0) not in tables["a"].hidden
    linked = suppress_linked(
        [first, second], [(("a", 1, 0), ("b", 0, 0))]
    )  # y (9, hidden as a's second cell) is b's p
    assert (1, 0) in linked["a"].hidden
    assert (0, 0) in linked["b"].hidden
    assert recoverable(linked["b"]) == set()
