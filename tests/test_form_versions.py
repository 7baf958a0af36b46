"""Form versions: ``jsdesk form diff`` and moving a database's records to a new version.

The "new" version is a modified copy of the shipped form written to tmp_path:
version 2026.1, variable 16 ``antall_barn`` and its rules removed, code 9 of 39
``fravar`` ended on 31.12.2023, a new code in 37, a new optional variable, a
changed label and a changed rule message. Moving records (``form migrate``) runs on both
back ends.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_support import shipping
from sqlalchemy import select
from storage_helpers import Installation

from jsdesk.cli import main
from jsdesk.demo import generate_participations
from jsdesk.errors import UserError
from jsdesk.forms.diff import ChangeKind, diff_forms
from jsdesk.rules import default_form, load_form, shipped_form_paths
from jsdesk.storage import Status
from jsdesk.storage.form_migration import plan_migration
from jsdesk.storage.models import AuditEvent

TODAY = dt.date(2026, 11, 29)


def _write_new_version(folder: Path) -> Path:
    (shipped,) = (p for p in shipped_form_paths() if "2023" in p.name)
    data: dict[str, Any] = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["form"]["version"] = "2026.1"
    data["form"]["valid_from"] = "2026-01-01"
    variables = data["variables"]
    by_name = {variable["name"]: variable for variable in variables}
    variables.remove(by_name["antall_barn"])
    data["rules"] = [
        rule
        for rule in data["rules"]
        if rule["variable"] != "antall_barn"
        and "antall_barn" not in " ".join(str(rule.get(k, "")) for k in ("when", "assert"))
    ]
    for code in by_name["fravar"]["codes"]:
        if code["code"] == 9:
            code["valid_to"] = "2023-12-31"
    by_name["hovedarsak_avbrutt"]["codes"].insert(
        -1, {"code": 6, "text": "Startet i arbeid", "valid_from": "2026-01-01", "valid_to": None}
    )
    by_name["sivilstand"]["label"] = "Sivilstand (fra Folkeregisteret)"
    extra = dict(by_name["deltatt_intro"])
    extra.update(
        id="10-C",
        name="digital_kompetanse",
        label="Har deltakeren grunnleggende digitale ferdigheter?",
        importance="Ikke obligatorisk",
        valid_from="2026-01-01",
        codes=[{**code, "valid_from": "2026-01-01"} for code in extra["codes"]],
    )
    variables.insert(variables.index(by_name["deltatt_intro"]) + 1, extra)
    first_check = next(rule for rule in data["rules"] if rule["kind"] == "check")
    first_check["message"] = first_check["message"] + " (endret)"
    path = folder / "jobbsjansen-2026.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def new_form_path(tmp_path: Path) -> Path:
    folder = tmp_path / "utkast"
    folder.mkdir()
    return _write_new_version(folder)


# --- diff --------------------------------------------------------------------------------


def test_form_diff__modified_copy__lists_each_kind_of_change(new_form_path: Path) -> None:
    old = default_form()
    changes = {(c.kind, c.subject): c.detail for c in diff_forms(old, load_form(new_form_path))}
    assert "versjon «2023.1» → «2026.1»" in changes[(ChangeKind.CHANGED, "skjemaet")]
    assert (ChangeKind.REMOVED, "variabel antall_barn") in changes
    assert (ChangeKind.ADDED, "variabel digital_kompetanse") in changes
    assert "gyldig 01.01.2026-" in changes[(ChangeKind.ADDED, "variabel digital_kompetanse")]
    assert (
        "Sivilstand (fra Folkeregisteret)" in changes[(ChangeKind.CHANGED, "variabel sivilstand")]
    )
    assert changes[(ChangeKind.CHANGED, "kode 9 i fravar")] == (
        "gyldighet gyldig 01.01.2023- → gyldig 01.01.2023-31.12.2023"
    )
    assert "Startet i arbeid" in changes[(ChangeKind.ADDED, "kode 6 i hovedarsak_avbrutt")]
    assert (ChangeKind.REMOVED, "regel antall_barn_minst_ett") in changes
    assert any(
        kind is ChangeKind.CHANGED and subject.startswith("regel") and "(endret)" in detail
        for (kind, subject), detail in changes.items()
    )


def test_form_diff__same_file__no_changes_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    (shipped,) = (p for p in shipped_form_paths() if "2023" in p.name)
    assert main(["form", "diff", str(shipped), str(shipped)]) == 0
    assert "Ingen forskjeller" in capsys.readouterr().out


def test_form_diff__command__prints_changes_exit_1(
    new_form_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shipped,) = (p for p in shipped_form_paths() if "2023" in p.name)
    assert main(["form", "diff", str(shipped), str(new_form_path)]) == 1
    out = capsys.readouterr().out
    assert "fjernet: variabel antall_barn" in out
    assert "lagt til: kode 6 i hovedarsak_avbrutt" in out


def test_form_diff__json__lists_each_change_for_programs_exit_1(
    new_form_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shipped,) = (p for p in shipped_form_paths() if "2023" in p.name)
    assert main(["form", "diff", str(shipped), str(new_form_path), "--format", "json"]) == 1
    changes = json.loads(capsys.readouterr().out)
    assert {"kind": "removed", "subject": "variabel antall_barn"} in [
        {"kind": c["kind"], "subject": c["subject"]} for c in changes
    ]
    assert any(c["subject"] == "kode 6 i hovedarsak_avbrutt" for c in changes)


def test_form_diff__broken_new_file__problems_listed_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shipped,) = (p for p in shipped_form_paths() if "2023" in p.name)
    broken = tmp_path / "broken.yaml"
    broken.write_text("form: {version: 1}\nukjent: 2\n", encoding="utf-8")
    assert main(["form", "diff", str(shipped), str(broken)]) == 2
    assert "kan ikke brukes" in capsys.readouterr().err


# --- migrate -----------------------------------------------------------------------------


@pytest.fixture
def shipped_with_new(
    new_form_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Make jsdesk 'ship' both versions, as a release with the new form would."""
    with shipping(new_form_path, tmp_path / "forms", monkeypatch) as path:
        yield path


def _small_database(installation: Installation) -> dict[str, int]:
    """Three complete records under 2023.1: with antall_barn, with fravar 9 (2024), plain."""
    generated = [
        p for p in generate_participations(400, 7, today=TODAY) if p.complete and not p.warnings
    ]
    with_children = next(p.record for p in generated if "antall_barn" in p.record)
    late_ended = next(
        p.record
        for p in generated
        if "antall_barn" not in p.record
        and "fravar" in p.record
        and str(p.record["oppstartsdato"]) >= "2024-01-01"
    )
    plain = next(
        p.record
        for p in generated
        if "antall_barn" not in p.record
        and p.record.get("fravar") != 9
        and p.record is not late_ended
    )
    with installation.create(bydel=None) as db:  # the demo records are all over Oslo
        ids = {
            "children": db.create_participation(with_children, form_version="2023.1"),
            "fravar": db.create_participation({**late_ended, "fravar": 9}, form_version="2023.1"),
            "plain": db.create_participation(plain, form_version="2023.1"),
        }
        for pid in ids.values():
            assert db.get_participation(pid).status is Status.KOMPLETT
    return ids


def test_form_migrate__dry_run_then_apply__report_matches_what_happens(
    installation: Installation,
    shipped_with_new: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = _small_database(installation)
    monkeypatch.setenv("JSDESK_PASSPHRASE", installation.secret)
    db_path = str(installation.target)

    assert main(["form", "migrate", "--to", str(shipped_with_new), "--db", db_path]) == 0
    report = capsys.readouterr().out
    assert "3 registreringer flyttes" in report
    assert f"Deltakelse {ids['children']} " in report and "verdier fjernes: antall_barn" in report
    assert f"Deltakelse {ids['fravar']} " in report and "blir ufullstendig" in report
    assert "passer ikke lenger: fravar" in report
    assert f"Deltakelse {ids['plain']} " not in report
    assert "Prøvekjøring: ingenting er endret" in report
    with installation.reopen() as db:
        assert {db.get_participation(pid).form_version for pid in ids.values()} == {"2023.1"}
        assert db.get_participation(ids["children"]).values["antall_barn"] >= 1
        # Still validated with the version it was entered in, though 2026.1 is now current.
        assert default_form().version == "2026.1"
        db.set_value(ids["fravar"], "sivilstand", "uoppgitt")
        assert db.get_participation(ids["fravar"]).status is Status.KOMPLETT

    assert main(["form", "migrate", "--to", str(shipped_with_new), "--db", db_path, "--apply"]) == 0
    assert "Flyttet 3 registreringer til skjemaversjon 2026.1" in capsys.readouterr().out
    with installation.reopen() as db:
        records = {name: db.get_participation(pid) for name, pid in ids.items()}
        assert {r.form_version for r in records.values()} == {"2026.1"}
        assert "antall_barn" not in records["children"].values
        assert records["fravar"].status is Status.KLADD
        assert records["plain"].status is Status.KOMPLETT
        assert db.verify_audit().ok
        with db.read() as session:
            moved = session.scalars(
                select(AuditEvent.participation_id).where(
                    AuditEvent.action == "skjemaversjon endret"
                )
            ).all()
        assert sorted(moved) == sorted(ids.values())


def test_form_migrate__record_changed_after_dry_run__nothing_moved(
    installation: Installation, shipped_with_new: Path
) -> None:
    ids = _small_database(installation)
    target = load_form(shipped_with_new)
    with installation.reopen() as db:
        plan = plan_migration(db, target, today=TODAY)
        current = db.get_participation(ids["plain"]).values.get("sivilstand")
        db.set_value(ids["plain"], "sivilstand", "skilt" if current != "skilt" else "gift")
        with pytest.raises(UserError, match="endret eller slettet etter prøvekjøringen"):
            db.apply_form_migration(plan)
        assert {db.get_participation(pid).form_version for pid in ids.values()} == {"2023.1"}


def test_form_migrate__target_not_shipped__apply_refused(
    installation: Installation,
    new_form_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _small_database(installation)
    monkeypatch.setenv("JSDESK_PASSPHRASE", installation.secret)
    db_path = str(installation.target)
    code = main(["form", "migrate", "--to", str(new_form_path), "--db", db_path, "--apply"])
    assert code == 1
    assert "ikke en av skjemaversjonene" in capsys.readouterr().err
