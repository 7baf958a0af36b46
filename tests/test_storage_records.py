"""Participations: autosave, overlap, search, status, warnings, settings, import.

On both back ends (the ``installation`` fixture), apart from what is about the local
file itself (``sqlite_only``: raw reads of the file, backups, SQLite's page cache)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from storage_helpers import (
    FORM_VERSION,
    Installation,
    db_key,
    dump,
    fnr,
    new_db,
    raw_rows,
    record,
)

from jsdesk.errors import UserError
from jsdesk.storage import Database, ParticipationRecord, Status


@pytest.mark.sqlite_only
def test_set_value__autosave__value_on_disk_for_a_new_process(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(1), form_version=FORM_VERSION)
        saved_at = db.set_value(pid, "ankomstar", 2019).changed_at
        # Read through a separate raw connection while the database is still open.
        rows = raw_rows(
            db.path,
            db.key,
            "SELECT json_extract(\"values\", '$.ankomstar') FROM participations WHERE id = ?",
            (pid,),
        )
        assert rows == [(2019,)]
        stored = db.get_participation(pid)
    assert stored.changed_at == saved_at
    assert stored.record_version == 2
    assert stored.values["ankomstar"] == 2019


def test_create__overlapping_period_same_fnr__refused_naming_existing_record(
    installation: Installation,
) -> None:
    db = installation.create()
    with db:
        first = db.create_participation(
            record(3, oppstartsdato="2024-01-10", avslutningsdato="2024-06-30"),
            form_version=FORM_VERSION,
        )
        with pytest.raises(UserError) as refused:
            db.create_participation(
                record(3, oppstartsdato="2024-06-01"), form_version=FORM_VERSION
            )
        assert f"deltakelse nr. {first}" in refused.value.message
        assert "10.01.2024" in refused.value.message
        assert db.count_participations() == 1
        # Coming back after the earlier participation ended is allowed.
        again = db.create_participation(
            record(3, oppstartsdato="2024-08-01"), form_version=FORM_VERSION
        )
        # Moving the end date so the periods overlap is refused as well.
        with pytest.raises(UserError, match=f"deltakelse nr. {again}"):
            db.set_value(first, "avslutningsdato", "2024-09-01")
        assert db.get_participation(first).values["avslutningsdato"] == "2024-06-30"


def test_create__synthetic_fnr_in_production__refused(installation: Installation) -> None:
    db = installation.create(test=False)
    with db:
        assert not db.settings.test_installation
        with pytest.raises(UserError, match="testinstallasjon"):
            db.create_participation(record(4), form_version=FORM_VERSION)
        assert db.count_participations() == 0


def test_query__fnr_whole_prefix_and_birth_date__finds_the_right_people(
    installation: Installation,
) -> None:
    db = installation.create()
    with db:
        ids = {n: db.create_participation(record(n), form_version=FORM_VERSION) for n in range(12)}
        target = fnr(5)
        assert [s.id for s in db.query_participations(search=target)] == [ids[5]]
        by_prefix = {s.id for s in db.query_participations(search=target[:6])}
        assert by_prefix == {ids[n] for n in range(12) if fnr(n)[:6] == target[:6]}
        birth = date(1985, 6, 6)  # record(5): 1980 + 5, month 6, day 6
        by_date = db.query_participations(search=birth.strftime("%d.%m.%Y"))
        assert [s.id for s in by_date] == [ids[5]]
        assert by_date[0].masked_fnr == target[:6] + "*****"
        assert db.count_participations(search=target[:4]) == len(
            [n for n in range(12) if fnr(n).startswith(target[:4])]
        )
        assert db.query_participations(search="ingen slik person") == []


def test_query__latest_changed_first__edited_record_on_top(installation: Installation) -> None:
    db = installation.create()
    with db:
        ids = [db.create_participation(record(n), form_version=FORM_VERSION) for n in range(5)]
        db.set_value(ids[1], "ankomstar", 2015)
        page = db.query_participations(limit=3)
        assert [s.id for s in page] == [ids[1], ids[4], ids[3]]
        assert db.query_participations(offset=3, limit=3)[0].id == ids[2]


def test_query__filters_and_order__same_records_as_filtering_by_hand(
    installation: Installation,
) -> None:
    db = installation.create()
    with db:
        periods = [
            ("2023-02-01", "2023-11-30"),
            ("2024-03-01", None),
            ("2024-05-01", "2024-12-20"),
            ("2025-01-15", None),
            ("2022-06-01", "2024-01-31"),
        ]
        for n, (start, end) in enumerate(periods, start=30):
            extra = {"oppstartsdato": start} | ({"avslutningsdato": end} if end else {})
            db.create_participation(record(n, **extra), form_version=FORM_VERSION)
        everyone = [db.get_participation(s.id) for s in db.query_participations()]
        stages = {r.stage for r in everyone}
        assert len(stages) == 2  # both stages present, so the stage filter can be wrong

        def active_in_2024(r: ParticipationRecord) -> bool:
            start, end = r.values["oppstartsdato"], r.values.get("avslutningsdato")
            return str(start) <= "2024-12-31" and (end is None or str(end) >= "2024-01-01")

        in_2024 = sorted(r.id for r in everyone if active_in_2024(r))
        assert sorted(s.id for s in db.query_participations(year=2024)) == in_2024
        assert db.count_participations(year=2024) == len(in_2024)
        for stage in stages:
            expected = sorted(r.id for r in everyone if r.stage == stage)
            found = db.query_participations(stage=stage, order_by="id", descending=False)
            assert [s.id for s in found] == expected
            assert db.count_participations(stage=stage, year=2024) == len(
                [i for i in expected if i in in_2024]
            )
        by_start = db.query_participations(order_by="oppstartsdato", descending=False)
        assert [str(s.oppstartsdato) for s in by_start] == sorted(p[0] for p in periods)
        assert (
            db.query_participations(order_by="oppstartsdato", offset=1, limit=2)
            == list(reversed(by_start))[1:3]
        )


def test_query__change_between_two_queries__second_query_shows_it(
    installation: Installation,
) -> None:
    db = installation.create()
    with db:
        ids = [db.create_participation(record(n), form_version=FORM_VERSION) for n in range(40, 43)]
        assert db.query_participations(limit=1)[0].id == ids[-1]
        db.set_value(ids[0], "ankomstar", 2016)
        assert db.query_participations(limit=1)[0].id == ids[0]
        db.delete_participation(ids[0], reason="registrert ved en feil")
        assert [s.id for s in db.query_participations()] == [ids[2], ids[1]]


def test_query__several_threads_while_writing__every_answer_complete(
    installation: Installation,
) -> None:
    db = installation.create()
    with db:
        for n in range(50, 55):
            db.create_participation(record(n), form_version=FORM_VERSION)
        counts: list[int] = []

        def look() -> None:
            for _ in range(30):
                counts.append(len(db.query_participations()))

        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = [pool.submit(look) for _ in range(3)]
            added = [
                db.create_participation(record(n), form_version=FORM_VERSION) for n in range(55, 58)
            ]
            for future in futures:
                future.result()
        assert len(counts) == 90
        assert set(counts) <= {5, 6, 7, 8}
        assert len(db.query_participations()) == 5 + len(added)


def test_status__edited_after_submission__endret_and_version_bumped(
    installation: Installation,
) -> None:
    db = installation.create()
    with db:
        pid = db.create_participation(record(6), form_version=FORM_VERSION)
        version = db.get_participation(pid).record_version
        db.record_submission("sub-1", file_name="f.asice", record_count=1, test=True)
        db.mark_submitted({pid: version}, "sub-1")
        assert db.get_participation(pid).status is Status.INNSENDT
        db.set_value(pid, "ankomstar", 2018)
        changed = db.get_participation(pid)
        assert changed.status is Status.ENDRET
        assert changed.status == "endret etter innsending"
        assert changed.record_version == version + 1
        assert [s.id for s in db.list_submissions()] == ["sub-1"]
        assert db.submitted_participations("sub-1") == {pid: version}
        assert db.count_participations(status=Status.ENDRET) == 1


def test_record_submission__with_records__all_marked_and_audited_in_one_go(
    installation: Installation,
) -> None:
    db = installation.create()
    with db:
        ids = [db.create_participation(record(n), form_version=FORM_VERSION) for n in range(20, 24)]
        sent, stale, gone, untouched = ids
        stale_version = db.get_participation(stale).record_version
        db.set_value(stale, "ankomstar", 2017)  # edited after the file was built
        db.delete_participation(gone, reason="registrert ved en feil")
        db.record_submission(
            "sub-bulk",
            file_name="f.asice",
            record_count=3,
            test=True,
            records={sent: 1, stale: stale_version, gone: 1},
        )
        assert db.get_participation(sent).status is Status.INNSENDT
        assert db.get_participation(stale).status is Status.ENDRET
        assert db.get_participation(untouched).status is not Status.INNSENDT
        assert db.submitted_participations("sub-bulk") == {sent: 1, stale: stale_version}
        report = db.verify_audit()
        assert report.ok, report.problems
        with db.read() as session:
            events = session.execute(
                text(
                    "SELECT participation_id FROM audit_events "
                    "WHERE action = 'innsendt' ORDER BY id"
                )
            ).all()
        assert [tuple(e) for e in events] == [(sent,), (stale,)]


def test_accept_warning__reason_user_time__stored(installation: Installation) -> None:
    db = installation.create()
    with db:
        pid = db.create_participation(record(7), form_version=FORM_VERSION)
        db.accept_warning(pid, "oppstartsdato", "AGE_OUT_OF_RANGE", "Bekreftet med deltaker")
        with pytest.raises(UserError, match="begrunnelse"):
            db.accept_warning(pid, "oppstartsdato", "AGE_OUT_OF_RANGE", "  ")
    with installation.reopen() as again:
        (warning,) = again.get_participation(pid).accepted_warnings
    assert warning.reason == "Bekreftet med deltaker"
    assert warning.code == "AGE_OUT_OF_RANGE"
    assert warning.user
    assert warning.accepted_at.tzinfo is not None


@pytest.mark.sqlite_only  # a shared database's settings are IT's (server init)
def test_settings__text_and_binary_values__round_trip(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        assert db.settings.kommunenummer == "0301"
        assert db.settings.bydel == "030101"
        db.set_setting("signing.p12", b"\x00\x01binary\xff")
        db.set_setting("lock_minutes", 15)
    with Database.open(db.path, "korrekt hest batteri stift") as again:
        assert again.get_setting("signing.p12") == b"\x00\x01binary\xff"
        assert again.get_setting("lock_minutes") == 15
        assert again.get_setting("missing", "standard") == "standard"


def test_import__one_refused_record__nothing_from_the_batch_stored(
    installation: Installation,
) -> None:
    db = installation.create()
    with db:
        db.create_participation(record(8), form_version=FORM_VERSION)
        batch = [record(9), record(8, oppstartsdato="2024-05-01"), {"kommunenummer": "0301"}]
        with pytest.raises(UserError, match="post 2"):
            db.import_records(batch, form_version=FORM_VERSION)
        assert db.count_participations() == 1
        stored = db.import_records(
            [record(9), {"kommunenummer": "0301"}], form_version=FORM_VERSION
        )
        assert [r.position for r in stored] == [1, 2]
        assert stored[1].status is Status.KLADD
        assert any(f["variable"] == "fodselsnummer" for f in stored[1].findings)
        assert db.count_participations() == 3


@pytest.mark.sqlite_only
def test_delete__values_scrubbed_everywhere__audit_event_left(tmp_path: Path) -> None:
    db, _ = new_db(tmp_path)
    with db:
        pid = db.create_participation(record(10), form_version=FORM_VERSION)
        db.set_value(pid, "ankomstar", 2017)
        backup = db.backup(tmp_path / "data" / "jsdesk-sikkerhetskopier" / "manuell.db")
        keep = db.create_participation(record(11), form_version=FORM_VERSION)
        db.delete_participation(pid, reason="Registrert ved en feil")
        with pytest.raises(UserError, match=f"nummer {pid}"):
            db.get_participation(pid)
        assert db.get_participation(keep).values["fodselsnummer"] == fnr(11)
        report = db.check()
        assert report.ok, report
        assert report.chain.scrubbed >= 2
    key = db_key(db.path)
    for path in (
        db.path,
        backup,
        *sorted((tmp_path / "data" / "jsdesk-sikkerhetskopier").glob("*daglig*.db")),
    ):
        text = "\n".join(dump(path, key))
        assert fnr(10) not in text, path
        # Hashes and digests are 64 hex digits and hold "2017" in about 1.5 % of runs.
        without_hashes = re.sub(r"[0-9a-f]{64}", "", text)
        assert "2017" not in without_hashes.replace("2017-", ""), path
    events = raw_rows(
        db.path,
        key,
        "SELECT action, os_user, new_value FROM audit_events "
        "WHERE participation_id = ? ORDER BY id",
        (pid,),
    )
    assert events[-1][0] == "slettet"
    assert "Registrert ved en feil" in events[-1][2]
    assert all(row[2] is None for row in events[:-1])


def test_delete__newest_participation__its_id_never_reused(installation: Installation) -> None:
    db = installation.create()
    with db:
        pid = db.create_participation(record(12), form_version=FORM_VERSION)
        db.delete_participation(pid, reason="Feilregistrert")
        again = db.create_participation(record(12), form_version=FORM_VERSION)
        assert again > pid  # scrubbed audit events of pid must not point at a new person


def test_iter_participations__chunks__every_record_with_its_warnings_in_order(
    installation: Installation,
) -> None:
    db = installation.create()
    with db:
        ids = [db.create_participation(record(n), form_version=FORM_VERSION) for n in range(7)]
        db.accept_warning(ids[5], "oppstartsdato", "AGE_OUT_OF_RANGE", "Sjekket")
        records = list(db.iter_participations(chunk=3))
        assert [r.id for r in records] == ids
        assert [r.values["fodselsnummer"] for r in records] == [fnr(n) for n in range(7)]
        assert [w.reason for w in records[5].accepted_warnings] == ["Sjekket"]
        assert records[4].accepted_warnings == ()
        chosen = list(db.iter_participations([ids[6], ids[1]]))
        assert [r.id for r in chosen] == [ids[1], ids[6]]


@pytest.mark.sqlite_only
def test_read_connection__page_cache__bounded_to_8_mib_per_connection(tmp_path: Path) -> None:
    # Up to three connections are open in the GUI; with 32 MiB each the peak RSS
    # went past the GUI's 250 MB target. A negative cache_size is a size in KiB.
    db, _ = new_db(tmp_path)
    with db, db.read_connection() as conn:
        cache_size = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    assert cache_size == -8 * 1024
