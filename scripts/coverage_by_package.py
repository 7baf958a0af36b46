"""Print line and branch coverage per package from a coverage.py JSON report.

    python scripts/coverage_by_package.py coverage.json

Run by ``make test`` (and so by CI) after the test suite has run under
coverage (branch measurement on; QThread workers included, see
tests/qthread_coverage.py).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def package_of(path: str) -> str:
    parts = Path(path).parts
    index = parts.index("jsdesk") if "jsdesk" in parts else 0
    rest = parts[index + 1 :]
    return "jsdesk" if len(rest) <= 1 else f"jsdesk.{rest[0]}"


def main(report_path: str) -> int:
    files = json.loads(Path(report_path).read_text(encoding="utf-8"))["files"]
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for path, data in files.items():
        summary = data["summary"]
        row = totals[package_of(path)]
        row[0] += summary["num_statements"]
        row[1] += summary["covered_lines"]
        row[2] += summary.get("num_branches", 0)
        row[3] += summary.get("covered_branches", 0)
    header = ("linjer", 8), ("dekket", 8), ("linje %", 9), ("grener", 8), ("dekket", 8)
    print(f"{'pakke':<22}" + "".join(f"{t:>{w}}" for t, w in header) + f"{'gren %':>8}")
    all_rows = [0, 0, 0, 0]
    for package in sorted(totals):
        lines, covered, branches, taken = totals[package]
        all_rows = [a + b for a, b in zip(all_rows, totals[package], strict=True)]
        print(
            f"{package:<22}{lines:>8}{covered:>8}{_percent(covered, lines):>9}"
            f"{branches:>8}{taken:>8}{_percent(taken, branches):>8}"
        )
    lines, covered, branches, taken = all_rows
    print(
        f"{'i alt':<22}{lines:>8}{covered:>8}{_percent(covered, lines):>9}"
        f"{branches:>8}{taken:>8}{_percent(taken, branches):>8}"
    )
    return 0


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "coverage.json"))
