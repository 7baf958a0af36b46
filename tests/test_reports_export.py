"""Exports read back: Excel with openpyxl, the PDF's text with pypdf, JSON, `jsdesk report`,
from the fixed register on both back ends."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from report_support import fixed_register
from storage_helpers import Installation

from jsdesk.cli import main
from jsdesk.domain.period import Period
from jsdesk.reports.export import suppressed_tables, write_results_json, write_results_xlsx
from jsdesk.reports.results import Results, compute_results
from jsdesk.rules import default_form


@pytest.fixture(scope="module")
def register(module_installation: Installation) -> Installation:
    """The fixed register, stored and closed (``reopen`` or ``jsdesk --db`` open it)."""
    database, _ids = fixed_register(module_installation)
    database.close()
    return module_installation


@pytest.fixture
def db_target(register: Installation, monkeypatch: pytest.MonkeyPatch) -> str:
    """What ``jsdesk report --db`` is given; ``JSDESK_PASSPHRASE`` unlocks it."""
    monkeypatch.setenv("JSDESK_PASSPHRASE", register.secret)
    return str(register.target)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    """The results the writers get, from the local file: test_reports_results proves the
    shared database gives the same; ``jsdesk report`` below runs on both."""
    db, _ids = fixed_register(Installation("sqlite", tmp_path_factory.mktemp("eksport")))
    with db:
        return compute_results(db, default_form(), Period.year(2025))


def sheet_rows(path: Path, title: str) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in book[title].iter_rows(values_only=True)]
    finally:
        book.close()


def test_xlsx__one_sheet_per_table__suppressed_numbers_as_numbers(
    results: Results, tmp_path: Path
) -> None:
    target = tmp_path / "resultater.xlsx"
    write_results_xlsx(results, target)
    book = openpyxl.load_workbook(target, read_only=True)
    titles = book.sheetnames
    book.close()
    assert titles[0] == "Nøkkeltall"
    assert len(titles) == 1 + len(results.tables)
    for suppressed in suppressed_tables(results).values():
        table = suppressed.table
        rows = sheet_rows(target, table.title[:31])
        header = rows[3]
        assert header[0] == table.row_header
        body = rows[4 : 4 + len(table.rows)]
        for r, row in enumerate(body):
            for c in range(len(table.columns)):
                written = row[1 + c * 2]  # count, share, count, share …
                mark = suppressed.hidden.get((r, c))
                if mark is None:
                    assert written == table.count(r, c), (table.name, r, c)
                    assert isinstance(written, int)
                else:
                    assert written in {"<5", ":"}, (table.name, r, c)
    # Hand-counted: 6 ended in 2025, 3 of them to work («<5»). The 6 is hidden too («:»):
    # by year, 2024 holds one ending (E) and the grand total is 7, so a visible 6 for
    # 2025 would give the 1 away; the linked total in «Utfall» is hidden with it.
    outcome = {row[0]: row[1] for row in sheet_rows(target, "Utfall etter avslutning")[4:]}
    assert outcome["Arbeid"] == "<5"
    assert outcome["I alt"] == ":"
    by_year = {row[0]: row[1:] for row in sheet_rows(target, "Utfall etter avslutningsår")[4:]}
    assert by_year["I alt"][::2] == (0, "<5", ":", 7)


def test_xlsx__key_figures__small_counts_hidden(results: Results, tmp_path: Path) -> None:
    target = tmp_path / "r.xlsx"
    write_results_xlsx(results, target)
    figures = {row[0]: row[1:] for row in sheet_rows(target, "Nøkkeltall")[4:]}
    assert figures["Aktive deltakelser i perioden"][0] == 7
    assert figures["Startet i perioden"][0] == 5
    assert figures["I arbeid eller utdanning (andel av avsluttede)"] == ("<5", ":")
    assert figures["Median tid i programmet (avsluttede)"] == (7.2, "måneder")


def pdf_text(path: Path) -> str:
    """The PDF's text with every run of white space as one space."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def test_pdf__text_has_the_suppressed_tables(
    results: Results, tmp_path: Path, qapp: object
) -> None:
    from jsdesk.ui.report_pdf import write_results_pdf

    target = tmp_path / "resultater.pdf"
    write_results_pdf(results, target)
    text = pdf_text(target)
    assert "Jobbsjanseregisteret: resultater 2025" in text
    assert "Utfall etter avslutningsår" in text
    assert "Tid i programmet" in text
    assert "Aktive deltakelser i perioden 7 Startet i perioden 5 " in text
    assert "I arbeid eller utdanning (andel av avsluttede) <5 : " in text
    assert "Herav i arbeid eller utdanning <5 : I alt : " in text
    assert "Median tid i programmet (avsluttede) 7,2 måneder" in text


def test_pdf__labels_whole_words_and_plain_letters(
    results: Results, tmp_path: Path, qapp: object
) -> None:
    """A search of the PDF finds every label: a narrow column never breaks a word
    («Utdanni» / «ng») and «fi», «ff» are letters, not the ligatures «\ufb01», «\ufb00»."""
    from jsdesk.ui.report_pdf import write_results_pdf

    target = tmp_path / "resultater.pdf"
    write_results_pdf(results, target)
    text = pdf_text(target)
    assert "\ufb01" not in text and "\ufb00" not in text
    assert "Kvalifiserende tiltak i regi av kommunen eller andre aktører" in text
    by_year = text.split("Utfall etter avslutningsår")[-1].split("Type arbeid")[0]
    for group in ("Arbeid", "Utdanning", "Arbeid og utdanning", "Tiltak", "Annet"):
        assert f" {group} " in by_year, (group, by_year)


def test_json__suppressed_and_readable(results: Results, tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    write_results_json(results, target)
    data = json.loads(target.read_text("utf-8"))
    assert data["periode"] == {"fra": "2025-01-01", "til": "2025-12-31", "navn": "2025"}
    tables = {table["navn"]: table for table in data["tabeller"]}
    outcome = {row[0]: row[1] for row in tables["utfall"]["rader"]}
    assert outcome["I alt"] == ":"  # see the .xlsx test
    assert outcome["Tiltak"] == "<5"
    assert "<5" in data["merknad"]


def test_cli_report__xlsx_for_a_bydel(
    db_target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "bydel.xlsx"
    code = main(
        ["report", "--year", "2025", "--bydel", "030101", "--format", "xlsx", "--out", str(target),
         "--db", db_target]
    )  # fmt: skip
    assert code == 0
    assert "skrevet til" in capsys.readouterr().out
    figures = {row[0]: row[1] for row in sheet_rows(target, "Nøkkeltall")[4:]}
    assert figures["Aktive deltakelser i perioden"] == 6  # H is in 030102


def test_cli_report__pdf_and_json(db_target: str, tmp_path: Path) -> None:
    for fmt in ("pdf", "json"):
        target = tmp_path / f"r.{fmt}"
        code = main(["report", "--year", "2025", "--format", fmt, "--out", str(target),
                     "--db", db_target])  # fmt: skip
        assert code == 0
        assert target.stat().st_size > 0
    assert "Nøkkeltall" in pdf_text(tmp_path / "r.pdf")
    written = json.loads((tmp_path / "r.json").read_text("utf-8"))
    figures = {f["navn"]: f["verdi"] for f in written["nokkeltall"]}
    assert figures["aktive"] == 7  # A B C D F H I (7 is not suppressed)


def test_cli_report__bad_bydel_and_period__bokmal_errors(
    db_target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "x.json")
    assert main(["report", "--year", "2025", "--bydel", "9999", "--format", "json",
                 "--out", out, "--db", db_target]) == 2  # fmt: skip
    assert "er ikke en bydel i Oslo" in capsys.readouterr().err
    assert main(["report", "--period", "01.07.2025:01.01.2025", "--format", "json",
                 "--out", out, "--db", db_target]) == 2  # fmt: skip
    assert "før den begynner" in capsys.readouterr().err
    assert not Path(out).exists()
