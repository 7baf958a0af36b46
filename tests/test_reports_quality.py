"""«Mangler og feil»: the list of open problems, counts per field, completeness, export,
on both back ends."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from report_support import fixed_register
from sqlalchemy import text
from storage_helpers import Installation, record

from jsdesk.demo import generate_participations
from jsdesk.domain.period import Period
from jsdesk.reports.export import QUALITY_HEADINGS, quality_rows, write_list
from jsdesk.reports.quality import completeness, quality_list
from jsdesk.rules import default_form
from jsdesk.rules.findings import FindingCode, Severity
from jsdesk.storage import Database, Status

FORM_VERSION = "2023.1"


@pytest.fixture
def quality_db(installation: Installation) -> Iterator[tuple[Database, dict[str, int]]]:
    """Complete demo records: two ended ones lose «fravar», two carry a warning (one accepted)."""
    people = generate_participations(300, 5, today=date(2025, 6, 1))
    ended = [p for p in people if p.complete and not p.warnings and "avslutningsdato" in p.record]
    warned = [p for p in people if p.warnings][:2]
    assert len(ended) >= 3 and len(warned) == 2
    records = [dict(p.record) for p in ended[:3]]
    del records[0]["fravar"], records[1]["fravar"]
    records += [dict(p.record) for p in warned]
    db = installation.create(bydel=None)  # the demo records are all over Oslo
    stored = db.import_records(records, form_version=FORM_VERSION)
    ids = {
        "no_fravar_1": stored[0].id,
        "no_fravar_2": stored[1].id,
        "complete": stored[2].id,
        "warned_accepted": stored[3].id,
        "warned_open": stored[4].id,
    }
    accepted = db.get_participation(ids["warned_accepted"])
    for finding in accepted.findings:
        if finding["severity"] == "warning":
            db.accept_warning(ids["warned_accepted"], finding["variable"], finding["code"], "ok")
    with db:
        yield db, ids


def test_quality_list__missing_field__one_row_per_participation_in_the_forms_words(
    quality_db: tuple[Database, dict[str, int]],
) -> None:
    db, ids = quality_db
    result = quality_list(db)
    fravar = [item for item in result.items if item.variable == "fravar"]
    assert {item.participation_id for item in fravar} == {ids["no_fravar_1"], ids["no_fravar_2"]}
    form = default_form()
    for item in fravar:
        assert item.code == FindingCode.REQUIRED
        assert item.severity is Severity.ERROR
        assert item.label == form.variable("fravar").label
        assert (item.part, item.part_title) == (4, "Avslutning")
        assert item.masked_fnr.endswith("*****")
        assert item.stage == "avsluttet"
    assert ids["complete"] not in {item.participation_id for item in result.items}


def test_quality_list__counts_per_field__sentence_at_the_top(
    quality_db: tuple[Database, dict[str, int]],
) -> None:
    db, _ids = quality_db
    counts = {line.variable: line for line in quality_list(db).counts}
    assert counts["fravar"].count == 2
    assert counts["fravar"].text == "«Hva var fravær (i %)?» mangler i 2 avsluttede deltakelser"


def test_quality_list__accepted_warning__left_out_open_warning_listed(
    quality_db: tuple[Database, dict[str, int]],
) -> None:
    db, ids = quality_db
    listed = {item.participation_id: item for item in quality_list(db).items}
    assert ids["warned_accepted"] not in listed
    assert listed[ids["warned_open"]].severity is Severity.WARNING
    assert listed[ids["warned_open"]].severity_text == "Advarsel"


def test_quality_list__warning_on_register_data__agrees_with_the_record_status(
    quality_db: tuple[Database, dict[str, int]],
) -> None:
    db, ids = quality_db
    # FREG's sivilstand is a value the municipality does not own: a warning to check,
    # never one to accept. The record stays komplett and is no line in the list.
    change = db.set_values(ids["complete"], {"sivilstand": "Gift"})
    participation = db.get_participation(ids["complete"])
    (finding,) = participation.findings
    assert (finding["variable"], finding["severity"]) == ("sivilstand", "warning")
    assert finding.get("register_data") is True
    assert change.status is participation.status is Status.KOMPLETT

    listed = {item.participation_id for item in quality_list(db).items}
    assert ids["complete"] not in listed
    # Every record: komplett exactly when the list has no line for it.
    statuses = {name: db.get_participation(pid).status for name, pid in ids.items()}
    assert (
        {name for name, status in statuses.items() if status is Status.KOMPLETT}
        == {name for name, pid in ids.items() if pid not in listed}
        == {"complete", "warned_accepted"}
    )


def test_quality_export__masked_by_default__full_numbers_only_when_chosen_and_audited(
    quality_db: tuple[Database, dict[str, int]], tmp_path: Path
) -> None:
    db, ids = quality_db
    items = quality_list(db).items
    full = db.get_participation(ids["no_fravar_1"]).values["fodselsnummer"]
    assert isinstance(full, str)
    masked_csv = tmp_path / "mangler.csv"
    write_list(masked_csv, "Mangler og feil", QUALITY_HEADINGS, quality_rows(items))
    written = masked_csv.read_text("utf-8-sig")
    assert full not in written
    assert full[:6] + "*****" in written
    rows = list(csv.reader(written.splitlines(), delimiter=";"))
    assert rows[0] == list(QUALITY_HEADINGS)
    assert len(rows) == 1 + len(items)
    full_xlsx = tmp_path / "mangler.xlsx"
    write_list(full_xlsx, "Mangler og feil", QUALITY_HEADINGS, quality_rows(items, full_fnr=True))
    db.record_export("mangler og feil", file_name=full_xlsx.name, rows=len(items), fnr_shown=True)
    book = openpyxl.load_workbook(full_xlsx, read_only=True)
    values = [row for row in book.active.iter_rows(values_only=True)]  # type: ignore[union-attr]
    book.close()
    assert values[0] == QUALITY_HEADINGS
    assert full in {row[1] for row in values[1:]}
    assert all(isinstance(row[0], int) for row in values[1:])  # ids as numbers
    with db.read() as session:
        events = session.execute(
            text("SELECT variable, new_value FROM audit_events WHERE action = :a"),
            {"a": "eksportert"},
        ).all()
    assert len(events) == 1
    assert events[0][0] == "mangler og feil"
    assert json.loads(events[0][1]) == {
        "fil": "mangler.xlsx", "rader": len(items), "fulle fødselsnumre": True,
    }  # fmt: skip


def test_completeness__per_field__answered_and_unknown_by_hand(
    installation: Installation,
) -> None:
    db, _ids = fixed_register(installation)
    with db:
        total, figures = completeness(db, default_form(), Period.year(2025))
    by_name = {figure.variable: figure for figure in figures}
    assert total == 7  # A B C D F H I
    fravar = by_name["fravar"]  # asked of the six ended; I answered Ukjent
    assert (fravar.expected, fravar.answered, fravar.unknown) == (6, 6, 1)
    assert fravar.unknown_share == pytest.approx(100 / 6)
    work = by_name["type_arbeid"]  # asked of A B I (work) and H (code 12); H Ukjent
    assert (work.expected, work.answered, work.unknown) == (4, 4, 1)
    intro_end = by_name["intro_avsluttet_dato"]  # B C answered, F (intro Ja) misses it
    assert (intro_end.expected, intro_end.answered, intro_end.unknown) == (3, 2, 0)
    assert intro_end.answered_share == pytest.approx(200 / 3)
    assert "person_id" not in by_name  # System variables are not asked of anyone


def test_completeness__multi_select_only_ukjent__counted_and_follows_each_save(
    installation: Installation,
) -> None:
    # «Ukjent» (88) alone is «Ukjent»; 88 beside another code is an answer like any other.
    with installation.create() as db:
        only = db.create_participation(
            record(1, tiltak_for_jobbsjansen=[88], fravar=9), form_version="2023.1"
        )
        db.create_participation(record(2, tiltak_for_jobbsjansen=[1, 2]), form_version="2023.1")
        db.create_participation(record(3), form_version="2023.1")
        total, figures = completeness(db, default_form(), Period.year(2024))
        tiltak = next(f for f in figures if f.variable == "tiltak_for_jobbsjansen")
        assert (total, tiltak.answered, tiltak.unknown) == (3, 2, 1)
        db.set_value(only, "tiltak_for_jobbsjansen", [3])  # the caseworker found out
        _total, figures = completeness(db, default_form(), Period.year(2024))
        tiltak = next(f for f in figures if f.variable == "tiltak_for_jobbsjansen")
        assert (tiltak.answered, tiltak.unknown) == (2, 0)
        # fravar is not asked of active participations: answered, «Ukjent», never missing
        fravar = next(f for f in figures if f.variable == "fravar")
        assert (fravar.expected, fravar.answered, fravar.unknown) == (1, 1, 1)
