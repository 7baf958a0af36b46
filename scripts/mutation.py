"""Mutation testing with mutmut for the packages where a silent break costs most.

    python scripts/mutation.py [--package NAME]... [--sample N] [--report-only]

Runs ``mutmut run`` (configuration: ``[tool.mutmut]`` in pyproject.toml; each
mutant is run against the tests of the selection that reach the mutated
function) for the chosen packages — ``rules``, ``domain``, ``submission``
(cms, container, verify, trust) and ``audit`` (storage/audit.py), all by
default — and prints the score per package: killed / (mutants − excluded
equivalent ones). ``--sample N`` runs every N-th mutant of each package (a
fixed, reproducible sample, what CI runs); ``--report-only`` prints the scores of
the last run. Mutants listed in ``EQUIVALENT`` (with why) are left out of the
score. Exit code 1 when a package's score is below ``THRESHOLD``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).with_name("mutmut")
THRESHOLD = 90.0

PACKAGES = {
    "rules": ["jsdesk.rules."],
    "domain": ["jsdesk.domain."],
    "submission": [
        "jsdesk.submission.cms.",
        "jsdesk.submission.container.",
        "jsdesk.submission.verify.",
        "jsdesk.submission.trust.",
    ],
    "audit": ["jsdesk.storage.audit."],
}

# Equivalent mutants: the program behaves the same with them (so no test can kill
# them). Name -> why. Keep the list short and the reasons checkable.
EQUIVALENT: dict[str, str] = {}

KILLED = {1, 3, 36, 24, -24, 152, 255, 37}  # mutmut's exit codes for killed / timeout
NOT_RUN = {None, 33, 34, 5}  # not checked, no tests reach it, skipped


def mutant_results() -> dict[str, int | None]:
    """Every mutant's exit code from mutmut's state in ``mutants/``."""
    results: dict[str, int | None] = {}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        results.update(data.get("exit_code_by_key", {}))
    return results


def package_of(name: str) -> str | None:
    for package, prefixes in PACKAGES.items():
        if any(name.startswith(prefix) for prefix in prefixes):
            return package
    return None


def run_mutmut(names: Iterable[str]) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = ["nice", "-n", "10", str(MUTMUT), "run", *names]
    subprocess.run(command, cwd=ROOT, env=env, check=False)


def all_mutant_names() -> list[str]:
    """Generate the mutants (mutmut does on its first run) and list them."""
    if not mutant_results():
        # mutmut generates the mutants (and its test statistics) on its first run.
        run_mutmut(["jsdesk.storage.audit.*__mutmut_1"])
    return sorted(mutant_results())


def report(packages: list[str], names: set[str] | None) -> int:
    results = mutant_results()
    worst = 100.0
    print(
        f"{'pakke':<12}{'mutanter':>9}{'drept':>7}{'overlevde':>10}{'ikke kjørt':>11}{'score':>8}"
    )
    for package in packages:
        mine = {
            n: code
            for n, code in results.items()
            if package_of(n) == package and (names is None or n in names)
        }
        counted = {n: c for n, c in mine.items() if n not in EQUIVALENT and c not in NOT_RUN}
        killed = sum(1 for c in counted.values() if c in KILLED)
        survived = [n for n, c in counted.items() if c not in KILLED]
        not_run = len(mine) - len(counted)
        score = 100.0 * killed / len(counted) if counted else 0.0
        worst = min(worst, score)
        print(
            f"{package:<12}{len(mine):>9}{killed:>7}{len(survived):>10}{not_run:>11}{score:>7.1f}%"
        )
        for name in survived:
            print(f"    overlevde: {name}")
    return 0 if worst >= THRESHOLD else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", action="append", choices=sorted(PACKAGES))
    parser.add_argument("--sample", type=int, default=1, metavar="N", help="every N-th mutant")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    packages = args.package or list(PACKAGES)
    chosen: set[str] | None = None
    if not args.report_only:
        names = [n for n in all_mutant_names() if package_of(n) in packages]
        chosen = set(names[:: args.sample])
        print(
            f"Muterer {', '.join(packages)}: {len(chosen)} av {len(names)} mutanter"
            + (f" (hver {args.sample}.)" if args.sample > 1 else ""),
            flush=True,
        )
        run_mutmut(sorted(chosen))
    elif args.sample > 1:
        names = [n for n in sorted(mutant_results()) if package_of(n) in packages]
        chosen = set(names[:: args.sample])
    return report(packages, chosen)


if __name__ == "__main__":
    sys.exit(main())
