#!/bin/sh
# The system libraries Qt 6 (PySide6) needs on Debian/Ubuntu, for offscreen use (tests)
# and for a real X11 or Wayland desktop. Used by the Makefile (`make run`, `make test`)
# and by .ci/run, so the list lives here only.
#
#   sh scripts/qt-system-libs.sh          install what is missing (as root), or print the
#                                         one `sudo apt-get install ...` line and exit 1
#   sh scripts/qt-system-libs.sh --check  only report; exit 1 when something is missing
#
# A library counts as present when the dynamic linker knows its soname (ldconfig -p),
# so a package renamed by a distribution (Ubuntu's libglib2.0-0t64) is found as well.
set -eu

# soname                  Debian/Ubuntu package    needed by
LIBRARIES='
libGL.so.1                libgl1                   QtGui, QtWidgets, xcb and wayland platforms
libEGL.so.1               libegl1                  QtGui
libfontconfig.so.1        libfontconfig1           QtGui (fonts)
libfreetype.so.6          libfreetype6             QtGui (fonts)
libglib-2.0.so.0          libglib2.0-0             QtCore event loop
libgthread-2.0.so.0       libglib2.0-0             QtCore
libdbus-1.so.3            libdbus-1-3              QtDBus (desktop integration)
libxkbcommon.so.0         libxkbcommon0            QtGui keyboard handling
libxkbcommon-x11.so.0     libxkbcommon-x11-0       xcb platform (X11)
libX11.so.6               libx11-6                 xcb platform (X11)
libX11-xcb.so.1           libx11-xcb1              xcb platform (X11)
libxcb.so.1               libxcb1                  xcb platform (X11)
libxcb-cursor.so.0        libxcb-cursor0           xcb platform (X11), required since Qt 6.5
libxcb-icccm.so.4         libxcb-icccm4            xcb platform (X11)
libxcb-keysyms.so.1       libxcb-keysyms1          xcb platform (X11)
libxcb-image.so.0         libxcb-image0            xcb platform (X11)
libxcb-util.so.1          libxcb-util1             xcb platform (X11)
libxcb-randr.so.0         libxcb-randr0            xcb platform (X11)
libxcb-render.so.0        libxcb-render0           xcb platform (X11)
libxcb-render-util.so.0   libxcb-render-util0      xcb platform (X11)
libxcb-shape.so.0         libxcb-shape0            xcb platform (X11)
libxcb-shm.so.0           libxcb-shm0              xcb platform (X11)
libxcb-sync.so.1          libxcb-sync1             xcb platform (X11)
libxcb-xfixes.so.0        libxcb-xfixes0           xcb platform (X11)
libxcb-xkb.so.1           libxcb-xkb1              xcb platform (X11)
libxcb-glx.so.0           libxcb-glx0              xcb GLX integration (X11)
libwayland-client.so.0    libwayland-client0       wayland platform
libwayland-cursor.so.0    libwayland-cursor0       wayland platform
libwayland-egl.so.1       libwayland-egl1          wayland EGL integration
'
# At least one font, or Qt draws no text (offscreen included).
FONT_PACKAGE=fonts-dejavu-core

check_only=no
[ "${1:-}" = "--check" ] && check_only=yes

if [ "$(uname -s)" != Linux ]; then
    exit 0  # Windows and macOS: the PySide6 wheels carry everything Qt needs.
fi

ldconfig_bin=$(command -v ldconfig || echo /sbin/ldconfig)
known=$("$ldconfig_bin" -p 2>/dev/null || true)

missing=$(printf '%s\n' "$LIBRARIES" | while read -r soname package _; do
    [ -n "$soname" ] || continue
    printf '%s\n' "$known" | grep -q "^[[:space:]]*$soname " || echo "$package"
done | sort -u | tr '\n' ' ')

if ! find /usr/share/fonts /usr/local/share/fonts -name '*.tt[fc]' -o -name '*.otf' 2>/dev/null \
        | grep -q .; then
    missing="$missing$FONT_PACKAGE "
fi
# Debian splits ensurepip off into python3-venv; `python3 -m venv` fails without it.
if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    missing="${missing}python3-venv "
fi
missing=${missing% }

[ -z "$missing" ] && exit 0

if [ "$check_only" = yes ]; then
    echo "Mangler systempakker for Qt: $missing" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installerer systempakker for Qt: $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086 # one package per word
    apt-get install -y -qq --no-install-recommends $missing
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    echo "Qt mangler systempakker. Kjør: sudo apt-get install -y $missing" >&2
else
    echo "Qt mangler systembiblioteker (Debian-navn): $missing; installer dem med pakkesystemet ditt." >&2
fi
exit 1
