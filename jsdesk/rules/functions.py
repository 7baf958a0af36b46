"""Functions the expression language offers to form files.

Every function returns ``None`` when an argument is missing or of the wrong
kind, so a rule over an unanswered field simply does not hold. Fødselsnummer
analysis is memoised: the UI re-evaluates the same number on every keystroke.
"""

from __future__ import annotations

import functools
from datetime import date

from jsdesk.rules.expr import Env, Function


@functools.lru_cache(maxsize=4096)
def analyse_fnr(number: str, today: date) -> object:
    """FnrInfo for an acceptable number, else the FnrError (cached; never raises)."""
    from jsdesk.domain.fnr import FnrError, analyse

    try:
        return analyse(number, today=today)
    except FnrError as exc:
        return exc


def _birth_date(number: object, today: date) -> date | None:
    from jsdesk.domain.fnr import FnrInfo

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
        return day.year - who
    born = _birth_date(who, env.today)
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _person_id(env: Env, number: object) -> str | None:
    from jsdesk.domain.fnr import FnrInfo

    if not isinstance(number, str) or not isinstance(analyse_fnr(number, env.today), FnrInfo):
        return None
    return _person_id_cached(number)


@functools.lru_cache(maxsize=4096)
def _person_id_cached(number: str) -> str:
    from jsdesk.domain.fnr import person_id

    return str(person_id(number))


def _birth_year(env: Env, number: object) -> int | None:
    from jsdesk.domain.fnr import FnrInfo

    if not isinstance(number, str):
        return None
    info = analyse_fnr(number, env.today)
    return info.birth_year if isinstance(info, FnrInfo) else None


def _kommunenavn(env: Env, nr: object, day: object) -> str | None:
    from jsdesk.domain.registers import kommunenavn

    if not isinstance(nr, str) or not isinstance(day, date):
        return None
    return kommunenavn(nr, day)


def _answered(env: Env, value: object) -> bool:
    return value is not None and value != "" and value != []


FUNCTIONS: dict[str, Function] = {
    "today": Function(0, _today),
    "year": Function(1, _year),
    "age_at": Function(2, _age_at),
    "person_id": Function(1, _person_id),
    "birth_year": Function(1, _birth_year),
    "kommunenavn": Function(2, _kommunenavn),
    "answered": Function(1, _answered),
}
