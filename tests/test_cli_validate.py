"""`jsdesk validate`: output formats, exit codes, unreadable files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from engine_support import FORM_PATH, aktiv_record, avsluttet_record, classic_number

from jsdesk.cli import main


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    code = main(["validate", "--format", "json", *args])
    output = json.loads(capsys.readouterr().out)
    assert isinstance(output, list)
    return code, output


def test_validate__valid_records__exit_0_and_json_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_json(tmp_path / "r.json", [aktiv_record(), avsluttet_record()])
    code, output = run_json(capsys, "--allow-synthetic", str(path))
    assert code == 0
    assert [(r["source"], r["index"], r["valid"], r["stage"]) for r in output] == [
        (str(path), 0, True, "aktiv"),
        (str(path), 1, True, "avsluttet"),
    ]
    derived = output[0]["derived"]
    assert isinstance(derived, dict)
    assert set(derived) == {"person_id", "fodselsar", "kommunenavn"}
    assert derived["fodselsar"] == 1990 and derived["kommunenavn"] == "Stavanger"
    assert output[0]["findings"] == []


def test_validate__single_object_file__one_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_json(tmp_path / "r.json", aktiv_record())
    code, output = run_json(capsys, "--allow-synthetic", str(path))
    assert code == 0 and len(output) == 1 and output[0]["index"] == 0


def test_validate__synthetic_without_flag__exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_json(tmp_path / "r.json", aktiv_record())
    code, output = run_json(capsys, str(path))
    assert code == 1
    assert output[0]["valid"] is False
    assert output[0]["findings"] == [
        {
            "variable": "fodselsnummer",
            "severity": "error",
            "code": "SYNTHETIC_FNR",
            "message": output[0]["findings"][0]["message"],  # type: ignore[index]
        }
    ]


def test_validate__production_number__accepted_without_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # built at run time, never stored in the repository (see engine_support)
    path = write_json(tmp_path / "r.json", aktiv_record(fodselsnummer=classic_number()))
    code, output = run_json(capsys, str(path))
    assert code == 0 and output[0]["valid"] is True


def test_validate__errors_and_warnings__findings_with_group_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = {"provedato": "2024-01-10", "provetype": 5, "proveresultat": 6}
    records = [
        aktiv_record(omsorgsansvar_barn=1, antall_barn=16),
        aktiv_record(
            deltatt_intro=1, intro_avsluttet_dato="31.12.2023", proveresultater=[entry], ukjent=1
        ),
    ]
    path = write_json(tmp_path / "r.json", records)
    code, output = run_json(capsys, "--allow-synthetic", str(path))
    assert code == 1
    assert output[0]["valid"] is True
    assert [(f["code"], f["severity"]) for f in output[0]["findings"]] == [  # type: ignore[union-attr]
        ("UNUSUAL_VALUE", "warning")
    ]
    findings = output[1]["findings"]
    assert isinstance(findings, list)
    assert [(f["variable"], f.get("index"), f["code"]) for f in findings] == [
        ("intro_avsluttet_dato", None, "INVALID_DATE"),
        ("proveresultat", 0, "INVALID_TEST_RESULT"),
        ("ukjent", None, "UNKNOWN_VARIABLE"),
    ]


def test_validate__only_warnings__exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_json(tmp_path / "r.json", [aktiv_record(omsorgsansvar_barn=1, antall_barn=20)])
    assert main(["validate", "--allow-synthetic", str(path)]) == 0


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "ikke gyldig JSON (linje 1"),
        (b"[1, 2]", "element 0 i listen er ikke et JSON-objekt"),
        (b'"tekst"', "ett JSON-objekt eller en liste"),
        (b'{"a": 1, "a": 2}', "nøkkelen «a» står to ganger"),
        (b'{"a": NaN}', "NaN er ikke gyldig JSON"),
        (b"\xff\xfe{}", "ikke UTF-8"),
    ],
)
def test_validate__unreadable_file__exit_2_others_still_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, fragment: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    good = write_json(tmp_path / "good.json", aktiv_record())
    code = main(["validate", "--format", "json", "--allow-synthetic", str(bad), str(good)])
    captured = capsys.readouterr()
    assert code == 2
    assert fragment in captured.err and str(bad) in captured.err
    assert [r["source"] for r in json.loads(captured.out)] == [str(good)]


def test_validate__missing_file__exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(tmp_path / "borte.json")])
    assert code == 2
    assert "filen finnes ikke" in capsys.readouterr().err


def test_validate__text_format__summary_without_fnr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = aktiv_record(deltatt_intro=None)
    path = write_json(tmp_path / "r.json", [record])
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}[0]: UGYLDIG (aktiv; 2 feil, 0 advarsler)" in out
    assert "feil REQUIRED deltatt_intro: «Har personen vært deltager" in out
    assert "0 av 1 deltakelser er gyldige." in out
    assert str(record["fodselsnummer"]) not in out


def test_validate__form_option__uses_that_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    form = tmp_path / "pilot.yaml"
    shutil.copy(FORM_PATH, form)
    text = form.read_text(encoding="utf-8").replace('version: "2023.1"', 'version: "pilot-1"', 1)
    form.write_text(text, encoding="utf-8")
    path = write_json(tmp_path / "r.json", aktiv_record(ukjent=1))
    code, output = run_json(capsys, "--allow-synthetic", "--form", str(form), str(path))
    assert code == 1
    assert "pilot-1" in output[0]["findings"][0]["message"]  # type: ignore[index]


def test_validate__broken_form_option__exit_2_with_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    form = tmp_path / "pilot.yaml"
    form.write_text("form: {}\n", encoding="utf-8")
    path = write_json(tmp_path / "r.json", aktiv_record())
    assert main(["validate", "--form", str(form), str(path)]) == 2
    err = capsys.readouterr().err
    assert "kan ikke brukes" in err and "mangler nøkkelen «parts»" in err
