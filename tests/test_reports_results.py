"""Every figure of the results against values counted by hand (tests/report_support.py),
on both back ends (the same figures from the local file and the shared database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from report_support import fixed_register
from storage_helpers import Installation

from jsdesk.domain.period import Period
from jsdesk.errors import UserError
from jsdesk.reports.results import Results, compute_results
from jsdesk.reports.tables import Table
from jsdesk.rules import default_form
from jsdesk.storage import Database


@pytest.fixture(scope="module")
def db(module_installation: Installation) -> Iterator[Database]:
    database, _ids = fixed_register(module_installation)
    with database:
        yield database


@pytest.fixture(scope="module")
def results(db: Database) -> Results:
    return compute_results(db, default_form(), Period.year(2025))


def counts(table: Table) -> dict[str, tuple[int, ...]]:
    """Counts by row label (group rows; codes under a group are left out)."""
    return {row.label: row.counts for row in table.rows if not row.indent}


def test_results__key_figures__counted_by_hand(results: Results) -> None:
    figures = {f.name: f for f in results.key_figures}
    assert figures["aktive"].count == 7  # A B C D F H I
    assert figures["startet"].count == 5  # A D F H I
    assert figures["avsluttet"].count == 6  # A B C D H I
    assert (figures["mal"].count, figures["mal"].base) == (4, 6)  # A B I work, C education
    assert figures["mal"].share == pytest.approx(66.666, abs=0.01)
    # 31, 45, 181, 259, 273, 730 days: median 220 days = 7.2 months
    assert figures["tid_median"].median == 7.2
    assert figures["tid_median"].base == 6
    assert (figures["intro_fullfort"].count, figures["intro_fullfort"].base) == (2, 7)


def test_results__outcome_groups__as_the_form_groups_them(results: Results) -> None:
    table = results.table("utfall")
    got = counts(table)
    assert got["Arbeid"][0] == 3  # the group: codes 1 and 2
    assert [row.counts[0] for row in table.rows if row.indent][:2] == [2, 1]  # code 1, code 2
    assert got["Utdanning"] == (1,)
    assert got["Arbeid og utdanning"] == (0,)
    assert got["Tiltak"] == (1,)
    assert got["Annet"] == (1,)  # 16 drop-out
    assert got["Ikke besvart"] == (0,)
    assert got["Herav i arbeid eller utdanning"] == (4,)
    assert got["I alt"] == (6,)
    total = table.share_base
    assert total is not None
    assert table.share(0, 0) == pytest.approx(50.0)  # Arbeid 3 of 6


def test_results__outcomes_by_year__from_the_register_opening(results: Results) -> None:
    table = results.table("utfall_per_ar")
    assert table.columns == ("2023", "2024", "2025", "I alt")
    got = counts(table)
    assert got["Arbeid"] == (0, 1, 3, 4)  # E ended 2024
    assert got["Utdanning"] == (0, 0, 1, 1)
    assert got["Tiltak"] == (0, 0, 1, 1)
    assert got["Annet"] == (0, 0, 1, 1)
    assert got["I alt"] == (0, 1, 6, 7)


def test_results__work_type_and_job_percentage__of_those_asked(results: Results) -> None:
    # type_arbeid is answered by A, B, I (work) and H (code 12, which the form also asks)
    assert counts(results.table("type_arbeid")) == {
        "Fast arbeid": (2,),
        "Midlertidig arbeid": (1,),
        "Ukjent": (1,),
        "Ikke besvart": (0,),
        "I alt": (4,),
    }
    assert counts(results.table("stillingsprosent")) == {
        "1-40": (1,),
        "41-60": (1,),
        "61-100": (1,),
        "Vet ikke/ukjent": (1,),
        "Ikke besvart": (0,),
        "I alt": (4,),
    }


def test_results__income_absence_duration_intro_age(results: Results) -> None:
    before = counts(results.table("inntekt_for"))
    assert before["Sosialhjelp"] == (3,)  # A C D
    assert before["Introduksjonsstønad"] == (1,)
    assert before["Annet"] == (1,)  # F
    assert before["Tiltakspenger"] == (1,)  # H
    assert before["Arbeid/selvforsørget"] == (1,)  # I
    assert before["I alt"] == (7,)
    after = counts(results.table("inntekt_etter"))
    assert after["Arbeid/selvforsørget"] == (3,)
    assert after["Studielån/stipend"] == (1,)
    assert after["Økonomisk sosialhjelp"] == (1,)
    assert after["Tiltakspenger"] == (1,)
    assert after["I alt"] == (6,)
    absence = counts(results.table("fravar"))
    assert absence["Ingen fravær"] == (2,)
    assert absence["1-9 prosent"] == (1,)
    assert absence["10-19 prosent"] == (1,)
    assert absence["50 prosent eller mer"] == (1,)
    assert absence["Ukjent"] == (1,)
    assert counts(results.table("tid")) == {
        "Under 3 måneder": (2,),  # I 31 days, D 45 days
        "3–5 måneder": (1,),  # A 181 days
        "6–11 måneder": (2,),  # H 259, B 273
        "12–23 måneder": (1,),  # C 730
        "24 måneder eller mer": (0,),
        "I alt": (6,),
    }
    intro = counts(results.table("intro"))
    assert (intro["Ja"], intro["Nei"], intro["Ikke besvart"]) == ((3,), (4,), (0,))
    assert counts(results.table("alder")) == {
        "Under 25 år": (1,),  # A 24
        "25–34 år": (3,),  # B 34, F 29, I 25 (born 31.12.1999, started 01.03.2025)
        "35–44 år": (1,),  # C 38
        "45–54 år": (1,),  # D 45
        "55 år eller eldre": (1,),  # H 64
        "Ukjent alder": (0,),
        "I alt": (7,),
    }


def test_results__one_bydel__leaves_the_others_out(db: Database) -> None:
    results = compute_results(db, default_form(), Period.year(2025), bydel="030101")
    figures = {f.name: f for f in results.key_figures}
    assert (figures["aktive"].count, figures["avsluttet"].count) == (6, 5)  # without H
    assert counts(results.table("utfall"))["Tiltak"] == (0,)


def test_results__period_from_to__counts_within_the_days(db: Database) -> None:
    period = Period(date(2025, 3, 1), date(2025, 6, 30))
    results = compute_results(db, default_form(), period)
    figures = {f.name: f for f in results.key_figures}
    # ended 01.03 (B), 01.04 (I), 15.06 (D); started 01.03 (I), 01.05 (D)
    assert figures["avsluttet"].count == 3
    assert figures["startet"].count == 2
    assert period.label == "01.03.2025–30.06.2025"


def test_period__ends_before_it_begins__bokmal_error() -> None:
    with pytest.raises(UserError, match="før den begynner"):
        Period(date(2025, 6, 1), date(2025, 1, 1))


def test_period__overlaps__a_participation_active_some_day_of_it() -> None:
    period = Period(date(2025, 3, 1), date(2025, 6, 30))
    assert period.overlaps(date(2024, 1, 1), None)  # still running
    assert period.overlaps(date(2024, 1, 1), date(2025, 3, 1))  # ended on the first day
    assert not period.overlaps(date(2024, 1, 1), date(2025, 2, 28))
    assert period.overlaps(date(2025, 6, 30), None)  # started on the last day
    assert not period.overlaps(date(2025, 7, 1), None)


def test_results__empty_register__zeros_without_errors(installation: Installation) -> None:
    with installation.create(bydel=None) as db:
        results = compute_results(db, default_form(), Period.year(2025))
    figures = {f.name: f for f in results.key_figures}
    assert figures["aktive"].count == 0
    assert figures["mal"].share is None
    assert figures["tid_median"].median is None
