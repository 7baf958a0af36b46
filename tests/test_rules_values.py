"""Value rules: code lists, multi-select, municipalities, registers, dates, test results."""

from __future__ import annotations

from datetime import date

import pytest
from engine_support import (
    DROP,
    FORM_PATH,
    PERSON_KEY,
    aktiv_record,
    avsluttet_record,
    classic_number,
    codes_for,
    run,
    tenor,
)

from jsdesk.forms import FormDefinition
from jsdesk.rules import FindingCode, Severity, load_form

MULTI = {
    "tiltak_for_jobbsjansen": 99,
    "norskopplaring_spraktrening": 99,
    "arbeidsrettede_tiltak": 99,
    "sted_arbeidspraksis": 9,
    "utdanningsrettede_tiltak": 99,
    "helsefremmende_tiltak": 99,
    "samfunn_ovrige_tiltak": 99,
}

# Numbers in real format are built at run time, never written down (see engine_support).


@pytest.fixture
def classic() -> str:
    return classic_number(1, 1, 90)


@pytest.fixture
def d_number() -> str:
    return classic_number(1, 1, 90, day_offset=40)


@pytest.fixture
def number_2032() -> str:
    return classic_number(1, 1, 90, rule_2032=True)


@pytest.fixture
def h_number() -> str:
    return classic_number(1, 1, 90, month_offset=40)


@pytest.fixture
def fh_number() -> str:
    return classic_number(1, 1, 90, first="8")


# --- code lists -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "gap"),
    [
        ("hovedinntektskilde_etter_avslutning", 9),
        ("sted_arbeidspraksis", 5),
        ("sted_arbeidspraksis", 6),
        ("sted_arbeidspraksis", 7),
        ("fravar", 7),
        ("deltatt_intro", 9),
        ("utdanning_norge", 10),
    ],
)
def test_codes__gap_in_list__invalid_code(variable: str, gap: int) -> None:
    value: object = [gap] if variable in MULTI else gap
    evaluation = run(avsluttet_record(**{variable: value}))
    assert codes_for(evaluation, variable) == [FindingCode.INVALID_CODE]
    assert f"kode {gap}" in evaluation.findings[0].message


def test_codes__proveresultat_gap_9__invalid_code() -> None:
    entry = {"provedato": "2024-01-10", "provetype": 1, "proveresultat": 9}
    evaluation = run(aktiv_record(proveresultater=[entry]))
    assert [(f.variable, f.index, f.code) for f in evaluation.findings] == [
        ("proveresultat", 0, FindingCode.INVALID_CODE)
    ]


@pytest.mark.parametrize(
    ("variable", "code"),
    [("hovedinntektskilde_etter_avslutning", 88), ("sted_arbeidspraksis", 8), ("fravar", 9)],
)
def test_codes__listed_code__valid(variable: str, code: int) -> None:
    value: object = [code] if variable in MULTI else code
    practice = {"oppstartsdato_forste_praksis": "2024-05-02"} if code == 8 else {}
    assert run(avsluttet_record(**{variable: value}, **practice)).valid


# --- multi-select -----------------------------------------------------------------------


@pytest.mark.parametrize(("variable", "none_code"), MULTI.items())
def test_multi__none_code_alone__valid(variable: str, none_code: int) -> None:
    assert run(avsluttet_record(**{variable: [none_code]})).valid


@pytest.mark.parametrize(("variable", "none_code"), MULTI.items())
def test_multi__none_code_with_other__exclusive_code(variable: str, none_code: int) -> None:
    evaluation = run(avsluttet_record(**{variable: [1, none_code]}))
    assert FindingCode.EXCLUSIVE_CODE in codes_for(evaluation, variable)


def test_multi__sted_arbeidspraksis_99__invalid_not_exclusive() -> None:
    evaluation = run(avsluttet_record(sted_arbeidspraksis=[99]))
    assert codes_for(evaluation, "sted_arbeidspraksis") == [FindingCode.INVALID_CODE]


@pytest.mark.parametrize("variable", list(MULTI))
def test_multi__repeated_code__duplicate_code(variable: str) -> None:
    evaluation = run(avsluttet_record(**{variable: [1, 2, 1]}))
    assert codes_for(evaluation, variable) == [FindingCode.DUPLICATE_CODE]


@pytest.mark.parametrize("variable", list(MULTI))
def test_multi__several_codes__valid(variable: str) -> None:
    other = 8 if variable == "sted_arbeidspraksis" else 88
    practice = {"oppstartsdato_forste_praksis": "2024-05-02"} if other == 8 else {}
    assert run(avsluttet_record(**{variable: [1, 2, other]}, **practice)).valid


@pytest.mark.parametrize("variable", list(MULTI))
def test_multi__empty_when_required__required(variable: str) -> None:
    evaluation = run(avsluttet_record(**{variable: []}))
    assert codes_for(evaluation, variable) == [FindingCode.REQUIRED]
    assert "minst ett" in evaluation.findings[0].message


def test_multi__exclusive_message__names_code_and_field() -> None:
    message = run(aktiv_record(tiltak_for_jobbsjansen=[2, 99])).findings[0].message
    assert message.startswith("«Ingen tiltak» i «Utdanning/opplærings- eller")


# --- 5 kommunenummer / 6 kommunenavn ----------------------------------------------------


def test_kommunenummer__drammen_3005_in_2023__valid() -> None:
    evaluation = run(aktiv_record(kommunenummer="3005", oppstartsdato="2023-05-01"))
    assert evaluation.valid
    assert evaluation.derived["kommunenavn"] == "Drammen"


def test_kommunenummer__drammen_3005_in_2026__invalid() -> None:
    record = aktiv_record(kommunenummer="3005", oppstartsdato="2026-02-01", finansieringstype=DROP)
    evaluation = run(record, today=date(2026, 3, 1))
    assert codes_for(evaluation, "kommunenummer") == [FindingCode.INVALID_KOMMUNENUMMER]
    assert "Drammen" in evaluation.findings[0].message


def test_kommunenummer__drammen_3301_in_2026__valid() -> None:
    record = aktiv_record(kommunenummer="3301", oppstartsdato="2026-02-01", finansieringstype=DROP)
    evaluation = run(record, today=date(2026, 3, 1))
    assert evaluation.valid
    assert evaluation.derived["kommunenavn"] == "Drammen"


@pytest.mark.parametrize("number", ["9999", "301", "abcd", "03010"])
def test_kommunenummer__not_in_list__invalid(number: str) -> None:
    evaluation = run(aktiv_record(kommunenummer=number))
    assert codes_for(evaluation, "kommunenummer") == [FindingCode.INVALID_KOMMUNENUMMER]


def test_kommunenavn__given_and_matching__valid() -> None:
    assert run(aktiv_record(kommunenavn="Stavanger")).valid


def test_kommunenavn__given_and_wrong__derived_mismatch() -> None:
    evaluation = run(aktiv_record(kommunenavn="Bergen"))
    assert codes_for(evaluation, "kommunenavn") == [FindingCode.DERIVED_MISMATCH]


# --- 2 fødselsnummer, 1 person_id, 3 fodselsar --------------------------------------


def test_fnr__tenor_number_with_allow_synthetic__valid() -> None:
    assert run(aktiv_record(fodselsnummer=tenor()), allow_synthetic=True).valid


def test_fnr__tenor_number_without_allow_synthetic__synthetic_fnr() -> None:
    evaluation = run(aktiv_record(fodselsnummer=tenor()), allow_synthetic=False)
    assert codes_for(evaluation, "fodselsnummer") == [FindingCode.SYNTHETIC_FNR]


def test_fnr__tenor_d_number_without_allow_synthetic__synthetic_fnr() -> None:
    number = tenor(d_number=True)
    evaluation = run(aktiv_record(fodselsnummer=number), allow_synthetic=False)
    assert codes_for(evaluation, "fodselsnummer") == [FindingCode.SYNTHETIC_FNR]
    assert run(aktiv_record(fodselsnummer=number), allow_synthetic=True).valid


def test_fnr__tenor_2032_rule_without_allow_synthetic__synthetic_fnr() -> None:
    number = tenor(rule_2032=True)
    evaluation = run(aktiv_record(fodselsnummer=number), allow_synthetic=False)
    assert codes_for(evaluation, "fodselsnummer") == [FindingCode.SYNTHETIC_FNR]


def test_fnr__tenor_2032_rule_with_allow_synthetic__valid_without_birth_year() -> None:
    evaluation = run(aktiv_record(fodselsnummer=tenor(rule_2032=True)))
    assert evaluation.valid
    assert evaluation.derived["fodselsar"] is None
    assert evaluation.derived["person_id"] is not None


def test_fnr__classic_number_in_production__valid(classic: str) -> None:
    evaluation = run(aktiv_record(fodselsnummer=classic), allow_synthetic=False)
    assert evaluation.valid
    assert evaluation.derived["fodselsar"] == 1990


def test_fnr__d_number_in_production__valid(d_number: str) -> None:
    evaluation = run(aktiv_record(fodselsnummer=d_number), allow_synthetic=False)
    assert evaluation.valid


def test_fnr__2032_rule_number_in_production__valid(number_2032: str) -> None:
    evaluation = run(aktiv_record(fodselsnummer=number_2032), allow_synthetic=False)
    assert evaluation.valid
    assert evaluation.derived["fodselsar"] is None


def test_fnr__h_number__own_code_and_message(h_number: str) -> None:
    evaluation = run(aktiv_record(fodselsnummer=h_number), allow_synthetic=True)
    assert codes_for(evaluation, "fodselsnummer") == [FindingCode.H_NUMBER]
    assert "H-nummer" in evaluation.findings[0].message


def test_fnr__fh_number__own_code_and_message(fh_number: str) -> None:
    evaluation = run(aktiv_record(fodselsnummer=fh_number), allow_synthetic=True)
    assert codes_for(evaluation, "fodselsnummer") == [FindingCode.FH_NUMBER]
    assert "FH-nummer" in evaluation.findings[0].message


def test_fnr__wrong_control_digit__invalid_fnr_without_echoing_number() -> None:
    number = tenor()
    broken = number[:10] + str((int(number[10]) + 1) % 10)
    evaluation = run(aktiv_record(fodselsnummer=broken))
    assert codes_for(evaluation, "fodselsnummer") == [FindingCode.INVALID_FNR]
    assert broken not in evaluation.findings[0].message
    assert "kontrollsiffer" in evaluation.findings[0].message


@pytest.mark.parametrize("text", ["123", "abcdefghijk", "1234567890123"])
def test_fnr__not_eleven_digits__invalid_fnr(text: str) -> None:
    assert codes_for(run(aktiv_record(fodselsnummer=text)), "fodselsnummer") == [
        FindingCode.INVALID_FNR
    ]


def test_fnr__invalid__no_derived_values() -> None:
    evaluation = run(aktiv_record(fodselsnummer="123"))
    assert evaluation.derived["person_id"] is None
    assert evaluation.derived["fodselsar"] is None


def test_person_id__same_number__same_keyed_id() -> None:
    from jsdesk.domain.fnr import person_id

    number = tenor()
    first = run(aktiv_record(fodselsnummer=number)).derived["person_id"]
    second = run(avsluttet_record(fodselsnummer=number)).derived["person_id"]
    assert first == second == str(person_id(number, PERSON_KEY))


def test_person_id__given_and_wrong__derived_mismatch() -> None:
    wrong = "00000000-0000-5000-8000-000000000000"
    evaluation = run(aktiv_record(person_id=wrong))
    assert codes_for(evaluation, "person_id") == [FindingCode.DERIVED_MISMATCH]


def test_person_id__given_and_matching_uppercase__valid() -> None:
    derived = run(aktiv_record()).derived["person_id"]
    assert isinstance(derived, str)
    assert run(aktiv_record(person_id=derived.upper())).valid


def test_fodselsar__derived_from_number() -> None:
    assert run(aktiv_record(fodselsnummer=tenor(date(1985, 2, 3)))).derived["fodselsar"] == 1985


def test_fodselsar__given_and_matching__valid() -> None:
    assert run(aktiv_record(fodselsar=1990)).valid


def test_fodselsar__given_and_disagreeing__error() -> None:
    evaluation = run(aktiv_record(fodselsar=1991))
    assert codes_for(evaluation, "fodselsar") == [FindingCode.DERIVED_MISMATCH]
    assert evaluation.findings[0].severity is Severity.ERROR


def test_fodselsar__2032_number_with_given_year__accepted() -> None:
    assert run(aktiv_record(fodselsnummer=tenor(rule_2032=True), fodselsar=1990)).valid


# --- age at start ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "start"),
    [(date(2006, 3, 1), "2024-03-01"), (date(1968, 3, 2), "2024-03-01")],
)
def test_age__exactly_18_or_55__no_warning(birth: date, start: str) -> None:
    evaluation = run(aktiv_record(fodselsnummer=tenor(birth), oppstartsdato=start))
    assert evaluation.findings == ()


@pytest.mark.parametrize(
    ("birth", "start"),
    [(date(2006, 3, 2), "2024-03-01"), (date(1968, 3, 1), "2024-03-01")],
)
def test_age__17_or_56__warning(birth: date, start: str) -> None:
    evaluation = run(aktiv_record(fodselsnummer=tenor(birth), oppstartsdato=start))
    assert [(f.variable, f.code, f.severity) for f in evaluation.findings] == [
        ("fodselsnummer", FindingCode.AGE_OUT_OF_RANGE, Severity.WARNING)
    ]
    assert evaluation.valid


# --- FREG values ----------------------------------------------------------------------


@pytest.mark.parametrize("year", [1990, 2000, 2024])
def test_ankomstar__between_birth_and_start__valid(year: int) -> None:
    assert run(aktiv_record(ankomstar=year)).valid


@pytest.mark.parametrize("year", [1989, 2025])
def test_ankomstar__before_birth_or_after_start__date_order(year: int) -> None:
    evaluation = run(aktiv_record(ankomstar=year))
    assert codes_for(evaluation, "ankomstar") == [FindingCode.DATE_ORDER]


@pytest.mark.parametrize("country", ["SOM", "SYR", "XUK", "NOR", "XXX", "XXK"])
def test_fodeland__alpha3__valid(country: str) -> None:
    assert run(aktiv_record(fodeland=country)).valid


@pytest.mark.parametrize("country", ["SO", "som", "XYZ", "Somalia"])
def test_fodeland__not_alpha3__invalid_country(country: str) -> None:
    assert codes_for(run(aktiv_record(fodeland=country)), "fodeland") == [
        FindingCode.INVALID_COUNTRY
    ]


@pytest.mark.parametrize("value", ["gift", "ugift", "enkeEllerEnkemann"])
def test_sivilstand__freg_value__valid(value: str) -> None:
    assert run(aktiv_record(sivilstand=value)).valid


@pytest.mark.parametrize("value", ["Gift", "married", "skilt_"])
def test_sivilstand__other_value__invalid(value: str) -> None:
    assert codes_for(run(aktiv_record(sivilstand=value)), "sivilstand") == [
        FindingCode.INVALID_SIVILSTAND
    ]


# --- 26 test results --------------------------------------------------------------------


def _entry(
    provetype: object = 1, proveresultat: object = 6, provedato: object = "2024-01-10"
) -> dict[str, object]:
    return {"provedato": provedato, "provetype": provetype, "proveresultat": proveresultat}


@pytest.mark.parametrize(("kind", "result"), [(5, 2), (5, 8), (6, 2), (6, 8)])
def test_prove__c1_test_with_c1_or_fail__valid(kind: int, result: int) -> None:
    assert run(aktiv_record(proveresultater=[_entry(kind, result)])).valid


@pytest.mark.parametrize(("kind", "result"), [(5, 1), (5, 6), (6, 7), (6, 10)])
def test_prove__c1_test_other_result__invalid_test_result(kind: int, result: int) -> None:
    evaluation = run(aktiv_record(proveresultater=[_entry(kind, result)]))
    assert [(f.variable, f.index, f.code) for f in evaluation.findings] == [
        ("proveresultat", 0, FindingCode.INVALID_TEST_RESULT)
    ]


def test_prove__c1_test_other_result__message_names_both_fields_by_label() -> None:
    (finding,) = run(aktiv_record(proveresultater=[_entry(5, 6)])).findings
    assert finding.message == (
        "Oppføring 1: C1-prøven (PROVE_NORSK_LYTT/SKRIV og PROVE_NORSK_LES_SNAKK) har bare "
        "resultatene IKKEBESTATT og C1. Rett «Resultat av norskprøve» eller «Type norskprøve». "
        "Kontroller prøveresultatet fra PAD."
    )


@pytest.mark.parametrize("kind", [1, 2, 3, 4])
def test_prove__part_test_with_c1__invalid_test_result(kind: int) -> None:
    evaluation = run(aktiv_record(proveresultater=[_entry(kind, 8)]))
    assert codes_for(evaluation, "proveresultat") == [FindingCode.INVALID_TEST_RESULT]


@pytest.mark.parametrize("result", [1, 2, 3, 4, 5, 6, 7, 10])
def test_prove__part_test_other_results__valid(result: int) -> None:
    assert run(aktiv_record(proveresultater=[_entry(3, result)])).valid


def test_prove__date_in_future__error_with_index() -> None:
    entries = [_entry(), _entry(provedato="2025-06-02")]
    evaluation = run(aktiv_record(proveresultater=entries))
    assert [(f.variable, f.index, f.code) for f in evaluation.findings] == [
        ("provedato", 1, FindingCode.FUTURE_DATE)
    ]


def test_prove__date_today__valid() -> None:
    assert run(aktiv_record(proveresultater=[_entry(provedato="2025-06-01")])).valid


@pytest.mark.parametrize("day", ["10.01.2024", "2024-13-01", 20240110])
def test_prove__bad_date__invalid_date(day: object) -> None:
    evaluation = run(aktiv_record(proveresultater=[_entry(provedato=day)]))
    assert [(f.variable, f.index, f.code) for f in evaluation.findings] == [
        ("provedato", 0, FindingCode.INVALID_DATE)
    ]


def test_prove__unknown_key_in_entry__unknown_variable_with_index() -> None:
    entry = {**_entry(), "niva": "B1"}
    evaluation = run(aktiv_record(proveresultater=[_entry(), entry]))
    assert [(f.variable, f.index, f.code) for f in evaluation.findings] == [
        ("niva", 1, FindingCode.UNKNOWN_VARIABLE)
    ]


def test_prove__entry_not_object__not_an_object() -> None:
    evaluation = run(aktiv_record(proveresultater=["B1"]))
    assert codes_for(evaluation, "proveresultater") == [FindingCode.NOT_AN_OBJECT]


def test_prove__incomplete_entry__date_and_result_required_wherever_it_came_from() -> None:
    # PAD's rows are always complete, so a row without its date,
    # type or result was typed by hand and is an error.
    evaluation = run(aktiv_record(proveresultater=[{"provetype": 1}]))
    assert not evaluation.valid
    assert {(f.variable, f.index, f.code) for f in evaluation.errors} == {
        ("provedato", 0, FindingCode.REQUIRED),
        ("proveresultat", 0, FindingCode.REQUIRED),
    }


# --- 38 avslutningsdato -------------------------------------------------------------


@pytest.mark.parametrize("day", ["2024-03-01", "2025-06-01"])
def test_avslutningsdato__on_start_or_today__valid(day: str) -> None:
    assert run(avsluttet_record(avslutningsdato=day)).valid


def test_avslutningsdato__before_start__date_order() -> None:
    evaluation = run(avsluttet_record(avslutningsdato="2024-02-29"))
    assert codes_for(evaluation, "avslutningsdato") == [FindingCode.DATE_ORDER]


def test_avslutningsdato__in_future__future_date() -> None:
    evaluation = run(avsluttet_record(avslutningsdato="2025-06-02"))
    assert codes_for(evaluation, "avslutningsdato") == [FindingCode.FUTURE_DATE]


# --- code validity --------------------------------------------------------------------


@pytest.fixture(scope="module")
def form_with_expiring_code(tmp_path_factory: pytest.TempPathFactory) -> FormDefinition:
    """The shipped form, with fravar's code 9 "Ukjent" valid only in 2023."""
    text = FORM_PATH.read_text(encoding="utf-8")
    start = text.index("name: fravar")
    at = text.index('code: 9, text: "Ukjent", valid_from: "2023-01-01", valid_to: null', start)
    text = text[:at] + text[at:].replace("valid_to: null", 'valid_to: "2023-12-31"', 1)
    path = tmp_path_factory.mktemp("form") / "skjema.yaml"
    path.write_text(text, encoding="utf-8")
    return load_form(path)


def test_code_validity__code_in_force_on_start__valid(
    form_with_expiring_code: FormDefinition,
) -> None:
    record = avsluttet_record(oppstartsdato="2023-12-31", fravar=9)
    assert run(record, form=form_with_expiring_code).valid


def test_code_validity__code_expired_before_start__code_not_applicable(
    form_with_expiring_code: FormDefinition,
) -> None:
    record = avsluttet_record(oppstartsdato="2024-01-01", fravar=9)
    evaluation = run(record, form=form_with_expiring_code)
    assert codes_for(evaluation, "fravar") == [FindingCode.CODE_NOT_APPLICABLE]
    assert "31.12.2023" in evaluation.findings[0].message


# --- personal data ----------------------------------------------------------------------


def test_messages__fnr_in_any_text_field__never_echoed() -> None:
    number = tenor()
    names = ["kommunenavn", "bydel", "fodeland", "sivilstand", "intro_avsluttet_dato"]
    record = aktiv_record(
        **dict.fromkeys(names, number),
        kommunenummer="0301",
        deltatt_intro=1,
        fodselsar=number,
        person_id=number,
        fremmed=number,
    )
    evaluation = run(record, allow_synthetic=False)
    assert {f.variable for f in evaluation.findings} >= {
        *names,
        "fodselsnummer",
        "fodselsar",
        "person_id",
        "fremmed",
    }
    assert all(number[:6] not in finding.message for finding in evaluation.findings)


def test_messages__kommunenavn_mismatch__names_both_values() -> None:
    message = run(aktiv_record(kommunenavn="Bergen")).findings[0].message
    assert message == (
        "«Kommune» er tekst «Bergen», men ut fra «Kommune nr» og «Dato for oppstart» og «Dato "
        "for avslutning jobbsjansen» skal den være Stavanger. Fjern verdien (den fylles ut "
        "automatisk) eller rett «Kommune nr» eller «Dato for oppstart» eller «Dato for "
        "avslutning jobbsjansen»."
    )


@pytest.mark.parametrize("variable", list(MULTI))
@pytest.mark.parametrize("length", [8_000, 32_000])
def test_multi__list_longer_than_code_list__one_finding_not_one_per_entry(
    variable: str, length: int
) -> None:
    # 32k entries took 35 s when repeated codes were counted with list.count.
    evaluation = run(avsluttet_record(**{variable: [1, 2] * (length // 2)}))
    found = [f for f in evaluation.findings if f.variable == variable]
    assert [f.code for f in found] == [FindingCode.TOO_MANY_CODES]
    assert f"{length} valg" in found[0].message and "kodelisten har bare" in found[0].message


@pytest.mark.parametrize("variable", list(MULTI))
def test_multi__repeats_within_code_list_length__each_repeated_code_named_once(
    variable: str,
) -> None:
    evaluation = run(avsluttet_record(**{variable: [2, 1, 2, 1, 2]}))
    found = [f for f in evaluation.findings if f.variable == variable]
    assert [f.code for f in found] == [FindingCode.DUPLICATE_CODE]
    assert "kodene 1, 2 mer enn én gang" in found[0].message
