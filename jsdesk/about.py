"""What this jsdesk is made of: versions for ``jsdesk --version`` and the "Om jsdesk" dialog.

One list of (label, value) lines, asked of the components themselves: the program,
each shipped form, each shipped reference-data file (with a content fingerprint,
since the files carry no version of their own), Python, Qt, SQLCipher and every
copy of OpenSSL that is loaded (cryptography's, SQLCipher's and Python's own).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import ssl
from pathlib import Path

from cryptography.hazmat.backends.openssl import backend

from jsdesk import __version__, installed
from jsdesk.paths import resources_dir
from jsdesk.rules.form_files import load_form, shipped_form_paths
from jsdesk.storage import sqlcipher_versions

# Reference-data files the program reads (code lists, municipality lists, schemas).
_REFERENCE_SUFFIXES = (".csv", ".json")


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def form_versions() -> list[tuple[str, str]]:
    lines = []
    for path in shipped_form_paths():
        form = load_form(path)
        valid = form.valid_from.strftime("%d.%m.%Y")
        lines.append((f"Skjema {form.version}", f"{form.title}, gjelder fra {valid}"))
    return lines


def reference_data_versions() -> list[tuple[str, str]]:
    folder = resources_dir()
    return [
        (f"Referansedata {path.name}", f"sha256 {_fingerprint(path)}")
        for path in sorted(folder.iterdir())
        if path.suffix in _REFERENCE_SUFFIXES
    ]


def installed_package_versions() -> list[tuple[str, str]]:
    """Update packages installed in the user's data folder (docs/packages.md)."""
    today = installed.today()
    lines = []
    for package in installed.installed_packages():
        manifest = package.manifest
        state = "i bruk" if package.in_effect(today) else "ikke i bruk ennå"
        lines.append(
            (
                f"Oppdateringspakke {manifest.name} {manifest.version}",
                f"gyldig fra {manifest.valid_from:%d.%m.%Y} ({state})",
            )
        )
    return lines


def _distribution_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "ukjent"


def component_versions(qt_runtime: str | None = None) -> list[tuple[str, str]]:
    cipher, sqlite, cipher_openssl = sqlcipher_versions()
    pyside = _distribution_version("PySide6-Essentials")
    return [
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("Qt", f"{qt_runtime or pyside} (PySide6 {pyside})"),
        ("SQLCipher", f"{cipher} (SQLite {sqlite})"),
        ("OpenSSL i SQLCipher", cipher_openssl),
        ("OpenSSL i cryptography", f"{backend.openssl_version_text()}"),
        ("OpenSSL i Python", ssl.OPENSSL_VERSION),
        ("cryptography", _distribution_version("cryptography")),
        ("SQLAlchemy", _distribution_version("SQLAlchemy")),
    ]


def version_lines(qt_runtime: str | None = None) -> list[tuple[str, str]]:
    """Every version line, program first."""
    return [
        ("jsdesk", __version__),
        *form_versions(),
        *reference_data_versions(),
        *installed_package_versions(),
        *component_versions(qt_runtime),
    ]


def version_text(qt_runtime: str | None = None) -> str:
    lines = version_lines(qt_runtime)
    width = max(len(label) for label, _ in lines)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in lines)
