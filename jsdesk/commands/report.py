"""``jsdesk report``: the municipality's results for a period as PDF, Excel or JSON.

Every figure written is suppressed (counts 1-4 as «<5» and a second cell where
needed; see ``jsdesk.reports.suppression``): the files are meant to be passed on.
The PDF is drawn by Qt (``jsdesk.ui.report_pdf``), which is imported only for it.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from jsdesk.commands.db import add_db_argument, open_database
from jsdesk.domain.code_domains import OSLO_BYDELER
from jsdesk.domain.period import Period
from jsdesk.errors import UserError
from jsdesk.reports.export import write_results_json, write_results_xlsx
from jsdesk.reports.results import compute_results
from jsdesk.rules import default_form
from jsdesk.storage.types import parse_search_date

FORMATS = ("pdf", "xlsx", "json")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="resultater for en periode som PDF, Excel eller JSON (små tall skjult)",
        description=(
            "Skriver kommunens resultater for et år eller en periode: aktive, startede og "
            "avsluttede deltakelser, utfall gruppert slik registeret gjør det, andel i arbeid "
            "eller utdanning, inntektskilde, fravær, tid i programmet og alder. Tall fra 1 til "
            "4 skjules («<5»), og et tall til der det skjulte ellers kunne regnes ut."
        ),
    )
    period = parser.add_mutually_exclusive_group(required=True)
    period.add_argument("--year", type=int, metavar="ÅR", help="kalenderåret, f.eks. 2025")
    period.add_argument(
        "--period",
        metavar="FRA:TIL",
        help="en periode, f.eks. 01.01.2025:30.06.2025 (DD.MM.ÅÅÅÅ eller ÅÅÅÅ-MM-DD)",
    )
    parser.add_argument("--bydel", metavar="NR", help="bare én bydel i Oslo, f.eks. 030101")
    parser.add_argument("--format", choices=FORMATS, required=True, help="filformat")
    parser.add_argument("--out", type=Path, required=True, metavar="FIL", help="filen som lages")
    add_db_argument(parser)
    parser.set_defaults(func=run_report)


def parse_period(args: argparse.Namespace) -> Any:
    if args.year is not None:
        if not 2000 <= args.year <= 2100:
            raise UserError(f"Året {args.year} er ikke et gyldig rapportår.", 2)
        return Period.year(args.year)
    first_text, sep, last_text = str(args.period).partition(":")
    first, last = _day(first_text), _day(last_text) if sep else None
    if first is None or last is None:
        raise UserError(
            f"Perioden «{args.period}» må skrives FRA:TIL, f.eks. 01.01.2025:30.06.2025.", 2
        )
    return Period(first, last)


def _day(text: str) -> date | None:
    return parse_search_date(text.strip())


def run_report(args: argparse.Namespace) -> int:
    period = parse_period(args)
    if args.bydel is not None and OSLO_BYDELER.name_of(args.bydel) is None:
        raise UserError(f"«{args.bydel}» er ikke en bydel i Oslo (f.eks. 030101).", 2)
    out: Path = args.out
    if not out.parent.is_dir():
        raise UserError(f"Mappen {out.parent} finnes ikke.", 2)
    with open_database(args) as db:
        results = compute_results(db, default_form(), period, bydel=args.bydel)
    if args.format == "json":
        write_results_json(results, out)
    elif args.format == "xlsx":
        write_results_xlsx(results, out)
    else:
        # Qt draws the PDF; json and xlsx reports do not load it (42 modules, the Qt
        # libraries and a font database: python -X importtime).
        from jsdesk.ui.report_pdf import write_results_pdf_headless

        write_results_pdf_headless(results, out)
    print(f"Resultater for {period.label} skrevet til {out} (små tall skjult).")
    return 0
