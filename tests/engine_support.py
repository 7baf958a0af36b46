"""Records and numbers for the rule-engine tests.

Only synthetic fødselsnumre appear as data here (Tenor, month + 80). Tests that
must prove the production path (a real-format number accepted without
``allow_synthetic``) build such a number at run time with computed control
digits (``classic_number``) and never write one to a file: a literal 11-digit
number in the repository could be a real person's number.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from stdnum.no import fodselsnummer as stdnum_fnr

from jsdesk.domain.fnr import PersonKey, synthetic_number
from jsdesk.forms import FormDefinition
from jsdesk.rules import Evaluation, FindingCode, evaluate, load_form, shipped_form_paths
from jsdesk.rules import form_files as form_loader

FORM_PATH = Path(__file__).resolve().parent.parent / "forms" / "jobbsjansen-2023.yaml"
TODAY = date(2025, 6, 1)

_FORM: FormDefinition | None = None


def shipped_form() -> FormDefinition:
    global _FORM
    if _FORM is None:
        _FORM = load_form(FORM_PATH)
    return _FORM


def tenor(birth: date = date(1990, 5, 17), individual: int = 123, **kwargs: Any) -> str:
    """A synthetic (Tenor) number; tries following individual numbers until one is valid."""
    start = individual if birth.year < 2000 else max(individual, 500)
    for candidate in range(start, start + 50):
        try:
            return synthetic_number(birth, candidate, **kwargs)
        except ValueError:
            continue
    raise AssertionError("no synthetic number found")


def _with_control_digits(base: str, *, rule_2032: bool = False) -> str | None:
    weights = (3, 7, 6, 1, 8, 9, 4, 5, 2)
    weighted = sum(w * int(d) for w, d in zip(weights, base, strict=True))
    for residue in (1, 2, 3) if rule_2032 else (0,):
        k1 = (residue - weighted) % 11
        if k1 > 9:
            continue
        k2 = stdnum_fnr.calc_check_digit2(base + str(k1))
        if len(k2) == 1:
            return base + str(k1) + k2
    return None


def classic_number(
    day: int = 1,
    month: int = 1,
    yy: int = 90,
    *,
    day_offset: int = 0,
    month_offset: int = 0,
    first: str | None = None,
    rule_2032: bool = False,
    individual_from: int = 100,
) -> str:
    """A number with valid control digits, built at run time (never stored; see module doc)."""
    for individual in range(individual_from, individual_from + 100):
        base = f"{day + day_offset:02d}{month + month_offset:02d}{yy:02d}{individual:03d}"
        if first is not None:
            base = first + base[1:]
        number = _with_control_digits(base, rule_2032=rule_2032)
        if number is not None:
            return number
    raise AssertionError("no number with valid control digits found")


def aktiv_record(**changes: object) -> dict[str, object]:
    """A complete, valid record in stage aktiv (start 01.03.2024, Stavanger)."""
    record: dict[str, object] = {
        "fodselsnummer": tenor(),
        "kommunenummer": "1103",
        "oppstartsdato": "2024-03-01",
        "finansieringstype": 1,
        "deltatt_intro": 2,
        "omsorgsansvar_barn": 2,
        "inntektskilde_for_oppstart": 5,
        "utdanning_norge": 0,
        "utdanning_utland": 3,
        "ar_inntekt_arbeid_utland": 2,
        "lese_skrive_latinsk_alfabet": 2,
        "lese_skrive_morsmal": 1,
        "tiltak_for_jobbsjansen": [1, 3],
        "behov_arbeidsevne_vurdering": 2,
        "rett_norskopplaring": 1,
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not _DROP}


def avsluttet_record(**changes: object) -> dict[str, object]:
    """A complete, valid record in stage avsluttet (ended 31.01.2025 to Grunnskole)."""
    record = aktiv_record(
        norskopplaring_spraktrening=[1],
        arbeidsrettede_tiltak=[1],
        sted_arbeidspraksis=[9],
        utdanningsrettede_tiltak=[99],
        helsefremmende_tiltak=[1],
        samfunn_ovrige_tiltak=[1, 2],
        hovedarsak_avslutning=3,
        avslutningsdato="2025-01-31",
        fravar=2,
        hovedinntektskilde_etter_avslutning=1,
    )
    record.update(changes)
    return {k: v for k, v in record.items() if v is not _DROP}


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()
_DROP = DROP


# An installation's person-id key, fixed so that runs can be compared.
PERSON_KEY = PersonKey(bytes(range(32)))


def run(record: object, form: FormDefinition | None = None, **kwargs: Any) -> Evaluation:
    kwargs.setdefault("allow_synthetic", True)
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("person_key", PERSON_KEY)
    return evaluate(form or shipped_form(), record, **kwargs)  # type: ignore[arg-type]


def codes_for(evaluation: Evaluation, variable: str) -> list[FindingCode]:
    return [f.code for f in evaluation.findings if f.variable == variable]


def all_codes(evaluation: Evaluation) -> set[FindingCode]:
    return {f.code for f in evaluation.findings}


@contextmanager
def shipping(new_form_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Make jsdesk 'ship' ``new_form_path`` beside its own forms, as a release with the
    new form would (the forms folder is ``folder``); yields the new form's path."""
    folder.mkdir()
    for path in shipped_form_paths():
        shutil.copy(path, folder / path.name)
    shutil.copy(new_form_path, folder / new_form_path.name)
    monkeypatch.setattr(form_loader, "forms_dir", lambda: folder)
    form_loader._shipped_forms.cache_clear()
    try:
        yield new_form_path
    finally:
        form_loader._shipped_forms.cache_clear()
