"""Licence notices of everything jsdesk ships, built from the installed distributions.

The Python packages are jsdesk's runtime requirements, followed through the installed
metadata (``Requires-Dist``), so the list is never kept by hand: each one's licence
expression comes from its metadata and its texts from the files it ships
(``License-File``, or LICENSE/COPYING/NOTICE files in its ``.dist-info``). The
components that the wheels build in without a licence file of their own (Qt in
PySide6, SQLCipher and OpenSSL in sqlcipher3 and cryptography, OpenSSL in Python)
get their texts from ``licences/`` in the repository; Python's own licence comes
from the running interpreter.

    python -m jsdesk.notices --out DIR             # writes DIR/THIRD-PARTY-NOTICES.txt
    python -m jsdesk.notices --check-bundle dist/jsdesk   # every shipped one has its text

The PyInstaller build (build_installer.spec) runs this into the bundle; the
"Om jsdesk" dialog shows the bundled file, or builds the text live from a source
checkout.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import ssl
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jsdesk import __version__
from jsdesk.paths import app_root

NOTICES_FILE = "THIRD-PARTY-NOTICES.txt"
ROOT_DISTRIBUTION = "jsdesk"

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRAS = re.compile(r"\[([^\]]*)\]")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")
_LICENCE_FILE = re.compile(r"(?i)(^|/)(licen[cs]e|copying|notice|authors)[^/]*$")

# Texts the wheels lack (licences/README.md says why), by distribution: (component,
# licence, files); component None adds the texts to the distribution's own notice.
BUILT_IN_COMPONENTS: dict[str, tuple[tuple[str | None, str, tuple[str, ...]], ...]] = {
    "pyside6-essentials": (
        (None, "LGPL-3.0-only", ("Qt-LGPL-replace.txt", "LGPL-3.0.txt", "GPL-3.0.txt")),
        ("Qt 6 (in PySide6-Essentials)", "LGPL-3.0-only", ("Qt-LGPL-replace.txt",)),
    ),
    "shiboken6": ((None, "LGPL-3.0-only", ("LGPL-3.0.txt",)),),
    "sqlcipher3": (
        ("SQLCipher (in sqlcipher3)", "BSD-3-Clause", ("SQLCipher.txt",)),
        ("OpenSSL (in sqlcipher3)", "Apache-2.0", ("Apache-2.0.txt",)),
    ),
    "cryptography": (("OpenSSL (in cryptography)", "Apache-2.0", ("Apache-2.0.txt",)),),
    "jsonschema-rs": ((None, "MIT", ("jsonschema-rs.txt",)),),
    "psycopg-binary": (
        ("libpq (in psycopg-binary)", "PostgreSQL", ("libpq.txt",)),
        ("OpenSSL (in psycopg-binary)", "Apache-2.0", ("Apache-2.0.txt",)),
    ),
}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Notice:
    component: str
    version: str
    licence: str
    texts: tuple[tuple[str, str], ...]  # (file name, text)


def licences_dir() -> Path:
    return app_root() / "licences"


def _requirement_names(
    dist: importlib.metadata.Distribution, extras: frozenset[str] = frozenset()
) -> list[tuple[str, frozenset[str]]]:
    """(name, extras asked for) of ``dist``'s requirements; a requirement that belongs to
    an extra counts only when that extra was asked for (``psycopg[binary]``)."""
    names = []
    for requirement in dist.requires or []:
        spec, _, marker = requirement.partition(";")
        wanted = _EXTRA_MARKER.findall(marker)
        if "extra" in marker and not any(normalise(extra) in extras for extra in wanted):
            continue  # optional extras nobody asked for are not shipped
        match = _NAME.match(spec)
        if match:
            asked = _EXTRAS.search(spec)
            names.append(
                (
                    match.group(1),
                    frozenset(normalise(e) for e in asked.group(1).split(",") if e.strip())
                    if asked
                    else frozenset(),
                )
            )
    return names


def shipped_distributions(root: str = ROOT_DISTRIBUTION) -> list[importlib.metadata.Distribution]:
    """``root``'s runtime requirements and theirs, with the extras asked for, as installed
    (not ``root`` itself)."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    done: set[tuple[str, frozenset[str]]] = set()
    pending = _requirement_names(importlib.metadata.distribution(root))
    while pending:
        name, extras = pending.pop()
        key = normalise(name)
        if (key, extras) in done:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # a requirement for another platform or Python (its marker is false)
        done.add((key, extras))
        seen[key] = dist
        pending.extend(_requirement_names(dist, extras))
    return sorted(seen.values(), key=lambda d: normalise(d.metadata["Name"]))


def _licence_expression(dist: importlib.metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta["License-Expression"]
    if expression:
        return str(expression)
    licence = (meta["License"] or "").strip()
    if licence and "\n" not in licence and len(licence) < 100:
        return licence
    classifiers = [
        c.rpartition(" :: ")[2] for c in meta.get_all("Classifier") or [] if c.startswith("License")
    ]
    return " / ".join(classifiers) or "se lisensteksten"


def _licence_texts(dist: importlib.metadata.Distribution) -> list[tuple[str, str]]:
    texts = []
    for file in dist.files or []:
        path = str(file)
        if ".dist-info/" in path and _LICENCE_FILE.search(path):
            text = Path(str(file.locate())).read_text(encoding="utf-8", errors="replace")
            if text.strip():
                texts.append((path.rpartition(".dist-info/")[2], text))
    return texts


def _repository_text(name: str) -> tuple[str, str]:
    return name, (licences_dir() / name).read_text(encoding="utf-8")


def python_licence() -> str:
    """The running Python's own LICENSE file (Windows: beside python.exe)."""
    candidates = [
        Path(sys.base_prefix) / "LICENSE.txt",
        Path(sysconfig.get_path("stdlib")) / "LICENSE.txt",
        Path(sys.base_prefix) / "share" / "doc" / "python3" / "copyright",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8", errors="replace")
    raise FileNotFoundError(f"Python's LICENSE.txt not found under {sys.base_prefix}")


def collect(build_tools: Sequence[str] = ()) -> list[Notice]:
    """Notices for Python, OpenSSL, every shipped distribution and what they build in;
    ``build_tools`` adds installed tools whose code ends up in the bundle (PyInstaller's
    bootloader is the executable)."""
    notices = [
        Notice("Python", sys.version.split()[0], "PSF-2.0", (("LICENSE.txt", python_licence()),)),
        Notice(
            "OpenSSL (in Python)",
            ssl.OPENSSL_VERSION,
            "Apache-2.0",
            (_repository_text("Apache-2.0.txt"),),
        ),
    ]
    tools = [importlib.metadata.distribution(name) for name in build_tools]
    for dist in [*shipped_distributions(), *tools]:
        name = str(dist.metadata["Name"])
        own = _licence_texts(dist)
        components = []
        for component, licence, files in BUILT_IN_COMPONENTS.get(normalise(name), ()):
            texts = tuple(_repository_text(f) for f in files)
            if component is None:
                own.extend(texts)
            else:
                components.append(Notice(component, f"{name} {dist.version}", licence, texts))
        notices.append(Notice(name, dist.version, _licence_expression(dist), tuple(own)))
        notices.extend(components)
    return notices


def render(notices: Iterable[Notice]) -> str:
    notices = list(notices)
    lines = [
        f"jsdesk {__version__}: tredjepartskomponenter og lisenser",
        "Third-party components shipped with jsdesk and their licences",
        "",
    ]
    lines += [f"- {n.component} {n.version}: {n.licence}" for n in notices]
    for notice in notices:
        lines += ["", "=" * 78, f"{notice.component} {notice.version} ({notice.licence})", "=" * 78]
        for file_name, text in notice.texts:
            lines += ["", f"--- {file_name} ---", "", text.rstrip()]
    return "\n".join(lines) + "\n"


def missing_texts(notices: Iterable[Notice]) -> list[str]:
    """Components without any licence text (the build and the tests refuse these)."""
    missing = []
    for notice in notices:
        if not any(text.strip() for _, text in notice.texts):
            missing.append(notice.component)
    return missing


def notices_text() -> str:
    """The bundled notices file, or the notices built now from a source checkout."""
    bundled = app_root() / NOTICES_FILE
    if bundled.is_file():
        return bundled.read_text(encoding="utf-8")
    return render(collect())


_SECTION = re.compile(r"^={78}\n(\S+) .*\n={78}\n", flags=re.MULTILINE)


def _sections_with_text(text: str) -> set[str]:
    """Normalised names of the sections in a rendered notices file that carry a text."""
    found = set()
    headers = list(_SECTION.finditer(text))
    for header, following in zip(headers, [*headers[1:], None], strict=True):
        body = text[header.end() : following.start() if following else len(text)]
        if re.search(r"^--- .+ ---\n\n\s*\S", body, flags=re.MULTILINE):
            found.add(normalise(header.group(1)))
    return found


def check_bundle(bundle: Path) -> list[str]:
    """Distributions whose files are in the PyInstaller bundle but whose licence text is not
    in its notices file (``[NOTICES_FILE]`` when the file itself is missing)."""
    internal = bundle / "_internal"
    notices_file = internal / NOTICES_FILE
    if not notices_file.is_file():
        return [NOTICES_FILE]
    with_text = _sections_with_text(notices_file.read_text(encoding="utf-8"))
    owners = importlib.metadata.packages_distributions()
    shipped: set[str] = set()
    for entry in internal.iterdir():
        for dist_name in owners.get(entry.name.split(".")[0], []):
            if normalise(dist_name) != ROOT_DISTRIBUTION:
                shipped.add(dist_name)
    return sorted(name for name in shipped if normalise(name) not in with_text)


def write(out: Path, build_tools: Sequence[str] = ()) -> Path:
    notices = collect(build_tools)
    missing = missing_texts(notices)
    if missing:
        raise SystemExit(f"no licence text for: {', '.join(missing)} (add one under licences/)")
    out.mkdir(parents=True, exist_ok=True)
    target = out / NOTICES_FILE
    target.write_text(render(notices), encoding="utf-8")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write or check THIRD-PARTY-NOTICES.txt")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--out", type=Path, help="folder to write the notices into")
    group.add_argument("--check-bundle", type=Path, help="PyInstaller bundle (dist/jsdesk)")
    args = parser.parse_args(argv)
    if args.out is not None:
        print(write(args.out))
        return 0
    missing = check_bundle(args.check_bundle)
    if missing:
        print(f"licence text missing in the bundle for: {', '.join(missing)}", file=sys.stderr)
        return 1
    print(f"{args.check_bundle}: every shipped distribution has its licence text")
    return 0


if __name__ == "__main__":
    sys.exit(main())
