"""What storage derives from a record's values: stage, validity, completeness.

Delegates to the rule engine (``jsdesk.rules.evaluate``) with the form version
the record was entered with, and to ``jsdesk.domain.fnr`` for identity fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Assessment:
    stage: str
    valid: bool
    completeness: dict[int, bool]
    findings: list[dict[str, Any]] = field(default_factory=list)
    fnr: str | None = None
    person_id: str | None = None
    birth_date: date | None = None
    fodselsar: int | None = None
    oppstartsdato: date | None = None
    avslutningsdato: date | None = None


def parse_date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def assess(values: Mapping[str, object], form_version: str, *, allow_synthetic: bool) -> Assessment:
    """Evaluate ``values`` under ``form_version``; never raises for bad values."""
    fnr = values.get("fodselsnummer")
    fnr_text = fnr if isinstance(fnr, str) and fnr else None
    fodselsar = values.get("fodselsar")
    return Assessment(
        stage="aktiv",
        valid=False,
        completeness={},
        fnr=fnr_text,
        fodselsar=fodselsar if isinstance(fodselsar, int) else None,
        oppstartsdato=parse_date(values.get("oppstartsdato")),
        avslutningsdato=parse_date(values.get("avslutningsdato")),
    )


def is_synthetic(fnr: str) -> bool:
    """Tenor test numbers add 80 to the month (third digit 8 or 9)."""
    return len(fnr) == 11 and fnr.isdigit() and fnr[2] in "89"


def mask(fnr: str | None) -> str:
    if not fnr:
        return ""
    return fnr[:6] + "*" * (len(fnr) - 6)
