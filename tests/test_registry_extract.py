"""Reading and checking FREG/PAD extract files (no database involved)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from registry_support import FREG_HEADER, PAD_HEADER, synthetic_numbers, write_csv

from jsdesk.forms import FormDefinition
from jsdesk.registry import (
    CheckedExtract,
    ExtractFileError,
    ExtractKind,
    FregValues,
    PadResult,
    check_extract,
    read_extract,
)
from jsdesk.rules import default_form

TODAY = dt.date(2026, 11, 29)


@pytest.fixture(scope="module")
def form() -> FormDefinition:
    return default_form()


def _check(path: Path, form: FormDefinition, *, allow_synthetic: bool = True) -> CheckedExtract:
    return check_extract(read_extract(path), form, allow_synthetic=allow_synthetic, today=TODAY)


def _messages(checked: CheckedExtract) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for problem in checked.problems:
        result.setdefault(problem.line, []).append(str(problem))
    return result


# --- good files --------------------------------------------------------------------------


def test_extract__good_freg_csv__every_row_good_with_typed_values(
    tmp_path: Path, form: FormDefinition
) -> None:
    first, second = synthetic_numbers(2)
    path = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(first, "SOM", "gift", 2015, ""), (second, "syr", "UGIFT", "", "")],
    )
    checked = _check(path, form)
    assert checked.kind is ExtractKind.FREG
    assert checked.problems == ()
    assert checked.good == (
        FregValues(2, first, "SOM", "gift", 2015, None),
        FregValues(3, second, "SYR", "ugift", None, None),
    )


def test_extract__good_pad_json__codes_by_number_or_text(
    tmp_path: Path, form: FormDefinition
) -> None:
    (number,) = synthetic_numbers(1)
    rows = [
        {"fodselsnummer": number, "provedato": "2024-03-14", "provetype": 1, "proveresultat": 6},
        {
            "fodselsnummer": number,
            "provedato": "12.06.2025",
            "provetype": "PROVE_NORSK_LYTT/SKRIV",
            "proveresultat": "C1",
        },
    ]
    path = tmp_path / "pad.json"
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    checked = _check(path, form)
    assert checked.kind is ExtractKind.PAD
    assert checked.problems == ()
    assert checked.good == (
        PadResult(2, number, dt.date(2024, 3, 14), 1, 6),
        PadResult(8, number, dt.date(2025, 6, 12), 5, 8),
    )


def test_extract__comma_separated_with_bom__accepted(tmp_path: Path, form: FormDefinition) -> None:
    (number,) = synthetic_numbers(1)
    path = tmp_path / "pad.csv"
    path.write_bytes(
        "\ufefffodselsnummer,provedato,provetype,proveresultat\n"
        f"{number},2024-03-14,PROVE_NORSK_MUNTLIG,B2\n".encode()
    )
    checked = _check(path, form)
    assert checked.problems == ()
    assert checked.good == (PadResult(2, number, dt.date(2024, 3, 14), 4, 7),)


def test_extract__2032_number_with_birth_year__year_kept(
    tmp_path: Path, form: FormDefinition
) -> None:
    number = "30908299902"  # Tenor 2032-rule example from DOMAIN.md: the year is unknown
    path = write_csv(tmp_path / "freg.csv", FREG_HEADER, [(number, "ERI", "skilt", 2020, 1999)])
    checked = _check(path, form)
    assert checked.problems == ()
    assert checked.good[0].values() == {
        "fodeland": "ERI",
        "sivilstand": "skilt",
        "ankomstar": 2020,
        "fodselsar": 1999,
    }


# --- whole file refused ------------------------------------------------------------------


def test_extract__wrong_columns__file_refused_naming_the_columns(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "freg.csv",
        ("fodselsnummer", "fodeland", "sivilstatus", "ankomstar", "fodselsar"),
        [],
    )
    with pytest.raises(ExtractFileError) as info:
        read_extract(path)
    assert "«sivilstand»" in info.value.message
    assert "«sivilstatus»" in info.value.message
    assert info.value.exit_code == 2


def test_extract__repeated_column__file_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "pad.csv", (*PAD_HEADER, "provetype"), [])
    with pytest.raises(ExtractFileError, match="«provetype» mer enn én gang"):
        read_extract(path)


def test_extract__latin1_file__refused_with_encoding_and_line(tmp_path: Path) -> None:
    numbers = synthetic_numbers(4)
    rows = [(n, "SOM", "gift", 2015, "") for n in numbers[:3]]
    rows.append((numbers[3], "SØM", "gift", 2015, ""))  # the first non-ASCII byte: line 5
    path = write_csv(tmp_path / "freg.csv", FREG_HEADER, rows, encoding="latin-1")
    with pytest.raises(ExtractFileError) as info:
        read_extract(path)
    assert "ikke UTF-8" in info.value.message
    assert "linje 5" in info.value.message
    assert "Windows-1252" in info.value.message


def test_extract__utf16_file__refused(tmp_path: Path) -> None:
    path = tmp_path / "freg.csv"
    path.write_bytes(";".join(FREG_HEADER).encode("utf-16"))
    with pytest.raises(ExtractFileError, match="UTF-16"):
        read_extract(path)


def test_extract__broken_json__refused_with_line(tmp_path: Path) -> None:
    path = tmp_path / "pad.json"
    path.write_text('[\n  {"fodselsnummer": "1",\n  "provedato": }\n]\n', encoding="utf-8")
    with pytest.raises(ExtractFileError, match="linje 3"):
        read_extract(path)


def test_extract__missing_file__clear_message(tmp_path: Path) -> None:
    with pytest.raises(ExtractFileError, match="Finner ikke filen"):
        read_extract(tmp_path / "finnes-ikke.csv")


# --- bad rows ----------------------------------------------------------------------------


def test_extract__unknown_codes__each_reported_with_line_and_column(
    tmp_path: Path, form: FormDefinition
) -> None:
    a, b, c = synthetic_numbers(3)
    freg = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(a, "SOM", "gift", 2015, ""), (b, "NORGE", "samboer", "", ""), (c, "XUK", "", "", "")],
    )
    checked = _check(freg, form)
    assert [(p.line, p.column) for p in checked.problems] == [
        (3, "fodeland"),
        (3, "sivilstand"),
    ]
    assert [row.line for row in checked.good] == [2, 4]

    pad = write_csv(
        tmp_path / "pad.csv",
        PAD_HEADER,
        [(a, "2024-01-10", 9, 4), (a, "2024-01-10", 1, "D1"), (a, "2024-01-10", 2, 9)],
    )
    messages = _messages(_check(pad, form))
    assert sorted(messages) == [2, 3, 4]
    assert "provetype" in messages[2][0] and "«9» er ingen kode" in messages[2][0]
    assert "«D1» er ingen kode" in messages[3][0]
    assert "«9» er ingen kode" in messages[4][0]


def test_extract__c1_result_for_reading_test__form_rule_reported(
    tmp_path: Path, form: FormDefinition
) -> None:
    (number,) = synthetic_numbers(1)
    path = write_csv(
        tmp_path / "pad.csv",
        PAD_HEADER,
        [(number, "2024-01-10", "PROVE_NORSK_LES", "C1"), (number, "2024-01-11", 5, "B1")],
    )
    checked = _check(path, form)
    assert checked.good == ()
    assert {(p.line, p.column) for p in checked.problems} == {
        (2, "proveresultat"),
        (3, "proveresultat"),
    }


def test_extract__bad_dates_and_years__reported(tmp_path: Path, form: FormDefinition) -> None:
    a, b = synthetic_numbers(2)
    pad = write_csv(
        tmp_path / "pad.csv",
        PAD_HEADER,
        [(a, "2024-02-30", 1, 4), (a, "14/03/2024", 1, 4), (a, "2027-01-01", 1, 4)],
    )
    messages = _messages(_check(pad, form))
    assert "ikke en gyldig dato" in messages[2][0]
    assert "ikke en gyldig dato" in messages[3][0]
    assert "fram i tid" in messages[4][0]
    freg = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(a, "SOM", "gift", "15", ""), (b, "SOM", "gift", 1960, "")],
    )
    messages = _messages(_check(freg, form))
    assert "ikke et gyldig årstall" in messages[2][0]
    assert "før fødselsåret" in messages[3][0]


def test_extract__invalid_numbers__reported_and_left_out(
    tmp_path: Path, form: FormDefinition
) -> None:
    (good,) = synthetic_numbers(1)
    broken = good[:10] + str((int(good[10]) + 1) % 10)
    path = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(good, "SOM", "", "", ""), (broken, "SOM", "", "", ""), ("1234", "SOM", "", "", "")],
    )
    checked = _check(path, form)
    assert [row.line for row in checked.good] == [2]
    assert [(p.line, p.column) for p in checked.problems] == [
        (3, "fodselsnummer"),
        (4, "fodselsnummer"),
    ]


def test_extract__synthetic_number_in_production__refused(
    tmp_path: Path, form: FormDefinition
) -> None:
    (number,) = synthetic_numbers(1)
    path = write_csv(tmp_path / "freg.csv", FREG_HEADER, [(number, "SOM", "gift", 2015, "")])
    checked = _check(path, form, allow_synthetic=False)
    assert checked.good == ()
    assert "testinstallasjon" in checked.problems[0].message


def test_extract__duplicated_person__repeat_and_conflict_reported(
    tmp_path: Path, form: FormDefinition
) -> None:
    a, b = synthetic_numbers(2)
    path = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [
            (a, "SOM", "gift", 2015, ""),
            (b, "SYR", "ugift", 2019, ""),
            (a, "SOM", "gift", 2015, ""),  # exact repeat: only this line is bad
            (b, "SYR", "gift", 2019, ""),  # conflict: both b lines are bad
        ],
    )
    checked = _check(path, form)
    assert [row.line for row in checked.good] == [2]
    messages = _messages(checked)
    assert sorted(messages) == [3, 4, 5]
    assert "Duplikat" in messages[4][0] and "linje 2" in messages[4][0]
    assert "Motstridende" in messages[3][0] and "Motstridende" in messages[5][0]


def test_extract__repeated_pad_test__duplicate_reported(
    tmp_path: Path, form: FormDefinition
) -> None:
    (number,) = synthetic_numbers(1)
    path = write_csv(
        tmp_path / "pad.csv",
        PAD_HEADER,
        [
            (number, "2024-01-10", 1, 4),
            (number, "2024-01-10", 2, 4),  # another test the same day: fine
            (number, "10.01.2024", 1, 4),  # the first test again
        ],
    )
    checked = _check(path, form)
    assert [row.line for row in checked.good] == [2, 3]
    assert [p.line for p in checked.problems] == [4]


def test_extract__ragged_csv_row_and_json_shapes__reported(
    tmp_path: Path, form: FormDefinition
) -> None:
    (number,) = synthetic_numbers(1)
    csv_path = tmp_path / "pad.csv"
    csv_path.write_text(
        ";".join(PAD_HEADER) + f"\n{number};2024-01-10;1\n\n{number};2024-01-11;1;4\n",
        encoding="utf-8",
    )
    checked = _check(csv_path, form)
    assert [row.line for row in checked.good] == [4]
    assert checked.problems[0].line == 2 and "3 felt" in checked.problems[0].message

    json_path = tmp_path / "pad.json"
    json_path.write_text(
        "[\n"
        f'  {{"fodselsnummer": "{number}", "provedato": "2024-01-10", "provetype": 1}},\n'
        '  "tekst",\n'
        f'  {{"fodselsnummer": "{number}", "provedato": "2024-01-11", "provetype": 1, '
        '"proveresultat": 4, "kommentar": "x"}\n'
        "]\n",
        encoding="utf-8",
    )
    messages = _messages(_check(json_path, form))
    assert "«proveresultat»" in messages[2][0]
    assert "ikke et JSON-objekt" in messages[3][0]
    assert "«kommentar»" in messages[4][0]


# --- size --------------------------------------------------------------------------------


@pytest.mark.slow
def test_extract__50000_row_pad_file__every_row_read_and_the_bad_one_found(
    tmp_path: Path, form: FormDefinition
) -> None:
    numbers = synthetic_numbers(12_500)
    rows = [
        (number, f"2024-0{1 + test}-15", 1 + test, 4 + test % 3)
        for number in numbers
        for test in range(4)
    ]
    rows[49_999] = (numbers[-1], "2024-04-15", 4, "Z9")  # one bad row at the very end
    path = write_csv(tmp_path / "pad.csv", PAD_HEADER, rows)
    checked = _check(path, form)
    assert checked.row_count == 50_000
    assert len(checked.good) == 49_999
    assert [p.line for p in checked.problems] == [50_001]
