"""Property tests: the engine never raises and every finding explains itself."""

from __future__ import annotations

from datetime import date

from engine_support import aktiv_record, avsluttet_record, shipped_form
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jsdesk.domain.fnr import PersonKey
from jsdesk.rules import Evaluation, FindingCode, Severity, evaluate

FORM = shipped_form()
KEY = PersonKey.random()  # the installation's key: person_id is derived only with one
NAMES = [v.name for v in FORM.all_variables()]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=15)
    | st.sampled_from(["2024-03-01", "2023-02-29", "0301", "030105", "99", "", "1990-13-01"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.sampled_from(NAMES), children, max_size=4)
    ),
    max_leaves=12,
)
records = st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=10), json_values, max_size=12)
plausible_values = st.one_of(
    st.integers(min_value=-2, max_value=100),
    st.lists(st.integers(min_value=-1, max_value=100), max_size=4),
    st.sampled_from(["2023-01-01", "2024-05-01", "2026-02-01", "0301", "3005", "1103", "SOM"]),
    st.none(),
)
todays = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))

quick = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_well_formed(evaluation: Evaluation) -> None:
    for finding in evaluation.findings:
        assert isinstance(finding.code, FindingCode)
        assert isinstance(finding.severity, Severity)
        assert isinstance(finding.variable, str)
        assert finding.message.strip()
        assert finding.to_json()["code"] == str(finding.code)
    assert evaluation.valid == (not evaluation.errors)


@quick
@given(record=json_values, synthetic=st.booleans(), today=todays)
def test_properties__any_json_value__never_raises(
    record: object, synthetic: bool, today: date
) -> None:
    evaluation = evaluate(FORM, record, allow_synthetic=synthetic, today=today)  # type: ignore[arg-type]
    assert_well_formed(evaluation)


@quick
@given(record=records, today=todays)
def test_properties__any_object_with_form_keys__never_raises(
    record: dict[str, object], today: date
) -> None:
    assert_well_formed(evaluate(FORM, record, today=today))


@quick
@given(
    changes=st.dictionaries(st.sampled_from(NAMES), plausible_values, max_size=5),
    ended=st.booleans(),
    today=todays,
)
def test_properties__valid_record_with_changes__never_raises(
    changes: dict[str, object], ended: bool, today: date
) -> None:
    record = avsluttet_record() if ended else aktiv_record()
    record.update(changes)
    evaluation = evaluate(FORM, record, allow_synthetic=True, today=today)
    assert_well_formed(evaluation)
    for finding in evaluation.findings:
        if finding.code is not FindingCode.UNKNOWN_VARIABLE:
            assert FORM.has_variable(finding.variable) or finding.variable == ""


# Errors a value may cause on other variables: what depends on it (required, locked,
# applicability, date order, derived values, the municipality list for its period).
CONSEQUENCES = frozenset(
    {
        FindingCode.REQUIRED,
        FindingCode.LOCKED,
        FindingCode.NOT_APPLICABLE,
        FindingCode.CODE_NOT_APPLICABLE,
        FindingCode.DATE_ORDER,
        FindingCode.DERIVED_MISMATCH,
        FindingCode.INVALID_KOMMUNENUMMER,
    }
)


@quick
@given(value=json_values)
def test_properties__any_value_for_every_variable__error_is_on_that_variable(
    value: object,
) -> None:
    for name in NAMES:
        record = aktiv_record()
        group = FORM.variable(name).group
        if group is not None:
            record[group] = [{name: value}]
        else:
            record[name] = value
        evaluation = evaluate(FORM, record, allow_synthetic=True, today=date(2025, 6, 1))
        assert_well_formed(evaluation)
        own = {name, group}
        for finding in evaluation.errors:
            inside = finding.index is not None and FORM.variable(name).fields != ()
            assert finding.variable in own or finding.code in CONSEQUENCES or inside, (
                name,
                finding,
            )
        if isinstance(value, dict) and value:  # never a valid value for any variable
            assert any(f.variable in own for f in evaluation.findings), (name, value)


@settings(max_examples=400, deadline=None)
@given(
    number=st.from_regex(r"[0-9]{11}", fullmatch=True)
    | st.from_regex(r"[0-9 .-]{9,14}", fullmatch=True),
    synthetic=st.booleans(),
)
@example(number="07922325825", synthetic=True)  # a valid synthetic number: no finding
def test_properties__any_eleven_digits__never_raises(number: str, synthetic: bool) -> None:
    record = aktiv_record(fodselsnummer=number)
    evaluation = evaluate(
        FORM, record, allow_synthetic=synthetic, today=date(2025, 6, 1), person_key=KEY
    )
    assert_well_formed(evaluation)
    fnr_codes = {f.code for f in evaluation.findings if f.variable == "fodselsnummer"}
    assert len(fnr_codes) <= 1
    if not fnr_codes:
        assert evaluation.derived["person_id"] is not None
