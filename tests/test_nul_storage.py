"""A NUL character (code 0) in typed text: refused alike by both back ends.

PostgreSQL's text cannot hold a NUL; a value, setting or reason holding one ended in an
unexpected error (a stack trace) on the shared database while the local file stored it.
Now storage refuses it on both with a Bokmål message naming what holds it, and nothing
of that write is stored. A register extract holding one is refused with file and line,
exit 2, before anything is imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_support import FREG_HEADER, add_participations, synthetic_numbers, write_csv
from storage_helpers import Installation, record

from jsdesk.cli import main
from jsdesk.errors import UserError
from jsdesk.rules import default_form
from jsdesk.storage import Database


def _refused(excinfo: pytest.ExceptionInfo[UserError], name: str) -> None:
    message = excinfo.value.message
    assert f"«{name}»" in message and "NUL" in message and "ingenting er lagret" in message


def test_set_values__nul_in_text__refused_nothing_stored(any_db: Database) -> None:
    pid = any_db.add_participation(record(1), form=default_form()).participation_id
    before = any_db.get_participation(pid)
    with pytest.raises(UserError) as excinfo:
        any_db.set_values(pid, {"oppstartsdato": "i g\x00år", "bydel": "030102"})
    _refused(excinfo, "oppstartsdato")
    after = any_db.get_participation(pid)
    assert after.values == before.values and after.record_version == before.record_version
    # The next save works as before.
    any_db.set_values(pid, {"oppstartsdato": "i går"})
    assert any_db.get_participation(pid).values["oppstartsdato"] == "i går"


def test_add_participation__nul_in_number__refused_nothing_stored(any_db: Database) -> None:
    number = str(record(2)["fodselsnummer"])
    with pytest.raises(UserError) as excinfo:
        any_db.add_participation(
            record(2, fodselsnummer=number[:4] + "\x00" + number[4:]), form=default_form()
        )
    _refused(excinfo, "fodselsnummer")
    assert any_db.count_participations() == 0


def test_set_own_setting__nul_in_receipt_text__refused_old_text_kept(any_db: Database) -> None:
    any_db.set_own_setting("neste_steg", "Ring oss.")
    with pytest.raises(UserError) as excinfo:
        any_db.set_own_setting("neste_steg", "Ring\x00 oss i morgen.")
    _refused(excinfo, "neste_steg")
    assert any_db.get_own_setting("neste_steg") == "Ring oss."
    with pytest.raises(UserError):
        any_db.set_setting("neste_steg", ["a\x00"])
    assert any_db.get_setting("neste_steg") is None


def test_registry_import__nul_in_csv_field__exit_2_naming_file_and_line_nothing_stored(
    tmp_path: Path, cli_installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = synthetic_numbers(2)
    with cli_installation.reopen() as db:
        first, second = add_participations(db, [a, b])
    extract = write_csv(
        tmp_path / "freg.csv",
        FREG_HEADER,
        [(a, "SOM", "gift", 2015, ""), (b, "SY\x00R", "ugift", 2019, "")],
    )
    assert main(["registry", "import", str(extract)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "uventet feil" not in err
    assert str(extract) in err and "linje 3" in err and "NUL" in err
    assert "Ingenting er importert" in err
    with cli_installation.reopen() as db:
        for pid in (first, second):
            assert "fodeland" not in db.get_participation(pid).values


def test_delete_participation__nul_in_reason__refused_record_kept(any_db: Database) -> None:
    pid = any_db.add_participation(record(3), form=default_form()).participation_id
    with pytest.raises(UserError) as excinfo:
        any_db.delete_participation(pid, reason="Feil\x00registrert")
    _refused(excinfo, "begrunnelse")
    assert any_db.count_participations() == 1


def test_search__nul_pasted_with_number__found_as_without_it(any_db: Database) -> None:
    number = str(record(4)["fodselsnummer"])
    pid = any_db.add_participation(record(4), form=default_form()).participation_id
    for search in (number[:6] + "\x00", number[:3] + "\x00" + number[3:], "\x00"):
        found = [summary.id for summary in any_db.query_participations(search=search)]
        assert found == [pid], search
        assert any_db.count_participations(search=search) == 1
