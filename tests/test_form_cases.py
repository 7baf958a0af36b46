"""Form test cases: the shipped cases pass, a changed rule reports exactly its cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jsdesk.cli import main
from jsdesk.forms.model import RuleKind
from jsdesk.rules import default_form
from jsdesk.rules.cases import read_cases, run_cases, shipped_cases_dir

SHIPPED_FORM = Path(__file__).resolve().parent.parent / "forms" / "jobbsjansen-2023.yaml"


def test_shipped_cases__current_form__no_outcome_changed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["form", "test", str(SHIPPED_FORM), str(shipped_cases_dir())]) == 0
    out = capsys.readouterr().out
    cases = read_cases(shipped_cases_dir())
    assert f"{len(cases)} testtilfeller, ingen endret utfall med 2023.1." in out
    assert not any(result.changed for result in run_cases(default_form(), cases))


def test_shipped_cases__every_dependency_rule__both_directions_exercised() -> None:
    cases = {case.name: case for case in read_cases(shipped_cases_dir())}
    enable_rules = [rule for rule in default_form().rules if rule.kind is RuleKind.ENABLE]
    assert len(enable_rules) >= 8
    for rule in enable_rules:
        met, not_met = cases[f"{rule.id}-pa"], cases[f"{rule.id}-av"]
        off = not_met.outcome
        # With the condition not met, the value given is refused or warned about.
        assert rule.variable in {**off.errors, **off.warnings}, rule.id
        on = met.outcome
        if rule.required:
            assert "REQUIRED" in on.errors.get(rule.variable, ()), rule.id
        else:
            assert rule.variable not in on.errors, rule.id


def _changed_rule_copy(tmp_path: Path) -> Path:
    text = SHIPPED_FORM.read_text(encoding="utf-8")
    old = 'variable: antall_barn\n    when: "omsorgsansvar_barn == 1"'
    assert old in text
    copy = tmp_path / "endret.yaml"
    copy.write_text(
        text.replace(old, 'variable: antall_barn\n    when: "omsorgsansvar_barn == 2"'),
        encoding="utf-8",
    )
    return copy


def test_form_test__one_rule_changed__reports_exactly_its_cases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = _changed_rule_copy(tmp_path)
    cases = str(shipped_cases_dir())
    assert main(["form", "test", str(changed), cases, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    names = {item["name"] for item in report["changed"]}
    assert names == {"antall_barn_aktiv-pa", "antall_barn_aktiv-av"}
    by_name = {item["name"]: item for item in report["changed"]}
    assert by_name["antall_barn_aktiv-av"]["before"]["errors"] == {"antall_barn": ["LOCKED"]}
    assert by_name["antall_barn_aktiv-av"]["now"]["valid"] is True

    assert main(["form", "test", str(changed), cases]) == 1
    table = capsys.readouterr().out
    assert "antall_barn_aktiv-pa" in table and "antall_barn_aktiv-av" in table
    assert "2 av 17 testtilfeller har endret utfall." in table
    assert "bydel_aktiv" not in table


def test_form_diff__changed_rule__names_the_cases_it_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = _changed_rule_copy(tmp_path)
    assert main(["form", "diff", str(SHIPPED_FORM), str(changed)]) == 1
    out = capsys.readouterr().out
    assert "Testtilfeller i cases/ som får et annet utfall med 2023.1: 2 av 17." in out
    assert "  antall_barn_aktiv-av: ugyldig (avsluttet); feil: antall_barn LOCKED → gyldig" in out


def test_form_test__unreadable_case__exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "skadet.json").write_text("{ikke json", encoding="utf-8")
    assert main(["form", "test", str(SHIPPED_FORM), str(tmp_path)]) == 2
    assert "skadet.json er ikke gyldig JSON" in capsys.readouterr().err
