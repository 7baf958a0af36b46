"""No lost updates: a save over a newer version merges other fields and refuses
a field the other writer changed, on both back ends."""

from __future__ import annotations

import pytest
from storage_helpers import FORM_VERSION, record

from jsdesk.storage import Database, RecordConflict


def test_newer_version__other_field__merged(any_db: Database) -> None:
    pid = any_db.create_participation(record(1), form_version=FORM_VERSION)
    seen = any_db.get_participation(pid)
    any_db.set_values(pid, {"kjonn": "2"})  # the other caseworker
    change = any_db.set_values(
        pid, {"sivilstand": "1"}, base_version=seen.record_version, base=seen.values
    )
    stored = any_db.get_participation(pid)
    assert stored.values["kjonn"] == "2" and stored.values["sivilstand"] == "1"
    assert change.record_version == seen.record_version + 2


def test_newer_version__same_field__refused_with_both_values(any_db: Database) -> None:
    pid = any_db.create_participation(record(1), form_version=FORM_VERSION)
    seen = any_db.get_participation(pid)
    any_db.set_values(pid, {"kjonn": "2"})
    with pytest.raises(RecordConflict) as caught:
        any_db.set_values(pid, {"kjonn": "1"}, base_version=seen.record_version, base=seen.values)
    ((field,),) = [caught.value.fields]
    assert (field.variable, field.base, field.mine, field.theirs) == ("kjonn", None, "1", "2")
    assert any_db.get_participation(pid).values["kjonn"] == "2"  # nothing overwritten
    # Keeping mine once the caseworker has seen the other's value:
    any_db.set_values(
        pid, {"kjonn": "1"}, base_version=caught.value.version, base={"kjonn": field.theirs}
    )
    assert any_db.get_participation(pid).values["kjonn"] == "1"


def test_same_value_typed_by_both__no_conflict(any_db: Database) -> None:
    pid = any_db.create_participation(record(1), form_version=FORM_VERSION)
    seen = any_db.get_participation(pid)
    any_db.set_values(pid, {"kjonn": "2"})
    change = any_db.set_values(
        pid, {"kjonn": "2"}, base_version=seen.record_version, base=seen.values
    )
    assert not change.written
