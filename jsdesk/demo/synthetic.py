"""Generate synthetic participations in the record JSON format.

Every fødselsnummer is a Tenor synthetic number (month + 80; some D-numbers, a
few with 2032-rule control digits), never a real person's. The mixes are meant
to look like one installation's register: every participation belongs to the
installation's municipality (``kommunenummer``, Oslo unless given), with the number
that municipality had on the start date (Drammen's are 3005 before 2024 and 3301
from 2024); Oslo's spread over its bydeler, or all in the installation's ``bydel``;
both stages, every end reason, drop-outs with their reason, Norskprøve results,
multi-selects that respect their exclusive "no measure" codes, dates from the
register's opening until today.

Outcomes the caller must know about:

- about 10 % of the participations are deliberately incomplete: they are
  *avsluttet* but miss one to three values the form requires in parts 3-4
  (``DemoParticipation.complete`` is False). Nothing else is wrong with them.
- a few complete ones carry one deliberate warning (age at start above 55, or the
  introduction programme ending after the start), named in
  ``DemoParticipation.warnings`` so a demo database can accept them with a reason.
- every other complete record is meant to pass the form's rules without findings
  when synthetic numbers are allowed.

The same ``seed`` and ``today`` always give the same records.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from jsdesk.domain.code_domains import MUNICIPALITIES, OSLO_BYDELER
from jsdesk.domain.fnr import synthetic_number
from jsdesk.domain.period import Period

REGISTER_OPENED = date(2023, 1, 1)
FINANSIERINGSTYPE_LAST_DAY = date(2025, 12, 31)

# hovedarsak_avslutning codes that make the type of work (41-43) required, and drop-out.
WORK_END_REASONS = frozenset({1, 2, 8, 9, 10, 11, 12})
DROP_OUT = 16
# hovedarsak_avbrutt codes that are about absence, and fravar's "Ingen fravær".
ABSENCE_REASONS = frozenset({2, 4})
NO_ABSENCE = 1

COUNTRIES = (
    "SYR", "ERI", "SOM", "AFG", "IRQ", "UKR", "ETH", "THA", "PHL", "POL", "PAK", "IRN", "SDN",
    "COD", "MMR", "LTU", "VNM", "LKA", "TUR", "RUS", "XUK",
)  # fmt: skip


class _Pick:
    """Weighted choice with precomputed cumulative weights (fast for 100,000 records)."""

    def __init__(self, weighted: Mapping[int, float] | Sequence[tuple[object, float]]) -> None:
        pairs = list(weighted.items()) if isinstance(weighted, Mapping) else list(weighted)
        self.values = [value for value, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))

    def __call__(self, rng: random.Random) -> object:
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def _flat(codes: Sequence[int]) -> dict[int, float]:
    return dict.fromkeys(codes, 1.0)


@dataclass(frozen=True)
class _Multi:
    """A multi-select: some ordinary codes, or (with ``none_share``) only the exclusive one."""

    codes: tuple[int, ...]
    exclusive: int
    none_share: float
    max_codes: int

    def __call__(self, rng: random.Random) -> list[int]:
        if rng.random() < self.none_share:
            return [self.exclusive]
        count = rng.randint(1, self.max_codes)
        return sorted(rng.sample(self.codes, count))


# Part 2 (Kommune), weighted towards the register's typical participant.
DELTATT_INTRO = _Pick({1: 0.6, 2: 0.4})
OMSORGSANSVAR = _Pick({1: 0.65, 2: 0.3, 9: 0.05})
INNTEKTSKILDE = _Pick({1: 4, 2: 10, 3: 5, 4: 15, 5: 30, 6: 5, 7: 10, 8: 6, 9: 3})
UTDANNING_NORGE = _Pick({0: 30, 1: 10, 2: 15, 3: 10, 4: 8, 5: 3, 6: 4, 7: 2, 8: 1, 9: 17})
UTDANNING_UTLAND = _Pick({0: 15, 1: 20, 2: 15, 3: 12, 4: 12, 5: 3, 6: 8, 7: 5, 8: 1, 9: 9})
AR_ARBEID_UTLAND = _Pick({1: 50, 2: 25, 3: 8, 4: 7, 9: 10})
LATINSK_ALFABET = _Pick({1: 10, 2: 70, 3: 12, 9: 8})
MORSMAL = _Pick({1: 75, 2: 18, 9: 7})
TILTAK_FOR = _Multi((1, 2, 3, 4, 5, 6, 88), 99, 0.15, 3)
BEHOV = _Pick({1: 20, 2: 15, 3: 30, 4: 15, 5: 5, 9: 15})
RETT_NORSK = _Pick({1: 45, 2: 45, 9: 10})
SIVILSTAND = _Pick(
    [
        ("gift", 50),
        ("ugift", 20),
        ("skilt", 12),
        ("separert", 8),
        ("enkeEllerEnkemann", 6),
        ("uoppgitt", 2),
        ("registrertPartner", 1),
        ("separertPartner", 0.3),
        ("skiltPartner", 0.3),
        ("gjenlevendePartner", 0.2),
    ]
)
FINANSIERINGSTYPE = _Pick({1: 70, 2: 25, 9: 5})

# Part 3 (programme content).
NORSKOPPLARING = _Multi((1, 2, 3, 4, 5, 6, 7, 8, 9, 88), 99, 0.05, 3)
ARBEIDSRETTEDE = _Multi((1, 2, 3, 4, 5, 6, 7, 8, 9, 88), 99, 0.08, 4)
STED_PRAKSIS = _Multi((1, 2, 3, 4, 8), 9, 0.3, 2)
UTDANNINGSRETTEDE = _Multi((*range(1, 15), 88), 99, 0.45, 2)
HELSEFREMMENDE = _Multi((1, 2, 3, 88), 99, 0.5, 2)
SAMFUNN = _Multi((1, 2, 3, 4, 5, 6, 7, 88), 99, 0.15, 3)

# Part 4 (end of participation): every end reason appears.
HOVEDARSAK_AVSLUTNING = _Pick(
    {1: 18, 2: 7, 3: 2, 4: 4, 5: 2, 6: 2, 7: 2, 8: 3, 9: 3, 10: 1, 11: 1, 12: 8, 13: 8}
    | {14: 5, 15: 3, 16: 15, 17: 2, 18: 1, 99: 3}
)
HOVEDARSAK_AVBRUTT = _Pick({1: 25, 2: 15, 3: 20, 4: 15, 5: 15, 9: 10})
FRAVAR = _Pick({1: 10, 2: 30, 3: 25, 4: 15, 5: 8, 6: 5, 9: 7})
INNTEKT_ETTER = _Pick({1: 35, 2: 8, 3: 10, 4: 5, 5: 15, 6: 7, 7: 8, 8: 5, 88: 3, 99: 4})
TYPE_ARBEID = _Pick({1: 35, 2: 55, 9: 10})
STILLINGSPROSENT = _Pick({1: 20, 2: 30, 3: 45, 9: 5})
NARING = _Pick(_flat(range(1, 22)) | {3: 4, 7: 6, 9: 6, 14: 5, 16: 4, 17: 10, 99: 2})

# Norskprøve: part-tests 1-4 give UNDER_A1 (3) .. B2 (7) or 10; C1 tests (5, 6) give 2 or 8.
PART_TEST_RESULT = _Pick({3: 5, 4: 20, 5: 35, 6: 28, 7: 8, 10: 4})
C1_RESULT = _Pick({2: 60, 8: 40})

# Variables whose value an incomplete record may miss without making another
# value wrong (dropping 29/30/32 could lock 31; dropping 36 could lock 37/41-43).
_DROPPABLE = (
    "utdanningsrettede_tiltak",
    "helsefremmende_tiltak",
    "samfunn_ovrige_tiltak",
    "avslutningsdato",
    "fravar",
    "hovedinntektskilde_etter_avslutning",
)
_DROPPABLE_WHEN_SET = (
    "oppstartsdato_forste_praksis",
    "hovedarsak_avbrutt",
    "type_arbeid",
    "stillingsprosent_arbeid",
    "type_naring_arbeid",
)
INCOMPLETE_SHARE = 0.1
WARNING_SHARE = 0.03


@dataclass(frozen=True)
class DemoParticipation:
    record: dict[str, object]  # record JSON (variable name -> value)
    complete: bool  # False: an avsluttet record that misses required part-3/4 values
    warnings: tuple[str, ...] = ()  # variables given a deliberate warning


def generate_records(
    n: int,
    seed: int,
    *,
    today: date | None = None,
    kommunenummer: str = OSLO_BYDELER.kommunenummer,
    bydel: str | None = None,
) -> list[dict[str, object]]:
    """``n`` synthetic records (see module docstring); incomplete ones are not marked in them."""
    return [
        p.record
        for p in generate_participations(
            n, seed, today=today, kommunenummer=kommunenummer, bydel=bydel
        )
    ]


def generate_participations(
    n: int,
    seed: int,
    *,
    today: date | None = None,
    kommunenummer: str = OSLO_BYDELER.kommunenummer,
    bydel: str | None = None,
) -> list[DemoParticipation]:
    """``n`` synthetic participations of the installation ``kommunenummer`` (and ``bydel``)
    with their completeness flag, deterministic per seed."""
    generator = _Generator(random.Random(seed), today or date.today(), kommunenummer, bydel)
    return [generator.participation() for _ in range(n)]


class _Generator:
    def __init__(
        self, rng: random.Random, today: date, kommunenummer: str, bydel: str | None
    ) -> None:
        if today < REGISTER_OPENED:
            raise ValueError("today must not be before the register opened (2023-01-01)")
        self.rng = rng
        self.today = today
        self.days_open = (today - REGISTER_OPENED).days
        self.numbers: set[str] = set()
        self.kommunenummer = kommunenummer
        self.bydeler = (
            [bydel]
            if bydel
            else [choice.value for choice in OSLO_BYDELER.choices(Period.day(today))]
        )

    def participation(self) -> DemoParticipation:
        rng = self.rng
        start = REGISTER_OPENED + timedelta(days=rng.randint(0, self.days_open))
        warning = rng.random() < WARNING_SHARE
        incomplete = not warning and rng.random() < INCOMPLETE_SHARE
        end = self._end_date(start, force=incomplete)
        warnings: tuple[str, ...] = ()
        warning_kind = rng.choice(("fodselsnummer", "intro_avsluttet_dato")) if warning else ""

        record: dict[str, object] = {}
        birth_date = self._person(record, start, older=warning_kind == "fodselsnummer")
        self._project(record, start)
        self._background(
            record, start, birth_date, late_intro=warning_kind == "intro_avsluttet_dato"
        )
        self._tests(record, start, end, birth_date)
        if end is not None or rng.random() < 0.5:
            self._programme(record, start, end)
        if end is not None:
            self._ending(record, end)
        if warning:
            warnings = (warning_kind,)
        if incomplete:
            self._drop_required(record)
        return DemoParticipation(record, complete=not incomplete, warnings=warnings)

    # --- dates and stage -------------------------------------------------------

    def _end_date(self, start: date, *, force: bool) -> date | None:
        """The end date when the participation is over by today, else None (aktiv)."""
        rng = self.rng
        length = rng.randint(30, 420) if rng.random() < 0.25 else rng.randint(180, 1400)
        end = start + timedelta(days=length)
        if end <= self.today:
            return end
        if force:
            return start + timedelta(days=rng.randint(0, (self.today - start).days))
        return None

    def _between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    # --- part 1 --------------------------------------------------------------------

    def _person(self, record: dict[str, object], start: date, *, older: bool) -> date:
        rng = self.rng
        age = rng.randint(57, 59) if older else rng.randint(19, 54)
        birth_year = start.year - age
        birth_date = date(birth_year, 1, 1) + timedelta(days=rng.randint(0, 364))
        kind = rng.random()
        d_number = 0.75 <= kind < 0.95
        # A 2032-rule number tells no birth date, so the age warning needs another kind.
        rule_2032 = kind >= 0.95 and not older
        while True:
            if rule_2032:
                individual = rng.randint(0, 999)
            elif birth_date.year >= 2000:
                individual = rng.randint(500, 999)
            else:
                individual = rng.randint(0, 499)
            try:
                number = synthetic_number(
                    birth_date, individual, d_number=d_number, rule_2032=rule_2032
                )
            except ValueError:
                continue
            if number not in self.numbers:
                break
        self.numbers.add(number)
        record["fodselsnummer"] = number
        record["fodselsar"] = birth_date.year
        return birth_date

    def _project(self, record: dict[str, object], start: date) -> None:
        """The installation's municipality, by the number it had on the start date."""
        rng = self.rng
        numbers = sorted(MUNICIPALITIES.numbers_of(self.kommunenummer, Period.day(start)))
        if not numbers:
            raise ValueError(f"kommune {self.kommunenummer} did not exist on {start}")
        record["kommunenummer"] = rng.choice(numbers)
        if MUNICIPALITIES.reports_per_bydel(record["kommunenummer"]):
            record["bydel"] = rng.choice(self.bydeler)
        if start <= FINANSIERINGSTYPE_LAST_DAY:
            record["finansieringstype"] = FINANSIERINGSTYPE(rng)
        record["oppstartsdato"] = start.isoformat()

    # --- part 2 --------------------------------------------------------------------

    def _background(
        self, record: dict[str, object], start: date, birth_date: date, *, late_intro: bool
    ) -> None:
        rng = self.rng
        arrival = rng.randint(max(birth_date.year, start.year - 15), start.year)
        intro = 1 if late_intro else DELTATT_INTRO(rng)
        record["deltatt_intro"] = intro
        if intro == 1:
            if late_intro:
                intro_end = start + timedelta(days=rng.randint(1, 60))
            else:
                intro_end = self._between(
                    max(date(arrival, 1, 1), start - timedelta(days=1500)), start
                )
            record["intro_avsluttet_dato"] = intro_end.isoformat()
        record["ankomstar"] = arrival
        record["fodeland"] = rng.choice(COUNTRIES)
        record["sivilstand"] = SIVILSTAND(rng)
        care = OMSORGSANSVAR(rng)
        record["omsorgsansvar_barn"] = care
        if care == 1 and rng.random() < 0.9:
            record["antall_barn"] = rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8))
        record["inntektskilde_for_oppstart"] = INNTEKTSKILDE(rng)
        record["utdanning_norge"] = UTDANNING_NORGE(rng)
        record["utdanning_utland"] = UTDANNING_UTLAND(rng)
        record["ar_inntekt_arbeid_utland"] = AR_ARBEID_UTLAND(rng)
        record["lese_skrive_latinsk_alfabet"] = LATINSK_ALFABET(rng)
        record["lese_skrive_morsmal"] = MORSMAL(rng)
        record["tiltak_for_jobbsjansen"] = TILTAK_FOR(rng)
        record["behov_arbeidsevne_vurdering"] = BEHOV(rng)
        record["rett_norskopplaring"] = RETT_NORSK(rng)

    def _tests(self, record: dict[str, object], start: date, end: date | None, birth: date) -> None:
        """Norskprøve results from PAD: none, a full test (4 part-tests), a few, or C1."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.4:
            return
        first = max(start - timedelta(days=1000), date(birth.year + 16, 1, 1))
        last = min(end or self.today, self.today)
        sittings = 1 if kind < 0.85 else 2
        entries: list[dict[str, object]] = []
        for sitting in range(sittings):
            day = self._between(first, last).isoformat()
            if kind < 0.7 or sitting == 1:
                types = [1, 2, 3, 4]
            elif kind < 0.85:
                types = sorted(rng.sample([1, 2, 3, 4], rng.randint(1, 2)))
            else:
                types = [5, 6]
            for test_type in types:
                result = C1_RESULT(rng) if test_type >= 5 else PART_TEST_RESULT(rng)
                entries.append({"provedato": day, "provetype": test_type, "proveresultat": result})
        entries.sort(key=lambda entry: str(entry["provedato"]))
        record["proveresultater"] = entries

    # --- parts 3 and 4 -------------------------------------------------------------

    def _programme(self, record: dict[str, object], start: date, end: date | None) -> None:
        rng = self.rng
        norsk = NORSKOPPLARING(rng)
        arbeid = ARBEIDSRETTEDE(rng)
        sted = STED_PRAKSIS(rng)
        if 6 in arbeid and 9 in sted:  # practice with focus on work has a place
            sted = [rng.choice((1, 2, 3, 4, 8))]
        record["norskopplaring_spraktrening"] = norsk
        record["arbeidsrettede_tiltak"] = arbeid
        if 3 in norsk or 6 in arbeid or not {1, 2, 3, 4, 8}.isdisjoint(sted):
            last = min(end or self.today, start + timedelta(days=365))
            record["oppstartsdato_forste_praksis"] = self._between(start, last).isoformat()
        record["sted_arbeidspraksis"] = sted
        record["utdanningsrettede_tiltak"] = UTDANNINGSRETTEDE(rng)
        record["helsefremmende_tiltak"] = HELSEFREMMENDE(rng)
        record["samfunn_ovrige_tiltak"] = SAMFUNN(rng)

    def _ending(self, record: dict[str, object], end: date) -> None:
        rng = self.rng
        reason = HOVEDARSAK_AVSLUTNING(rng)
        record["hovedarsak_avslutning"] = reason
        fravar = FRAVAR(rng)
        if reason == DROP_OUT:
            avbrutt = HOVEDARSAK_AVBRUTT(rng)
            record["hovedarsak_avbrutt"] = avbrutt
            if avbrutt in ABSENCE_REASONS and fravar == NO_ABSENCE:
                fravar = rng.choice((3, 4, 5, 6))
        record["avslutningsdato"] = end.isoformat()
        record["fravar"] = fravar
        record["hovedinntektskilde_etter_avslutning"] = INNTEKT_ETTER(rng)
        if reason in WORK_END_REASONS:
            record["type_arbeid"] = TYPE_ARBEID(rng)
            record["stillingsprosent_arbeid"] = STILLINGSPROSENT(rng)
            record["type_naring_arbeid"] = NARING(rng)

    def _drop_required(self, record: dict[str, object]) -> None:
        candidates = list(_DROPPABLE) + [name for name in _DROPPABLE_WHEN_SET if name in record]
        for name in self.rng.sample(candidates, self.rng.randint(1, 3)):
            del record[name]
