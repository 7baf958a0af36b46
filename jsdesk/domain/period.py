"""A period: a closed span of days, from ``start`` to ``end`` (both included).

It is the span every domain question is asked for, and the span a report covers.
A participation runs from its start date to its end date, or to today while it is
still active. A value from a domain (a kommunenummer, a code) is acceptable when it
was in force on any day of that period, so the period, not a single reference date,
is what ``choices`` and ``check`` of the domain objects take. A report covers a
calendar year (``Period.year``) or any span of days the user types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jsdesk.errors import ExitCode, UserError


@dataclass(frozen=True, slots=True)
class Period:
    """The closed span ``start`` to ``end`` (both days included; ``end >= start``)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise UserError(
                f"Perioden slutter ({_shown(self.end)}) før den begynner ({_shown(self.start)}).",
                ExitCode.UNREADABLE,
            )

    @classmethod
    def day(cls, day: date) -> Period:
        """The one-day period ``day`` (e.g. today, for the installation's settings)."""
        return cls(day, day)

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year ``year``, 1 January to 31 December."""
        return cls(date(year, 1, 1), date(year, 12, 31))

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

    @property
    def is_year(self) -> bool:
        """True when the period is exactly one calendar year."""
        return self == Period.year(self.start.year)

    def contains(self, day: date | None) -> bool:
        """True when ``day`` is a day of the period (None, a date not given, is not)."""
        return day is not None and self.start <= day <= self.end

    def overlaps(self, valid_from: date, valid_to: date | None) -> bool:
        """True when the closed span ``valid_from``-``valid_to`` (None = open) meets it:
        e.g. a participation from ``valid_from`` to ``valid_to`` (None: still running)
        that was active some day of the period."""
        return valid_from <= self.end and (valid_to is None or self.start <= valid_to)

    @property
    def length_days(self) -> int:
        return (self.end - self.start).days

    def text(self) -> str:
        """DD.MM.ÅÅÅÅ, or DD.MM.ÅÅÅÅ–DD.MM.ÅÅÅÅ for a span of several days."""
        if self.start == self.end:
            return _shown(self.start)
        return f"{_shown(self.start)}–{_shown(self.end)}"

    @property
    def label(self) -> str:
        """A report's name for the period: the year (2025) for a calendar year, else
        ``text()``."""
        return str(self.start.year) if self.is_year else self.text()


def _shown(day: date) -> str:
    return day.strftime("%d.%m.%Y")
