"""Dependency rules: enabled/locked/required fields and their explanations."""

from __future__ import annotations

import pytest
from engine_support import DROP, aktiv_record, all_codes, avsluttet_record, codes_for, run

from jsdesk.rules import FindingCode, Severity

WORK_CODES = [1, 2, 8, 9, 10, 11, 12]
WORK_FIELDS = ["type_arbeid", "stillingsprosent_arbeid", "type_naring_arbeid"]
WORK_VALUES = {"type_arbeid": 1, "stillingsprosent_arbeid": 3, "type_naring_arbeid": 7}


# --- 10-B intro_avsluttet_dato ------------------------------------------------------


def test_intro_avsluttet__intro_ja_without_date__required() -> None:
    evaluation = run(aktiv_record(deltatt_intro=1))
    assert codes_for(evaluation, "intro_avsluttet_dato") == [FindingCode.REQUIRED]
    state = evaluation.states["intro_avsluttet_dato"]
    assert state.enabled and state.required


def test_intro_avsluttet__intro_ja_with_date_before_start__valid() -> None:
    evaluation = run(aktiv_record(deltatt_intro=1, intro_avsluttet_dato="2023-12-15"))
    assert evaluation.findings == ()


def test_intro_avsluttet__date_after_start__warning() -> None:
    evaluation = run(aktiv_record(deltatt_intro=1, intro_avsluttet_dato="2024-04-01"))
    assert [(f.code, f.severity) for f in evaluation.findings] == [
        (FindingCode.DATE_ORDER, Severity.WARNING)
    ]
    assert evaluation.valid


def test_intro_avsluttet__same_day_as_start__no_warning() -> None:
    assert run(aktiv_record(deltatt_intro=1, intro_avsluttet_dato="2024-03-01")).findings == ()


@pytest.mark.parametrize("intro", [2, DROP])
def test_intro_avsluttet__intro_not_ja__locked(intro: object) -> None:
    evaluation = run(aktiv_record(deltatt_intro=intro, intro_avsluttet_dato="2023-12-15"))
    assert codes_for(evaluation, "intro_avsluttet_dato") == [FindingCode.LOCKED]
    state = evaluation.states["intro_avsluttet_dato"]
    assert not state.enabled and not state.required
    assert state.reason == (
        "Låst fordi «Har personen vært deltager i introduksjonsprogrammet?» ikke er «Ja»."
    )


def test_intro_avsluttet__intro_nei_and_empty__valid() -> None:
    assert run(aktiv_record(deltatt_intro=2)).valid


def test_locked__malformed_value__only_locked_reported() -> None:
    evaluation = run(aktiv_record(deltatt_intro=2, intro_avsluttet_dato="15.12.2023"))
    assert codes_for(evaluation, "intro_avsluttet_dato") == [FindingCode.LOCKED]
    assert "Fjern verdien" in evaluation.findings[0].message


# --- 16 antall_barn -----------------------------------------------------------------


@pytest.mark.parametrize("children", [1, 3, 15])
def test_antall_barn__omsorg_ja_with_count__valid(children: int) -> None:
    assert run(aktiv_record(omsorgsansvar_barn=1, antall_barn=children)).findings == ()


def test_antall_barn__omsorg_ja_without_count__optional() -> None:
    evaluation = run(aktiv_record(omsorgsansvar_barn=1))
    assert evaluation.findings == ()
    assert evaluation.states["antall_barn"].enabled
    assert not evaluation.states["antall_barn"].required


@pytest.mark.parametrize("children", [0, -2])
def test_antall_barn__below_one__error(children: int) -> None:
    evaluation = run(aktiv_record(omsorgsansvar_barn=1, antall_barn=children))
    assert codes_for(evaluation, "antall_barn") == [FindingCode.OUT_OF_RANGE]


def test_antall_barn__over_fifteen__warning() -> None:
    evaluation = run(aktiv_record(omsorgsansvar_barn=1, antall_barn=16))
    assert [(f.code, f.severity) for f in evaluation.findings] == [
        (FindingCode.UNUSUAL_VALUE, Severity.WARNING)
    ]


def test_antall_barn__not_whole_number__wrong_type() -> None:
    evaluation = run(aktiv_record(omsorgsansvar_barn=1, antall_barn=2.5))
    assert codes_for(evaluation, "antall_barn") == [FindingCode.WRONG_TYPE]


@pytest.mark.parametrize("omsorg", [2, 9])
def test_antall_barn__omsorg_not_ja__locked(omsorg: int) -> None:
    evaluation = run(aktiv_record(omsorgsansvar_barn=omsorg, antall_barn=2))
    assert codes_for(evaluation, "antall_barn") == [FindingCode.LOCKED]
    assert evaluation.states["antall_barn"].reason == (
        "Låst fordi «Omsorgsansvar for barn» ikke er «Ja»."
    )


def test_type_arbeid__end_reason_not_work__locked_naming_every_work_reason() -> None:
    evaluation = run(avsluttet_record(hovedarsak_avslutning=16, hovedarsak_avbrutt=5))
    assert evaluation.states["type_arbeid"].reason == (
        "Låst fordi «Hovedårsak til avslutning» ikke er «Arbeid», «Arbeid med lønnstilskudd», "
        "«Arbeid og grunnskole», «Arbeid og videregående opplæring», «Arbeid og utdanning – "
        "fagskole», «Arbeid og utdanning - høyere utdanning» eller «Arbeidsmarkedstiltak i "
        "regi av NAV»."
    )


# --- 37 hovedarsak_avbrutt ----------------------------------------------------------


def test_avbrutt__drop_out_without_reason__required() -> None:
    evaluation = run(avsluttet_record(hovedarsak_avslutning=16))
    assert codes_for(evaluation, "hovedarsak_avbrutt") == [FindingCode.REQUIRED]


def test_avbrutt__drop_out_with_reason__valid() -> None:
    assert run(avsluttet_record(hovedarsak_avslutning=16, hovedarsak_avbrutt=5)).valid


@pytest.mark.parametrize("reason", [3, 15, 99])
def test_avbrutt__other_end_reason_with_value__locked(reason: int) -> None:
    evaluation = run(avsluttet_record(hovedarsak_avslutning=reason, hovedarsak_avbrutt=5))
    assert codes_for(evaluation, "hovedarsak_avbrutt") == [FindingCode.LOCKED]
    assert evaluation.states["hovedarsak_avbrutt"].reason == (
        "Låst fordi «Hovedårsak til avslutning» ikke er «Avbrutt/drop-out»."
    )


# --- 41-43 work after Jobbsjansen ----------------------------------------------------


@pytest.mark.parametrize("reason", WORK_CODES)
def test_work__work_reason_without_details__all_three_required(reason: int) -> None:
    evaluation = run(avsluttet_record(hovedarsak_avslutning=reason))
    for variable in WORK_FIELDS:
        assert codes_for(evaluation, variable) == [FindingCode.REQUIRED]


@pytest.mark.parametrize("reason", WORK_CODES)
def test_work__work_reason_with_details__valid(reason: int) -> None:
    assert run(avsluttet_record(hovedarsak_avslutning=reason, **WORK_VALUES)).valid


@pytest.mark.parametrize("reason", [3, 4, 5, 6, 7, 13, 14, 15, 16, 17, 18, 99])
def test_work__other_reason_with_details__locked(reason: int) -> None:
    extra = {"hovedarsak_avbrutt": 1} if reason == 16 else {}
    evaluation = run(avsluttet_record(hovedarsak_avslutning=reason, **WORK_VALUES, **extra))
    for variable in WORK_FIELDS:
        assert codes_for(evaluation, variable) == [FindingCode.LOCKED]
        assert not evaluation.states[variable].enabled


@pytest.mark.parametrize("reason", [3, 16])
def test_work__other_reason_without_details__not_required(reason: int) -> None:
    extra = {"hovedarsak_avbrutt": 1} if reason == 16 else {}
    evaluation = run(avsluttet_record(hovedarsak_avslutning=reason, **extra))
    assert evaluation.valid


# --- 31 oppstartsdato_forste_praksis --------------------------------------------------

PRACTICE_TRIGGERS = [
    {"norskopplaring_spraktrening": [1, 3]},
    {"arbeidsrettede_tiltak": [6]},
    *({"sted_arbeidspraksis": [code]} for code in (1, 2, 3, 4, 8)),
]


@pytest.mark.parametrize("trigger", PRACTICE_TRIGGERS)
def test_forste_praksis__practice_chosen_avsluttet_without_date__required(
    trigger: dict[str, object],
) -> None:
    evaluation = run(avsluttet_record(**trigger))
    assert codes_for(evaluation, "oppstartsdato_forste_praksis") == [FindingCode.REQUIRED]


@pytest.mark.parametrize("trigger", PRACTICE_TRIGGERS)
def test_forste_praksis__practice_chosen_with_date__valid(trigger: dict[str, object]) -> None:
    record = avsluttet_record(**trigger, oppstartsdato_forste_praksis="2024-05-02")
    assert run(record).valid


def test_forste_praksis__practice_chosen_in_aktiv__required_at_once() -> None:
    evaluation = run(aktiv_record(arbeidsrettede_tiltak=[6]))
    assert codes_for(evaluation, "oppstartsdato_forste_praksis") == [FindingCode.REQUIRED]
    state = evaluation.states["oppstartsdato_forste_praksis"]
    assert state.enabled and state.required


def test_forste_praksis__no_practice_in_aktiv__open_optional_and_valid() -> None:
    # The first practice date is not locked without registered practice.
    evaluation = run(aktiv_record(arbeidsrettede_tiltak=[1]))
    assert evaluation.valid
    state = evaluation.states["oppstartsdato_forste_praksis"]
    assert state.enabled and not state.required


@pytest.mark.parametrize(
    "others",
    [
        {"norskopplaring_spraktrening": [1, 2]},
        {"arbeidsrettede_tiltak": [1, 7]},
        {"sted_arbeidspraksis": [9]},
    ],
)
def test_forste_praksis__no_practice__date_is_a_warning(others: dict[str, object]) -> None:
    record = avsluttet_record(**others, oppstartsdato_forste_praksis="2024-05-02")
    evaluation = run(record)
    assert codes_for(evaluation, "oppstartsdato_forste_praksis") == [FindingCode.UNEXPECTED_VALUE]
    assert evaluation.valid


def test_forste_praksis__before_start__date_order() -> None:
    record = avsluttet_record(arbeidsrettede_tiltak=[6], oppstartsdato_forste_praksis="2024-02-01")
    assert codes_for(run(record), "oppstartsdato_forste_praksis") == [FindingCode.DATE_ORDER]


def test_forste_praksis__after_end__date_order() -> None:
    record = avsluttet_record(arbeidsrettede_tiltak=[6], oppstartsdato_forste_praksis="2025-02-01")
    assert codes_for(run(record), "oppstartsdato_forste_praksis") == [FindingCode.DATE_ORDER]


def test_forste_praksis__aktiv_without_end__only_start_checked() -> None:
    record = aktiv_record(arbeidsrettede_tiltak=[6], oppstartsdato_forste_praksis="2030-01-01")
    assert run(record).valid


@pytest.mark.parametrize("day", ["2024-03-01", "2025-01-31"])
def test_forste_praksis__on_start_or_end_day__valid(day: str) -> None:
    record = avsluttet_record(arbeidsrettede_tiltak=[6], oppstartsdato_forste_praksis=day)
    assert run(record).valid


# --- 7 bydel -----------------------------------------------------------------------


def test_bydel__oslo_without_bydel__required() -> None:
    evaluation = run(aktiv_record(kommunenummer="0301"))
    assert codes_for(evaluation, "bydel") == [FindingCode.REQUIRED]


@pytest.mark.parametrize("bydel", ["030101", "030105", "030115"])
def test_bydel__oslo_admin_bydel__valid(bydel: str) -> None:
    evaluation = run(aktiv_record(kommunenummer="0301", bydel=bydel))
    assert evaluation.valid
    assert evaluation.derived["kommunenavn"] == "Oslo"


@pytest.mark.parametrize("bydel", ["030116", "030117", "030199", "030100", "0301", "1"])
def test_bydel__oslo_not_admin_bydel__invalid(bydel: str) -> None:
    evaluation = run(aktiv_record(kommunenummer="0301", bydel=bydel))
    assert codes_for(evaluation, "bydel") == [FindingCode.INVALID_BYDEL]


def test_bydel__other_municipality_with_bydel__locked() -> None:
    evaluation = run(aktiv_record(kommunenummer="1103", bydel="030105"))
    assert codes_for(evaluation, "bydel") == [FindingCode.LOCKED]
    assert "0301" in (evaluation.states["bydel"].reason or "")


def test_bydel__other_municipality_without_bydel__valid() -> None:
    evaluation = run(aktiv_record(kommunenummer="1103"))
    assert evaluation.valid
    assert not evaluation.states["bydel"].enabled


# --- explanations -------------------------------------------------------------------


def test_states__every_variable_has_a_state() -> None:
    from engine_support import shipped_form

    evaluation = run(aktiv_record())
    assert set(evaluation.states) == {v.name for v in shipped_form().all_variables()}


def test_states__locked_field__reason_is_one_bokmal_sentence() -> None:
    evaluation = run(avsluttet_record())
    for variable in ["hovedarsak_avbrutt", *WORK_FIELDS, "antall_barn"]:
        reason = evaluation.states[variable].reason
        assert reason is not None and reason.startswith("Låst fordi") and reason.endswith(".")


def test_states__conditionally_required__reason_names_condition() -> None:
    state = run(avsluttet_record(hovedarsak_avslutning=16)).states["hovedarsak_avbrutt"]
    assert state.required
    assert state.reason == "Obligatorisk fordi «Hovedårsak til avslutning» er «Avbrutt/drop-out»."


def test_states__freg_field__says_registry_fetches_it() -> None:
    reason = run(aktiv_record()).states["sivilstand"].reason or ""
    assert "Folkeregisteret" in reason


def test_locked__every_locked_value_is_an_error() -> None:
    record = avsluttet_record(
        deltatt_intro=2,
        intro_avsluttet_dato="2023-01-01",
        omsorgsansvar_barn=2,
        antall_barn=1,
        bydel="030101",
        hovedarsak_avbrutt=1,
        type_arbeid=1,
        stillingsprosent_arbeid=1,
        type_naring_arbeid=1,
    )
    evaluation = run(record)
    assert all_codes(evaluation) == {FindingCode.LOCKED}
    assert {f.variable for f in evaluation.findings} == {
        "intro_avsluttet_dato",
        "antall_barn",
        "bydel",
        "hovedarsak_avbrutt",
        *WORK_FIELDS,
    }


def test_required_reason__one_of_many_codes_chosen__names_only_the_chosen_code() -> None:
    from jsdesk.rules import evaluate, form_by_version

    form = form_by_version("2023.1")
    record = {"oppstartsdato": "2024-03-01", "sted_arbeidspraksis": [3, 4]}
    evaluation = evaluate(form, record, allow_synthetic=True)
    reason = evaluation.states["oppstartsdato_forste_praksis"].reason or ""
    assert "«Hos private virksomheter og bedrifter» og «Hos frivillige organisasjoner»" in reason
    assert "Hos offentlig arbeidsgiver" not in reason and "Praksis med fokus" not in reason
    (required,) = [f for f in evaluation.findings if f.variable == "oppstartsdato_forste_praksis"]
    assert "Hos offentlig arbeidsgiver" not in required.message
