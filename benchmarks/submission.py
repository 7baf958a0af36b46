"""Benchmark: create and verify a signed submission of 10,000 records.

Prints the time to write the records as plain JSON (temp file, fsync, rename),
the time to create the submission from the same records (schema check,
manifest, CMS signature, ZIP, atomic write), the ratio between the two, and the
time to verify the file as the receiver would (layout, digests, signature,
schema and every record against the form rules). With ``--with-db`` it also
times ``plan_submission`` + ``create_submission`` from an encrypted database
holding the records (the import is not timed), with the time of each phase
(collect, build, verify, write, mark as submitted) and the ratio to plain JSON.

Targets: create within 3x plain JSON, verify under 5 s.

    python benchmarks/submission.py [--records 10000] [--with-db]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jsdesk import __version__
from jsdesk.demo import generate_records
from jsdesk.rules import default_form, evaluate
from jsdesk.submission.container import build_container, write_atomic
from jsdesk.submission.credentials import create_test_credentials
from jsdesk.submission.payload import encode_payload
from jsdesk.submission.verify import verify_file


def payload_records(count: int) -> list[dict[str, Any]]:
    form = default_form()
    records: list[dict[str, Any]] = []
    for number, values in enumerate(generate_records(count * 2, seed=2026), start=1):
        evaluation = evaluate(form, values, allow_synthetic=True)
        if not evaluation.valid:
            continue
        records.append(
            {
                "record_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{number}")),
                "record_version": 1,
                "form_version": form.version,
                "stage": str(evaluation.stage),
                "status": "komplett",
                "correction": False,
                "values": {**values, **evaluation.derived},
                "accepted_warnings": [],
            }
        )
        if len(records) == count:
            break
    return records


def header(count: int) -> dict[str, object]:
    return {
        "format_version": "1",
        "form_versions": [default_form().version],
        "kommunenummer": "0301",
        "kommunenavn": "Oslo",
        "bydel": "030105",
        "reporting_period": {"from": "2023-01-01", "to": "2025-12-31"},
        "selection": "changed",
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "submission_id": str(uuid.uuid4()),
        "software_version": f"jsdesk {__version__}",
        "record_count": count,
        "test_data": True,
    }


def timed(label: str, func: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {elapsed:7.3f} s")
    return elapsed, result


def bench_db(records: int, folder: Path, plain_time: float) -> None:
    from jsdesk.storage import Database
    from jsdesk.submission.create import create_submission, plan_submission
    from jsdesk.submission.credentials import save_credentials

    db, _ = Database.create(
        folder / "bench.db",
        "benchmark passordfrase",
        kommunenummer="0301",
        bydel="030105",
        test_installation=True,
    )
    with db:
        print(f"(importerer {records} poster i databasen, ikke tidtatt …)")
        db.import_records(generate_records(records, seed=2026), form_version=default_form().version)
        save_credentials(db, create_test_credentials("0301"))
        (folder / "db-ut").mkdir()
        _, plan = timed("plan_submission fra databasen", lambda: plan_submission(db))
        phases: dict[str, float] = {}
        last = [time.perf_counter(), ""]

        def progress(phase: str, _done: int, _total: int) -> None:
            now = time.perf_counter()
            if last[1]:
                phases[str(last[1])] = phases.get(str(last[1]), 0.0) + now - float(last[0])
            last[:] = [now, phase]

        total, _ = timed(
            f"create_submission fra databasen ({len(plan.included)} poster)",
            lambda: create_submission(db, plan, folder / "db-ut", progress),
        )
        for phase, seconds in phases.items():
            print(f"  {phase:<46} {seconds:7.3f} s ({100 * seconds / total:4.1f} %)")
        print(f"forhold lag fra databasen/vanlig JSON: {total / plain_time:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--with-db", action="store_true")
    args = parser.parse_args()

    records = payload_records(args.records)
    creds = create_test_credentials("0301 benchmark")
    print(f"{len(records)} syntetiske poster")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def plain() -> int:
            data = json.dumps(records, ensure_ascii=False).encode("utf-8")
            write_atomic(folder / "plain.json", data)
            return len(data)

        def create() -> Path:
            payload = encode_payload(header(len(records)), records)
            container = build_container(payload, creds.certificate, creds.key)
            write_atomic(folder / "bench.asice", container)
            return folder / "bench.asice"

        plain_time, size = timed("skriv som vanlig JSON (atomisk)", plain)
        create_time, path = timed("lag signert ASiC-E (skjema, signatur, zip)", create)
        verify_time, report = timed(
            "kontroller (struktur, signatur, skjema, regler)",
            lambda: verify_file(path, trusted=[creds.certificate]),
        )
        assert report.ok, report.lines()
        ratio = create_time / plain_time
        print(f"JSON {size / 1e6:.1f} MB, ASiC-E {path.stat().st_size / 1e6:.1f} MB")
        print(f"forhold lag/vanlig JSON: {ratio:.2f}x (mål ≤ 3x)")
        print(f"kontroll: {verify_time:.2f} s (mål < 5 s)")
        if args.with_db:
            bench_db(args.records, folder, plain_time)


if __name__ == "__main__":
    main()
