"""The load test of the shared database, small: a few caseworkers with their own
logins save at once.

``benchmarks/shared_load.py`` runs 20 clients × 500 changes on 2,000 participations and
prints changes per second; here 4 clients × 40 changes on 30 participations (most of
them busy) against the real TLS test server, through the same code: conflicts happen
and are resolved as the wizard resolves them, nothing saved is lost, and the audit
chain verifies.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path
from types import ModuleType

from pg_support import PgServer

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "shared_load.py"


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shared_load", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_concurrent_caseworkers__no_lost_update__chain_verified(pg_server: PgServer) -> None:
    load = _benchmark()
    name = "last" + uuid.uuid4().hex[:12]
    try:
        result = load.run_load(pg_server, name, clients=4, changes=40, participations=30)
    finally:
        pg_server.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert result.failures == []
    assert result.saved > 100  # most changes stored; the rest taken from another on purpose
    assert result.counts["conflicts"] > 0  # the busy participations made real conflicts
    assert result.counts["kept"] + result.counts["taken"] == result.counts["conflicts"]
    assert (result.missing, result.lost) == (0, 0)
    assert result.chain_ok and result.chain_events > result.saved
    assert result.ok
