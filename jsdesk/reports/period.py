"""The period a report covers: a calendar year, or any span of days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jsdesk.errors import UserError


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise UserError(
                f"Perioden slutter ({_show(self.last)}) før den begynner ({_show(self.first)}).",
                2,
            )

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @property
    def is_year(self) -> bool:
        return (self.first.month, self.first.day, self.last.month, self.last.day) == (
            1,
            1,
            12,
            31,
        ) and self.first.year == self.last.year

    @property
    def label(self) -> str:
        if self.is_year:
            return str(self.first.year)
        return f"{_show(self.first)}–{_show(self.last)}"

    def contains(self, day: date | None) -> bool:
        return day is not None and self.first <= day <= self.last

    def overlaps(self, start: date, end: date | None) -> bool:
        """A participation from ``start`` to ``end`` (None: still running) was active some
        day of the period: started by its last day and not ended before its first."""
        return start <= self.last and (end is None or end >= self.first)


def _show(day: date) -> str:
    return day.strftime("%d.%m.%Y")
