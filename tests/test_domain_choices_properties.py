"""Property: what the wizard offers is exactly what the rule engine accepts.

For participations over random periods across the 2024 municipality reform, every
input variable whose domain has choices (kommunenummer, bydel) is offered by the
wizard (``domain_choices`` for the evaluation's period, what the wizard's list shows)
and accepted by the engine for the same set of values: for a record checked without
an installation (``jsdesk validate``) and for installations of municipalities that
were renumbered (Drammen), split (Haram, from Ålesund) or report per bydel (Oslo).
"""

from __future__ import annotations

from datetime import date, timedelta

from engine_support import aktiv_record, avsluttet_record, shipped_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jsdesk.domain import registers
from jsdesk.domain.code_domains import choice_domain
from jsdesk.domain.period import Period
from jsdesk.rules import evaluate
from jsdesk.ui.field_factory import domain_choices

FORM = shipped_form()
TODAY = date(2026, 11, 30)
CHOICE_VARIABLES = [
    v for v in FORM.all_variables() if v.is_input and choice_domain(v.domain) is not None
]


def _every_value_ever(domain: str) -> frozenset[str]:
    found = choice_domain(domain)
    assert found is not None
    values: set[str] = set()
    for year in range(2019, 2028):
        values |= {c.value for c in found.choices(Period(date(year, 1, 1), date(year, 12, 31)))}
    return frozenset(values)


# Numbers that were not in force in every shipped year: where periods make a difference.
_CHANGING = sorted(
    set().union(*(registers.municipalities_in(y).keys() for y in registers.municipality_years()))
    - set.intersection(
        *(set(registers.municipalities_in(y)) for y in registers.municipality_years())
    )
)
CANDIDATES = {
    v.name: sorted(_every_value_ever(str(v.domain)) | {"", "0000", "030116", "030199"})
    for v in CHOICE_VARIABLES
}
CANDIDATES["kommunenummer"] = [*_CHANGING, "0301", "1103", "3301", "3005", "9999"]

periods = st.tuples(
    st.dates(min_value=date(2023, 1, 1), max_value=TODAY),
    st.none() | st.integers(min_value=0, max_value=1500),
)


def test_choice_variables__shipped_form__kommunenummer_and_bydel() -> None:
    assert {v.name for v in CHOICE_VARIABLES} == {"kommunenummer", "bydel"}
    assert len(_CHANGING) > 200  # the 2024 reform renumbered over a hundred municipalities


@settings(max_examples=24, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(period=periods, installation=st.sampled_from([None, "3301", "1580", "0301"]))
def test_offered_and_accepted__any_period_across_the_reform__same_set(
    period: tuple[date, int | None], installation: str | None
) -> None:
    start, length = period
    end = None if length is None else min(start + timedelta(days=length), TODAY)
    base = aktiv_record() if end is None else avsluttet_record(avslutningsdato=end.isoformat())
    base.update(oppstartsdato=start.isoformat(), kommunenummer="0301", bydel="030101")
    for variable in CHOICE_VARIABLES:
        accepted = set()
        evaluation = None
        for candidate in CANDIDATES[variable.name]:
            record = {**base, variable.name: candidate}
            evaluation = evaluate(
                FORM, record, allow_synthetic=True, today=TODAY, installation=installation
            )
            if not evaluation.findings_for(variable.name) and candidate:
                accepted.add(candidate)
        assert evaluation is not None and evaluation.period is not None
        offered = domain_choices(variable, evaluation.period, installation=installation)
        assert offered is not None
        assert accepted == set(offered) & set(CANDIDATES[variable.name]), variable.name
