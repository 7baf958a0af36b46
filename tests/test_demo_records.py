"""The synthetic record generator: realistic mixes that respect the form's rules."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from stdnum.no import fodselsnummer as stdnum_fnr

from jsdesk.demo import DemoParticipation, generate_participations, generate_records
from jsdesk.domain.code_domains import MUNICIPALITIES, OSLO_BYDELER
from jsdesk.domain.fnr import FnrKind, analyse
from jsdesk.domain.period import Period

TODAY = date(2026, 11, 29)
WORK = {1, 2, 8, 9, 10, 11, 12}
PART_3 = (
    "norskopplaring_spraktrening",
    "arbeidsrettede_tiltak",
    "oppstartsdato_forste_praksis",
    "sted_arbeidspraksis",
    "utdanningsrettede_tiltak",
    "helsefremmende_tiltak",
    "samfunn_ovrige_tiltak",
)
PART_4 = (
    "hovedarsak_avslutning",
    "hovedarsak_avbrutt",
    "avslutningsdato",
    "fravar",
    "hovedinntektskilde_etter_avslutning",
    "type_arbeid",
    "stillingsprosent_arbeid",
    "type_naring_arbeid",
)
MULTI_EXCLUSIVE = {
    "tiltak_for_jobbsjansen": 99,
    "norskopplaring_spraktrening": 99,
    "arbeidsrettede_tiltak": 99,
    "sted_arbeidspraksis": 9,
    "utdanningsrettede_tiltak": 99,
    "helsefremmende_tiltak": 99,
    "samfunn_ovrige_tiltak": 99,
}


@pytest.fixture(scope="module")
def participations() -> list[DemoParticipation]:
    return generate_participations(3000, seed=7, today=TODAY)


def _complete(participations: list[DemoParticipation]) -> list[dict[str, object]]:
    return [p.record for p in participations if p.complete]


def test_generate_records__same_seed__same_records() -> None:
    assert generate_records(200, 11, today=TODAY) == generate_records(200, 11, today=TODAY)


def test_generate_records__other_seed__other_records() -> None:
    assert generate_records(50, 11, today=TODAY) != generate_records(50, 12, today=TODAY)


def test_generate_records__plain_json_values__serialisable() -> None:
    import json

    records = generate_records(100, 3, today=TODAY)
    assert json.loads(json.dumps(records)) == records


def test_fodselsnummer__every_record__tenor_synthetic_unique(
    participations: list[DemoParticipation],
) -> None:
    numbers = [str(p.record["fodselsnummer"]) for p in participations]
    assert len(set(numbers)) == len(numbers)
    infos = [analyse(number, today=TODAY) for number in numbers]
    assert all(info.synthetic for info in infos)
    assert not any(stdnum_fnr.is_valid(number) for number in numbers)
    kinds = Counter((info.kind, info.rule_2032) for info in infos)
    assert kinds[(FnrKind.FODSELSNUMMER, False)] > len(numbers) * 0.6
    assert kinds[(FnrKind.D_NUMMER, False)] > len(numbers) * 0.1
    assert kinds[(FnrKind.FODSELSNUMMER, True)] + kinds[(FnrKind.D_NUMMER, True)] > 30


def test_fodselsar__every_record__matches_birth_date(
    participations: list[DemoParticipation],
) -> None:
    for p in participations:
        info = analyse(str(p.record["fodselsnummer"]), today=TODAY)
        if info.birth_year is not None:
            assert p.record["fodselsar"] == info.birth_year


def test_kommunenummer__every_record__the_installations_oslo_in_force_on_start_date(
    participations: list[DemoParticipation],
) -> None:
    for p in participations:
        start = date.fromisoformat(str(p.record["oppstartsdato"]))
        assert MUNICIPALITIES.check(p.record["kommunenummer"], Period.day(start)) is None
    assert {p.record["kommunenummer"] for p in participations} == {"0301"}


@pytest.mark.parametrize(("installation", "before_2024", "from_2024"), [
    ("3301", {"3005"}, {"3301"}),  # Drammen, renumbered
    ("1508", {"1507"}, {"1508"}),  # Ålesund, split from the old Ålesund
])  # fmt: skip
def test_kommunenummer__renumbered_installation__its_number_on_each_start_date(
    installation: str, before_2024: set[str], from_2024: set[str]
) -> None:
    people = generate_participations(300, 4, today=TODAY, kommunenummer=installation)
    by_year: dict[bool, set[object]] = {True: set(), False: set()}
    for p in people:
        start = date.fromisoformat(str(p.record["oppstartsdato"]))
        by_year[start.year < 2024].add(p.record["kommunenummer"])
        assert "bydel" not in p.record
    assert by_year == {True: before_2024, False: from_2024}


def test_bydel__installation_with_bydel__every_oslo_record_in_it() -> None:
    people = generate_participations(100, 4, today=TODAY, bydel="030105")
    assert {p.record["bydel"] for p in people} == {"030105"}


def test_bydel__oslo_only__administrative(participations: list[DemoParticipation]) -> None:
    admin = {choice.value for choice in OSLO_BYDELER.choices(Period.day(TODAY))}
    used = set()
    for p in participations:
        if p.record["kommunenummer"] == "0301":
            assert p.record["bydel"] in admin
            used.add(p.record["bydel"])
        else:
            assert "bydel" not in p.record
    assert used == admin


def test_finansieringstype__only_until_2025__all_codes(
    participations: list[DemoParticipation],
) -> None:
    codes = Counter()
    for p in participations:
        start = date.fromisoformat(str(p.record["oppstartsdato"]))
        assert ("finansieringstype" in p.record) is (start <= date(2025, 12, 31))
        codes[p.record.get("finansieringstype")] += 1
    assert {1, 2, 9, None} == codes.keys()


def test_dates__spread_2023_to_today__ordered(participations: list[DemoParticipation]) -> None:
    years = Counter()
    for p in participations:
        record = p.record
        start = date.fromisoformat(str(record["oppstartsdato"]))
        years[start.year] += 1
        assert date(2023, 1, 1) <= start <= TODAY
        if "avslutningsdato" in record:
            assert start <= date.fromisoformat(str(record["avslutningsdato"])) <= TODAY
        if "oppstartsdato_forste_praksis" in record:
            praksis = date.fromisoformat(str(record["oppstartsdato_forste_praksis"]))
            assert start <= praksis <= TODAY
            if "avslutningsdato" in record:
                assert praksis <= date.fromisoformat(str(record["avslutningsdato"]))
        for entry in record.get("proveresultater", []):  # type: ignore[attr-defined]
            assert date.fromisoformat(entry["provedato"]) <= TODAY
        assert isinstance(record["ankomstar"], int)
        assert record["fodselsar"] <= record["ankomstar"] <= start.year  # type: ignore[operator]
    assert set(years) == {2023, 2024, 2025, 2026}


def test_stage__both_stages__all_end_reasons(participations: list[DemoParticipation]) -> None:
    reasons = Counter(p.record.get("hovedarsak_avslutning") for p in participations)
    assert set(range(1, 19)) | {99, None} == reasons.keys()
    assert reasons[None] > len(participations) * 0.1


def test_drop_out__reason_37__only_with_16(participations: list[DemoParticipation]) -> None:
    dropout_reasons = Counter()
    for record in _complete(participations):
        is_drop_out = record.get("hovedarsak_avslutning") == 16
        assert ("hovedarsak_avbrutt" in record) is is_drop_out
        dropout_reasons[record.get("hovedarsak_avbrutt")] += 1
    assert {1, 2, 3, 4, 5, 9, None} == dropout_reasons.keys()


def test_type_of_work__41_to_43__exactly_when_work(
    participations: list[DemoParticipation],
) -> None:
    for record in _complete(participations):
        work = record.get("hovedarsak_avslutning") in WORK
        for name in ("type_arbeid", "stillingsprosent_arbeid", "type_naring_arbeid"):
            assert (name in record) is work


def test_forste_praksis__31__exactly_when_practice(
    participations: list[DemoParticipation],
) -> None:
    seen = Counter()
    for record in _complete(participations):
        practice = _practice(record)
        assert ("oppstartsdato_forste_praksis" in record) is practice
        seen[practice] += 1
    assert seen[True] > 100 and seen[False] > 100


def test_multi_select__exclusive_codes__never_combined(
    participations: list[DemoParticipation],
) -> None:
    alone = Counter()
    for p in participations:
        for name, exclusive in MULTI_EXCLUSIVE.items():
            value = p.record.get(name)
            if value is None:
                continue
            assert isinstance(value, list) and value
            assert len(set(value)) == len(value)
            if exclusive in value:
                assert value == [exclusive]
                alone[name] += 1
    assert alone.keys() == MULTI_EXCLUSIVE.keys()


def test_proveresultater__type_and_result__valid_combinations(
    participations: list[DemoParticipation],
) -> None:
    combos = Counter()
    for p in participations:
        for entry in p.record.get("proveresultater", []):  # type: ignore[attr-defined]
            test_type, result = entry["provetype"], entry["proveresultat"]
            if test_type in (5, 6):
                assert result in (2, 8)
            else:
                assert test_type in (1, 2, 3, 4)
                assert result in (3, 4, 5, 6, 7, 10)
            combos[test_type] += 1
    assert set(combos) == {1, 2, 3, 4, 5, 6}


def _practice(record: dict[str, object]) -> bool:
    """Whether 31 oppstartsdato_forste_praksis is enabled (29 has 3, 30 has 6 or 32 has 1-4/8)."""
    norsk = record.get("norskopplaring_spraktrening") or []
    arbeid = record.get("arbeidsrettede_tiltak") or []
    sted = record.get("sted_arbeidspraksis") or []
    assert isinstance(norsk, list) and isinstance(arbeid, list) and isinstance(sted, list)
    return 3 in norsk or 6 in arbeid or bool({1, 2, 3, 4, 8} & set(sted))


def _required_part_3_4(record: dict[str, object]) -> list[str]:
    """The part-3/4 variables an avsluttet record must answer, per the form."""
    required = [name for name in PART_3 if name != "oppstartsdato_forste_praksis"]
    required += ["hovedarsak_avslutning", "avslutningsdato", "fravar"]
    required += ["hovedinntektskilde_etter_avslutning"]
    if _practice(record):
        required.append("oppstartsdato_forste_praksis")
    if record.get("hovedarsak_avslutning") == 16:
        required.append("hovedarsak_avbrutt")
    if record.get("hovedarsak_avslutning") in WORK:
        required += ["type_arbeid", "stillingsprosent_arbeid", "type_naring_arbeid"]
    return required


def test_incomplete__about_ten_percent__avsluttet_missing_part_3_or_4(
    participations: list[DemoParticipation],
) -> None:
    incomplete = [p.record for p in participations if not p.complete]
    assert 0.06 * len(participations) < len(incomplete) < 0.14 * len(participations)
    for record in incomplete:
        assert "hovedarsak_avslutning" in record
        missing = [name for name in _required_part_3_4(record) if name not in record]
        assert 1 <= len(missing) <= 3


def test_complete__avsluttet__every_part_3_and_4_answer_present(
    participations: list[DemoParticipation],
) -> None:
    avsluttet = [r for r in _complete(participations) if "hovedarsak_avslutning" in r]
    assert len(avsluttet) > len(participations) * 0.3
    for record in avsluttet:
        assert [name for name in _required_part_3_4(record) if name not in record] == []
