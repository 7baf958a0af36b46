"""Results ("Resultater"): what happened to the participants of a period.

Everything is counted from the register's own values and grouped the way the
form says: end reasons by the form's ``code_groups`` (the goal groups give the
headline share in work or education), code texts from the form. Storage
returns the few values needed for the participations of the period
(``Database.report_rows``); the figures are computed here from one pass over
the rows that sorts them into the period's populations and one count of the
values of each population (every code table of it reads that count).

Who is counted where:

- *aktive*: started on or before the last day and not ended before the first;
- *startet*: start date in the period; *avsluttet*: end date in the period;
- end reasons, income after, absence, time in the programme: the ended ones;
- type of work and job percentage: the ended ones who answered type of work
  (the form enables it only for the end reasons that mean work);
- age at start, introduction programme, income before: the active ones.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter, methodcaller
from typing import TYPE_CHECKING

from jsdesk.domain.age import age_on
from jsdesk.domain.period import Period
from jsdesk.errors import UserError
from jsdesk.forms import Domain, FormDefinition, Variable, VarType
from jsdesk.progress import Progress, collection_paused, no_progress
from jsdesk.reports.suppression import CellRef, Link
from jsdesk.reports.tables import TOTAL, Row, Table, count_table, cross_table

if TYPE_CHECKING:
    from jsdesk.storage import Database
    from jsdesk.storage.reporting import ReportRow

# The register's variables the results are about (names as in the form file).
END_REASON = "hovedarsak_avslutning"
WORK_TYPE = "type_arbeid"
JOB_PERCENT = "stillingsprosent_arbeid"
INCOME_BEFORE = "inntektskilde_for_oppstart"
INCOME_AFTER = "hovedinntektskilde_etter_avslutning"
ABSENCE = "fravar"
INTRO = "deltatt_intro"
INTRO_ENDED = "intro_avsluttet_dato"
CODED = (END_REASON, WORK_TYPE, JOB_PERCENT, INCOME_BEFORE, INCOME_AFTER, ABSENCE, INTRO)

NOT_ANSWERED = "Ikke besvart"
GOAL_LABEL = "I arbeid eller utdanning"  # the groups the form marks ``goal``
DAYS_PER_MONTH = 365.25 / 12
# Time in the programme, in whole months of DAYS_PER_MONTH days (the month the median
# is given in): (label, from, to-exclusive).
DURATION_BINS = (
    ("Under 3 måneder", 0, 3),
    ("3–5 måneder", 3, 6),
    ("6–11 måneder", 6, 12),
    ("12–23 måneder", 12, 24),
    ("24 måneder eller mer", 24, None),
)
# Age at start, whole years: (label, from, to-inclusive).
AGE_GROUPS = (
    ("Under 25 år", None, 24),
    ("25–34 år", 25, 34),
    ("35–44 år", 35, 44),
    ("45–54 år", 45, 54),
    ("55 år eller eldre", 55, None),
)
UNKNOWN_AGE = "Ukjent alder"


@dataclass(frozen=True)
class KeyFigure:
    """A headline number: a count, its share of a base, or a median."""

    name: str
    label: str
    count: int | None = None
    base: int | None = None
    median: float | None = None
    unit: str = ""
    source: CellRef | None = None  # the table cell holding the same count

    @property
    def share(self) -> float | None:
        if self.count is None or not self.base:
            return None
        return 100.0 * self.count / self.base


@dataclass(frozen=True)
class Results:
    period: Period
    bydel: str | None
    form_title: str
    key_figures: tuple[KeyFigure, ...]
    tables: tuple[Table, ...]
    links: tuple[Link, ...] = ()  # cells of two tables that count the same people
    charts: tuple[str, ...] = field(default=("utfall_per_ar", "tid"))

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def figure(self, name: str) -> KeyFigure:
        for figure in self.key_figures:
            if figure.name == name:
                return figure
        raise KeyError(name)


def bydel_variable(form: FormDefinition) -> Variable | None:
    """The form's variable holding the Oslo bydel (by its domain), if the form has one."""
    for variable in form.all_variables():
        if variable.domain is Domain.OSLO_BYDEL:
            return variable
    return None


def compute_results(
    db: Database,
    form: FormDefinition,
    period: Period,
    *,
    bydel: str | None = None,
    progress: Progress | None = None,
) -> Results:
    """All figures of the results for ``period`` (and one Oslo bydel when given)."""
    report = progress or no_progress
    bydel_var = bydel_variable(form)
    if bydel is not None and bydel_var is None:
        raise UserError("Skjemaet har ingen variabel for bydel.", 2)
    report("Henter deltakelser", 0, 3)
    # Outcomes by year go back to the register's opening year: fetch from there.
    first = min(period.start, date(form.register_opened.year, 1, 1))
    with collection_paused():
        rows = db.report_rows(
            first=first,
            last=period.end,
            bydel=bydel,
            integers=CODED,
            texts=(INTRO_ENDED,),
        )
        report("Regner ut", 1, 3)
        results = _compute(form, period, bydel, rows)
        _let_go(rows)
    report("Ferdig", 3, 3)
    return results


def _let_go(rows: list[ReportRow], chunk: int = 1000) -> None:
    """Free ``rows`` ``chunk`` at a time. Freeing 100,000 rows at once is one call that
    holds the GIL for 100 ms or more: a pause of the window while this runs off its thread."""
    while rows:
        del rows[-chunk:]


def _compute(
    form: FormDefinition, period: Period, bydel: str | None, rows: Sequence[ReportRow]
) -> Results:
    # The rows reach back to the register's opening (outcomes by year): keep the period's.
    active: list[ReportRow] = []
    started = 0
    ended: list[ReportRow] = []
    first_year = form.register_opened.year
    # (year ended, end reason) of every participation ended by the period's end.
    ended_by_year: Counter[tuple[int, object]] = Counter()
    overlaps, contains, last_day = period.overlaps, period.contains, period.end
    for row in rows:
        end = row.avslutningsdato
        if end is not None and end <= last_day and end.year >= first_year:
            ended_by_year[end.year, row.values.get(END_REASON)] += 1
        if overlaps(row.oppstartsdato, end):
            active.append(row)
            if contains(row.oppstartsdato):
                started += 1
            if contains(end):
                ended.append(row)
    went_to_work = [r for r in ended if r.values.get(WORK_TYPE) is not None]
    of_active = _tallies(active, (INCOME_BEFORE, INTRO, INTRO_ENDED))
    of_ended = _tallies(ended, (END_REASON, INCOME_AFTER, ABSENCE))
    of_work = _tallies(went_to_work, (WORK_TYPE, JOB_PERCENT))
    end_reason = form.variable(END_REASON)
    outcome = outcome_table(end_reason, of_ended[END_REASON], len(ended))
    goal_row = next(r for r, row in enumerate(outcome.rows) if row.label.startswith("Herav"))
    total_row = len(outcome.rows) - 1
    by_year = _outcomes_by_year(form, ended_by_year, period)
    intro_done = sum(count for value, count in of_active[INTRO_ENDED].items() if value)
    durations = [(r.avslutningsdato - r.oppstartsdato).days for r in ended if r.avslutningsdato]
    median = round(statistics.median(durations) / DAYS_PER_MONTH, 1) if durations else None
    ages = _age_table(active)
    figures = (
        KeyFigure(
            "aktive",
            "Aktive deltakelser i perioden",
            count=len(active),
            source=("alder", len(ages.rows) - 1, 0),
        ),
        KeyFigure("startet", "Startet i perioden", count=started),
        KeyFigure(
            "avsluttet",
            "Avsluttet i perioden",
            count=len(ended),
            source=("utfall", total_row, 0),
        ),
        KeyFigure(
            "mal",
            f"{GOAL_LABEL} (andel av avsluttede)",
            count=outcome.count(goal_row, 0),
            base=len(ended),
            source=("utfall", goal_row, 0),
        ),
        KeyFigure(
            "tid_median",
            "Median tid i programmet (avsluttede)",
            base=len(durations),
            median=median,
            unit="måneder",
        ),
        KeyFigure(
            "intro_fullfort",
            "Fullført introduksjonsprogram (andel av aktive)",
            count=intro_done,
            base=len(active),
        ),
    )
    ended_note = "Blant deltakelser avsluttet i perioden."
    active_note = "Blant deltakelser aktive i perioden."
    tables = (
        outcome,
        by_year,
        _code_table(
            "type_arbeid",
            "Type arbeid",
            form.variable(WORK_TYPE),
            of_work,
            len(went_to_work),
            "Blant avsluttede som gikk til arbeid.",
        ),
        _code_table(
            "stillingsprosent",
            "Stillingsprosent",
            form.variable(JOB_PERCENT),
            of_work,
            len(went_to_work),
            "Blant avsluttede som gikk til arbeid.",
        ),
        _code_table(
            "inntekt_for",
            "Inntektskilde før oppstart",
            form.variable(INCOME_BEFORE),
            of_active,
            len(active),
            active_note,
        ),
        _code_table(
            "inntekt_etter",
            "Hovedinntektskilde etter avslutning",
            form.variable(INCOME_AFTER),
            of_ended,
            len(ended),
            ended_note,
        ),
        _code_table("fravar", "Fravær", form.variable(ABSENCE), of_ended, len(ended), ended_note),
        _duration_table(durations),
        _code_table(
            "intro",
            "Deltatt i introduksjonsprogrammet",
            form.variable(INTRO),
            of_active,
            len(active),
            active_note,
        ),
        ages,
    )
    links: list[Link] = []
    # Every table over the same people publishes the same total.
    for population, names in (
        ("utfall", ("inntekt_etter", "fravar", "tid")),
        ("alder", ("inntekt_for", "intro")),
    ):
        first_table = next(t for t in tables if t.name == population)
        for name in names:
            other = next(t for t in tables if t.name == name)
            links.append(
                ((population, len(first_table.rows) - 1, 0), (name, len(other.rows) - 1, 0))
            )
    if period.is_year:
        # The period's year in the outcomes by year counts the same people as «utfall».
        column = by_year.columns.index(str(period.start.year))
        group_rows = [r for r, row in enumerate(outcome.rows) if row.is_sum and not row.indent]
        for g, r in enumerate(group_rows[: len(end_reason.code_groups)]):
            links.append((("utfall", r, 0), ("utfall_per_ar", g, column)))
        links.append((("utfall", total_row, 0), ("utfall_per_ar", len(by_year.rows) - 1, column)))
    return Results(period, bydel, form.title, figures, tables, tuple(links))


def _tallies(rows: Sequence[ReportRow], names: Iterable[str]) -> dict[str, Counter[object]]:
    """Per value name, how many of ``rows`` hold each value (None: not answered); each
    counted in C over the rows' values."""
    values = list(map(attrgetter("values"), rows))
    return {name: Counter(map(methodcaller("get", name), values)) for name in names}


def _group_sums(variable: Variable, tally: Mapping[object, int]) -> list[int]:
    """The count of each of the form's code groups of ``variable``."""
    return [sum(tally.get(code, 0) for code in group.codes) for group in variable.code_groups]


def outcome_table(variable: Variable, tally: Mapping[object, int], ended: int) -> Table:
    """End reasons under their groups, «ikke besvart», the goal share and the total.

    Every sum a reader could form is declared (group = its codes, total = the
    groups, goal = its groups, total = goal + the other groups), so that
    suppression hides a second cell wherever one could be computed back. ``tally``:
    how many of the ``ended`` participations gave each end reason.
    """
    rows: list[Row] = []
    group_rows: list[int] = []
    detail_rows: list[int] = []
    goal_details: list[int] = []
    for group, group_count in zip(variable.code_groups, _group_sums(variable, tally), strict=True):
        start = len(rows) + 1
        members = tuple(range(start, start + len(group.codes)))
        group_rows.append(len(rows))
        rows.append(Row(group.text, (group_count,), members))
        for code in group.codes:
            if group.goal:
                goal_details.append(len(rows))
            detail_rows.append(len(rows))
            rows.append(Row(variable.code_text(code), (tally.get(code, 0),), indent=True))
    unanswered = len(rows)
    detail_rows.append(unanswered)
    answered = sum(tally.get(c, 0) for group in variable.code_groups for c in group.codes)
    rows.append(Row(NOT_ANSWERED, (ended - answered,)))
    goal_row = len(rows)
    goal_groups = [r for r, g in zip(group_rows, variable.code_groups, strict=True) if g.goal]
    other_groups = [r for r, g in zip(group_rows, variable.code_groups, strict=True) if not g.goal]
    rows.append(
        Row(
            f"Herav {GOAL_LABEL[0].lower()}{GOAL_LABEL[1:]}",
            (sum(rows[r].counts[0] for r in goal_details),),
            tuple(goal_details),
        )
    )
    total_row = len(rows)
    rows.append(Row(TOTAL, (ended,), tuple(detail_rows)))
    return Table(
        name="utfall",
        title="Utfall etter avslutning",
        row_header="Hovedårsak til avslutning",
        columns=("Antall",),
        rows=tuple(rows),
        share_base=total_row,
        note="Blant deltakelser avsluttet i perioden, gruppert slik registeret grupperer dem.",
        extra_sums=(
            (total_row, (*group_rows, unanswered)),
            (goal_row, tuple(goal_groups)),
            (total_row, (goal_row, *other_groups, unanswered)),
        ),
    )


def _outcomes_by_year(
    form: FormDefinition, ended_by_year: Mapping[tuple[int, object], int], period: Period
) -> Table:
    """``ended_by_year``: how many ended each year (to the period's end) with each reason."""
    variable = form.variable(END_REASON)
    years = list(range(form.register_opened.year, period.end.year + 1))
    counts = [
        [sum(ended_by_year.get((year, code), 0) for code in group.codes) for year in years]
        for group in variable.code_groups
    ]
    return cross_table(
        "utfall_per_ar",
        "Utfall etter avslutningsår",
        "Utfall",
        [group.text for group in variable.code_groups],
        [str(year) for year in years],
        counts,
        note="Avsluttede deltakelser etter året de ble avsluttet (til og med periodens slutt).",
    )


def _code_table(
    name: str,
    title: str,
    variable: Variable,
    tallies: Mapping[str, Counter[object]],
    total: int,
    note: str,
) -> Table:
    """One row per code of ``variable`` (the form's texts, in its order) and one for none,
    of ``total`` participations whose values ``tallies`` counted."""
    assert variable.type is VarType.CODE, variable.name
    codes: list[int] = []
    for code in variable.codes:
        if code.code not in codes:
            codes.append(code.code)
    tally = tallies[variable.name]
    counts = [tally.get(code, 0) for code in codes]
    unanswered = total - sum(counts)
    labels = [variable.code_text(code) for code in codes]
    return count_table(
        name,
        title,
        variable.label if len(variable.label) < 60 else title,
        [*labels, NOT_ANSWERED],
        [*counts, unanswered],
        note=note,
    )


def _duration_table(durations: Sequence[int]) -> Table:
    counts = [0] * len(DURATION_BINS)
    for months, many in Counter(int(days // DAYS_PER_MONTH) for days in durations).items():
        for i, (_label, low, high) in enumerate(DURATION_BINS):
            if months >= low and (high is None or months < high):
                counts[i] += many
                break
    return count_table(
        "tid",
        "Tid i programmet",
        "Tid fra oppstart til avslutning",
        [label for label, _low, _high in DURATION_BINS],
        counts,
        note="Blant deltakelser avsluttet i perioden.",
    )


def age_at_start(row: ReportRow) -> int | None:
    return age_on(row.oppstartsdato, birth_date=row.birth_date, birth_year=row.fodselsar)


def _age_table(rows: Sequence[ReportRow]) -> Table:
    counts = [0] * (len(AGE_GROUPS) + 1)
    for age, many in Counter(map(age_at_start, rows)).items():
        for i, (_label, low, high) in enumerate(AGE_GROUPS):
            if age is not None and (low is None or age >= low) and (high is None or age <= high):
                counts[i] += many
                break
        else:
            counts[-1] += many
    return count_table(
        "alder",
        "Alder ved oppstart",
        "Alder ved oppstart",
        [*(label for label, _low, _high in AGE_GROUPS), UNKNOWN_AGE],
        counts,
        note="Blant deltakelser aktive i perioden.",
    )
