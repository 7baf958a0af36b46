"""Age in whole years, one rule for the form's ``age_at`` and the results' age groups."""

from __future__ import annotations

from datetime import date

import pytest

from jsdesk.domain.age import age_on


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 3, 14), 33),  # the day before the birthday
        (date(2024, 3, 15), 34),  # the birthday
        (date(2024, 12, 31), 34),
    ],
)
def test_age__birth_date__whole_years_counting_the_birthday(day: date, expected: int) -> None:
    assert age_on(day, birth_date=date(1990, 3, 15), birth_year=1990) == expected


def test_age__born_29_february__a_year_older_on_1_march_in_other_years() -> None:
    born = date(2000, 2, 29)
    assert age_on(date(2023, 2, 28), birth_date=born) == 22
    assert age_on(date(2023, 3, 1), birth_date=born) == 23


def test_age__birth_year_only__difference_of_years() -> None:
    assert age_on(date(2024, 1, 1), birth_year=1990) == 34


def test_age__nothing_known__none() -> None:
    assert age_on(date(2024, 1, 1)) is None
