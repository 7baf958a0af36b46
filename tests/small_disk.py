"""A real full disk for tests: a tmpfs of a few KiB mounted on a test's own folder.

Root (as CI runs) mounts it directly. Anyone else runs the test again as root of its own
user and mount namespace (`unshare --map-root-user --mount`, see ``conftest.py``), where
the mount is private to that run. No patched function: the kernel answers ENOSPC.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def can_mount() -> bool:
    """Mounting needs root, real or inside a user namespace."""
    return os.geteuid() == 0


@contextmanager
def small_filesystem(folder: Path, size_kib: int) -> Iterator[Path]:
    """Mount a tmpfs of ``size_kib`` KiB on ``folder`` for the duration of the block."""
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size_kib}k,mode=0700"
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "jsdesk-liten-disk", str(folder)],
        check=True,
        capture_output=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True, capture_output=True)
