"""A person's age in whole years, as the register counts it.

Exact from a birth date (a birthday not yet reached that year does not count);
from a birth year alone (a number the register does not know the birth date of),
the difference of the years.
"""

from __future__ import annotations

from datetime import date


def age_on(
    day: date, *, birth_date: date | None = None, birth_year: int | None = None
) -> int | None:
    """Whole years on ``day``, from ``birth_date`` when known, else from ``birth_year``;
    None when neither is known."""
    if birth_date is not None:
        born = birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if birth_year is not None:
        return day.year - birth_year
    return None
