"""Stages, required parts, reference date, applicability and record shape."""

from __future__ import annotations

from datetime import date

import pytest
from engine_support import DROP, aktiv_record, all_codes, avsluttet_record, codes_for, run

from jsdesk.rules import FindingCode, Severity, Stage

PART_1_2_INPUT = [
    "fodselsnummer",
    "kommunenummer",
    "oppstartsdato",
    "finansieringstype",
    "deltatt_intro",
    "omsorgsansvar_barn",
    "inntektskilde_for_oppstart",
    "utdanning_norge",
    "utdanning_utland",
    "ar_inntekt_arbeid_utland",
    "lese_skrive_latinsk_alfabet",
    "lese_skrive_morsmal",
    "tiltak_for_jobbsjansen",
    "behov_arbeidsevne_vurdering",
    "rett_norskopplaring",
]
PART_3_4 = [
    "norskopplaring_spraktrening",
    "arbeidsrettede_tiltak",
    "sted_arbeidspraksis",
    "utdanningsrettede_tiltak",
    "helsefremmende_tiltak",
    "samfunn_ovrige_tiltak",
    "avslutningsdato",
    "fravar",
    "hovedinntektskilde_etter_avslutning",
]


def test_stage__complete_aktiv_record__valid_and_aktiv() -> None:
    evaluation = run(aktiv_record())
    assert evaluation.findings == ()
    assert evaluation.valid
    assert evaluation.stage is Stage.AKTIV


def test_stage__complete_avsluttet_record__valid_and_avsluttet() -> None:
    evaluation = run(avsluttet_record())
    assert evaluation.findings == ()
    assert evaluation.stage is Stage.AVSLUTTET


@pytest.mark.parametrize("variable", ["fravar", "avslutningsdato", "hovedarsak_avslutning"])
def test_stage__any_part4_value__avsluttet(variable: str) -> None:
    value = "2025-01-31" if variable == "avslutningsdato" else 1
    assert run(aktiv_record(**{variable: value})).stage is Stage.AVSLUTTET


def test_stage__part3_value_only__still_aktiv() -> None:
    assert run(aktiv_record(helsefremmende_tiltak=[1])).stage is Stage.AKTIV


def test_stage__malformed_part4_value__counts_as_given() -> None:
    evaluation = run(aktiv_record(avslutningsdato="31.01.2025"))
    assert evaluation.stage is Stage.AVSLUTTET
    assert codes_for(evaluation, "avslutningsdato") == [FindingCode.INVALID_DATE]


@pytest.mark.parametrize("variable", PART_1_2_INPUT)
def test_required__part1_2_input_missing_in_aktiv__required(variable: str) -> None:
    evaluation = run(aktiv_record(**{variable: DROP}))
    assert codes_for(evaluation, variable) == [FindingCode.REQUIRED]
    assert not evaluation.valid


@pytest.mark.parametrize("variable", PART_1_2_INPUT)
def test_required__null_or_empty__counts_as_unanswered(variable: str) -> None:
    empty: object = [] if variable == "tiltak_for_jobbsjansen" else None
    assert codes_for(run(aktiv_record(**{variable: empty})), variable) == [FindingCode.REQUIRED]


@pytest.mark.parametrize("variable", PART_3_4)
def test_required__part3_4_missing_in_avsluttet__required(variable: str) -> None:
    evaluation = run(avsluttet_record(**{variable: DROP}))
    assert codes_for(evaluation, variable) == [FindingCode.REQUIRED]


def test_required__part3_4_missing_in_aktiv__not_required() -> None:
    evaluation = run(aktiv_record())
    assert evaluation.valid
    for variable in PART_3_4:
        assert not evaluation.states[variable].required
        assert evaluation.states[variable].reason == (
            "Obligatorisk når deltakelsen avsluttes (del 4 fylles ut)."
        )


def test_required__part3_values_in_aktiv__still_checked() -> None:
    evaluation = run(aktiv_record(helsefremmende_tiltak=[1, 77]))
    assert codes_for(evaluation, "helsefremmende_tiltak") == [FindingCode.INVALID_CODE]


@pytest.mark.parametrize(
    "variable", ["person_id", "fodselsar", "kommunenavn", "ankomstar", "fodeland", "sivilstand"]
)
def test_required__system_freg_variables__never_required(variable: str) -> None:
    evaluation = run(avsluttet_record())
    assert evaluation.valid
    assert not evaluation.states[variable].required


def test_required__message__names_field_by_label() -> None:
    finding = run(aktiv_record(deltatt_intro=DROP)).findings[0]
    assert finding.message == (
        "«Har personen vært deltager i introduksjonsprogrammet?» må fylles ut."
    )
    assert finding.severity is Severity.ERROR


def test_required__several_choices_missing__asks_to_choose_at_least_one() -> None:
    finding = run(aktiv_record(tiltak_for_jobbsjansen=[])).findings[0]
    assert finding.message == (
        "Velg minst ett alternativ i «Utdanning/opplærings- eller kvalifiseringstiltak før "
        "Jobbsjansen»."
    )


def test_reference_date__start_before_register_opened__clamped_to_2023() -> None:
    evaluation = run(aktiv_record(oppstartsdato="2022-06-01"))
    assert evaluation.reference_date == date(2023, 1, 1)
    assert evaluation.valid


def test_reference_date__missing_start__today() -> None:
    evaluation = run(aktiv_record(oppstartsdato=DROP))
    assert evaluation.reference_date == date(2025, 6, 1)


def test_reference_date__invalid_start__today() -> None:
    evaluation = run(aktiv_record(oppstartsdato="2024-02-30"))
    assert evaluation.reference_date == date(2025, 6, 1)
    assert codes_for(evaluation, "oppstartsdato") == [FindingCode.INVALID_DATE]


def test_finansieringstype__start_2025__required() -> None:
    evaluation = run(aktiv_record(finansieringstype=DROP, oppstartsdato="2025-12-31"))
    assert codes_for(evaluation, "finansieringstype") == [FindingCode.REQUIRED]


def test_finansieringstype__start_2026_without_value__valid() -> None:
    evaluation = run(
        aktiv_record(finansieringstype=DROP, oppstartsdato="2026-01-01"), today=date(2026, 2, 1)
    )
    assert evaluation.valid
    assert evaluation.states["finansieringstype"].applicable is False
    assert evaluation.states["finansieringstype"].required is False


def test_finansieringstype__start_2026_with_value__not_applicable() -> None:
    evaluation = run(aktiv_record(oppstartsdato="2026-01-01"), today=date(2026, 2, 1))
    assert codes_for(evaluation, "finansieringstype") == [FindingCode.NOT_APPLICABLE]
    assert "31.12.2025" in evaluation.findings[0].message


@pytest.mark.parametrize("code", [1, 2, 9])
def test_finansieringstype__every_code_in_2025__valid(code: int) -> None:
    assert run(aktiv_record(finansieringstype=code)).valid


def test_unknown_key__reported_with_key_as_variable() -> None:
    evaluation = run(aktiv_record(fodselsdato="1990-01-01"))
    assert [(f.variable, f.code) for f in evaluation.findings] == [
        ("fodselsdato", FindingCode.UNKNOWN_VARIABLE)
    ]
    assert "«fodselsdato»" in evaluation.findings[0].message


def test_unknown_key__group_field_at_top_level__unknown() -> None:
    evaluation = run(aktiv_record(provedato="2024-01-01"))
    assert codes_for(evaluation, "provedato") == [FindingCode.UNKNOWN_VARIABLE]


@pytest.mark.parametrize(
    ("variable", "value", "code"),
    [
        ("oppstartsdato", "01.03.2024", FindingCode.INVALID_DATE),
        ("oppstartsdato", 20240301, FindingCode.INVALID_DATE),
        ("oppstartsdato", "2024-3-1", FindingCode.INVALID_DATE),
        ("deltatt_intro", "1", FindingCode.WRONG_TYPE),
        ("deltatt_intro", 1.0, FindingCode.WRONG_TYPE),
        ("deltatt_intro", True, FindingCode.WRONG_TYPE),
        ("tiltak_for_jobbsjansen", 1, FindingCode.WRONG_TYPE),
        ("tiltak_for_jobbsjansen", ["1"], FindingCode.WRONG_TYPE),
        ("kommunenummer", 1103, FindingCode.WRONG_TYPE),
        ("fodselsnummer", 12345678901, FindingCode.WRONG_TYPE),
        ("ankomstar", "2010", FindingCode.WRONG_TYPE),
        ("proveresultater", {"provedato": "2024-01-01"}, FindingCode.WRONG_TYPE),
        ("person_id", "not-a-uuid", FindingCode.INVALID_UUID),
    ],
)
def test_types__wrong_json_type__error_on_that_field(
    variable: str, value: object, code: FindingCode
) -> None:
    evaluation = run(aktiv_record(**{variable: value}))
    assert codes_for(evaluation, variable) == [code]
    assert all(f.variable == variable for f in evaluation.findings)


def test_types__int_as_string__message_says_what_to_do() -> None:
    message = run(aktiv_record(deltatt_intro="1")).findings[0].message
    assert "uten anførselstegn" in message


def test_record__not_an_object__single_finding() -> None:
    evaluation = run([1, 2])
    assert [f.code for f in evaluation.findings] == [FindingCode.NOT_AN_OBJECT]
    assert not evaluation.valid


def test_findings__sorted_in_form_order() -> None:
    evaluation = run(
        avsluttet_record(fravar=DROP, deltatt_intro=DROP, fodselsnummer=DROP, extra_key=1)
    )
    assert [f.variable for f in evaluation.findings] == [
        "fodselsnummer",
        "deltatt_intro",
        "fravar",
        "extra_key",
    ]


def test_findings__to_json__shape() -> None:
    finding = run(aktiv_record(deltatt_intro=DROP)).findings[0]
    assert finding.to_json() == {
        "variable": "deltatt_intro",
        "severity": "error",
        "code": "REQUIRED",
        "message": finding.message,
    }


def test_warnings__do_not_make_record_invalid() -> None:
    evaluation = run(aktiv_record(omsorgsansvar_barn=1, antall_barn=16))
    assert all_codes(evaluation) == {FindingCode.UNUSUAL_VALUE}
    assert evaluation.valid
    assert evaluation.warnings and not evaluation.errors
