"""The frozen build's trimming tools (installer/): the size gate, ICU's cut-down data and
one OpenSSL for psycopg's libpq.

``make dist-check`` runs both on the real bundle (and the frozen self-test proves the
trimmed ICU sorts Norwegian); these tests pin their rules and failures without a
five-minute build.
"""

from __future__ import annotations

import importlib.util
import shutil
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
shared_openssl = _load("shared_openssl")
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


def test_shared_openssl__only_psycopgs_own_copies__recognised() -> None:
    assert shared_openssl.own_openssl("psycopg_binary.libs/libssl-6a9b88ec.so.3") == "ssl"
    assert shared_openssl.own_openssl("psycopg_binary.libs/libcrypto-3a0647ea.so.3") == "crypto"
    assert shared_openssl.own_openssl("libssl.so.3") is None
    assert shared_openssl.own_openssl("psycopg_binary.libs/libpq-e9b5c9ac.so.5.18") is None
    assert shared_openssl.own_openssl("other.libs/libssl-6a9b88ec.so.3") is None


def test_shared_openssl__no_top_level_openssl__binaries_unchanged(tmp_path: Path) -> None:
    binaries = [("psycopg_binary.libs/libssl-6a9b88ec.so.3", "/x/libssl-6a9b88ec.so.3", "BINARY")]
    assert shared_openssl.share(binaries, tmp_path) == binaries


PSYCOPG_CHECK = """
import psycopg
with psycopg.connect({url!r}) as conn:
    print(conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0])
print(psycopg.pq.__impl__)
print("".join(line for line in open("/proc/self/maps") if "libssl" in line or "libcrypto" in line))
"""
# Found, not imported: psycopg_binary refuses to load before psycopg.
_psycopg_binary = importlib.util.find_spec("psycopg_binary")
assert _psycopg_binary is not None and _psycopg_binary.origin is not None
PSYCOPG_BINARY = Path(_psycopg_binary.origin).parent
SYSTEM_OPENSSL = [
    Path("/lib/x86_64-linux-gnu") / name for name in ("libssl.so.3", "libcrypto.so.3")
]


@pytest.mark.slow
@pytest.mark.skipif(
    not all(path.exists() for path in SYSTEM_OPENSSL) or shutil.which("patchelf") is None,
    reason="Linux with OpenSSL 3 and patchelf (CI installs patchelf)",
)
def test_shared_openssl__real_psycopg__tls_connect_on_the_bundles_openssl(
    tmp_path: Path, pg_url: str
) -> None:
    # A bundle's layout: psycopg_binary/ and psycopg_binary.libs/ under a top folder that
    # holds libssl.so.3 and libcrypto.so.3.
    package = PSYCOPG_BINARY
    top = tmp_path / "bundle"
    shutil.copytree(package, top / "psycopg_binary")
    libs = package.parent / shared_openssl.PSYCOPG_LIBS
    binaries = [(f"{libs.name}/{lib.name}", str(lib), "BINARY") for lib in libs.iterdir()]
    binaries += [(path.name, str(path), "BINARY") for path in SYSTEM_OPENSSL]
    shared = shared_openssl.share(binaries, tmp_path / "work")
    left_out = {dest for dest, _src, _kind in binaries} - {dest for dest, _src, _kind in shared}
    own = {dest for dest, _src, _kind in binaries if shared_openssl.own_openssl(dest)}
    assert len(own) == 2 and left_out == own
    for dest, src, _kind in shared:
        (top / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, top / dest)
    env = {"PYTHONPATH": str(top), "PSYCOPG_IMPL": "binary"}
    result = run_python(PSYCOPG_CHECK.format(url=pg_url), env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    ssl_on, impl, maps = result.stdout.split("\n", 2)
    assert (ssl_on, impl) == ("True", "binary")
    mapped = {line.split()[-1] for line in maps.splitlines() if line.strip()}
    # One OpenSSL in the process: the bundle's top-level copy, or the same soname already
    # loaded by Python's own ssl module (older psycopg imports ssl before libpq loads);
    # never psycopg's own copies.
    for name in ("libssl", "libcrypto"):
        loaded = {path for path in mapped if Path(path).name.startswith(name)}
        assert len(loaded) == 1 and Path(loaded.pop()).name == f"{name}.so.3", mapped
    assert shared_openssl.PSYCOPG_LIBS + "/libssl-" not in maps
    assert shared_openssl.PSYCOPG_LIBS + "/libcrypto-" not in maps


@pytest.mark.skipif(
    not all(path.exists() for path in SYSTEM_OPENSSL) or shutil.which("patchelf") is None,
    reason="Linux with OpenSSL 3 and patchelf (CI installs patchelf)",
)
def test_shared_openssl__bundle_copy_lacks_a_symbol_version__build_stops(tmp_path: Path) -> None:
    libs = PSYCOPG_BINARY.parent / shared_openssl.PSYCOPG_LIBS
    binaries = [(f"{libs.name}/{lib.name}", str(lib), "BINARY") for lib in libs.iterdir()]
    # A "libssl.so.3" that is not OpenSSL defines none of the versions libpq asks for.
    zlib = Path("/lib/x86_64-linux-gnu/libz.so.1")
    binaries += [("libssl.so.3", str(zlib), "BINARY"), ("libcrypto.so.3", str(zlib), "BINARY")]
    with pytest.raises(RuntimeError, match=r"libpq-\w+\.so\.5\.\d+ trenger OPENSSL_3\.0\.0"):
        shared_openssl.share(binaries, tmp_path)
