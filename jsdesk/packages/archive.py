"""The ``.jspkg`` file: build one from a folder and sign it; open one and verify everything.

A package is a ZIP file with

- ``manifest.json``: name, title, version, valid-from date, minimum program
  version, and every content file with its SHA-256 sum and size
  (:class:`jsdesk.installed.PackageManifest`);
- ``manifest.p7s``: a detached CMS signature over ``manifest.json``, made and
  checked by the submission code (``cms.sign_detached`` / ``cms.verify_signed``);
- the content files, ``skjema/*.yaml`` (form definitions) and ``data/*.csv``
  (reference data named as in ``resources/``).

The signature covers the manifest and the manifest covers every file, as in the
submission's ASiC-E container. ``open_package`` treats the file as hostile: it
reads only the members it expects, with sizes bounded, and refuses a package
that is forged, signed by someone not a publisher, altered, expired, or needs a
newer program, each with a Bokmål message (``PackageRefused``).
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from cryptography import x509

from jsdesk import __version__
from jsdesk.domain import registers
from jsdesk.errors import ExitCode, UserError
from jsdesk.forms import FormDefinition, FormLoadError
from jsdesk.installed import (
    DATA_FOLDER,
    FORM_FOLDER,
    MANIFEST_NAME,
    SIGNATURE_NAME,
    ContentFile,
    ManifestError,
    PackageManifest,
    parse_manifest,
    parse_version,
)
from jsdesk.jsontext import loads_untrusted
from jsdesk.rules import load_form
from jsdesk.submission.cms import SignatureProblem, sign_detached, verify_signed
from jsdesk.submission.credentials import SigningCredentials
from jsdesk.submission.trust import CertificateProblem, TrustStore, UntrustedCertificate

PACKAGE_SUFFIX = ".jspkg"
# The description in the source folder that ``build`` turns into the manifest.
SOURCE_DESCRIPTION = "pakke.json"
MAX_PACKAGE_BYTES = 50 * 1024 * 1024
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 200


class PackageRefused(UserError):
    """The package cannot be used; nothing was changed. ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.FAILED)


@dataclass(frozen=True)
class VerifiedPackage:
    """A package whose signature, publisher and every file were checked."""

    manifest: PackageManifest
    manifest_bytes: bytes
    signature: bytes
    files: dict[str, bytes]  # content path -> bytes
    publisher: x509.Certificate
    signed_at: datetime

    @property
    def publisher_name(self) -> str:
        return self.publisher.subject.rfc4514_string()

    def forms(self, folder: Path) -> list[tuple[ContentFile, FormDefinition]]:
        """The package's forms, loaded from copies written to ``folder``."""
        loaded = []
        for item in self.manifest.files_of("skjema"):
            path = folder / item.name
            path.write_bytes(self.files[item.path])
            loaded.append((item, load_form(path)))
        return loaded


# --------------------------------------------------------------------- build


def build_package(
    source: Path, credentials: SigningCredentials, *, signing_time: datetime | None = None
) -> bytes:
    """The signed package for the folder ``source`` (see docs/packages.md).

    ``source`` holds ``pakke.json`` (name, title, version, valid_from,
    min_program_version) and the content in ``skjema/`` and ``data/``. Every
    form must pass ``form check`` and every data file must be a reference file
    jsdesk knows, with its columns: a package that would be refused on install
    is not built.
    """
    description = _read_description(source / SOURCE_DESCRIPTION)
    files: dict[str, bytes] = {}
    for folder, suffix in ((FORM_FOLDER, ".yaml"), (DATA_FOLDER, ".csv")):
        for path in sorted((source / folder).glob("*")):
            if path.suffix != suffix or not path.is_file():
                raise UserError(f"{path}: bare {suffix}-filer kan ligge i {folder}/.")
            files[f"{folder}/{path.name}"] = path.read_bytes()
    if not files:
        raise UserError(f"{source} har ingen filer i skjema/ eller data/.")
    try:
        manifest = parse_manifest(
            PackageManifest(
                name=description.get("name", ""),
                title=description.get("title", ""),
                version=description.get("version", ""),
                valid_from=_date(description.get("valid_from", "")),
                min_program_version=description.get("min_program_version", __version__),
                content=tuple(
                    ContentFile(path, hashlib.sha256(data).hexdigest(), len(data))
                    for path, data in files.items()
                ),
            ).to_bytes()
        )
    except ManifestError as exc:
        raise UserError(f"{source / SOURCE_DESCRIPTION}: {exc.message}") from None
    check_content(manifest, files)
    manifest_bytes = manifest.to_bytes()
    signature = sign_detached(
        manifest_bytes,
        credentials.certificate,
        credentials.key,
        credentials.chain,
        signing_time=signing_time,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST_NAME, manifest_bytes)
        archive.writestr(SIGNATURE_NAME, signature)
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _read_description(path: Path) -> dict[str, str]:
    try:
        raw = loads_untrusted(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"Kan ikke lese {path}: {exc.strerror or exc}.", 2) from exc
    except ValueError as exc:  # UnicodeDecodeError, JSONDecodeError, UntrustedJsonError
        raise UserError(f"{path} er ikke gyldig JSON ({exc}).", 2) from exc
    known = {"name", "title", "version", "valid_from", "min_program_version"}
    if not isinstance(raw, dict) or not set(raw) <= known:
        raise UserError(f"{path} må være et JSON-objekt med nøklene {', '.join(sorted(known))}.")
    return {key: str(value) for key, value in raw.items()}


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"«valid_from» må være en dato (ÅÅÅÅ-MM-DD), men er «{text}».") from None


def check_content(manifest: PackageManifest, files: dict[str, bytes]) -> None:
    """Every form passes ``form check``; every data file is a known reference file."""
    with tempfile.TemporaryDirectory(prefix="jsdesk-pakke-") as folder:
        for item in manifest.files_of("skjema"):
            path = Path(folder) / item.name
            path.write_bytes(files[item.path])
            try:
                load_form(path)
            except FormLoadError as exc:
                listed = "\n".join(f"  {problem}" for problem in exc.problems)
                raise PackageRefused(
                    f"Skjemaet {item.name} i pakken kan ikke brukes:\n{listed}"
                ) from None
    for item in manifest.files_of("data"):
        try:
            registers.read_reference_rows(files[item.path], item.name)
        except UserError as exc:
            raise PackageRefused(f"Datafilen i pakken kan ikke brukes: {exc.message}") from None


# ---------------------------------------------------------------------- open


def open_package(path: Path, trust: TrustStore, *, now: datetime | None = None) -> VerifiedPackage:
    """Read and verify the package in ``path``; ``PackageRefused`` says why it cannot be used."""
    try:
        size = path.stat().st_size
        if size > MAX_PACKAGE_BYTES:
            raise PackageRefused(f"{path} er for stor til å være en oppdateringspakke.")
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"Kan ikke lese {path}: {exc.strerror or exc}.", 2) from exc
    return verify_package_bytes(data, trust, now=now, source=str(path))


def verify_package_bytes(
    data: bytes, trust: TrustStore, *, now: datetime | None = None, source: str = "pakken"
) -> VerifiedPackage:
    """Verify a package's bytes (see ``open_package``)."""
    now = now or datetime.now(UTC)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackageRefused(f"{source} er ikke en oppdateringspakke (ikke en ZIP-fil).") from None
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        if len(members) != len(archive.infolist()):
            raise PackageRefused(f"{source} har samme fil flere ganger og avvises.")
        if len(members) > MAX_MEMBERS:
            raise PackageRefused(f"{source} har urimelig mange filer og avvises.")
        manifest_bytes = _member(archive, members, MANIFEST_NAME, source)
        signature = _member(archive, members, SIGNATURE_NAME, source)
        publisher, signed_at = _check_signature(signature, manifest_bytes, trust, now)
        try:
            manifest = parse_manifest(manifest_bytes)
        except ManifestError as exc:
            raise PackageRefused(f"Manifestet i {source} kan ikke brukes: {exc.message}") from None
        files: dict[str, bytes] = {}
        for item in manifest.content:
            if item.path not in members:
                raise PackageRefused(
                    f"Pakken er endret etter signering: {item.path} mangler. Ingenting er endret."
                )
            content = _member(archive, members, item.path, source)
            if len(content) != item.size or hashlib.sha256(content).hexdigest() != item.sha256:
                raise PackageRefused(
                    f"Pakken er endret etter signering: {item.path} samsvarer ikke med "
                    "manifestet. Ingenting er endret."
                )
            files[item.path] = content
        extra = sorted(set(members) - set(files) - {MANIFEST_NAME, SIGNATURE_NAME})
        if extra:
            raise PackageRefused(
                f"Pakken har filer som ikke er signert: {', '.join(extra[:5])}. "
                "Ingenting er endret."
            )
    required = manifest.min_program_version
    if parse_version(required) > parse_version(__version__):
        raise PackageRefused(
            f"Pakken «{manifest.name}» {manifest.version} krever jsdesk {required} eller nyere; "
            f"dette er jsdesk {__version__}. Installer en nyere jsdesk først. Ingenting er endret."
        )
    check_content(manifest, files)
    return VerifiedPackage(
        manifest=manifest,
        manifest_bytes=manifest_bytes,
        signature=signature,
        files=files,
        publisher=publisher,
        signed_at=signed_at,
    )


def _member(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], name: str, source: str
) -> bytes:
    info = members.get(name)
    if info is None:
        raise PackageRefused(f"{source} mangler {name} og er ikke en gyldig oppdateringspakke.")
    if info.file_size > MAX_FILE_BYTES:
        raise PackageRefused(f"{name} i {source} er urimelig stor og avvises.")
    try:
        with archive.open(info) as handle:
            content = handle.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise PackageRefused(f"{name} i {source} er skadet ({exc}).") from None
    if len(content) > MAX_FILE_BYTES:
        raise PackageRefused(f"{name} i {source} er urimelig stor og avvises.")
    return content


def _check_signature(
    signature: bytes, manifest: bytes, trust: TrustStore, now: datetime
) -> tuple[x509.Certificate, datetime]:
    try:
        verified = verify_signed(signature, manifest, trust)
    except SignatureProblem as exc:
        raise PackageRefused(
            f"Pakken er forfalsket eller skadet: signaturen holder ikke ({exc.message}). "
            "Ingenting er endret."
        ) from None
    except UntrustedCertificate as exc:
        raise PackageRefused(
            f"Pakken er ikke signert av en klarert utgiver: {exc.message} Bare pakker fra "
            "skjemaeieren installeres. Ingenting er endret."
        ) from None
    except CertificateProblem as exc:
        raise PackageRefused(f"Utgiverens sertifikat holder ikke: {exc.message}") from None
    publisher = verified.info.signer
    if publisher.not_valid_after_utc < now:
        raise PackageRefused(
            f"Pakken er utløpt: utgiverens sertifikat gikk ut "
            f"{publisher.not_valid_after_utc:%d.%m.%Y}. Be skjemaeieren om en ny pakke. "
            "Ingenting er endret."
        )
    return publisher, verified.info.signing_time
