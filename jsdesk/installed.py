"""What installed update packages provide: the files in effect today, beside the shipped ones.

An update package (``.jspkg``, see docs/packages.md) carries form files and/or
reference data files with a manifest. ``jsdesk.packages`` verifies a package's
signature and writes it, unchanged, to the user's data folder::

    <data>/pakker/installert/<name>/<version>/manifest.json
                                             /manifest.p7s
                                             /data/kommuner_2027.csv
                                             /skjema/jobbsjansen-2027.yaml

This module only reads what is installed there. A package takes effect on its
``valid_from`` date; until then (and for every file no package in effect
carries) the program's own shipped file is used. When several packages in
effect carry the same file, the newest version wins. The registers
(:mod:`jsdesk.domain.registers`) and the form loading (:mod:`jsdesk.rules`)
ask ``reference_file``/``installed_form_paths``, so the rules, the wizard and the
reports all see the same data.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jsdesk.jsontext import UntrustedJsonError, loads_untrusted
from jsdesk.paths import user_data_folder

log = logging.getLogger("jsdesk.packages")

PACKAGES_FOLDER = "pakker"
INSTALLED_FOLDER = "installert"
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.p7s"
FORMAT = "jsdesk-pakke/1"
FORM_FOLDER = "skjema"
DATA_FOLDER = "data"
KINDS = {FORM_FOLDER: "skjema", DATA_FOLDER: "data"}

_VERSION = re.compile(r"\d{1,6}(?:\.\d{1,6}){0,3}")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_CONTENT_PATH = re.compile(r"(skjema/[A-Za-z0-9_.-]{1,100}\.yaml|data/[A-Za-z0-9_.-]{1,100}\.csv)")


class ManifestError(ValueError):
    """A manifest that cannot be used; ``message`` says why, in Bokmål."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_version(text: str) -> tuple[int, ...]:
    """``"2027.1"`` -> ``(2027, 1)``; ManifestError for anything else."""
    if not isinstance(text, str) or not _VERSION.fullmatch(text):
        raise ManifestError(
            f"«{text}» er ikke et versjonsnummer (tall med punktum, f.eks. 2027.1)."
        )
    return tuple(int(part) for part in text.split("."))


@dataclass(frozen=True, slots=True)
class ContentFile:
    """One file a package carries: ``skjema/NAME.yaml`` or ``data/NAME.csv``."""

    path: str
    sha256: str
    size: int

    @property
    def kind(self) -> str:
        """``"skjema"`` or ``"data"``."""
        return KINDS[self.path.split("/", 1)[0]]

    @property
    def name(self) -> str:
        return self.path.split("/", 1)[1]


@dataclass(frozen=True, slots=True)
class PackageManifest:
    """What a package says about itself; signed (``manifest.p7s``) together with the digests."""

    name: str
    title: str
    version: str
    valid_from: date
    min_program_version: str
    content: tuple[ContentFile, ...]

    @property
    def version_key(self) -> tuple[int, ...]:
        return parse_version(self.version)

    def to_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "name": self.name,
            "title": self.title,
            "version": self.version,
            "valid_from": self.valid_from.isoformat(),
            "min_program_version": self.min_program_version,
            "content": [
                {"path": item.path, "sha256": item.sha256, "size": item.size}
                for item in self.content
            ],
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"

    def files_of(self, kind: str) -> tuple[ContentFile, ...]:
        return tuple(item for item in self.content if item.kind == kind)


def parse_manifest(data: bytes) -> PackageManifest:
    """Read a manifest (untrusted bytes); ManifestError names what is wrong."""
    try:
        raw = loads_untrusted(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ManifestError("Manifestet er ikke UTF-8.") from None
    except UntrustedJsonError as exc:
        raise ManifestError(f"Manifestet er ikke gyldig JSON: {exc.detail}") from None
    except ValueError as exc:  # json.JSONDecodeError
        raise ManifestError(f"Manifestet er ikke gyldig JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ManifestError("Manifestet må være et JSON-objekt.")
    known = {"format", "name", "title", "version", "valid_from", "min_program_version", "content"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ManifestError(f"Manifestet har ukjente nøkler: {', '.join(unknown)}.")
    if raw.get("format") != FORMAT:
        raise ManifestError(
            f"Pakkeformatet «{raw.get('format')}» er ukjent for denne utgaven av jsdesk "
            f"(forventet {FORMAT})."
        )
    name = _text(raw, "name")
    if not _NAME.fullmatch(name):
        raise ManifestError(
            f"Pakkenavnet «{name}» kan bare ha små bokstaver a-z, sifre og bindestrek."
        )
    version = _text(raw, "version")
    parse_version(version)
    min_program = _text(raw, "min_program_version")
    parse_version(min_program)
    try:
        valid_from = date.fromisoformat(_text(raw, "valid_from"))
    except ValueError:
        raise ManifestError("«valid_from» må være en dato (ÅÅÅÅ-MM-DD).") from None
    items = raw.get("content")
    if not isinstance(items, list) or not items:
        raise ManifestError("Manifestet må liste minst én fil under «content».")
    content: list[ContentFile] = []
    for item in items:
        if not isinstance(item, dict) or set(item) != {"path", "sha256", "size"}:
            raise ManifestError("Hver fil i «content» må ha path, sha256 og size.")
        path, digest, size = item["path"], item["sha256"], item["size"]
        if not isinstance(path, str) or not _CONTENT_PATH.fullmatch(path):
            raise ManifestError(
                f"Filen «{path}» kan ikke ligge i en pakke: bare skjema/NAVN.yaml og "
                "data/NAVN.csv er tillatt."
            )
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ManifestError(f"Filen «{path}» har ingen gyldig SHA-256-sum i manifestet.")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ManifestError(f"Filen «{path}» har ingen gyldig størrelse i manifestet.")
        content.append(ContentFile(path, digest, size))
    if len({item.path for item in content}) != len(content):
        raise ManifestError("Manifestet lister samme fil flere ganger.")
    return PackageManifest(
        name=name,
        title=_text(raw, "title", optional=True),
        version=version,
        valid_from=valid_from,
        min_program_version=min_program,
        content=tuple(content),
    )


def _text(raw: dict[str, object], key: str, *, optional: bool = False) -> str:
    value = raw.get(key, "" if optional else None)
    if not isinstance(value, str) or (not optional and not value):
        raise ManifestError(f"Manifestet mangler «{key}» (tekst).")
    return value


# ------------------------------------------------------------------ installed


def packages_folder() -> Path:
    """``<data>/pakker``: installed packages, trusted test publishers, the install log."""
    return user_data_folder() / PACKAGES_FOLDER


def installed_folder() -> Path:
    return packages_folder() / INSTALLED_FOLDER


@dataclass(frozen=True, slots=True)
class InstalledPackage:
    """A package written to ``installert/<name>/<version>/``."""

    manifest: PackageManifest
    folder: Path

    def path_of(self, item: ContentFile) -> Path:
        return self.folder / item.path

    def in_effect(self, today: date) -> bool:
        return self.manifest.valid_from <= today


def today() -> date:
    """The date installed packages are judged by (the day the program started)."""
    return date.today()


@functools.cache
def installed_packages() -> tuple[InstalledPackage, ...]:
    """Every installed package, oldest version first. One that cannot be read is skipped."""
    folder = installed_folder()
    if not folder.is_dir():
        return ()
    found: list[InstalledPackage] = []
    for manifest_path in sorted(folder.glob(f"*/*/{MANIFEST_NAME}")):
        package = _read_installed(manifest_path)
        if package is not None:
            found.append(package)
    return tuple(sorted(found, key=lambda p: (p.manifest.name, p.manifest.version_key)))


def _read_installed(manifest_path: Path) -> InstalledPackage | None:
    try:
        manifest = parse_manifest(manifest_path.read_bytes())
        for item in manifest.content:
            data = (manifest_path.parent / item.path).read_bytes()
            if hashlib.sha256(data).hexdigest() != item.sha256:
                raise ManifestError(f"{item.path} er endret etter installasjonen.")
    except (OSError, ManifestError) as exc:
        log.warning("Installert pakke i %s brukes ikke: %s", manifest_path.parent, exc)
        return None
    return InstalledPackage(manifest=manifest, folder=manifest_path.parent)


def forget_installed() -> None:
    """Read the installed packages again on next use (after an install)."""
    installed_packages.cache_clear()


def packages_in_effect(on: date | None = None) -> tuple[InstalledPackage, ...]:
    """Installed packages whose valid-from date has come, newest version last."""
    day = on or today()
    return tuple(p for p in installed_packages() if p.in_effect(day))


def reference_file(name: str, on: date | None = None) -> Path | None:
    """The installed ``data/<name>`` in effect (newest package version wins), or None."""
    chosen: tuple[tuple[int, ...], Path] | None = None
    for package in packages_in_effect(on):
        for item in package.manifest.files_of("data"):
            if item.name == name and (chosen is None or package.manifest.version_key > chosen[0]):
                chosen = (package.manifest.version_key, package.path_of(item))
    return chosen[1] if chosen is not None else None


def reference_file_names(on: date | None = None) -> frozenset[str]:
    """The names of the data files installed packages in effect provide."""
    return frozenset(
        item.name
        for package in packages_in_effect(on)
        for item in package.manifest.files_of("data")
    )


def installed_form_paths(on: date | None = None) -> list[Path]:
    """The form files of installed packages in effect."""
    return [
        package.path_of(item)
        for package in packages_in_effect(on)
        for item in package.manifest.files_of("skjema")
    ]
