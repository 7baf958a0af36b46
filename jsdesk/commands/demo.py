"""``jsdesk demo``: a TEST installation database filled with synthetic participations.

For pilots, training, screenshots and benchmarks. The records come from
``jsdesk.demo`` (Tenor synthetic numbers only) and go in through storage, so
every stored record has its stage, status and findings like one typed in. The
deliberate warnings some demo records carry are accepted with a reason, so the
overview shows accepted warnings too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from jsdesk.commands.db import ask_new_passphrase, db_path
from jsdesk.demo import generate_participations
from jsdesk.domain.code_domains import MUNICIPALITIES, OSLO_BYDELER
from jsdesk.errors import ExitCode, UserError
from jsdesk.rules import default_form
from jsdesk.storage import Database, database_target

if TYPE_CHECKING:
    from jsdesk.demo import DemoParticipation
    from jsdesk.forms import FormDefinition

ACCEPT_REASON = "Demodata: advarselen er laget med vilje og godtatt."
_BATCH = 2000
# Accepting a warning is one committed transaction; a few hundred show the feature
# without costing the 100,000-record benchmark minutes.
MAX_ACCEPTED_WARNINGS = 200


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="lag en TEST-database med syntetiske deltakelser (pilot, opplæring, skjermbilder)",
        description=(
            "Lager en ny testinstallasjon (alt merket TEST) med N syntetiske deltakelser: "
            "bare syntetiske fødselsnumre (Tenor), begge stadier, alle avslutningsårsaker, "
            "noen ufullstendige og noen med godtatte advarsler. Samme --seed gir samme data. "
            "Passordfrasen tas fra JSDESK_PASSPHRASE eller spørres om."
        ),
    )
    parser.add_argument(
        "--participants", type=_positive, required=True, metavar="N", help="Antall deltakelser."
    )
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="Frø (standard 1).")
    parser.add_argument(
        "--kommune",
        metavar="NR",
        help="installasjonens kommunenummer i dag (standard Oslo); alle deltakelsene hører til den",
    )
    parser.add_argument(
        "--db",
        type=database_target,
        metavar="FIL",
        help="ny databasefil (må ikke finnes fra før)",
    )
    parser.set_defaults(func=run_demo)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» er ikke et heltall") from None
    if value < 1:
        raise argparse.ArgumentTypeError("antallet må være minst 1")
    return value


def run_demo(args: argparse.Namespace) -> int:
    kommune = args.kommune or OSLO_BYDELER.kommunenummer
    if not MUNICIPALITIES.is_current_today(kommune, dt.date.today()):
        raise UserError(
            f"--kommune {kommune}: ikke et kommunenummer som gjelder i dag (f.eks. 3301).",
            ExitCode.USAGE,
        )
    path = db_path(args)
    secret = ask_new_passphrase()
    started = time.perf_counter()
    db, recovery_key = Database.create(path, secret, kommunenummer=kommune, test_installation=True)
    with db:
        stats = fill_demo_database(db, args.participants, seed=args.seed)
    elapsed = time.perf_counter() - started
    print(f"TEST-database laget: {path}")
    print(f"Gjenopprettingsnøkkel (vises bare nå, ta vare på den): {recovery_key}")
    print(
        f"{stats.total} syntetiske deltakelser lagret på {elapsed:.1f} s: "
        f"{stats.complete} komplette, {stats.incomplete} ufullstendige, "
        f"{stats.accepted_warnings} godtatte advarsler (frø {args.seed})."
    )
    return 0


class DemoStats:
    def __init__(self) -> None:
        self.total = 0
        self.complete = 0
        self.incomplete = 0
        self.accepted_warnings = 0


def fill_demo_database(
    db: Database, count: int, *, seed: int, today: dt.date | None = None
) -> DemoStats:
    """Store ``count`` generated participations of the installation's municipality (and
    bydel) in ``db`` (a test installation)."""

    if not db.settings.test_installation:
        raise UserError(
            "Demodata kan bare lagres i en testinstallasjon (syntetiske fødselsnumre).", 1
        )
    form = default_form()
    settings = db.settings  # every participation is the installation's own
    participations = generate_participations(
        count, seed, today=today, kommunenummer=settings.kommunenummer, bydel=settings.bydel
    )
    stats = DemoStats()
    for first in range(0, count, _BATCH):
        batch = participations[first : first + _BATCH]
        ids = _store(db, form, batch)
        for pid, participation in zip(ids, batch, strict=True):
            stats.total += 1
            if participation.complete:
                stats.complete += 1
            else:
                stats.incomplete += 1
            if participation.warnings and stats.accepted_warnings < MAX_ACCEPTED_WARNINGS:
                stats.accepted_warnings += _accept_warnings(db, pid, participation)
    return stats


def _store(db: Database, form: FormDefinition, batch: Sequence[DemoParticipation]) -> list[int]:
    """Insert a batch in one transaction (storage's ``import_records``)."""
    stored = db.import_records([p.record for p in batch], form_version=form.version)
    return [item.id for item in stored]


def _accept_warnings(db: Database, pid: int, participation: DemoParticipation) -> int:
    record = db.get_participation(pid)
    accepted = 0
    for finding in record.findings:
        if finding.get("severity") == "warning" and finding.get("variable") in set(
            participation.warnings
        ):
            index = finding.get("index")
            db.accept_warning(
                pid,
                str(finding["variable"]),
                str(finding["code"]),
                ACCEPT_REASON,
                index=index if isinstance(index, int) else None,
            )
            accepted += 1
    return accepted


__all__ = ["DemoStats", "fill_demo_database", "register", "run_demo"]
