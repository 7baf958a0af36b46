"""``jsdesk --selftest``: prove that an installation (or the frozen bundle) works.

In a temporary folder it creates an encrypted database, loads every shipped form,
drives the wizard offscreen through a synthetic ended participant, creates and
verifies a submission, and checks that no personal data reached the log. It prints
one line per step and returns 0 only when every step passed and nothing unexpected
was written to stderr.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from jsdesk.demo import generate_participations
from jsdesk.domain.period import Period
from jsdesk.logs import setup_logging
from jsdesk.reports.results import compute_results
from jsdesk.rules import check_form_file, default_form, shipped_form_paths
from jsdesk.storage import Database, Status, postgres_client
from jsdesk.submission.create import create_submission, plan_submission
from jsdesk.submission.credentials import create_test_credentials, save_credentials
from jsdesk.submission.verify import verify_file
from jsdesk.ui.bokmal import sorted_norwegian, upper_norwegian
from jsdesk.ui.report_pdf import write_results_pdf_headless
from jsdesk.ui.selftest_drive import fill_participation

PASSPHRASE = "selvtest-passordfrase-1"
SEED = 2032

# Lines Qt's offscreen platform writes by design; anything else on stderr fails the test.
EXPECTED_STDERR = ("This plugin does not support",)

log = logging.getLogger("jsdesk.selftest")


@dataclass
class _Run:
    folder: Path
    record: dict[str, Any] = field(default_factory=dict)
    participation_id: int = 0
    fnr: str = ""
    log_path: Path | None = None

    @property
    def db_path(self) -> Path:
        return self.folder / "selvtest.db"


def _pick_record() -> dict[str, Any]:
    """A complete, ended synthetic participant without deliberate warnings."""

    for candidate in generate_participations(200, SEED, today=date.today()):
        record = candidate.record
        if candidate.complete and not candidate.warnings and record.get("avslutningsdato"):
            return dict(record)
    raise RuntimeError("fant ingen komplett, avsluttet demodeltaker")


def _step_database(run: _Run) -> str:
    run.record = _pick_record()
    run.fnr = str(run.record["fodselsnummer"])
    db, recovery_key = Database.create(
        run.db_path,
        PASSPHRASE,
        kommunenummer=str(run.record["kommunenummer"]),
        bydel=run.record.get("bydel"),
        test_installation=True,
    )
    db.close()
    with Database.open(run.db_path, recovery_key) as reopened:
        report = reopened.check()
        if not report.ok:
            raise RuntimeError("databasesjekken feilet")
    raw = run.db_path.read_bytes()
    if raw.startswith(b"SQLite format 3"):
        raise RuntimeError("databasefilen er ikke kryptert")
    return "opprettet, kryptert og åpnet med gjenopprettingsnøkkelen"


def _step_forms(run: _Run) -> str:
    paths = shipped_form_paths()
    if not paths:
        raise RuntimeError("ingen skjemadefinisjoner funnet")
    problems = [str(problem) for path in paths for problem in check_form_file(path)]
    if problems:
        raise RuntimeError("; ".join(problems[:5]))
    return f"{len(paths)} skjemadefinisjon(er) lastet uten feil"


def _step_wizard(run: _Run) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["JSDESK_PASSPHRASE"] = PASSPHRASE

    form = default_form()
    typed = {
        name: value
        for name, value in run.record.items()
        if form.has_variable(name)
        and form.variable(name).is_input
        and name not in ("kommunenummer", "bydel")
    }
    run.participation_id = fill_participation(run.db_path, form, typed)
    with Database.open(run.db_path, PASSPHRASE) as db:
        stored = db.get_participation(run.participation_id)
    wrong = [name for name, value in typed.items() if stored.values.get(name) != value]
    if wrong:
        raise RuntimeError(f"lagret verdi avviker for: {', '.join(wrong)}")
    if stored.status != Status.KOMPLETT or stored.stage != "avsluttet":
        raise RuntimeError(f"status {stored.status}, stadium {stored.stage}")
    return f"{len(typed)} felt fylt ut i fire deler; lagret som avsluttet og komplett"


def _step_submission(run: _Run) -> str:
    out = run.folder / "innsending"
    out.mkdir()
    with Database.open(run.db_path, PASSPHRASE) as db:
        credentials = create_test_credentials("Selvtest")
        save_credentials(db, credentials)
        plan = plan_submission(db)
        if run.participation_id not in plan.included:
            raise RuntimeError("den utfylte deltakelsen kom ikke med i innsendingen")
        result = create_submission(db, plan, out)
        status = db.get_participation(run.participation_id).status
    report = verify_file(result.path, trusted=[credentials.certificate])
    if not report.ok:
        raise RuntimeError("; ".join(report.lines()))
    if status != Status.INNSENDT:
        raise RuntimeError(f"status etter innsending er {status}")
    return f"{result.path.name} laget og verifisert ({result.record_count} deltakelse)"


def _step_log(run: _Run) -> str:
    if run.log_path is None:
        raise RuntimeError("loggen ble ikke satt opp")
    if not run.fnr:
        raise RuntimeError("ingen syntetisk deltaker å lete etter (databasesteget feilet)")
    # A careless log call with the number must still not leak it.
    log.info("selvtest ferdig for deltaker %s", run.fnr)
    for handler in logging.getLogger("jsdesk").handlers:
        handler.flush()
    text = run.log_path.read_text("utf-8")
    if not text:
        raise RuntimeError("loggen er tom")
    if run.fnr in text or run.fnr in text.replace(" ", "").replace(".", ""):
        raise RuntimeError("fødselsnummeret står i loggen")
    return "loggen inneholder ingen fødselsnumre"


# Norwegian order: æ, ø, å after z, and "aa" as å (the Linux bundle's ICU data is cut
# down to what Qt needs here; a missing collation would sort æ/ø/å among the a's and o's).
NORWEGIAN_ORDER = ("Berg", "Zeta", "Ærlig", "Øvre", "Åse", "Aasen")


def _step_norwegian_text(_run: _Run) -> str:
    """Qt's Norwegian collation and case mapping (ICU on Linux) work in this build."""
    mixed = sorted(NORWEGIAN_ORDER, key=lambda word: word.casefold()[::-1])
    ordered = tuple(sorted_norwegian(mixed))
    if ordered != NORWEGIAN_ORDER:
        raise RuntimeError(f"sortert som {', '.join(ordered)}")
    upper = upper_norwegian("æøå")
    if upper != "ÆØÅ":
        raise RuntimeError(f"«æøå» med store bokstaver ble «{upper}»")
    return "æ, ø og å sorteres etter z, og «æøå» blir «ÆØÅ»"


def _step_postgres_client(_run: _Run) -> str:
    """psycopg's own libpq loads (the Linux build rewrites it to the bundle's OpenSSL)."""
    return postgres_client()


def _step_report(run: _Run) -> str:
    """The results as a PDF with its charts (pyqtgraph and numpy load in the bundle)."""
    target = run.folder / "resultater.pdf"
    with Database.open(run.db_path, PASSPHRASE) as db:
        stored = db.get_participation(run.participation_id)
        year = int(str(stored.values["oppstartsdato"])[:4])
        results = compute_results(db, default_form(), Period.year(year))
    write_results_pdf_headless(results, target)
    images = target.read_bytes().count(b"/Subtype /Image")
    if images < len(results.charts):
        raise RuntimeError(f"PDF-en har {images} diagrammer, ventet {len(results.charts)}")
    return f"{target.name} skrevet med {images} diagrammer"


STEPS: tuple[tuple[str, Callable[[_Run], str]], ...] = (
    ("Kryptert database", _step_database),
    ("Skjemadefinisjoner", _step_forms),
    ("Veiviser (offscreen)", _step_wizard),
    ("Norsk sortering og store bokstaver", _step_norwegian_text),
    ("PostgreSQL-klient", _step_postgres_client),
    ("Resultater som PDF med diagrammer", _step_report),
    ("Innsending (signert og verifisert)", _step_submission),
    ("Logg uten personopplysninger", _step_log),
)


@contextmanager
def _captured_stderr(folder: Path) -> Iterator[Path]:
    """Send file descriptor 2 (Python and Qt alike) to a file for the duration."""
    target = folder / "stderr.txt"
    sys.stderr.flush()
    saved = os.dup(2)
    with open(target, "wb") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield target
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextmanager
def _restored(saved_env: dict[str, str | None]) -> Iterator[None]:
    """Give back the environment and close the temporary log when the run ends."""
    root = logging.getLogger("jsdesk")
    handlers_before = list(root.handlers)
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers_before]:
            root.removeHandler(handler)
            handler.close()
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run() -> int:
    """Run every step; print one line each; 0 only when all pass."""

    failures = 0
    saved_env = {key: os.environ.get(key) for key in ("JSDESK_DB", "JSDESK_PASSPHRASE")}
    with tempfile.TemporaryDirectory(prefix="jsdesk-selvtest-") as tmp, _restored(saved_env):
        folder = Path(tmp)
        os.environ["JSDESK_DB"] = str(folder / "selvtest.db")
        state = _Run(folder, log_path=setup_logging(folder / "logg"))
        with _captured_stderr(folder) as stderr_file:
            for name, step in STEPS:
                try:
                    detail = step(state)
                except Exception as exc:  # every failure is reported, then the next step runs
                    failures += 1
                    log.exception("Selvtest: steget «%s» feilet", name)
                    print(f"FEIL {name}: {exc}", flush=True)
                else:
                    print(f"OK   {name}: {detail}", flush=True)
        unexpected = [
            line
            for line in stderr_file.read_text("utf-8", errors="replace").splitlines()
            if line.strip() and not line.startswith(EXPECTED_STDERR)
        ]
        if unexpected:
            failures += 1
            print(f"FEIL Uventet utskrift på stderr: {unexpected[0][:200]}", flush=True)
        else:
            print("OK   Ingen uventet utskrift på stderr", flush=True)
    print("Selvtest bestått." if failures == 0 else f"Selvtest feilet ({failures} steg).")
    return 0 if failures == 0 else 1
