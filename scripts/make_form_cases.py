"""Write forms/cases/: the form test cases for the shipped form (docs/pilot.md).

One complete, valid base record (synthetic, from the demo generator) and, for every
dependency rule (``kind: enable``), one case with the rule's condition met and one
with it not met, each with the outcome the shipped form gives today. Run it again
only when a new form version is meant to change these outcomes; ``jsdesk form test
forms/jobbsjansen-2023.yaml forms/cases`` then shows what changed.

    .venv/bin/python scripts/make_form_cases.py
"""

from __future__ import annotations

import datetime as dt
import shutil
from typing import Any

from jsdesk.demo import generate_participations
from jsdesk.rules import default_form
from jsdesk.rules.cases import new_case, shipped_cases_dir, write_case

TODAY = dt.date(2026, 11, 29)


def base_record() -> dict[str, Any]:
    """An ended participation in Oslo, valid without warnings, no children, ended for 13."""
    for candidate in generate_participations(400, 7, today=TODAY):
        record = dict(candidate.record)
        if candidate.complete and not candidate.warnings and "hovedarsak_avslutning" in record:
            record.update(omsorgsansvar_barn=2, hovedarsak_avslutning=13)
            for name in ("antall_barn", "hovedarsak_avbrutt", "type_arbeid"):
                record.pop(name, None)
            record.pop("stillingsprosent_arbeid", None)
            record.pop("type_naring_arbeid", None)
            return record
    raise SystemExit("no base record")


WORK = {"type_arbeid": 1, "stillingsprosent_arbeid": 3, "type_naring_arbeid": 99}


def variants(base: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], tuple[str, ...]]]:
    """(name, description, changes, keys to remove) per dependency rule and direction."""
    no_practice = {
        "norskopplaring_spraktrening": [1, 2],
        "arbeidsrettede_tiltak": [3, 8, 9],
        "sted_arbeidspraksis": [9],
    }
    cases: list[tuple[str, str, dict[str, Any], tuple[str, ...]]] = [
        ("grunnlag", "Avsluttet deltakelse i Oslo, gyldig uten advarsler.", {}, ()),
        (
            "intro_avsluttet_dato_aktiv-pa",
            "Deltatt i introduksjonsprogram, men uten dato for avslutning: påkrevd.",
            {"deltatt_intro": 1},
            ("intro_avsluttet_dato",),
        ),
        (
            "intro_avsluttet_dato_aktiv-av",
            "Ikke deltatt i introduksjonsprogram, men dato oppgitt: låst felt.",
            {"deltatt_intro": 2, "intro_avsluttet_dato": "2023-10-19"},
            (),
        ),
        (
            "antall_barn_aktiv-pa",
            "Omsorgsansvar for barn med antall barn: godtas.",
            {"omsorgsansvar_barn": 1, "antall_barn": 2},
            (),
        ),
        (
            "antall_barn_aktiv-av",
            "Uten omsorgsansvar, men antall barn oppgitt: låst felt.",
            {"omsorgsansvar_barn": 2, "antall_barn": 2},
            (),
        ),
        (
            "bydel_aktiv-pa",
            "Oslo uten bydel: påkrevd.",
            {"kommunenummer": "0301"},
            ("bydel",),
        ),
        (
            "bydel_aktiv-av",
            "Drammen med bydel: låst felt.",
            {"kommunenummer": "3301", "bydel": "030102"},
            (),
        ),
        (
            "oppstartsdato_forste_praksis_aktiv-pa",
            "Arbeidspraksis registrert uten dato for første praksis: påkrevd.",
            {"arbeidsrettede_tiltak": [3, 6, 8, 9]},
            ("oppstartsdato_forste_praksis",),
        ),
        (
            "oppstartsdato_forste_praksis_aktiv-av",
            "Dato for første praksis uten registrert praksis: advarsel (feltet er åpent).",
            no_practice,
            (),
        ),
        (
            "hovedarsak_avbrutt_aktiv-pa",
            "Avbrutt (16) uten hovedårsak til avbrudd: påkrevd.",
            {"hovedarsak_avslutning": 16, "fravar": 2},
            (),
        ),
        (
            "hovedarsak_avbrutt_aktiv-av",
            "Avsluttet av annen grunn (13) med hovedårsak til avbrudd: låst felt.",
            {"hovedarsak_avbrutt": 2},
            (),
        ),
    ]
    for name in ("type_arbeid", "stillingsprosent_arbeid", "type_naring_arbeid"):
        others = {k: v for k, v in WORK.items() if k != name}
        cases.append(
            (
                f"{name}_aktiv-pa",
                f"Avsluttet til arbeid (1) uten {name}: påkrevd.",
                {"hovedarsak_avslutning": 1, **others},
                (),
            )
        )
        cases.append(
            (
                f"{name}_aktiv-av",
                f"Avsluttet av annen grunn (13) med {name}: låst felt.",
                {name: WORK[name]},
                (),
            )
        )
    return cases


def main() -> None:
    form = default_form()
    folder = shipped_cases_dir()
    shutil.rmtree(folder, ignore_errors=True)
    base = base_record()
    for name, description, changes, removed in variants(base):
        record = {k: v for k, v in {**base, **changes}.items() if k not in removed}
        case = new_case(form, record, name=name, description=description, today=TODAY)
        path = write_case(folder, case)
        print(f"{path.name}: {case.outcome.short()}")


if __name__ == "__main__":
    main()
