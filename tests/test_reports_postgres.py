"""Results, «Mangler og feil», completeness and ``jsdesk report`` on the shared PostgreSQL
database give the same figures as on the local SQLite file, for the same fixed register
(tests/report_support.py), against the real test server (tests/pg_support.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pg_support import GAMLE_OSLO, GRUNERLOKKA, PgServer
from report_support import FORM_VERSION, fixed_db, fixed_records
from storage_helpers import PASSPHRASE

from jsdesk.cli import main
from jsdesk.domain.period import Period
from jsdesk.reports.quality import completeness, quality_list
from jsdesk.reports.results import compute_results
from jsdesk.rules import default_form
from jsdesk.storage import Database
from jsdesk.storage.server import add_user

PASSWORD = "leders passord for test"


@pytest.fixture(scope="module")
def local_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database, _ids = fixed_db(tmp_path_factory.mktemp("rapport") / "jsdesk.db")
    with database:
        yield database


@pytest.fixture
def shared_url(pg_server: PgServer, oslo_server: str) -> str:
    """The fixed register in a shared database, entered by a login for both bydeler."""
    add_user(oslo_server, None, "leder", bydeler=[GAMLE_OSLO, GRUNERLOKKA], new_password=PASSWORD)
    url = pg_server.url("leder", None, urlsplit(oslo_server).path[1:])
    with Database.connect(url, PASSWORD) as db:
        for values in fixed_records().values():
            db.create_participation(values, form_version=FORM_VERSION)
    return url


@pytest.fixture
def shared_db(shared_url: str) -> Iterator[Database]:
    with Database.connect(shared_url, PASSWORD) as db:
        yield db


@pytest.mark.parametrize("bydel", [None, "030101"])
def test_results_on_postgresql__same_figures_as_sqlite(
    local_db: Database, shared_db: Database, bydel: str | None
) -> None:
    form, year = default_form(), Period.year(2025)
    shared = compute_results(shared_db, form, year, bydel=bydel)
    assert shared == compute_results(local_db, form, year, bydel=bydel)
    figures = {f.name: f.count for f in shared.key_figures}
    # Counted by hand (tests/report_support.py): A B C D F H I active, H in 030102.
    assert figures["aktive"] == (7 if bydel is None else 6)
    assert figures["mal"] == 4  # A B I work, C education


def test_completeness_on_postgresql__same_as_sqlite(
    local_db: Database, shared_db: Database
) -> None:
    form, year = default_form(), Period.year(2025)
    total, figures = completeness(shared_db, form, year)
    assert (total, figures) == completeness(local_db, form, year)
    fravar = next(f for f in figures if f.variable == "fravar")
    assert (fravar.expected, fravar.answered, fravar.unknown) == (6, 6, 1)  # I: «Ukjent»


def test_quality_list_on_postgresql__same_as_sqlite(
    local_db: Database, shared_db: Database
) -> None:
    shared = quality_list(shared_db)
    assert shared == quality_list(local_db)
    assert shared.items  # the fixed records miss required values


def test_report_cli_on_postgresql__same_json_as_sqlite(
    shared_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    local, _ids = fixed_db(tmp_path / "jsdesk.db")
    local.close()
    args = ["report", "--year", "2025", "--format", "json"]
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSPHRASE)
    assert main([*args, "--db", str(local.path), "--out", str(tmp_path / "lokal.json")]) == 0
    monkeypatch.setenv("JSDESK_PASSPHRASE", PASSWORD)
    assert main([*args, "--db", shared_url, "--out", str(tmp_path / "felles.json")]) == 0
    assert "skrevet til" in capsys.readouterr().out
    shared = json.loads((tmp_path / "felles.json").read_text(encoding="utf-8"))
    assert shared == json.loads((tmp_path / "lokal.json").read_text(encoding="utf-8"))
    figures = {f["navn"]: f["verdi"] for f in shared["nokkeltall"]}
    assert figures["aktive"] == 7  # A B C D F H I (published: 7 is not suppressed)


def test_completeness_on_postgresql__multi_select_ukjent__same_as_sqlite(
    pg_server: PgServer, oslo_server: str, tmp_path: Path
) -> None:
    # A multi-select answered only «Ukjent» (88): the old SQLite query never counted it.
    records = [
        {**values, "tiltak_for_jobbsjansen": tiltak}
        for values, tiltak in zip(fixed_records().values(), ([88], [1, 2], [88, 3]), strict=False)
    ]
    add_user(oslo_server, None, "leder", bydeler=[GAMLE_OSLO, GRUNERLOKKA], new_password=PASSWORD)
    url = pg_server.url("leder", None, urlsplit(oslo_server).path[1:])
    local, _key = Database.create(
        tmp_path / "jsdesk.db", PASSPHRASE, kommunenummer="0301", test_installation=True
    )
    with Database.connect(url, PASSWORD) as shared, local:
        for values in records:
            shared.create_participation(values, form_version=FORM_VERSION)
            local.create_participation(values, form_version=FORM_VERSION)
        form, year = default_form(), Period.year(2025)
        total, figures = completeness(shared, form, year)
        assert (total, figures) == completeness(local, form, year)
    tiltak = next(f for f in figures if f.variable == "tiltak_for_jobbsjansen")
    assert (tiltak.answered, tiltak.unknown) == (3, 1)  # A B C, all active in 2025; A «Ukjent»
