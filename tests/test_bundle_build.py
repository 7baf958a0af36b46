"""The frozen build's trimming tools (installer/): the size gate and ICU's cut-down data.

``make dist-check`` runs both on the real bundle (and the frozen self-test proves the
trimmed ICU sorts Norwegian); these tests pin their rules and failures without a
five-minute build.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from PySide6 import __file__ as pyside6_init
from storage_helpers import run_python

ROOT = Path(__file__).resolve().parent.parent
SIZE_SCRIPT = ROOT / "installer" / "bundle_size.py"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "installer" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


icu_data = _load("icu_data")
ICU_DATA = next((Path(pyside6_init).parent / "Qt" / "lib").glob("libicudata.so.*"), None)


def _bundle(folder: Path, sizes: dict[str, int]) -> Path:
    for name, size in sizes.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"\0" * size)
    return folder


def _gate(bundle: Path, limit_mb: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SIZE_SCRIPT), str(bundle), "--limit-mb", str(limit_mb)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_size_gate__under_limit__prints_size_and_passes(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, {"jsdesk": 600_000, "_internal/lib.so": 900_000})
    result = _gate(bundle, 2)
    assert result.returncode == 0, result.stderr
    assert "1.5 MB (1.4 MiB), limit 2 MB" in result.stdout


def test_size_gate__over_limit__fails_naming_the_largest_file(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, {"jsdesk": 600_000, "_internal/big.so": 1_500_000})
    result = _gate(bundle, 2)
    assert result.returncode == 1
    assert "OVER by 0.1 MB" in result.stderr
    assert result.stderr.index("_internal/big.so") < result.stderr.index("jsdesk\n")


def test_size_gate__symbolic_links__counted_once(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, {"_internal/Qt/lib/libQt6Core.so.6": 1_500_000})
    (bundle / "_internal" / "libQt6Core.so.6").symlink_to("Qt/lib/libQt6Core.so.6")
    assert _gate(bundle, 2).returncode == 0


def test_icu_items__other_languages_and_unused_trees__dropped() -> None:
    items = [
        "coll/root.res",
        "coll/nb.res",
        "coll/no.res",
        "coll/ucadata.icu",
        "coll/res_index.res",
        "coll/de.res",
        "coll/de_.res",
        "zone/nb.res",
        "zone/zh_Hant.res",
        "zone/tzdbNames.res",
        "nb_NO.res",
        "en_GB.res",
        "fr.res",
        "pool.res",
        "res_index.res",
        "supplementalData.res",
        "zoneinfo64.res",
        "ibm-5348_P100-1997.cnv",
        "ibm-865_P100-1995.cnv",
        "gb18030.cnv",
        "cnvalias.icu",
        "brkitr/root.res",
        "brkitr/cjdict.dict",
        "translit/root.res",
    ]
    assert icu_data.dropped(items) == [
        "coll/de.res",
        "coll/de_.res",
        "zone/zh_Hant.res",
        "fr.res",
        "gb18030.cnv",
        "brkitr/root.res",
        "brkitr/cjdict.dict",
        "translit/root.res",
    ]


NORWEGIAN_CHECK = """
from jsdesk.selftest import _step_norwegian_text
print(_step_norwegian_text(None))
"""


@pytest.mark.slow
@pytest.mark.skipif(
    not sys.platform.startswith("linux") or ICU_DATA is None or bool(icu_data.missing_tools()),
    reason="Linux with PySide6's ICU and icupkg/as/ld (CI installs icu-devtools and binutils)",
)
def test_icu_trim__real_data__small_and_qt_still_sorts_norwegian(tmp_path: Path) -> None:
    assert ICU_DATA is not None
    trimmed = icu_data.trim(ICU_DATA, tmp_path)
    assert trimmed.name == ICU_DATA.name
    assert trimmed.stat().st_size < ICU_DATA.stat().st_size / 5
    # Loaded ahead of PySide6's own copy, the trimmed library is the ICU data Qt uses.
    env = {"LD_PRELOAD": str(trimmed), "QT_QPA_PLATFORM": "offscreen"}
    result = run_python(NORWEGIAN_CHECK, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "æ, ø og å sorteres etter z" in result.stdout
    assert result.stderr == ""
