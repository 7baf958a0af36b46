"""The rules chosen where the specification is silent, each with a record and its mirror.

The numbered sections follow the list in docs/form-format.md; the official Sámi and
Kven spelling of reference data is tested in tests/test_code_domains.py.
"""

from __future__ import annotations

from datetime import date

import pytest
from engine_support import (
    DROP,
    PERSON_KEY,
    aktiv_record,
    avsluttet_record,
    classic_number,
    codes_for,
    run,
    shipped_form,
    tenor,
)

from jsdesk.rules import Evaluation, FindingCode, Severity
from jsdesk.storage.assess import assess

LATER = date(2026, 3, 1)  # after finansieringstype's last day (31.12.2025)


def warnings_of(evaluation: Evaluation, variable: str) -> list[FindingCode]:
    return [f.code for f in evaluation.warnings if f.variable == variable]


def ended(start: str, end: str, **changes: object) -> dict[str, object]:
    return avsluttet_record(oppstartsdato=start, avslutningsdato=end, **changes)


# --- 1: kommunenummer in force on any day of the participation ----------------------


@pytest.mark.parametrize("nr", ["3005", "3301"])
def test_kommunenummer__drammen_from_may_2023_still_active__both_numbers_valid(nr: str) -> None:
    evaluation = run(aktiv_record(kommunenummer=nr, oppstartsdato="2023-05-01"))
    assert codes_for(evaluation, "kommunenummer") == []
    assert evaluation.derived["kommunenavn"] == "Drammen"


def test_kommunenummer__drammen_ended_2023__3005_valid_3301_invalid() -> None:
    assert run(ended("2023-05-01", "2023-12-31", kommunenummer="3005")).valid
    evaluation = run(ended("2023-05-01", "2023-12-31", kommunenummer="3301"))
    assert codes_for(evaluation, "kommunenummer") == [FindingCode.INVALID_KOMMUNENUMMER]


def test_kommunenummer__3301_for_march_to_november_2023__invalid() -> None:
    evaluation = run(ended("2023-03-01", "2023-11-30", kommunenummer="3301"))
    assert codes_for(evaluation, "kommunenummer") == [FindingCode.INVALID_KOMMUNENUMMER]
    assert "01.03.2023–30.11.2023" in evaluation.findings_for("kommunenummer")[0].message


def test_kommunenavn__oslo_ended_2026__name_on_last_day() -> None:
    evaluation = run(
        ended("2025-06-01", "2026-01-31", kommunenummer="0301", bydel="030101"), today=LATER
    )
    assert evaluation.derived["kommunenavn"] == "Oslo - Oslove"
    mirror = run(ended("2025-06-01", "2025-12-31", kommunenummer="0301", bydel="030101"))
    assert mirror.derived["kommunenavn"] == "Oslo"


# --- 2: start in the future, before 2019, longer than four years ----------------------


def test_oppstartsdato__after_today__future_start_warning() -> None:
    evaluation = run(aktiv_record(oppstartsdato="2025-06-02"))
    assert warnings_of(evaluation, "oppstartsdato") == [FindingCode.FUTURE_START]
    assert "planlagt oppstart?" in evaluation.warnings[0].message
    assert evaluation.valid


def test_oppstartsdato__today__no_warning() -> None:
    assert run(aktiv_record(oppstartsdato="2025-06-01")).findings == ()


def test_oppstartsdato__before_2019__warning() -> None:
    evaluation = run(aktiv_record(oppstartsdato="2018-12-31", finansieringstype=DROP))
    assert FindingCode.EARLY_START in warnings_of(evaluation, "oppstartsdato")
    mirror = run(aktiv_record(oppstartsdato="2019-01-01", finansieringstype=DROP))
    assert FindingCode.EARLY_START not in warnings_of(mirror, "oppstartsdato")


def test_participation__active_longer_than_four_years__warning() -> None:
    evaluation = run(aktiv_record(oppstartsdato="2021-05-31", finansieringstype=DROP))
    assert warnings_of(evaluation, "oppstartsdato") == [FindingCode.LONG_PARTICIPATION]
    mirror = run(aktiv_record(oppstartsdato="2021-06-01", finansieringstype=DROP))
    assert warnings_of(mirror, "oppstartsdato") == []


def test_participation__ended_after_four_years_and_a_day__warning() -> None:
    evaluation = run(ended("2020-01-01", "2024-01-02", finansieringstype=DROP))
    assert warnings_of(evaluation, "oppstartsdato") == [FindingCode.LONG_PARTICIPATION]
    mirror = run(ended("2020-01-01", "2024-01-01", finansieringstype=DROP))
    assert warnings_of(mirror, "oppstartsdato") == []


# --- 3: contradictions are warnings ---------------------------------------------------


def test_praksis__focus_work_with_no_practice__contradiction_warning() -> None:
    record = avsluttet_record(arbeidsrettede_tiltak=[6], oppstartsdato_forste_praksis="2024-04-01")
    evaluation = run(record)
    assert warnings_of(evaluation, "sted_arbeidspraksis") == [FindingCode.CONTRADICTION]
    assert evaluation.valid
    mirror = run({**record, "sted_arbeidspraksis": [3]})
    assert mirror.findings == ()


@pytest.mark.parametrize("reason", [2, 4])
def test_fravar__absence_reason_with_no_absence__contradiction_warning(reason: int) -> None:
    record = avsluttet_record(hovedarsak_avslutning=16, hovedarsak_avbrutt=reason, fravar=1)
    evaluation = run(record)
    assert warnings_of(evaluation, "fravar") == [FindingCode.CONTRADICTION]
    assert evaluation.valid
    assert run({**record, "fravar": 3}).findings == ()
    assert run({**record, "hovedarsak_avbrutt": 1}).findings == ()


def test_intro_avsluttet__year_before_arrival__warning() -> None:
    record = aktiv_record(deltatt_intro=1, intro_avsluttet_dato="2015-06-01", ankomstar=2016)
    evaluation = run(record)
    assert warnings_of(evaluation, "intro_avsluttet_dato") == [FindingCode.DATE_ORDER]
    assert evaluation.valid
    assert run({**record, "ankomstar": 2015}).findings == ()


def test_provedato__before_birth_year__warning_on_register_data() -> None:
    row = {"provedato": "1989-06-01", "provetype": 1, "proveresultat": 6}
    evaluation = run(aktiv_record(proveresultater=[row]))  # born 1990
    assert warnings_of(evaluation, "provedato") == [FindingCode.DATE_ORDER]
    assert evaluation.valid
    mirror = run(aktiv_record(proveresultater=[{**row, "provedato": "1990-06-01"}]))
    assert mirror.findings == ()


# --- 4: values the municipality does not own never block --------------------------------

REGISTER_PROBLEMS = {
    "arrival before birth": ({"ankomstar": 1989}, "ankomstar", FindingCode.DATE_ORDER),
    "arrival after start year": ({"ankomstar": 2025}, "ankomstar", FindingCode.DATE_ORDER),
    "C1 test result not C1/IKKEBESTATT": (
        {"proveresultater": [{"provedato": "2024-01-10", "provetype": 5, "proveresultat": 6}]},
        "proveresultat",
        FindingCode.INVALID_TEST_RESULT,
    ),
    "C1 on a part test": (
        {"proveresultater": [{"provedato": "2024-01-10", "provetype": 2, "proveresultat": 8}]},
        "proveresultat",
        FindingCode.INVALID_TEST_RESULT,
    ),
    "test date in the future": (
        {"proveresultater": [{"provedato": "2025-06-02", "provetype": 2, "proveresultat": 6}]},
        "provedato",
        FindingCode.FUTURE_DATE,
    ),
    "unknown country": ({"fodeland": "XYZ"}, "fodeland", FindingCode.INVALID_COUNTRY),
    "unknown sivilstand": ({"sivilstand": "Gift"}, "sivilstand", FindingCode.INVALID_SIVILSTAND),
}


@pytest.mark.parametrize("case", sorted(REGISTER_PROBLEMS))
def test_register_data__problem__warning_without_acceptance_and_record_complete(
    case: str,
) -> None:
    changes, variable, code = REGISTER_PROBLEMS[case]
    record = aktiv_record(**changes)
    evaluation = run(record)
    assert codes_for(evaluation, variable) == [code]
    (finding,) = evaluation.findings_for(variable)
    assert finding.severity is Severity.WARNING and finding.register_data
    assert "Kontroller" in finding.message and (
        "Folkeregisteret" in finding.message or "PAD" in finding.message
    )
    assert evaluation.valid
    assert evaluation.warnings_to_accept == ()
    assessment = assess(record, shipped_form(), allow_synthetic=True, person_key=PERSON_KEY)
    assert assessment.valid and all(assessment.completeness.values())


def test_register_data__incomplete_test_row__error_wherever_it_came_from() -> None:
    evaluation = run(aktiv_record(proveresultater=[{"provedato": "2024-01-10", "provetype": 2}]))
    assert [(f.variable, f.code, f.severity) for f in evaluation.findings] == [
        ("proveresultat", FindingCode.REQUIRED, Severity.ERROR)
    ]


def test_warning_on_municipality_data__still_needs_acceptance() -> None:
    evaluation = run(aktiv_record(oppstartsdato="2025-06-02"))
    assert [f.code for f in evaluation.warnings_to_accept] == [FindingCode.FUTURE_START]


# --- 5: FREG's own country codes ----------------------------------------------------------


@pytest.mark.parametrize("code", ["XUK", "XXX", "XXK"])
def test_fodeland__freg_code__valid(code: str) -> None:
    assert run(aktiv_record(fodeland=code)).findings == ()


def test_fodeland__xkx__warning_not_a_freg_code() -> None:
    evaluation = run(aktiv_record(fodeland="XKX"))
    assert warnings_of(evaluation, "fodeland") == [FindingCode.INVALID_COUNTRY]
    assert "XXK" in evaluation.findings[0].message
    assert evaluation.valid


# --- 6: the 2032 control-digit rule ---------------------------------------------------------


def number_2032(yy: int = 90, individual_from: int = 100) -> str:
    """Valid only under the 2032 rule; built at run time, never stored (engine_support)."""
    return classic_number(1, 1, yy, rule_2032=True, individual_from=individual_from)


def test_fnr__2032_rule_before_2032__accepted_with_warning() -> None:
    evaluation = run(aktiv_record(fodselsnummer=number_2032()), allow_synthetic=False)
    assert warnings_of(evaluation, "fodselsnummer") == [FindingCode.FNR_2032_RULE]
    assert "kontroller nummeret" in evaluation.warnings[0].message
    assert evaluation.valid
    assert evaluation.derived["person_id"] is not None


def test_fnr__2032_rule_from_2032__no_warning() -> None:
    record = aktiv_record(fodselsnummer=number_2032(), oppstartsdato="2032-01-01")
    evaluation = run(record, allow_synthetic=False, today=date(2032, 6, 1))
    assert warnings_of(evaluation, "fodselsnummer") == []


def test_fnr__synthetic_2032_number_where_allowed__no_warning() -> None:
    evaluation = run(aktiv_record(fodselsnummer=tenor(rule_2032=True)), allow_synthetic=True)
    assert evaluation.findings == ()


def test_fnr__classic_number__no_2032_warning() -> None:
    evaluation = run(aktiv_record(fodselsnummer=classic_number(1, 1, 90)), allow_synthetic=False)
    assert evaluation.findings == ()
    assert evaluation.derived["fodselsar"] == 1990


def test_fnr__2032_rule_individual_number_of_no_century__accepted_without_birth_year() -> None:
    # yy 45 with individual number 500-749 fits no century under the classic rule.
    number = number_2032(45, individual_from=600)
    assert 500 <= int(number[6:9]) <= 749
    evaluation = run(aktiv_record(fodselsnummer=number), allow_synthetic=False)
    assert codes_for(evaluation, "fodselsnummer") == [FindingCode.FNR_2032_RULE]
    assert evaluation.derived["fodselsar"] is None


def test_fnr__classic_number_with_individual_number_of_no_century__rejected() -> None:
    number = classic_number(1, 1, 45, individual_from=600)
    evaluation = run(aktiv_record(fodselsnummer=number), allow_synthetic=False)
    assert codes_for(evaluation, "fodselsnummer") == [FindingCode.INVALID_FNR]


# --- 7: age from the population register's fødselsår ---------------------------------------


def test_age__2032_number_with_freg_birth_year_1960__age_warning() -> None:
    record = aktiv_record(fodselsnummer=tenor(rule_2032=True), fodselsar=1960)
    evaluation = run(record)
    assert warnings_of(evaluation, "fodselsar") == [FindingCode.AGE_OUT_OF_RANGE]
    mirror = run({**record, "fodselsar": 1990})
    assert mirror.findings == ()


def test_age__number_with_birth_date__exact_age_from_the_number_only() -> None:
    evaluation = run(aktiv_record(fodselsnummer=tenor(date(1960, 5, 17))))
    assert [f.code for f in evaluation.warnings] == [FindingCode.AGE_OUT_OF_RANGE]
    assert evaluation.warnings[0].variable == "fodselsnummer"


# --- 8: first practice date without registered practice -------------------------------------


def test_forste_praksis__date_without_practice__warning_not_locked() -> None:
    evaluation = run(avsluttet_record(oppstartsdato_forste_praksis="2024-04-01"))
    assert codes_for(evaluation, "oppstartsdato_forste_praksis") == [FindingCode.UNEXPECTED_VALUE]
    assert evaluation.valid
    state = evaluation.states["oppstartsdato_forste_praksis"]
    assert state.enabled and not state.required


def test_forste_praksis__practice_registered_without_date__required() -> None:
    evaluation = run(avsluttet_record(sted_arbeidspraksis=[2]))
    assert codes_for(evaluation, "oppstartsdato_forste_praksis") == [FindingCode.REQUIRED]
    assert evaluation.states["oppstartsdato_forste_praksis"].required


# --- 9: type finansiering while the start date is empty ---------------------------------------


def test_finansieringstype__no_start_date_after_2025__open_and_optional() -> None:
    evaluation = run(aktiv_record(oppstartsdato=DROP, finansieringstype=2), today=LATER)
    assert codes_for(evaluation, "finansieringstype") == []
    state = evaluation.states["finansieringstype"]
    assert state.applicable and state.enabled and not state.required
    empty = run(aktiv_record(oppstartsdato=DROP, finansieringstype=DROP), today=LATER)
    assert codes_for(empty, "finansieringstype") == []


def test_finansieringstype__start_in_2026__not_applicable() -> None:
    evaluation = run(aktiv_record(oppstartsdato="2026-01-15", finansieringstype=2), today=LATER)
    assert codes_for(evaluation, "finansieringstype") == [FindingCode.NOT_APPLICABLE]
    assert not evaluation.states["finansieringstype"].applicable


# --- 10: texts ------------------------------------------------------------------------------


def test_type_arbeid__locked_reason__names_the_codes_not_arbeid() -> None:
    evaluation = run(avsluttet_record(hovedarsak_avslutning=3))
    reason = evaluation.states["type_arbeid"].reason or ""
    assert "ikke er arbeid" not in reason
    assert "«Arbeidsmarkedstiltak i regi av NAV»" in reason
    required = run(avsluttet_record(hovedarsak_avslutning=12))
    assert codes_for(required, "type_arbeid") == [FindingCode.REQUIRED]


@pytest.mark.parametrize(
    ("variable", "words"),
    [
        ("omsorgsansvar_barn", "samvær"),
        ("behov_arbeidsevne_vurdering", "mesteparten av"),
        ("hovedarsak_avbrutt", "kode 5"),
        ("fravar", "«Ukjent»"),
        ("hovedinntektskilde_etter_avslutning", "«Ukjent»"),
    ],
)
def test_guidance__where_the_spec_leaves_guessing__shipped(variable: str, words: str) -> None:
    assert words in shipped_form().variable(variable).guidance


@pytest.mark.parametrize("written", ["20240301", "2024-3-1"])
def test_start_date__not_written_yyyy_mm_dd__not_a_date_to_the_rules_nor_to_storage(
    written: str,
) -> None:
    record = aktiv_record(oppstartsdato=written)
    assert codes_for(run(record), "oppstartsdato")  # the rules do not read it as a date
    assessment = assess(record, shipped_form(), allow_synthetic=True, person_key=PERSON_KEY)
    assert assessment.oppstartsdato is None  # nor does the column storage keeps
