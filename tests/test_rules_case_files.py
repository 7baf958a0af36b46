"""Saved form cases and record files as their users see them: file names, round trips,
refusals with the file named and exit 2; what a wrong value is called in a message; which
answers the wizard re-checks a field on."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from engine_support import aktiv_record, run

from jsdesk.errors import UserError
from jsdesk.rules import FindingCode, default_form
from jsdesk.rules.cases import case_file_name, new_case, read_case, run_cases, write_case
from jsdesk.rules.engine import dependencies
from jsdesk.rules.record_files import RecordFileError, parse_records

DAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("name", "file_name"),
    [
        ("Bydel mangler i Oslo", "bydel-mangler-i-oslo.json"),
        ("Ærlig søknad på år 2", "aerlig-soknad-pa-ar-2.json"),
        ("  !!  ", "testtilfelle.json"),
        ("Avbrutt / arbeid", "avbrutt-arbeid.json"),
    ],
)
def test_case_file_name__any_name__plain_ascii_file_name(name: str, file_name: str) -> None:
    assert case_file_name(name) == file_name


def test_write_case__same_name_twice__second_file_beside_the_first_and_both_read_back(
    tmp_path: Path,
) -> None:
    form = default_form()
    case = new_case(form, aktiv_record(), name="Aktiv deltaker", today=DAY)
    first = write_case(tmp_path / "tilfeller", case)
    second = write_case(tmp_path / "tilfeller", case)
    assert (first.name, second.name) == ("aktiv-deltaker.json", "aktiv-deltaker-2.json")
    saved = json.loads(first.read_text(encoding="utf-8"))
    assert saved["format"] == "jsdesk-testtilfelle/1"
    assert saved["name"] == "Aktiv deltaker"
    assert saved["outcome"]["stage"] == str(run(aktiv_record(), today=DAY).stage)
    again = read_case(second)
    assert again.name == "Aktiv deltaker"
    assert again.outcome == case.outcome
    assert again.today == DAY
    assert not run_cases(form, [again])[0].changed


def test_read_case__outcome_without_errors_or_warnings__read_as_none(tmp_path: Path) -> None:
    path = tmp_path / "kort.json"
    path.write_text(
        json.dumps(
            {
                "format": "jsdesk-testtilfelle/1",
                "form_version": "2023.1",
                "today": "2026-11-29",
                "record": {},
                "outcome": {"valid": False, "stage": "registrert"},
            }
        ),
        encoding="utf-8",
    )
    case = read_case(path)
    assert case.name == "kort"
    assert (dict(case.outcome.errors), dict(case.outcome.warnings)) == ({}, {})


def test_read_case__missing_file__names_it_and_exit_2(tmp_path: Path) -> None:
    with pytest.raises(UserError) as raised:
        read_case(tmp_path / "borte.json")
    assert "Kan ikke lese" in raised.value.message
    assert "borte.json" in raised.value.message
    assert raised.value.exit_code == 2


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_parse_records__nan_or_infinity__refused_naming_the_file(constant: str) -> None:
    with pytest.raises(RecordFileError) as raised:
        parse_records(f'{{"antall_barn": {constant}}}', "poster.json")
    assert str(raised.value).startswith("poster.json: ")
    assert "ikke gyldig JSON" in str(raised.value)
    assert raised.value.exit_code == 2


def test_record_file_error__message__is_what_the_user_reads() -> None:
    error = RecordFileError("poster.json: filen finnes ikke.")
    assert str(error) == "poster.json: filen finnes ikke."
    assert error.message == "poster.json: filen finnes ikke."


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("a" * 20, "«" + "a" * 20 + "»"),
        ("b" * 21, "«" + "b" * 17 + "...»"),
    ],
)
def test_wrong_type__long_text__shown_whole_up_to_20_characters(given: str, shown: str) -> None:
    evaluation = run({**aktiv_record(), "ankomstar": given})
    [finding] = [f for f in evaluation.findings if f.variable == "ankomstar"]
    assert finding.code == FindingCode.WRONG_TYPE
    assert f"men er tekst {shown}." in finding.message


def test_dependencies__field_valid_all_form_period_without_rules__has_none() -> None:
    form = default_form()
    found = dependencies(form)
    # The wizard re-checks a field when one of these answers changes: a field that is valid
    # for the whole period and has no enable/require rule waits on nothing, not even the start.
    assert "fodeland" not in found
    assert "oppstartsdato" not in found
    assert found["finansieringstype"] == frozenset({"oppstartsdato"})
    assert found["bydel"] == frozenset({"kommunenummer"})


def test_read_case__not_a_case_file__names_the_file_and_the_format(tmp_path: Path) -> None:
    path = tmp_path / "annet.json"
    path.write_text('{"format": "noe annet", "record": {}}', encoding="utf-8")
    with pytest.raises(UserError) as raised:
        read_case(path)
    assert raised.value.message == (
        f"{path} er ikke et testtilfelle jsdesk kan lese: formatet må være «jsdesk-testtilfelle/1»."
    )
    assert raised.value.exit_code == 2


def test_parse_records__huge_number__refused_naming_file_line_and_column() -> None:
    text = '{\n  "antall_barn": ' + "9" * 101 + "\n}"
    with pytest.raises(RecordFileError) as raised:
        parse_records(text, "poster.json")
    assert str(raised.value) == (
        "poster.json: kan ikke leses (linje 2, kolonne 18: et tall med 101 sifre (høyst 100 er "
        "tillatt)). Ingenting er lagret eller kontrollert."
    )
    assert raised.value.exit_code == 2
