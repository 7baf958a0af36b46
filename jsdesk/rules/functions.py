"""Functions the expression language offers to form files.

Every function returns ``None`` when an argument is missing or of the wrong
kind, so a rule over an unanswered field simply does not hold. Fødselsnummer
analysis is memoised: the UI re-evaluates the same number on every keystroke.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from jsdesk.domain.age import age_on
from jsdesk.domain.code_domains import MUNICIPALITIES, analyse_cached
from jsdesk.domain.fnr import FnrInfo, PersonKey, person_id
from jsdesk.domain.period import Period
from jsdesk.rules.expr import Env, Function


def analyse_fnr(number: str, today: date) -> object:
    """FnrInfo for an acceptable number, else the FnrError (cached; never raises)."""

    return analyse_cached(number, today)


def _birth_date(number: object, today: date) -> date | None:
    if not isinstance(number, str):
        return None
    info = analyse_fnr(number, today)
    return info.birth_date if isinstance(info, FnrInfo) else None


def _today(env: Env) -> date:
    return env.today


def _year(env: Env, day: object) -> int | None:
    return day.year if isinstance(day, date) else None


def _age_at(env: Env, who: object, day: object) -> int | None:
    """Whole years on ``day``: exact from a fødselsnummer, by year from a birth year."""
    if not isinstance(day, date):
        return None
    if type(who) is int:
        return age_on(day, birth_year=who)
    return age_on(day, birth_date=_birth_date(who, env.today))


def _person_id(env: Env, number: object) -> str | None:
    """The keyed person id (docs/person-id.md); None without the installation's key."""
    key = env.person_key
    if key is None or not isinstance(number, str):
        return None
    if not isinstance(analyse_fnr(number, env.today), FnrInfo):
        return None
    return _person_id_cached(number, key)


@functools.lru_cache(maxsize=4096)
def _person_id_cached(number: str, key: PersonKey) -> str:
    return str(person_id(number, key))


def _birth_year(env: Env, number: object) -> int | None:
    if not isinstance(number, str):
        return None
    info = analyse_fnr(number, env.today)
    return info.birth_year if isinstance(info, FnrInfo) else None


def _kommunenavn(env: Env, nr: object, start: object, end: object) -> str | None:
    """The name ``nr`` had on the last day of the participation it was in force.

    ``end`` may be missing (an active participation runs to today).
    """

    if not isinstance(start, date):
        return None
    period = Period.participation(start, end if isinstance(end, date) else None, env.today)
    return MUNICIPALITIES.name_of(nr, period)


def _reports_per_bydel(env: Env, nr: object) -> bool | None:
    """True for the municipality that reports per bydel (Oslo)."""
    return None if nr is None else MUNICIPALITIES.reports_per_bydel(nr)


def _longer_than_years(env: Env, start: object, years: object) -> bool | None:
    """True when the participation from ``start`` to its end (or today) is longer than
    ``years`` whole years; None while the start date is unknown."""
    if not isinstance(start, date) or type(years) is not int or env.period is None:
        return None
    try:
        limit = start.replace(year=start.year + years)
    except ValueError:  # 29 February in a year that has none
        limit = start.replace(year=start.year + years, month=3, day=1) - timedelta(days=1)
    return env.period.end > limit


def _answered(env: Env, value: object) -> bool:
    return value is not None and value != "" and value != []


FUNCTIONS: dict[str, Function] = {
    "today": Function(0, _today),
    "year": Function(1, _year),
    "age_at": Function(2, _age_at),
    "person_id": Function(1, _person_id),
    "birth_year": Function(1, _birth_year),
    "kommunenavn": Function(3, _kommunenavn),
    "reports_per_bydel": Function(
        1,
        _reports_per_bydel,
        says=(
            f"{{0}} er Oslo ({MUNICIPALITIES.OSLO}), som rapporterer per bydel",
            f"{{0}} ikke er Oslo ({MUNICIPALITIES.OSLO}), den eneste kommunen som "
            "rapporterer per bydel",
        ),
    ),
    "answered": Function(1, _answered),
    "longer_than_years": Function(2, _longer_than_years),
}
