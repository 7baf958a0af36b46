"""Engine paths the shipped form does not exercise, built from draft forms.

A draft is the shipped form with one change, written to a temporary file and loaded
by the real loader, so the documented format (``kind: require``, group fields with
their own validity) is tested as a pilot user would write it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_support import FORM_PATH, aktiv_record, codes_for, run

from jsdesk.forms import FormDefinition
from jsdesk.rules import FindingCode, load_form

Draft = Callable[[Callable[[dict[str, Any]], None]], FormDefinition]


@pytest.fixture
def draft(tmp_path: Path) -> Draft:
    def make(change: Callable[[dict[str, Any]], None]) -> FormDefinition:
        data = yaml.safe_load(FORM_PATH.read_text(encoding="utf-8"))
        data["form"]["version"] = "2023.1-utkast"
        change(data)
        path = tmp_path / "utkast.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        return load_form(path)

    return make


def _require_instead_of_enable(data: dict[str, Any]) -> None:
    rule = next(r for r in data["rules"] if r["id"] == "intro_avsluttet_dato_aktiv")
    rule.clear()
    rule.update(
        id="intro_avsluttet_dato_kreves",
        kind="require",
        variable="intro_avsluttet_dato",
        when="deltatt_intro == 1",
    )


def test_require_rule__condition_holds_and_value_missing__required_with_reason(
    draft: Draft,
) -> None:
    form = draft(_require_instead_of_enable)
    evaluation = run(aktiv_record(deltatt_intro=1), form)
    assert codes_for(evaluation, "intro_avsluttet_dato") == [FindingCode.REQUIRED]
    assert "fordi" in evaluation.findings_for("intro_avsluttet_dato")[0].message
    state = evaluation.states["intro_avsluttet_dato"]
    assert state.required and state.enabled


def test_require_rule__condition_fails__open_and_optional_not_locked(draft: Draft) -> None:
    form = draft(_require_instead_of_enable)
    evaluation = run(aktiv_record(deltatt_intro=2, intro_avsluttet_dato="2023-01-01"), form)
    assert codes_for(evaluation, "intro_avsluttet_dato") == []
    state = evaluation.states["intro_avsluttet_dato"]
    assert state.enabled and not state.required


def _provetype_from_2025(data: dict[str, Any]) -> None:
    group = next(v for v in data["variables"] if v["name"] == "proveresultater")
    field = next(f for f in group["fields"] if f["name"] == "provetype")
    field["valid_from"] = "2025-01-01"
    for code in field["codes"]:
        code["valid_from"] = "2025-01-01"


def test_group_field__not_applicable_on_start_date__error_on_the_entry(draft: Draft) -> None:
    form = draft(_provetype_from_2025)
    row = {"provedato": "2024-04-01", "provetype": 1, "proveresultat": 6}
    evaluation = run(aktiv_record(proveresultater=[row]), form)
    assert [(f.variable, f.index, f.code) for f in evaluation.findings] == [
        ("provetype", 0, FindingCode.NOT_APPLICABLE)
    ]


def test_group_field__not_applicable_and_missing__not_required(draft: Draft) -> None:
    form = draft(_provetype_from_2025)
    row = {"provedato": "2024-04-01", "proveresultat": 6}
    assert run(aktiv_record(proveresultater=[row]), form).findings == ()
    later = run(aktiv_record(oppstartsdato="2025-02-01", proveresultater=[row]), form)
    assert [(f.variable, f.index, f.code) for f in later.errors] == [
        ("provetype", 0, FindingCode.REQUIRED)
    ]


def test_locked_field__value_that_would_also_fail_a_check__only_locked() -> None:
    # antall_barn is locked without omsorgsansvar_barn 1; 0 would also break «minst 1».
    evaluation = run(aktiv_record(omsorgsansvar_barn=2, antall_barn=0))
    assert codes_for(evaluation, "antall_barn") == [FindingCode.LOCKED]
