"""The period a participation runs over: the span every domain question is asked for.

A participation runs from its start date to its end date, or to today while it is
still active. A value from a domain (a kommunenummer, a code) is acceptable when it
was in force on any day of that period, so the period, not a single reference date,
is what ``choices`` and ``check`` of the domain objects take.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Period:
    """The closed span ``start`` to ``end`` (both days included; ``end >= start``)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends {self.end} before it starts {self.start}")

    @classmethod
    def day(cls, day: date) -> Period:
        """The one-day period ``day`` (e.g. today, for the installation's settings)."""
        return cls(day, day)

    @classmethod
    def participation(cls, start: date, end: date | None, today: date) -> Period:
        """Start to end, or to today while active; never shorter than the start day.

        An end date before the start (a typing error the rules report) and a start
        in the future give the one-day period of the start.
        """
        last = end if end is not None else today
        return cls(start, max(start, last))

    def years(self) -> range:
        """The calendar years the period touches, first to last."""
        return range(self.start.year, self.end.year + 1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, valid_from: date, valid_to: date | None) -> bool:
        """True when the closed span ``valid_from``-``valid_to`` (None = open) meets it."""
        return valid_from <= self.end and (valid_to is None or self.start <= valid_to)

    @property
    def length_days(self) -> int:
        return (self.end - self.start).days

    def text(self) -> str:
        """DD.MM.ÅÅÅÅ, or DD.MM.ÅÅÅÅ–DD.MM.ÅÅÅÅ for a span of several days."""
        first = self.start.strftime("%d.%m.%Y")
        if self.start == self.end:
            return first
        return f"{first}–{self.end.strftime('%d.%m.%Y')}"
