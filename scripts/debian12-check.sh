#!/usr/bin/env bash
# Proof of README's first screen: on a clean Debian 12 (debootstrap --variant=minbase, plus
# only python3, python3-venv and make), the two commands work.
#
#   sudo bash scripts/debian12-check.sh [FOLDER]   (default: /var/tmp/jsdesk-debian12)
#
# Steps, each checked:
#  1. `make test` as an ordinary user: Qt's libraries are missing, so it stops with the
#     one `sudo apt-get install -y ...` line (exit non-zero) and installs nothing.
#  2. `make test` as root: installs the libraries with apt-get, then the whole suite passes.
#  3. `make run` without a display: one line saying so, no Qt abort, exit non-zero.
# Needs root (debootstrap, chroot), debootstrap, and access to Debian's archive and PyPI.
# .ci/run runs it; before a release run it by hand if CI did not.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
root=${1:-/var/tmp/jsdesk-debian12}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "$(id -u)" != 0 ]; then
    echo "debian12-check: must run as root (debootstrap and chroot)" >&2
    exit 1
fi
command -v debootstrap >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
}

# Every run starts from the same clean system: the debootstrap result is kept as a tarball.
pristine="$root.pristine.tar"
if [ ! -s "$pristine" ]; then
    echo "== debootstrap --variant=minbase bookworm (+ python3 python3-venv make)"
    rm -rf "$root.new"
    debootstrap --variant=minbase --include=python3,python3-venv,make bookworm "$root.new" "$mirror" \
        > "$root.debootstrap.log" 2>&1 || { tail -20 "$root.debootstrap.log"; exit 1; }
    tar -C "$root.new" -cf "$pristine" .
    rm -rf "$root.new"
fi
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$pristine"

mounts=()
cleanup() {
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for fs in proc sys dev dev/pts; do
    mkdir -p "$root/$fs"
    mount --bind "/$fs" "$root/$fs"
    mounts+=("$root/$fs")
done
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The host's CA bundle for pip only (a TLS-inspecting proxy in front of PyPI); nothing
# else of the host reaches the chroot.
mkdir -p "$root/etc/ssl/host"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/host/ca-bundle.crt" 2>/dev/null || true

# The repository as committed (git archive), owned by an ordinary user.
rm -rf "$root/home/tester/jsdesk"
chroot "$root" sh -c 'id tester >/dev/null 2>&1 || useradd --create-home tester'
mkdir -p "$root/home/tester/jsdesk"
git -C "$repo" archive HEAD | tar -x -C "$root/home/tester/jsdesk"
chroot "$root" chown -R tester:tester /home/tester/jsdesk

in_chroot() {  # as USER, in the checkout, with a clean environment and no display
    local user=$1 home=/home/tester
    shift
    [ "$user" = root ] && home=/root
    local cert=()
    [ -s "$root/etc/ssl/host/ca-bundle.crt" ] && cert=(PIP_CERT=/etc/ssl/host/ca-bundle.crt)
    chroot --userspec="$user:$user" "$root" env -i HOME="$home" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 "${cert[@]}" sh -c "cd /home/tester/jsdesk && $*"
}

echo "== 1. make test as an ordinary user, Qt's libraries missing"
set +e
out=$(in_chroot tester make test 2>&1)
code=$?
set -e
echo "$out" | tail -3
if [ $code = 0 ] || ! echo "$out" | grep -q '^Qt mangler systempakker. Kjør: sudo apt-get install -y .*libxcb-cursor0'; then
    echo "debian12-check: FAILED: expected the one sudo line and a non-zero exit" >&2
    exit 1
fi

echo "== 2. make test as root: installs the libraries, runs the suite"
set +e
in_chroot root make test > "$root.make-test.log" 2>&1
code=$?
set -e
tail -5 "$root.make-test.log"
[ $code = 0 ] || { echo "debian12-check: FAILED: make test (log: $root.make-test.log)" >&2; exit 1; }

echo "== 3. make run without a display"
set +e
out=$(in_chroot root make run 2>&1)
code=$?
set -e
echo "$out" | tail -2
if [ $code = 0 ] || ! echo "$out" | grep -q 'finner ingen skjerm' || echo "$out" | grep -qi 'abort\|traceback'; then
    echo "debian12-check: FAILED: expected one line about the missing display" >&2
    exit 1
fi
echo "debian12-check: passed (README's two commands on a clean Debian 12)"
