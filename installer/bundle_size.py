"""The frozen bundle's size gate: ``python installer/bundle_size.py dist/jsdesk --limit-mb N``.

Prints the bundle's size (the files' own sizes, symbolic links not followed, in MB
of 10^6 bytes and MiB) and exits 1 when it is over the limit, naming the largest
files so the growth can be found. ``make dist-check`` gates the Linux bundle, the
release workflow the Windows bundle (README, "Bundle size").
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

MB = 1_000_000
MIB = 1024 * 1024


def file_sizes(bundle: Path) -> list[tuple[int, str]]:
    """(size, path relative to the bundle) of every regular file, largest first."""
    sizes = []
    for folder, _dirs, files in os.walk(bundle):
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                sizes.append((path.stat().st_size, path.relative_to(bundle).as_posix()))
    return sorted(sizes, reverse=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fail when the bundle is over its size limit")
    parser.add_argument("bundle", type=Path, help="the one-folder bundle (dist/jsdesk)")
    parser.add_argument("--limit-mb", type=float, required=True, help="limit in MB (10^6 bytes)")
    args = parser.parse_args(argv)
    if not args.bundle.is_dir():
        print(f"{args.bundle}: no bundle there", file=sys.stderr)
        return 1
    sizes = file_sizes(args.bundle)
    total = sum(size for size, _name in sizes)
    line = (
        f"Bundle {args.bundle}: {total / MB:.1f} MB ({total / MIB:.1f} MiB), "
        f"limit {args.limit_mb:g} MB"
    )
    if total <= args.limit_mb * MB:
        print(line)
        return 0
    print(f"{line}: OVER by {(total - args.limit_mb * MB) / MB:.1f} MB", file=sys.stderr)
    for size, name in sizes[:15]:
        print(f"  {size / MIB:7.2f} MiB  {name}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
