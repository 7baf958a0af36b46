"""Records entered under an older form version open and validate with that version."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_support import shipping
from PySide6.QtWidgets import QRadioButton
from pytestqt.qtbot import QtBot
from storage_helpers import Installation
from ui_support import FORM_VERSION, open_installation_window, synthetic

from jsdesk.errors import UserError
from jsdesk.forms import FormDefinition
from jsdesk.reports.quality import quality_list
from jsdesk.rules import default_form, evaluate, form_by_version, load_form, shipped_form_paths
from jsdesk.submission.create import plan_submission

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

NEW_VERSION = "2099.1"
NEW_LABEL = "Har personen deltatt i introduksjonsprogrammet (ny versjon)?"


@pytest.fixture
def new_form_path(tmp_path: Path) -> Path:
    """A modified copy of the shipped form: new version number, a third answer to
    ``deltatt_intro`` and a new label."""
    (shipped,) = (p for p in shipped_form_paths() if FORM_VERSION.split(".")[0] in p.name)
    data: dict[str, Any] = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["form"]["version"] = NEW_VERSION
    (intro,) = (v for v in data["variables"] if v["name"] == "deltatt_intro")
    intro["label"] = NEW_LABEL
    intro["codes"].append({"code": 3, "text": "Delvis", "valid_from": "2023-01-01"})
    path = tmp_path / "jobbsjansen-2099.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def new_form(
    new_form_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FormDefinition]:
    """The new version shipped beside the old one, as a release with it would ship it."""
    with shipping(new_form_path, tmp_path / "forms", monkeypatch):
        yield form_by_version(NEW_VERSION)


def test_form_versions__form_not_shipped__unknown_by_version_known_where_passed(
    new_form_path: Path, installation: Installation
) -> None:
    draft = load_form(new_form_path)
    with pytest.raises(UserError, match=r"2099\.1"):
        form_by_version(NEW_VERSION)  # loading a form file makes nothing process-wide know it
    with installation.create() as db:
        values = {"fodselsnummer": synthetic(date(1989, 6, 7), 310), "deltatt_intro": 3}
        pid = db.add_participation(values, form=draft).participation_id
        with pytest.raises(UserError, match=r"2099\.1"):
            plan_submission(db)
        (left_out,) = plan_submission(db, forms=lambda _version: draft).excluded
        assert left_out.id == pid
        listed = quality_list(db, forms=lambda _version: draft).items
        assert {item.participation_id for item in listed} == {pid}


def test_form_versions__shipped_new_version__found_by_version_default_unchanged(
    new_form: FormDefinition,
) -> None:
    assert new_form.version == NEW_VERSION
    assert form_by_version(FORM_VERSION) is default_form()
    assert default_form().version == FORM_VERSION  # same start date: the first file wins


def test_ui_form_versions__old_and_new_records__each_shown_and_validated_with_its_version(
    qtbot: QtBot,
    new_form: FormDefinition,
    installation: Installation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old_values = {
        "fodselsnummer": synthetic(date(1988, 5, 6), 300),
        "oppstartsdato": "2025-02-03",
        "deltatt_intro": 1,
    }
    new_values = {
        "fodselsnummer": synthetic(date(1989, 6, 7), 310),
        "oppstartsdato": "2025-02-03",
        "deltatt_intro": 3,
    }
    with installation.create() as db:
        old_id = db.create_participation(old_values, form_version=FORM_VERSION)
        new_id = db.create_participation(new_values, form_version=NEW_VERSION)
    # Under the old version the new answer is wrong: the new record must not be
    # validated with it.
    old_findings = evaluate(default_form(), new_values, allow_synthetic=True).findings
    assert any(f.variable == "deltatt_intro" for f in old_findings)

    window = open_installation_window(qtbot, installation, monkeypatch)

    old = window.open_participation(old_id)
    assert old is not None and old.form.version == FORM_VERSION
    assert old.findChild(QRadioButton, "deltatt_intro_3") is None
    assert old.findChild(QRadioButton, "deltatt_intro_1").isChecked()  # type: ignore[union-attr]
    assert NEW_LABEL not in old.fields["deltatt_intro"].label.text().replace("&", "")

    new = window.open_participation(new_id)
    assert new is not None and new.form.version == NEW_VERSION
    third = new.findChild(QRadioButton, "deltatt_intro_3")
    assert third is not None and third.isChecked()
    assert NEW_LABEL in new.fields["deltatt_intro"].label.text().replace("&", "")
    assert "Feil" not in new.fields["deltatt_intro"].message.text()
    assert new.evaluation is not None
    assert not [f for f in new.evaluation.findings if f.variable == "deltatt_intro"]
    window.close()
