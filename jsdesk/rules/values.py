"""Reading record values: JSON type checks per variable type, then value checks.

``coercer(variable)`` returns a function that turns a raw JSON value into the
typed value (``date`` for dates, ``int`` for codes, ...) or a problem; it never
raises, whatever the input. ``value_checker(variable)`` returns the checks that
need the reference date (code lists and their validity, fødselsnummer,
municipality and other registers).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date

from jsdesk.domain.code_domains import (
    FODSELSNUMMER,
    MUNICIPALITIES,
    Choice,
    analyse_cached,
    choice_domain,
    domain,
)
from jsdesk.domain.fnr import FnrInfo
from jsdesk.domain.period import Period
from jsdesk.forms.model import Domain, Role, Variable, VarType
from jsdesk.rules.findings import FindingCode, Severity

TypeProblem = tuple[FindingCode, str]
Problem = tuple[FindingCode, str, Severity]
Coerced = tuple[object, TypeProblem | None]
Coercer = Callable[[object], Coerced]


class Context:
    """What value checks need besides the value.

    ``reference_date`` (the start date) decides which codes apply; ``period`` (start
    to end, or to today while active) is what domain objects are asked about;
    ``installation`` is the installation's kommunenummer when the record belongs to
    one (the variable with ``role: municipality`` must then be that municipality's).
    """

    __slots__ = (
        "allow_synthetic",
        "codes_over",
        "installation",
        "period",
        "reference_date",
        "today",
    )

    def __init__(
        self,
        reference_date: date,
        today: date,
        allow_synthetic: bool,
        period: Period | None = None,
        codes_over: Period | None = None,
        installation: str | None = None,
    ) -> None:
        self.reference_date = reference_date
        self.today = today
        self.allow_synthetic = allow_synthetic
        self.installation = installation
        self.period = period or Period.day(reference_date)
        # A code applies when valid on some day of this span: the start date, or every
        # day a start could be while the start date is unknown.
        self.codes_over = codes_over or Period.day(reference_date)


ValueChecker = Callable[[object, Context], tuple[object, list[Problem]]]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def describe_json(raw: object) -> str:
    """How a user would call the JSON value they gave ("tekst «3»", "en liste")."""
    if isinstance(raw, bool):
        return "sann/usann"
    if isinstance(raw, str):
        shown = raw if len(raw) <= 20 else raw[:17] + "..."
        return f"tekst «{shown}»" if not _looks_like_fnr(raw) else "tekst"
    if isinstance(raw, int):
        return f"tallet {raw}"
    if isinstance(raw, float):
        return "et desimaltall"
    if isinstance(raw, list):
        return "en liste"
    if isinstance(raw, dict):
        return "et objekt"
    return "en ukjent verdi"


def _looks_like_fnr(text: str) -> bool:
    return sum(ch.isdigit() for ch in text) >= 9


def parse_iso_date(raw: object) -> date | None:
    """A date as the record format writes it, exactly YYYY-MM-DD; None for anything else."""
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def is_unanswered(raw: object) -> bool:
    return raw is None or (isinstance(raw, str | list) and len(raw) == 0)


def coercer(variable: Variable) -> Coercer:
    label = f"«{variable.label}»"
    kind = variable.type

    if kind in {VarType.INTEGER, VarType.YEAR, VarType.CODE}:
        what = {VarType.INTEGER: "et heltall", VarType.YEAR: "et årstall (heltall)"}.get(
            kind, "en kode (heltall)"
        )

        def as_int(raw: object) -> Coerced:
            if type(raw) is int:
                return raw, None
            hint = ""
            if isinstance(raw, str) and raw.strip().isdigit():
                hint = " Skriv tallet uten anførselstegn."
            return None, (
                FindingCode.WRONG_TYPE,
                f"{label} må være {what}, men er {describe_json(raw)}.{hint}",
            )

        return as_int

    if kind is VarType.MULTICODE:

        def as_codes(raw: object) -> Coerced:
            if isinstance(raw, list) and all(type(item) is int for item in raw):
                return raw, None
            return None, (
                FindingCode.WRONG_TYPE,
                f"{label} må være en liste med koder (heltall), men er {describe_json(raw)}.",
            )

        return as_codes

    if kind is VarType.DATE:

        def as_date(raw: object) -> Coerced:
            day = parse_iso_date(raw)
            if day is not None:
                return day, None
            return None, (
                FindingCode.INVALID_DATE,
                f"{label} må være en gyldig dato skrevet ÅÅÅÅ-MM-DD, men er {describe_json(raw)}.",
            )

        return as_date

    if kind is VarType.UUID:

        def as_uuid(raw: object) -> Coerced:
            if isinstance(raw, str):
                try:
                    return str(uuid.UUID(raw)), None
                except ValueError:
                    pass
            return None, (
                FindingCode.INVALID_UUID,
                f"{label} må være en UUID (som «8c1e…-…»), men er {describe_json(raw)}.",
            )

        return as_uuid

    if kind is VarType.GROUP:

        def as_entries(raw: object) -> Coerced:
            if isinstance(raw, list):
                return raw, None
            return None, (
                FindingCode.WRONG_TYPE,
                f"{label} må være en liste med oppføringer, men er {describe_json(raw)}.",
            )

        return as_entries

    # string and fnr: text
    def as_text(raw: object) -> Coerced:
        if isinstance(raw, str):
            return raw, None
        if variable.domain in {Domain.KOMMUNENUMMER, Domain.OSLO_BYDEL} and type(raw) is int:
            example = sorted(choice.value for choice in _example_choices(str(variable.domain)))[0]
            hint = (
                f" Skriv nummeret som tekst i anførselstegn, med ledende null (f.eks. «{example}»)."
            )
        else:
            hint = ""
        return None, (
            FindingCode.WRONG_TYPE,
            f"{label} må være tekst, men er {describe_json(raw)}.{hint}",
        )

    return as_text


def _example_choices(name: str) -> tuple[Choice, ...]:
    found = choice_domain(name)
    return found.choices(Period.day(date.today())) if found is not None else ()


def _format_period(valid_from: date, valid_to: date | None) -> str:
    start = valid_from.strftime("%d.%m.%Y")
    if valid_to is None:
        return f"fra {start}"
    return f"fra {start} til og med {valid_to.strftime('%d.%m.%Y')}"


def value_checker(variable: Variable) -> ValueChecker | None:
    """Checks that need the reference date, or None when the type alone suffices."""
    label = f"«{variable.label}»"
    if variable.type in {VarType.CODE, VarType.MULTICODE}:
        return _code_checker(variable, label)
    if variable.type is VarType.FNR:
        return _fnr_checker(label)
    if variable.role is Role.MUNICIPALITY and variable.domain == Domain.KOMMUNENUMMER:
        return _municipality_checker(label)
    if variable.domain is not None:
        return _domain_checker(str(variable.domain), label)
    return None


def _code_checker(variable: Variable, label: str) -> ValueChecker:
    periods: dict[int, list[tuple[date, date | None]]] = {}
    for code in variable.codes:
        periods.setdefault(code.code, []).append((code.valid_from, code.valid_to))
    always = {c for c, p in periods.items() if len(p) == 1 and p[0][1] is None}
    always = {c for c in always if periods[c][0][0] <= variable.valid_from}
    listing = ", ".join(str(c) for c in periods)
    exclusive = frozenset(variable.exclusive_codes)
    multi = variable.type is VarType.MULTICODE

    def one(code: int, ctx: Context, problems: list[Problem]) -> bool:
        if code in always:
            return True
        spans = periods.get(code)
        if spans is None:
            problems.append(
                (
                    FindingCode.INVALID_CODE,
                    f"{label} har ugyldig kode {code}. Velg en av kodene {listing}.",
                    Severity.ERROR,
                )
            )
            return False
        day = ctx.reference_date
        if any(ctx.codes_over.overlaps(start, end) for start, end in spans):
            return True
        problems.append(
            (
                FindingCode.CODE_NOT_APPLICABLE,
                f"Kode {code} «{variable.code_text(code)}» i {label} gjelder ikke for en "
                f"deltakelse med oppstart {day.strftime('%d.%m.%Y')} (koden gjelder "
                f"{_format_period(*spans[0])}). Velg en annen kode.",
                Severity.ERROR,
            )
        )
        return False

    def check(value: object, ctx: Context) -> tuple[object, list[Problem]]:
        problems: list[Problem] = []
        if not multi:
            assert type(value) is int
            return (value if one(value, ctx, problems) else None), problems
        assert isinstance(value, list)
        if len(value) > len(periods):
            # More entries than the code list has codes: one finding, not one per entry.
            problems.append(
                (
                    FindingCode.TOO_MANY_CODES,
                    f"{label} har {len(value)} valg, men kodelisten har bare {len(periods)} "
                    "koder. Fjern valgene som er for mye.",
                    Severity.ERROR,
                )
            )
            return None, problems
        ok = all([one(code, ctx, problems) for code in value])
        counts = Counter(value)
        if len(counts) != len(value):
            repeated = sorted(c for c, n in counts.items() if n > 1)
            problems.append(
                (
                    FindingCode.DUPLICATE_CODE,
                    f"{label} har {_codes_text(repeated)} mer enn én gang. Fjern dublettene.",
                    Severity.ERROR,
                )
            )
            ok = False
        chosen_exclusive = [c for c in dict.fromkeys(value) if c in exclusive]
        if chosen_exclusive and len(counts) > 1:
            code = chosen_exclusive[0]
            text = variable.code_text(code)
            problems.append(
                (
                    FindingCode.EXCLUSIVE_CODE,
                    f"«{text}» i {label} kan ikke kombineres med andre valg. "
                    f"Fjern «{text}» eller de andre valgene.",
                    Severity.ERROR,
                )
            )
            ok = False
        return (value if ok else None), problems

    return check


def _codes_text(codes: list[int]) -> str:
    if len(codes) == 1:
        return f"koden {codes[0]}"
    return "kodene " + ", ".join(str(c) for c in codes)


def _fnr_checker(label: str) -> ValueChecker:
    bare = label.strip("«»")

    def check(value: object, ctx: Context) -> tuple[object, list[Problem]]:
        assert isinstance(value, str)
        finding = FODSELSNUMMER.check(
            value, ctx.period, label=bare, allow_synthetic=ctx.allow_synthetic, today=ctx.today
        )
        info = analyse_cached(value, ctx.today)
        normalised = info.number if isinstance(info, FnrInfo) else None
        if finding is None:
            return normalised, []
        problem = (FindingCode(finding.code), finding.message, Severity(finding.severity))
        return (None if finding.is_error else normalised), [problem]

    return check


def _municipality_checker(label: str) -> ValueChecker:
    """The project municipality: in force in the period, and the installation's own."""

    bare = label.strip("«»")

    def check(value: object, ctx: Context) -> tuple[object, list[Problem]]:
        finding = MUNICIPALITIES.check(value, ctx.period, label=bare, installation=ctx.installation)
        if finding is None:
            return value, []
        problem = (FindingCode(finding.code), finding.message, Severity(finding.severity))
        # Another municipality's number is still a municipality: the name is derived and
        # the bydel stays open for Oslo, so nothing else is cleared or flagged because of it.
        kept = finding.code == FindingCode.OTHER_MUNICIPALITY or not finding.is_error
        return (value if kept else None), [problem]

    return check


def _domain_checker(name: str, label: str) -> ValueChecker:
    checked = domain(name)
    bare = label.strip("«»")

    def check(value: object, ctx: Context) -> tuple[object, list[Problem]]:
        finding = checked.check(value, ctx.period, label=bare)
        if finding is None:
            return value, []
        problem = (FindingCode(finding.code), finding.message, Severity(finding.severity))
        return (None if finding.is_error else value), [problem]

    return check
