"""The ASiC-E container: a ZIP with ``mimetype`` first, the payload, manifest and signature.

Layout (ETSI EN 319 162-1, CAdES variant, as used by Digdir's eFormidling)::

    mimetype                      stored, "application/vnd.etsi.asic-e+zip"
    submission.json               the payload
    META-INF/ASiCManifest.xml     SHA-256 digest of every data file
    META-INF/signature.p7s        detached CMS SignedData (DER) over the manifest

Reading treats the file as hostile: the exact set of entries, no path tricks,
caps on sizes and compression ratio, and entries read with a hard limit so a
ZIP bomb cannot exhaust memory. Every problem is a ``ContainerProblem`` with a
Bokmål message; ``ContainerUnreadable`` marks a file that is not a ZIP at all.
"""

from __future__ import annotations

import io
import os
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from jsdesk.storage.owner_only import restrict_file
from jsdesk.submission import cms
from jsdesk.submission.manifest import build_manifest

MIMETYPE = "application/vnd.etsi.asic-e+zip"
PAYLOAD_NAME = "submission.json"
MANIFEST_NAME = "META-INF/ASiCManifest.xml"
SIGNATURE_NAME = "META-INF/signature.p7s"
EXPECTED_NAMES = ("mimetype", PAYLOAD_NAME, MANIFEST_NAME, SIGNATURE_NAME)
# Entries other tools add and ASiC-E allows; read past, never used: the folder entry
# `zip -r` writes, and the ODF-style manifest some signing tools add.
META_INF_DIR = "META-INF/"
ODF_MANIFEST_NAME = "META-INF/manifest.xml"
OPTIONAL_NAMES = (META_INF_DIR, ODF_MANIFEST_NAME)

# Limits for reading: a 10,000-record submission is about 10 MB of JSON.
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_ENTRY_BYTES = {
    "mimetype": len(MIMETYPE),
    PAYLOAD_NAME: 256 * 1024 * 1024,
    MANIFEST_NAME: 64 * 1024,
    SIGNATURE_NAME: cms.MAX_SIGNATURE_BYTES,
    META_INF_DIR: 0,
    ODF_MANIFEST_NAME: 64 * 1024,
}
MAX_RATIO = 200  # uncompressed / compressed; real payloads compress ~10-30x
_CHUNK = 1 << 16
PARTIAL_SUFFIX = ".jsdesk-partial"


class ContainerProblem(Exception):
    """The container breaks a rule; ``message`` says which, in Bokmål."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ContainerUnreadable(ContainerProblem):
    """The file cannot be opened as a container at all (not a ZIP, truncated, unreadable)."""


@dataclass(frozen=True)
class Container:
    payload: bytes
    manifest: bytes
    signature: bytes


def build_container(
    payload: bytes,
    certificate: x509.Certificate,
    key: cms.SigningKey,
    chain: tuple[x509.Certificate, ...] = (),
    *,
    timestamper: Callable[[bytes], bytes] | None = None,
) -> bytes:
    """The signed ASiC-E container holding ``payload`` as ``submission.json``.

    With ``timestamper`` the signature gets a signature time-stamp (CAdES B-T).
    """
    manifest = build_manifest({PAYLOAD_NAME: ("application/json", payload)}, SIGNATURE_NAME)
    signature = cms.sign_detached(manifest, certificate, key, chain, timestamper=timestamper)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_entry("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        # Level 1: the payload is JSON and compresses well even at the fastest level.
        archive.writestr(
            _entry(PAYLOAD_NAME), payload, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1
        )
        archive.writestr(_entry(MANIFEST_NAME), manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(_entry(SIGNATURE_NAME), signature, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    # A fixed timestamp keeps the container independent of the local clock/time zone;
    # the signing time inside the signature is the authoritative time.
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = 0o644 << 16
    return info


def read_container(data: bytes) -> Container:
    """Open a container from its bytes and check its layout; raises ``ContainerProblem``."""
    if len(data) > MAX_FILE_BYTES:
        raise ContainerUnreadable("Filen er for stor til å være en innsendingsfil.")
    try:
        check_zip_structure(data)
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise ContainerUnreadable(
            "Filen kan ikke åpnes som ASiC-E-beholder (ZIP): den er skadet, avkortet "
            "eller av feil type."
        ) from exc
    with archive:
        infos = archive.infolist()
        _check_layout(infos)
        contents = {info.filename: _read_entry(archive, info) for info in infos}
    if contents["mimetype"] != MIMETYPE.encode("ascii"):
        raise ContainerProblem(f"Oppføringen 'mimetype' skal inneholde {MIMETYPE!r}.")
    return Container(
        payload=contents[PAYLOAD_NAME],
        manifest=contents[MANIFEST_NAME],
        signature=contents[SIGNATURE_NAME],
    )


_LOCAL_SIGNATURE = b"PK\x03\x04"
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_END_SIGNATURE = b"PK\x05\x06"
_DESCRIPTOR_SIGNATURE = b"PK\x07\x08"
_END_SIZE = 22
_LOCAL_SIZE = 30
_CENTRAL_SIZE = 46


def check_zip_structure(data: bytes) -> None:
    """The ZIP's bytes hold exactly what its central directory lists, and nothing else.

    A ZIP can be read two ways: through the central directory at its end (as
    jsdesk and most tools do) or by streaming the local headers from the start.
    A hostile file makes the two disagree (a hidden ``submission.json`` local
    entry that a streaming reader would take) or carries data the signature
    does not cover. So: the end-of-central-directory record ends the file, its
    comment is empty, the first entry starts at byte 0, every local header
    matches one central entry (name, method, sizes) and the entries follow one
    another without gaps up to the central directory, which ends where the end
    record starts.
    """
    if len(data) < _END_SIZE or data[-_END_SIZE : -_END_SIZE + 4] != _END_SIGNATURE:
        found = data.rfind(_END_SIGNATURE, max(0, len(data) - _END_SIZE - 0xFFFF))
        if found >= 0 and found + _END_SIZE < len(data):
            raise ContainerProblem(
                "Beholderen har data etter ZIP-ens sluttpost eller en ZIP-kommentar; "
                "det godtas ikke."
            )
        raise ContainerUnreadable(
            "Filen kan ikke åpnes som ASiC-E-beholder (ZIP): den er skadet, avkortet "
            "eller av feil type."
        )
    end = len(data) - _END_SIZE
    disk, cd_disk, count_here, count, cd_size, cd_offset, comment_length = struct.unpack(
        "<HHHHIIH", data[end + 4 : end + _END_SIZE]
    )
    if comment_length:
        raise ContainerProblem("Beholderen har en ZIP-kommentar; den skal være tom.")
    if disk or cd_disk or count_here != count:
        raise ContainerProblem("Beholderen er en delt (flerdelt) ZIP; det godtas ikke.")
    if cd_offset + cd_size != end:
        raise ContainerProblem(
            "Beholderen har data mellom ZIP-katalogen og sluttposten, eller foran første "
            "oppføring; det godtas ikke."
        )
    entries = _central_entries(data, cd_offset, count, end)
    position = 0
    for name, method, flags, compressed, local_offset in sorted(entries, key=lambda e: e[4]):
        if local_offset != position:
            raise ContainerProblem(
                "Beholderen har skjulte data eller lokale oppføringer som ikke står i "
                f"ZIP-katalogen (foran {name!r}); det godtas ikke."
            )
        position = _local_entry_end(data, name, method, flags, compressed, local_offset, cd_offset)
    if position != cd_offset:
        raise ContainerProblem(
            "Beholderen har skjulte data eller lokale oppføringer etter siste oppføring; "
            "det godtas ikke."
        )


def _central_entries(
    data: bytes, offset: int, count: int, end: int
) -> list[tuple[str, int, int, int, int]]:
    entries: list[tuple[str, int, int, int, int]] = []
    position = offset
    for _ in range(count):
        if data[position : position + 4] != _CENTRAL_SIGNATURE:
            raise ContainerUnreadable("ZIP-katalogen i beholderen er skadet.")
        fields = struct.unpack("<HHHHHHIIIHHHHHII", data[position + 4 : position + _CENTRAL_SIZE])
        flags, method, compressed = fields[2], fields[3], fields[7]
        name_length, extra_length, comment_length, local_offset = (
            fields[9],
            fields[10],
            fields[11],
            fields[15],
        )
        raw_name = data[position + _CENTRAL_SIZE : position + _CENTRAL_SIZE + name_length]
        entries.append((_decode_name(raw_name, flags), method, flags, compressed, local_offset))
        position += _CENTRAL_SIZE + name_length + extra_length + comment_length
    if position != end:
        raise ContainerProblem(
            "ZIP-katalogen har flere eller færre oppføringer enn sluttposten oppgir."
        )
    return entries


def _local_entry_end(
    data: bytes, name: str, method: int, flags: int, compressed: int, offset: int, limit: int
) -> int:
    """Where the local entry at ``offset`` ends; it must agree with its central entry."""
    header = data[offset : offset + _LOCAL_SIZE]
    if len(header) < _LOCAL_SIZE or header[:4] != _LOCAL_SIGNATURE:
        raise ContainerProblem(f"Den lokale ZIP-oppføringen for {name!r} mangler eller er skadet.")
    (
        _version,
        local_flags,
        local_method,
        _t,
        _d,
        _crc,
        local_compressed,
        _size,
        name_length,
        extra_length,
    ) = struct.unpack("<HHHHHIIIHH", header[4:])
    raw_name = data[offset + _LOCAL_SIZE : offset + _LOCAL_SIZE + name_length]
    if _decode_name(raw_name, local_flags) != name or local_method != method:
        raise ContainerProblem(
            f"Den lokale ZIP-oppføringen for {name!r} stemmer ikke med ZIP-katalogen."
        )
    position: int = offset + _LOCAL_SIZE + name_length + extra_length + compressed
    if flags & 0x08:  # sizes follow the data in a data descriptor
        if data[position : position + 4] == _DESCRIPTOR_SIGNATURE:
            position += 4
        position += 12
    elif local_compressed != compressed:
        raise ContainerProblem(
            f"Den lokale ZIP-oppføringen for {name!r} oppgir en annen størrelse enn ZIP-katalogen."
        )
    if position > limit:
        raise ContainerProblem(f"Oppføringen {name!r} går inn i ZIP-katalogen.")
    return position


def _decode_name(raw: bytes, flags: int) -> str:
    return raw.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")


def _check_layout(infos: list[zipfile.ZipInfo]) -> None:
    names = [info.filename for info in infos]
    for name in names:
        if _is_path_trick(name):
            raise ContainerProblem(
                f"Beholderen har en oppføring med et farlig filnavn ({name!r}): absolutte stier, "
                "'..', bakoverskråstrek og stasjonsbokstaver er ikke tillatt."
            )
    for info in infos:
        if info.filename == META_INF_DIR and (info.file_size or info.compress_size):
            raise ContainerProblem("Mappeoppføringen 'META-INF/' skal være tom.")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ContainerProblem(f"Beholderen har duplikate oppføringer: {', '.join(duplicates)}.")
    missing = [name for name in EXPECTED_NAMES if name not in names]
    if missing:
        raise ContainerProblem(f"Beholderen mangler oppføringer: {', '.join(missing)}.")
    extra = [name for name in names if name not in EXPECTED_NAMES + OPTIONAL_NAMES]
    if extra:
        raise ContainerProblem(f"Beholderen har uventede oppføringer: {', '.join(extra)}.")
    first = infos[0]
    if first.filename != "mimetype":
        raise ContainerProblem("Første oppføring i beholderen skal være 'mimetype'.")
    if first.compress_type != zipfile.ZIP_STORED:
        raise ContainerProblem("Oppføringen 'mimetype' skal være lagret ukomprimert.")
    for info in infos:
        if info.flag_bits & 0x1:
            raise ContainerProblem(f"Oppføringen {info.filename!r} er kryptert i ZIP-en.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ContainerProblem(
                f"Oppføringen {info.filename!r} bruker en komprimering jsdesk ikke godtar."
            )
        limit = MAX_ENTRY_BYTES[info.filename]
        if info.file_size > limit:
            raise ContainerProblem(
                f"Oppføringen {info.filename!r} er for stor ({info.file_size} byte; "
                f"grensen er {limit})."
            )
        if info.file_size > 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ContainerProblem(
                f"Oppføringen {info.filename!r} er mistenkelig sterkt komprimert "
                "(mulig ZIP-bombe) og avvises."
            )


def _is_path_trick(name: str) -> bool:
    if name == META_INF_DIR:
        return False
    return (
        name.startswith(("/", "\\"))
        or "\\" in name
        or ":" in name
        or any(part in ("..", "") for part in name.split("/"))
        or "\x00" in name
    )


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read at most the declared size (itself capped); anything more is refused."""
    limit = info.file_size
    chunks: list[bytes] = []
    total = 0
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise ContainerProblem(
                        f"Oppføringen {info.filename!r} er større enn oppgitt i ZIP-katalogen."
                    )
                chunks.append(chunk)
    except ContainerProblem:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
    ) as exc:
        raise ContainerProblem(
            f"Oppføringen {info.filename!r} er skadet "
            "(kontrollsum eller komprimering stemmer ikke)."
        ) from exc
    if total != limit:
        raise ContainerProblem(
            f"Oppføringen {info.filename!r} har en annen lengde enn oppgitt i ZIP-katalogen."
        )
    return b"".join(chunks)


def read_file_limited(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a whole file, refusing files larger than ``limit`` (``ContainerUnreadable``)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ContainerUnreadable(f"Kan ikke lese {path}: {exc.strerror or exc}.") from exc
    if len(data) > limit:
        raise ContainerUnreadable(f"{path} er for stor til å være en innsendingsfil.")
    return data


def write_atomic(
    path: Path,
    data: bytes,
    *,
    before_rename: Callable[[Path], None] | None = None,
    private: bool = False,
) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either complete or absent.

    On Linux the data goes to an unnamed ``O_TMPFILE`` that is linked in under
    ``path`` only when complete, so even a killed process leaves no partial
    file. Elsewhere (or on file systems without it) a temporary file in the
    same folder is fsynced and renamed. ``before_rename`` runs with a path to
    the complete, fsynced data (e.g. to check it); if it raises, nothing appears.
    An existing ``path`` is never overwritten. A ``private`` file (one that holds
    personal data in clear, e.g. an unencrypted test submission) is its owner's only:
    0600, or an owner-only ACL on Windows.
    """
    if path.exists():
        raise FileExistsError(path)
    mode = 0o600 if private else 0o644
    if not _write_unnamed(path, data, before_rename, mode):
        _write_temp_and_rename(path, data, before_rename, mode, private)
    _fsync_dir(path.parent)


def _write_unnamed(
    path: Path, data: bytes, before_rename: Callable[[Path], None] | None, mode: int
) -> bool:
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not Path("/proc/self/fd").is_dir():
        return False
    try:
        fd = os.open(path.parent, flag | os.O_WRONLY, mode)
    except OSError:
        return False  # the file system does not support unnamed temporary files
    try:
        _write_all(fd, data)
        proc_path = Path(f"/proc/self/fd/{fd}")
        if before_rename is not None:
            before_rename(proc_path)
        try:
            os.link(proc_path, path, follow_symlinks=True)
        except OSError:
            return False  # linking an unnamed file is not allowed here (e.g. some sandboxes)
    finally:
        os.close(fd)
    return True


def _write_temp_and_rename(
    path: Path,
    data: bytes,
    before_rename: Callable[[Path], None] | None,
    mode: int,
    private: bool,
) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        if private:
            restrict_file(temp)  # 0600 from os.open already; on Windows the owner-only ACL
        if before_rename is not None:
            before_rename(temp)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def remove_stale_partials(folder: Path) -> list[Path]:
    """Delete temporary files left by an export that was killed (its process is gone)."""
    removed: list[Path] = []
    for candidate in folder.glob(f".*{PARTIAL_SUFFIX}"):
        pid_text = candidate.name.removesuffix(PARTIAL_SUFFIX).rpartition(".")[2]
        if not pid_text.isdigit() or _process_alive(int(pid_text), candidate):
            continue
        candidate.unlink(missing_ok=True)
        removed.append(candidate)
    return removed


def _process_alive(pid: int, candidate: Path) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        # No cheap liveness check: treat files younger than a day as someone's work.
        return time.time() - candidate.stat().st_mtime < 24 * 3600
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return  # Windows has no directory fsync; os.replace is already durable enough there.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
