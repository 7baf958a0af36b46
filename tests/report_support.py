"""A fixed register for the report tests: nine synthetic participations, figures by hand.

Oslo, 2025 as the period. Who is where (the tests spell out each figure):

====  ==========  ==========  ==========  ======  =====================================
name  born        start       end         bydel   end reason and the rest
====  ==========  ==========  ==========  ======  =====================================
A     15.06.2000  01.02.2025  01.08.2025  030101  1 Arbeid; fast, 61-100; fravær 1
B     10.01.1990  01.06.2024  01.03.2025  030101  2 Lønnstilskudd; midlertidig, 41-60
C     05.05.1985  01.01.2024  31.12.2025  030101  3 Grunnskole
D     03.03.1980  01.05.2025  15.06.2025  030101  16 Drop-out (avbrutt 5)
E     07.07.1975  01.03.2023  30.11.2024  030101  1 Arbeid (ended before 2025)
F     09.09.1995  01.09.2025  –           030101  active; intro Ja without end date
G     02.02.1968  10.01.2026  –           030101  starts after 2025
H     04.04.1960  15.01.2025  01.10.2025  030102  12 NAV-tiltak
I     31.12.1999  01.03.2025  01.04.2025  030101  1 Arbeid; fast, 1-40; fravær Ukjent
====  ==========  ==========  ==========  ======  =====================================
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from storage_helpers import PASSPHRASE, Installation
from ui_support import synthetic

from jsdesk.storage import Database

FORM_VERSION = "2023.1"


def _record(
    birth: date, individual: int, start: str, bydel: str = "030101", **values: object
) -> dict[str, object]:
    return {
        "fodselsnummer": synthetic(birth, individual),
        "kommunenummer": "0301",
        "bydel": bydel,
        "oppstartsdato": start,
        **values,
    }


def fixed_records() -> dict[str, dict[str, object]]:
    return {
        "A": _record(
            date(2000, 6, 15), 601, "2025-02-01",
            avslutningsdato="2025-08-01", hovedarsak_avslutning=1, type_arbeid=1,
            stillingsprosent_arbeid=3, fravar=1, hovedinntektskilde_etter_avslutning=1,
            deltatt_intro=2, inntektskilde_for_oppstart=5,
        ),
        "B": _record(
            date(1990, 1, 10), 102, "2024-06-01",
            avslutningsdato="2025-03-01", hovedarsak_avslutning=2, type_arbeid=2,
            stillingsprosent_arbeid=2, fravar=2, hovedinntektskilde_etter_avslutning=1,
            deltatt_intro=1, intro_avsluttet_dato="2024-01-15", inntektskilde_for_oppstart=4,
        ),
        "C": _record(
            date(1985, 5, 5), 103, "2024-01-01",
            avslutningsdato="2025-12-31", hovedarsak_avslutning=3, fravar=1,
            hovedinntektskilde_etter_avslutning=7, deltatt_intro=1,
            intro_avsluttet_dato="2023-06-01", inntektskilde_for_oppstart=5,
        ),
        "D": _record(
            date(1980, 3, 3), 104, "2025-05-01",
            avslutningsdato="2025-06-15", hovedarsak_avslutning=16, hovedarsak_avbrutt=5,
            fravar=6, hovedinntektskilde_etter_avslutning=5, deltatt_intro=2,
            inntektskilde_for_oppstart=5,
        ),
        "E": _record(
            date(1975, 7, 7), 105, "2023-03-01",
            avslutningsdato="2024-11-30", hovedarsak_avslutning=1, type_arbeid=1,
            stillingsprosent_arbeid=3, fravar=1, hovedinntektskilde_etter_avslutning=1,
            deltatt_intro=2, inntektskilde_for_oppstart=2,
        ),
        "F": _record(
            date(1995, 9, 9), 106, "2025-09-01", deltatt_intro=1, inntektskilde_for_oppstart=8
        ),
        "G": _record(date(1968, 2, 2), 107, "2026-01-10", deltatt_intro=2),
        "H": _record(
            date(1960, 4, 4), 108, "2025-01-15", bydel="030102",
            avslutningsdato="2025-10-01", hovedarsak_avslutning=12, fravar=3,
            hovedinntektskilde_etter_avslutning=6, deltatt_intro=2,
            inntektskilde_for_oppstart=6, type_arbeid=9, stillingsprosent_arbeid=9,
        ),
        "I": _record(
            date(1999, 12, 31), 109, "2025-03-01",
            avslutningsdato="2025-04-01", hovedarsak_avslutning=1, type_arbeid=1,
            stillingsprosent_arbeid=1, fravar=9, hovedinntektskilde_etter_avslutning=1,
            deltatt_intro=2, inntektskilde_for_oppstart=1,
        ),
    }  # fmt: skip


def fixed_db(path: Path) -> tuple[Database, dict[str, int]]:
    """The fixed register as an Oslo test installation; returns the open db and the ids."""
    db, _key = Database.create(
        path, PASSPHRASE, kommunenummer="0301", bydel="030101", test_installation=True
    )
    ids = {
        name: db.create_participation(values, form_version=FORM_VERSION)
        for name, values in fixed_records().items()
    }
    return db, ids


def fixed_register(installation: Installation) -> tuple[Database, dict[str, int]]:
    """The fixed register in a new installation on either back end, for the whole of Oslo
    (H is in another bydel: on a shared database the login sees the whole municipality);
    returns the open db and the ids."""
    db = installation.create(bydel=None)
    ids = {
        name: db.create_participation(values, form_version=FORM_VERSION)
        for name, values in fixed_records().items()
    }
    return db, ids
