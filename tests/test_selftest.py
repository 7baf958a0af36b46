"""`jsdesk --selftest`: the whole product in one headless run, and that it fails loudly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jsdesk import selftest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_selftest__fresh_run__every_step_passes_and_exit_0(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    env.pop("JSDESK_PASSPHRASE", None)
    env.pop("JSDESK_DB", None)
    result = subprocess.run(
        [sys.executable, "-m", "jsdesk", "--selftest"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "OK   Kryptert database",
        "OK   Skjemadefinisjoner",
        "OK   Veiviser (offscreen)",
        "OK   Norsk sortering og store bokstaver",
        "OK   PostgreSQL-klient",
        "OK   Resultater som PDF med diagrammer",
        "OK   Innsending (signert og verifisert)",
        "OK   Logg uten personopplysninger",
        "OK   Ingen uventet utskrift på stderr",
    ]
    assert lines[-1] == "Selvtest bestått."
    assert result.stderr == ""


def test_selftest__failing_step__reported_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_run: object) -> str:
        raise RuntimeError("noe gikk galt")

    monkeypatch.setattr(selftest, "STEPS", (("Fungerer", lambda _r: "fint"), ("Feiler", broken)))
    assert selftest.run() == 1
    out = capsys.readouterr().out
    assert "OK   Fungerer: fint" in out
    assert "FEIL Feiler: noe gikk galt" in out
    assert "Selvtest feilet (1 steg)." in out


def test_selftest__unexpected_stderr__fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def noisy(_run: object) -> str:
        os.write(2, b"QWidget: noe uventet\n")
        return "ferdig"

    monkeypatch.setattr(selftest, "STEPS", (("Støyende", noisy),))
    assert selftest.run() == 1
    out = capsys.readouterr().out
    assert "OK   Støyende: ferdig" in out
    assert "FEIL Uventet utskrift på stderr: QWidget: noe uventet" in out


def test_postgres_client__python_fallback_instead_of_own_libpq__refused() -> None:
    # psycopg falls back to a system libpq (ctypes) when its own does not load; the frozen
    # self-test must fail then, as a caseworker's machine has no system libpq.
    check = "from jsdesk.storage import postgres_client; print(postgres_client())"
    env = {**os.environ, "PSYCOPG_IMPL": "python"}
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    # With a system libpq psycopg runs on it («python»); without one (a bare Debian 12)
    # it cannot load at all: either way the check refuses, naming its own libpq.
    assert (
        "psycopg bruker «python», ikke sin egen libpq" in result.stderr
        or "psycopg finner ikke sin egen libpq" in result.stderr
    )
    own = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True)
    assert own.stdout.startswith("libpq ") and own.stdout.strip().endswith("(psycopg binary)")
