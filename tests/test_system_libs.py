"""scripts/qt-system-libs.sh: its list covers what the installed Qt links against, it installs
as root and prints one `sudo apt-get install` line otherwise; no display gives one line."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import PySide6
import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

from jsdesk.errors import ExitCode

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "scripts" / "qt-system-libs.sh"
QT = Path(PySide6.__file__).parent / "Qt"
# What jsdesk loads: the widgets stack and the platforms it runs on (offscreen for tests
# and the self-test, xcb for X11, wayland), with their GL integrations.
QT_ENTRY_POINTS = [
    "lib/libQt6Widgets.so.6",
    "lib/libQt6DBus.so.6",
    "plugins/platforms/libqoffscreen.so",
    "plugins/platforms/libqxcb.so",
    "plugins/platforms/libqwayland*.so",  # libqwayland.so; -generic/-egl before Qt 6.8
    "plugins/xcbglintegrations/libqxcb-glx-integration.so",
    "plugins/xcbglintegrations/libqxcb-egl-integration.so",
    "plugins/wayland-shell-integration/libxdg-shell.so",
    "plugins/wayland-graphics-integration-client/libqt-plugin-wayland-egl.so",
]
# In every Debian/Ubuntu installation (libc6, libstdc++6, libgcc-s1, zlib1g, libzstd1).
BASE_SYSTEM = {
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libresolv.so.2",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "libstdc++.so.6",
    "libgcc_s.so.1",
    "libz.so.1",
    "libzstd.so.1",
}

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux script")


def _table() -> dict[str, str]:
    text = SCRIPT.read_text(encoding="utf-8")
    block = text.split("LIBRARIES='", 1)[1].split("'", 1)[0]
    return {
        line.split()[0]: line.split()[1]
        for line in block.splitlines()
        if line.strip() and not line.startswith("#")
    }


def _needed(path: Path) -> list[str]:
    with path.open("rb") as handle:
        elf = ELFFile(handle)
        return [
            tag.needed
            for section in elf.iter_sections()
            if isinstance(section, DynamicSection)
            for tag in section.iter_tags()
            if tag.entry.d_tag == "DT_NEEDED"
        ]


def _external_needs() -> set[str]:
    """Sonames the Qt files jsdesk loads need from outside the wheel (followed through it)."""
    in_wheel = {p.name for p in (QT / "lib").iterdir()}
    pending = [path for rel in QT_ENTRY_POINTS for path in QT.glob(rel)]
    assert len(pending) >= len(QT_ENTRY_POINTS)
    seen: set[Path] = set()
    external: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for soname in _needed(path):
            if soname in in_wheel:
                pending.append(QT / "lib" / soname)
            else:
                external.add(soname)
    return external


def test_list__covers_every_library_qt_links_against() -> None:
    table = _table()
    missing = _external_needs() - BASE_SYSTEM - set(table)
    assert not missing, f"add to scripts/qt-system-libs.sh: {sorted(missing)}"
    # The libraries Qt 6.5+ needs for X11 that a bare system lacks, named by the issue.
    assert {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"} <= set(table.values())


def _fake_bin(tmp_path: Path, uid: int) -> tuple[dict[str, str], Path]:
    """A PATH where the dynamic linker knows no library and id/apt-get are recorded."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-calls"
    scripts = {
        "ldconfig": "#!/bin/sh\nexit 0\n",
        "id": f"#!/bin/sh\necho {uid}\n",
        "apt-get": f'#!/bin/sh\necho "$*" >> {calls}\n',
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(body, encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return env, calls


def _run_script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_script__not_root__one_sudo_line_and_exit_1(tmp_path: Path) -> None:
    env, calls = _fake_bin(tmp_path, uid=1000)
    result = _run_script(env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Qt mangler systempakker. Kjør: sudo apt-get install -y ")
    asked = set(lines[0].rsplit("-y ", 1)[1].split())
    assert asked >= set(_table().values())
    assert not calls.exists()  # nothing installed without root


def test_script__root__installs_the_missing_packages(tmp_path: Path) -> None:
    env, calls = _fake_bin(tmp_path, uid=0)
    result = _run_script(env)
    assert result.returncode == 0, result.stderr
    update, install = calls.read_text(encoding="utf-8").splitlines()
    assert update == "update -qq"
    assert install.startswith("install -y -qq --no-install-recommends ")
    assert set(install.split()[4:]) >= set(_table().values())


def test_makefile__run_and_test_go_through_the_script() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "sh scripts/qt-system-libs.sh" in makefile
    assert re.search(r"^run: system-libs ", makefile, flags=re.MULTILINE)
    assert re.search(r"^test: system-libs ", makefile, flags=re.MULTILINE)
    assert "sh scripts/qt-system-libs.sh" in (REPO_ROOT / ".ci" / "run").read_text("utf-8")


def test_gui__no_display__one_line_not_a_qt_abort() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    env["PYTHONPATH"] = str(REPO_ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "jsdesk"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == ExitCode.NO_DISPLAY
    assert result.stderr.count("\n") == 1
    assert "finner ingen skjerm" in result.stderr
