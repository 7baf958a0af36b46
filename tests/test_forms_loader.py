"""Form files: shipped forms load cleanly; every planted mistake is reported."""

from __future__ import annotations

import copy
import functools
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_support import FORM_PATH

from jsdesk.errors import UserError
from jsdesk.forms import FormLoadError, FormProblem, VarType
from jsdesk.rules import (
    check_form_file,
    default_form,
    form_by_version,
    load_form,
    shipped_form_paths,
)


@functools.cache
def _shipped_data() -> dict[str, Any]:
    data = yaml.load(FORM_PATH.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    assert isinstance(data, dict)
    return data


def shipped_data() -> dict[str, Any]:
    return copy.deepcopy(_shipped_data())


def write(tmp_path: Path, data: object, name: str = "utkast.yaml") -> Path:
    path = tmp_path / name
    text = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def variable(data: dict[str, Any], name: str) -> dict[str, Any]:
    for item in data["variables"]:
        if item["name"] == name:
            return item  # type: ignore[no-any-return]
        for sub in item.get("fields") or []:
            if sub["name"] == name:
                return sub  # type: ignore[no-any-return]
    raise KeyError(name)


def rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in data["rules"] if r["id"] == rule_id)  # type: ignore[no-any-return]


# --- shipped forms ------------------------------------------------------------------


def test_shipped__at_least_one_form() -> None:
    assert FORM_PATH in shipped_form_paths()


@pytest.mark.parametrize("path", shipped_form_paths(), ids=lambda p: p.name)
def test_shipped__every_form__loads_and_passes_check(path: Path) -> None:
    assert check_form_file(path) == []
    form = load_form(path)
    assert form.variables and form.rules


def test_shipped__form_versions__unique() -> None:
    versions = [load_form(path).version for path in shipped_form_paths()]
    assert len(versions) == len(set(versions))


def test_shipped__default_form__2023_form_with_all_variables() -> None:
    form = default_form()
    assert form is default_form()
    assert form_by_version(form.version) is form
    assert form.valid_from == date(2023, 1, 1)
    assert form.register_opened == date(2023, 1, 1)
    assert [v.id for v in form.part_variables(1)] == ["1", "2", "3", "5", "6", "7", "8", "9"]
    group = form.variable("proveresultater")
    assert group.type is VarType.GROUP
    assert [f.name for f in group.fields] == ["provedato", "provetype", "proveresultat"]
    assert form.variable("provetype").group == "proveresultater"
    assert form.variable("deltatt_intro").code_text(1) == "Ja"
    assert form.variable("kommunenummer").is_input
    assert not form.variable("sivilstand").is_input


def test_form_by_version__unknown__user_error() -> None:
    with pytest.raises(UserError, match=r"1999\.9"):
        form_by_version("1999.9")


def test_roundtrip__dumped_copy__still_clean(tmp_path: Path) -> None:
    assert check_form_file(write(tmp_path, shipped_data())) == []


def test_unknown_codes__declared_by_the_form__not_guessed_from_the_text(tmp_path: Path) -> None:
    data = shipped_data()
    fravar = variable(data, "fravar")
    declared = [code["code"] for code in fravar["codes"] if code.get("unknown")]
    assert declared == [9]  # «Ukjent»
    for code in fravar["codes"]:
        code.pop("unknown", None)
        if code["code"] == 1:
            code["unknown"] = True  # the form's word, whatever the text says
    form = load_form(write(tmp_path, data))
    assert form.variable("fravar").unknown_codes == frozenset({1})
    assert "Ukjent" in form.variable("fravar").code_text(9)


def test_unknown_codes__not_true_or_false__reported(tmp_path: Path) -> None:
    data = shipped_data()
    variable(data, "fravar")["codes"][0]["unknown"] = "ja"
    problems = [str(p) for p in check_form_file(write(tmp_path, data))]
    assert any("«unknown» i kode" in p and "true eller false" in p for p in problems), problems


# --- planted mistakes -------------------------------------------------------------------


def plant_all(data: dict[str, Any]) -> None:
    variable(data, "deltatt_intro")["lable"] = "skrivefeil"  # unknown key
    variable(data, "antall_barn")["name"] = "omsorgsansvar_barn"  # duplicate name
    fravar = variable(data, "fravar")
    fravar["codes"].append(copy.deepcopy(fravar["codes"][0]))  # duplicate code
    rule(data, "intro_avsluttet_dato_aktiv")["when"] = "deltatt_intr == 1"  # unknown variable
    rule(data, "hovedarsak_avbrutt_aktiv")["when"] = "hovedarsak_avslutning == 19"  # unknown code
    variable(data, "oppstartsdato")["valid_from"] = "01.01.2023"  # malformed validity
    variable(data, "avslutningsdato")["valid_to"] = "2022-12-31"  # ends before it starts
    type_arbeid = variable(data, "type_arbeid")  # overlapping periods for one code
    type_arbeid["codes"].append(
        {"code": 9, "text": "Vet ikke", "valid_from": "2024-01-01", "valid_to": None}
    )


def test_planted__all_mistakes__all_reported(tmp_path: Path) -> None:
    data = shipped_data()
    plant_all(data)
    path = write(tmp_path, data)
    problems = check_form_file(path)
    text = "\n".join(str(p) for p in problems)
    assert all(p.file == str(path) for p in problems)
    expected = [
        ("deltatt_intro", "ukjent nøkkel «lable»"),
        ("omsorgsansvar_barn", "variabelnavnet står mer enn én gang"),
        ("fravar", "kode 1 står mer enn én gang"),
        ("intro_avsluttet_dato", "ukjent variabel «deltatt_intr»"),
        ("hovedarsak_avbrutt", "nevner kode 19, som «hovedarsak_avslutning» ikke har"),
        ("oppstartsdato", "«valid_from» i variabelen må være en gyldig dato"),
        ("avslutningsdato", "gyldighet slutter (2022-12-31) før den begynner"),
        ("type_arbeid", "kode 9 står mer enn én gang med overlappende gyldighet"),
    ]
    for name, fragment in expected:
        assert any(p.variable == name and fragment in p.message for p in problems), (
            f"{name}: {fragment}\n{text}"
        )


def test_planted__load_form__raises_with_every_problem(tmp_path: Path) -> None:
    data = shipped_data()
    plant_all(data)
    path = write(tmp_path, data)
    with pytest.raises(FormLoadError) as info:
        load_form(path)
    assert info.value.problems == check_form_file(path)
    assert len(info.value.problems) >= 8


def test_problem__str__file_variable_problem() -> None:
    assert str(FormProblem("f.yaml", "bydel", "feil")) == "f.yaml: variabel bydel: feil"
    assert str(FormProblem("f.yaml", None, "feil")) == "f.yaml: feil"


def test_problem__has_line_number(tmp_path: Path) -> None:
    data = shipped_data()
    variable(data, "deltatt_intro")["lable"] = "x"
    (problem,) = check_form_file(write(tmp_path, data))
    assert "(linje " in problem.message


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.update(extra=1), "ukjent nøkkel «extra» på toppnivå"),
        (lambda d: d["rules"][0].update(id=5), "en regel mangler «id»"),
        (lambda d: d["rules"][0].update(id=""), "regel «» mangler «id»"),
        (lambda d: d["form"].update(valid_to="2020-01-01"), "skjemaets gyldighet slutter"),
        (lambda d: d.pop("parts"), "mangler nøkkelen «parts»"),
        (lambda d: variable(d, "fravar").update(type="kodeverk"), "«type» i variabelen må være"),
        (lambda d: variable(d, "fravar").update(part=7), "skjemadel 7 finnes ikke"),
        (lambda d: variable(d, "fravar").update(source="NAV"), "«source» i variabelen"),
        (lambda d: variable(d, "fravar").pop("codes"), "kodede variabler må ha «codes»"),
        (lambda d: variable(d, "fravar").update(exclusive_codes=[9]), "bare multicode"),
        (
            lambda d: variable(d, "sted_arbeidspraksis").update(exclusive_codes=[99]),
            "nevner kode 99, som ikke finnes",
        ),
        (lambda d: variable(d, "fravar")["codes"][0].update(kode=1), "ukjent nøkkel «kode»"),
        (
            lambda d: variable(d, "hovedarsak_avslutning")["code_groups"][0]["codes"].append(3),
            "kode 3 står i både kodegruppe arbeid og utdanning",
        ),
        (
            lambda d: variable(d, "hovedarsak_avslutning")["code_groups"].pop(),
            "kode 99 står ikke i noen kodegruppe",
        ),
        (
            lambda d: variable(d, "hovedarsak_avslutning")["code_groups"][0]["codes"].append(77),
            "kodegruppe arbeid nevner kode 77, som ikke finnes",
        ),
        (
            lambda d: variable(d, "fravar").update(
                code_groups=[{"name": "x", "text": "X", "codes": [1]}]
            ),
            "kode 2 står ikke i noen kodegruppe",
        ),
        (
            lambda d: variable(d, "tiltak_for_jobbsjansen").update(
                code_groups=[{"name": "x", "text": "X", "codes": [1]}]
            ),
            "bare code-variabler kan ha «code_groups»",
        ),
        (
            lambda d: variable(d, "hovedarsak_avslutning")["code_groups"][0].update(goal="ja"),
            "«goal» i kodegruppe arbeid må være true eller false",
        ),
        (
            lambda d: variable(d, "fravar")["codes"][0].update(valid_from="2022-01-01"),
            "gjelder fra før variabelen",
        ),
        (
            lambda d: variable(d, "finansieringstype")["codes"][0].update(valid_to=None),
            "gjelder etter at variabelen slutter",
        ),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "regel-id «intro_avsluttet_dato_aktiv»"),
        (lambda d: rule(d, "antall_barn_aktiv").update(kind="hide"), "«kind» i regel"),
        (
            lambda d: rule(d, "antall_barn_aktiv").update(when="omsorgsansvar_barn =="),
            "feil i «when»",
        ),
        (
            lambda d: rule(d, "antall_barn_aktiv").update(variable="barn"),
            "variabel som ikke finnes",
        ),
        (lambda d: rule(d, "antall_barn_hoyt").update(code="TOO_MANY"), "ukjent kode «TOO_MANY»"),
        (lambda d: rule(d, "antall_barn_hoyt").update(message="{lable}"), "plassholder «{lable}»"),
        (lambda d: rule(d, "antall_barn_hoyt").update(value="1"), "ukjent nøkkel «value»"),
        (
            lambda d: rule(d, "antall_barn_hoyt").update(**{"assert": "provetype == 1"}),
            "bare finnes i gruppen «proveresultater»",
        ),
        (
            lambda d: rule(d, "antall_barn_hoyt").update(**{"assert": "fodselsar == 1"}),
            "",
        ),
        (
            lambda d: rule(d, "antall_barn_hoyt").update(**{"assert": "kommunenummer == 1"}),
            "skriv tekstverdier i anførselstegn",
        ),
        (lambda d: rule(d, "antall_barn_hoyt").update(**{"assert": "len(x)"}), "ukjent funksjon"),
    ],
)
def test_check__single_mistake__reported(tmp_path: Path, mutate: Any, fragment: str) -> None:
    data = shipped_data()
    mutate(data)
    problems = check_form_file(write(tmp_path, data))
    if fragment == "":
        assert problems == []  # control: a harmless change is not a problem
    else:
        assert any(fragment in p.message for p in problems), [str(p) for p in problems]


def test_check__duplicate_yaml_key__reported(tmp_path: Path) -> None:
    text = FORM_PATH.read_text(encoding="utf-8").replace(
        '  version: "2023.1"', '  version: "2023.1"\n  version: "2023.2"', 1
    )
    path = tmp_path / "dobbel.yaml"
    path.write_text(text, encoding="utf-8")
    problems = check_form_file(path)
    assert [p.message for p in problems] == [
        "nøkkelen «version» står to ganger i samme blokk (linje 14)"
    ]


def test_check__yaml_syntax_error__reported_with_line(tmp_path: Path) -> None:
    path = tmp_path / "brutt.yaml"
    path.write_text("form:\n  version: [1,\n", encoding="utf-8")
    (problem,) = check_form_file(path)
    assert problem.file == str(path)
    assert "ikke gyldig YAML" in problem.message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(None, "filen finnes ikke"), (b"\xff\xfe\x00", "ikke UTF-8"), (b"- 1\n", "må inneholde")],
)
def test_check__unusable_file__one_problem(
    tmp_path: Path, content: bytes | None, fragment: str
) -> None:
    path = tmp_path / "skjema.yaml"
    if content is not None:
        path.write_bytes(content)
    problems = check_form_file(path)
    assert len(problems) == 1 and fragment in problems[0].message
