#!/usr/bin/env bash
# Compile installer/jsdesk.iss on Linux with the pinned Inno Setup 6.4 compiler (npm package
# `innosetup`, integrity hash in installer/package-lock.json) under Debian's Wine.
#
#   bash scripts/build-installer-wine.sh      (after `make dist`; root installs Wine if missing)
#
# This checks that the installer script compiles with the ISCC the release uses: its
# directives, [Code], icon, languages and the bundle's files (THIRD-PARTY-NOTICES.txt
# included). The installer it writes, dist/jsdesk-VERSION-oppsett-linux-check.exe, packs the
# *Linux* bundle and is not for use. It does not run under Wine 8 either (Debian 12's Wine;
# seen 2026-12-01): Wine reports Windows 7, which MinVersion=10.0 refuses ("Dette programmet
# støtter ikke Windows-versjonen"), and with `winecfg -v win10` setup stops at start with
# "Error reading FPreparingMemo.Lines.Strings: A call to an OS function failed". The real
# installer is built and its bundle self-tested by .github/workflows/release.yml on Windows.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f dist/jsdesk/_internal/THIRD-PARTY-NOTICES.txt ] || {
    echo "build-installer-wine: no bundle in dist/jsdesk: run make dist first" >&2
    exit 1
}
if ! command -v wine >/dev/null || ! dpkg -s wine32:i386 >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
        echo "build-installer-wine: Wine missing. Kjør: sudo dpkg --add-architecture i386 &&" \
            "sudo apt-get update && sudo apt-get install -y --no-install-recommends wine wine32:i386 wine64" >&2
        exit 1
    fi
    dpkg --add-architecture i386
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine wine32:i386 wine64
fi
if ! command -v npm >/dev/null; then
    echo "build-installer-wine: npm missing (apt-get install npm)" >&2
    exit 1
fi
(cd installer && npm ci --no-audit --no-fund --loglevel=error)

version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' jsdesk/__init__.py)
export WINEPREFIX=${WINEPREFIX:-$PWD/build/wine} WINEDEBUG=-all
mkdir -p "$WINEPREFIX"
base="jsdesk-$version-oppsett-linux-check"
rm -f "dist/$base.exe"
# ISCC's own exit code tells whether the script compiled; Wine's start-up chatter is dropped.
wine installer/node_modules/innosetup/bin/ISCC.exe /Q "/DAppVersion=$version" /DCompression=lzma2/fast \
    "/F$base" installer/jsdesk.iss 2> >(grep -v '^[0-9a-f]*:\(fixme\|err\):' >&2)
[ -s "dist/$base.exe" ] || { echo "build-installer-wine: no installer written" >&2; exit 1; }
[ "$(head -c 2 "dist/$base.exe")" = MZ ] || { echo "build-installer-wine: not a Windows executable" >&2; exit 1; }
ls -l "dist/$base.exe"
sha256sum "dist/$base.exe"
echo "build-installer-wine: installer/jsdesk.iss compiled with ISCC 6.4 (dist/$base.exe)"
