"""One OpenSSL in the Linux bundle: psycopg's libpq on the copy Python's ssl uses.

psycopg-binary's Linux wheel brings its own OpenSSL 3 (``libssl-<hash>.so.3`` and
``libcrypto-<hash>.so.3`` in ``psycopg_binary.libs``, 6.5 MiB) for libpq and libldap,
beside the OpenSSL 3 the bundle already has for Python's ``ssl`` and ``hashlib``
(``libssl.so.3``, ``libcrypto.so.3``). OpenSSL keeps one ABI across 3.x, and every
symbol version libpq and libldap ask for (``objdump -p``: OPENSSL_3.0.0) is defined by
the bundle's copy, so the build rewrites their NEEDED entries to it with ``patchelf``
(Debian: patchelf), adds the bundle's top folder to their search path, and leaves
psycopg's copy out. The build stops if a symbol version is missing, and the frozen
PostgreSQL check (README, "Bundle size") connects over TLS with ``verify-full``.

Windows wheels keep their DLLs (no patchelf there); this is Linux-only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

PSYCOPG_LIBS = "psycopg_binary.libs"
# auditwheel's renamed copies: libssl-6a9b88ec.so.3, libcrypto-3a0647ea.so.3.
OWN_OPENSSL = re.compile(r"lib(ssl|crypto)-[0-9a-f]{8}\.so\.3")
SHARED = {"ssl": "libssl.so.3", "crypto": "libcrypto.so.3"}
# psycopg_binary.libs/ sits next to the bundle's top folder, where libssl.so.3 lies.
SEARCH_PATH = "$ORIGIN:$ORIGIN/.."

Entry = tuple[str, str, str]


def _run(*command: str | Path) -> str:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} feilet: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def version_needs(library: Path) -> dict[str, set[str]]:
    """{library name: symbol versions required from it} (``objdump -p``'s version references)."""
    needs: dict[str, set[str]] = {}
    current = None
    for line in _run("objdump", "-p", library).splitlines():
        found = re.match(r"\s+required from (\S+):$", line)
        if found:
            current = needs.setdefault(found.group(1), set())
        elif current is not None and re.match(r"\s+0x[0-9a-f]+ 0x[0-9a-f]+ \d+ \S+$", line):
            current.add(line.split()[-1])
        elif not line.startswith(" "):
            current = None
    return needs


def version_definitions(library: Path) -> set[str]:
    """The symbol versions ``library`` defines (``objdump -p``'s version definitions)."""
    text = _run("objdump", "-p", library)
    block = text.split("Version definitions:", 1)[-1].split("\n\n", 1)[0]
    return set(re.findall(r"^\d+ 0x[0-9a-f]+ 0x[0-9a-f]+ (\S+)$", block, re.M))


def own_openssl(dest: str) -> str | None:
    """'ssl' or 'crypto' for psycopg's own OpenSSL copy (a bundle path), else None."""
    parts = Path(dest).parts
    found = OWN_OPENSSL.fullmatch(parts[-1]) if len(parts) == 2 else None
    return found.group(1) if found and parts[0] == PSYCOPG_LIBS else None


def share(binaries: list[Entry], workdir: Path) -> list[Entry]:
    """``binaries`` (PyInstaller's TOC) with psycopg's libraries on the bundle's OpenSSL.

    Unchanged when the bundle has no top-level OpenSSL 3 of its own.
    """
    top = {dest: src for dest, src, _kind in binaries if dest in SHARED.values()}
    own = {Path(dest).name: own_openssl(dest) for dest, _src, _kind in binaries}
    renamed = {name: SHARED[kind] for name, kind in own.items() if kind is not None}
    if not renamed or set(top) != set(SHARED.values()):
        return binaries
    if shutil.which("patchelf") is None:
        raise RuntimeError("mangler patchelf for å dele OpenSSL (apt-get install patchelf)")
    workdir.mkdir(parents=True, exist_ok=True)
    result = []
    for dest, src, kind in binaries:
        if own_openssl(dest):
            continue
        needed = _run("patchelf", "--print-needed", src).split() if ".so" in dest else []
        uses = [name for name in needed if name in renamed]
        if not uses:
            result.append((dest, src, kind))
            continue
        needs = version_needs(Path(src))
        for name in uses:
            missing = needs.get(name, set()) - version_definitions(Path(top[renamed[name]]))
            if missing:
                raise RuntimeError(
                    f"{dest} trenger {', '.join(sorted(missing))} fra {name}, "
                    f"som {renamed[name]} i bygget ikke har"
                )
        target = workdir / Path(src).name
        shutil.copy2(src, target)
        # One change per patchelf run: patchelf 0.14 (Debian 12) given several at once
        # wrote a NEEDED name into RUNPATH.
        _run("patchelf", "--set-rpath", SEARCH_PATH, target)
        for name in uses:
            _run("patchelf", "--replace-needed", name, renamed[name], target)
        still = set(_run("patchelf", "--print-needed", target).split()) & set(renamed)
        if still or _run("patchelf", "--print-rpath", target).strip() != SEARCH_PATH:
            raise RuntimeError(f"patchelf endret ikke {dest} som ventet")
        result.append((dest, str(target), kind))
    return result
