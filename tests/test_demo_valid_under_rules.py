"""Generated demo records against the shipped form's rule engine."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from jsdesk.cli import main
from jsdesk.demo import DemoParticipation, generate_participations
from jsdesk.domain.fnr import PersonKey
from jsdesk.rules import FindingCode, Severity, Stage, default_form, evaluate

TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module", params=[1, 2, 3])
def participations(request: pytest.FixtureRequest) -> list[DemoParticipation]:
    return generate_participations(500, seed=request.param, today=TODAY)


def test_demo__complete_records__no_errors_only_flagged_warnings(
    participations: list[DemoParticipation],
) -> None:
    form = default_form()
    for p in participations:
        if not p.complete:
            continue
        evaluation = evaluate(form, p.record, allow_synthetic=True, today=TODAY)
        assert [f.to_json() for f in evaluation.errors] == []
        assert evaluation.valid
        assert {f.variable for f in evaluation.warnings} == set(p.warnings)


def test_demo__incomplete_records__only_required_errors_in_parts_3_4(
    participations: list[DemoParticipation],
) -> None:
    form = default_form()
    incomplete = [p for p in participations if not p.complete]
    assert incomplete
    for p in incomplete:
        evaluation = evaluate(form, p.record, allow_synthetic=True, today=TODAY)
        assert evaluation.stage is Stage.AVSLUTTET
        assert not evaluation.valid
        assert {f.code for f in evaluation.errors} == {FindingCode.REQUIRED}
        assert {form.variable(f.variable).part for f in evaluation.errors} <= {3, 4}


def test_demo__stage__avsluttet_exactly_when_part_4_given(
    participations: list[DemoParticipation],
) -> None:
    form = default_form()
    stages = set()
    for p in participations:
        evaluation = evaluate(form, p.record, allow_synthetic=True, today=TODAY)
        closed = "hovedarsak_avslutning" in p.record
        assert evaluation.stage is (Stage.AVSLUTTET if closed else Stage.AKTIV)
        stages.add(evaluation.stage)
    assert stages == {Stage.AKTIV, Stage.AVSLUTTET}


def test_demo__without_allow_synthetic__every_number_refused(
    participations: list[DemoParticipation],
) -> None:
    form = default_form()
    for p in participations:
        evaluation = evaluate(form, p.record, allow_synthetic=False, today=TODAY)
        fnr_errors = [
            f
            for f in evaluation.findings
            if f.variable == "fodselsnummer" and f.severity is Severity.ERROR
        ]
        assert fnr_errors, "a generated number was accepted as a real fødselsnummer"


def test_demo__derived_values__person_id_and_kommunenavn(
    participations: list[DemoParticipation],
) -> None:
    form = default_form()
    key = PersonKey.random()
    for p in participations[:100]:
        derived = evaluate(
            form, p.record, allow_synthetic=True, today=TODAY, person_key=key
        ).derived
        assert derived["person_id"]
        assert derived["kommunenavn"]


def test_demo__validate_command__complete_records_pass_only_with_allow_synthetic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [p.record for p in generate_participations(200, seed=9) if p.complete]
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(records), encoding="utf-8")

    assert main(["validate", "--allow-synthetic", "--format", "json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report) == len(records)
    assert all(entry["valid"] for entry in report)

    assert main(["validate", "--format", "json", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not any(entry["valid"] for entry in report)
