"""The container's bytes: strict where it protects (hidden entries, appended data, comments),
lenient where ASiC-E allows (a META-INF/ folder entry, an ODF manifest, both signature MIME types).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from submission_support import credentials, rewrite_zip, sample_container, sample_payload

from jsdesk.submission import cms
from jsdesk.submission.container import (
    MANIFEST_NAME,
    MIMETYPE,
    PAYLOAD_NAME,
    SIGNATURE_NAME,
)
from jsdesk.submission.manifest import build_manifest
from jsdesk.submission.verify import Report, verify_bytes


def _verify(data: bytes) -> Report:
    return verify_bytes(data, trusted=[credentials().certificate], check_rules=False)


def _failed(report: Report) -> str:
    return " ".join(c.detail for c in report.checks if not c.ok)


def _local_entry(name: str, content: bytes) -> bytes:
    """One stored local ZIP entry (header + data), as a streaming reader would see it."""

    raw = name.encode()
    header = struct.pack(
        "<4sHHHHHIIIHH",
        b"PK\x03\x04",
        20,
        0,
        0,
        0,
        0x21,
        zlib.crc32(content),
        len(content),
        len(content),
        len(raw),
        0,
    )
    return header + raw + content


PAYLOAD = sample_payload()  # one payload: every call makes a new submission id
EVIL_PAYLOAD = b'{"header": {}, "records": ["noe helt annet"]}'


def test_structure__hidden_local_entry_before_the_real_ones__rejected() -> None:
    # A streaming reader would take this submission.json; the central directory never lists it.
    report = _verify(_local_entry(PAYLOAD_NAME, EVIL_PAYLOAD) + sample_container())
    assert report.exit_code == 1, report.lines()
    assert "skjulte data" in _failed(report) or "foran første" in _failed(report)


def _drop_from_central_directory(data: bytes, name: str) -> bytes:
    """``data`` with ``name``'s central-directory record removed (its local entry stays)."""
    end = len(data) - 22
    count, _size, offset = struct.unpack("<HII", data[end + 10 : end + 20])
    records, position = [], offset
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack(
            "<HHH", data[position + 28 : position + 34]
        )
        length = 46 + name_len + extra_len + comment_len
        records.append(data[position : position + length])
        position += length
    kept = [r for r in records if r[46 : 46 + struct.unpack("<H", r[28:30])[0]] != name.encode()]
    directory = b"".join(kept)
    end_record = (
        data[end : end + 8]
        + struct.pack("<HHII", len(kept), len(kept), len(directory), offset)
        + b"\x00\x00"
    )
    return data[:offset] + directory + end_record


def test_structure__hidden_local_entry_between_entries__rejected() -> None:
    real = sample_container()
    with zipfile.ZipFile(io.BytesIO(real)) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr(items[0][0], items[0][1])  # mimetype
        target.writestr("skjult.json", EVIL_PAYLOAD, compress_type=zipfile.ZIP_STORED)
        for info, content in items[1:]:
            target.writestr(info, content)
    data = _drop_from_central_directory(out.getvalue(), "skjult.json")
    with zipfile.ZipFile(io.BytesIO(data)) as check:  # an ordinary reader sees a clean container
        assert check.infolist()[0].filename == "mimetype"
        assert "skjult.json" not in check.namelist()
    report = _verify(data)
    assert report.exit_code == 1, report.lines()
    assert "skjulte data" in _failed(report)


def test_structure__data_appended_after_the_zip__rejected() -> None:
    report = _verify(sample_container() + b"vedheng etter slutten av ZIP-en")
    assert report.exit_code == 1, report.lines()
    assert "etter ZIP-ens sluttpost" in _failed(report)


def test_structure__zip_comment__rejected() -> None:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(sample_container())) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.comment = b"en kommentar"
    report = _verify(out.getvalue())
    assert report.exit_code == 1, report.lines()
    assert "ZIP-kommentar" in _failed(report)


def test_structure__signed_data_given_as_file__named_as_signed_data() -> None:
    with zipfile.ZipFile(io.BytesIO(sample_container())) as archive:
        signature = archive.read(SIGNATURE_NAME)
    report = verify_bytes(signature)
    assert report.exit_code == 2
    detail = _failed(report)
    assert "SignedData" in detail
    assert "kryptert" not in report.checks[0].name.lower()
    assert "Filen er kryptert" not in detail


def _zip_r_style(data: bytes, *, odf_manifest: bool) -> bytes:
    """The container as `zip -r` would pack it: a META-INF/ folder entry, maybe an ODF manifest."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr(items[0][0], items[0][1])
        target.writestr(items[1][0], items[1][1])
        target.writestr(zipfile.ZipInfo("META-INF/"), b"")
        for info, content in items[2:]:
            target.writestr(info, content)
        if odf_manifest:
            target.writestr(
                "META-INF/manifest.xml",
                b'<?xml version="1.0"?><manifest:manifest '
                b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
            )
    return out.getvalue()


@pytest.mark.parametrize("odf_manifest", [False, True])
def test_lenient__meta_inf_folder_entry_and_odf_manifest__accepted(odf_manifest: bool) -> None:
    report = _verify(_zip_r_style(sample_container(), odf_manifest=odf_manifest))
    assert report.exit_code == 0, report.lines()


def test_lenient__meta_inf_folder_entry_with_content__rejected() -> None:
    data = rewrite_zip(sample_container(), lambda _n, c: c, extra={"META-INF/": b"x"})
    report = _verify(data)
    assert report.exit_code == 1


def _resigned(manifest: bytes) -> bytes:
    """A container whose manifest is ``manifest``, correctly signed by the trusted signer."""
    signer = credentials()
    signature = cms.sign_detached(manifest, signer.certificate, signer.key)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr(PAYLOAD_NAME, PAYLOAD, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(MANIFEST_NAME, manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(SIGNATURE_NAME, signature, compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def test_lenient__sigreference_mime_pkcs7_signature__accepted() -> None:
    manifest = build_manifest({PAYLOAD_NAME: ("application/json", PAYLOAD)}, SIGNATURE_NAME)
    other = manifest.replace(b"application/x-pkcs7-signature", b"application/pkcs7-signature")
    assert other != manifest
    assert _verify(_resigned(other)).exit_code == 0


def test_manifest__sigreference_other_mime_type__rejected() -> None:
    manifest = build_manifest({PAYLOAD_NAME: ("application/json", PAYLOAD)}, SIGNATURE_NAME)
    xades = manifest.replace(b"application/x-pkcs7-signature", b"application/xml")
    report = _verify(_resigned(xades))
    assert report.exit_code == 1
    assert "SigReference" in _failed(report)


def test_manifest__signed_manifest_lists_a_file_the_container_lacks__rejected() -> None:
    # The manifest is genuinely signed, but promises a file that is not in the container.
    manifest = build_manifest(
        {
            PAYLOAD_NAME: ("application/json", PAYLOAD),
            "vedlegg.pdf": ("application/pdf", b"%PDF-1.7 vedlegg"),
        },
        SIGNATURE_NAME,
    )
    report = _verify(_resigned(manifest))
    assert report.exit_code == 1
    assert "vedlegg.pdf" in _failed(report)
