"""The ASiC-E container: layout, openssl interoperability, and hostile files."""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from asn1crypto import cms as asn1_cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from submission_support import credentials, flip, rewrite_zip, sample_container, sample_payload

from jsdesk.errors import UserError
from jsdesk.submission import cms, container
from jsdesk.submission.container import (
    MANIFEST_NAME,
    MIMETYPE,
    PARTIAL_SUFFIX,
    PAYLOAD_NAME,
    SIGNATURE_NAME,
    ContainerUnreadable,
    build_container,
    read_file_limited,
    remove_stale_partials,
    write_atomic,
)
from jsdesk.submission.credentials import SigningCredentials, create_test_credentials
from jsdesk.submission.verify import Report, verify_bytes, verify_file

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is installed by .ci/run")


def _verify(data: bytes, **kwargs: object) -> Report:
    """Verify without the rules; the test signer is trusted unless a test says otherwise."""
    kwargs.setdefault("trusted", [credentials().certificate])
    return verify_bytes(data, check_rules=False, **kwargs)  # type: ignore[arg-type]


def _failed(report: Report) -> str:
    return " ".join(c.detail for c in report.checks if not c.ok)


def _pem(path: Path, name: str = "signer") -> Path:
    path.write_bytes(credentials(name).certificate.public_bytes(serialization.Encoding.PEM))
    return path


def test_container__layout__mimetype_first_stored_and_exact_entries() -> None:
    data = sample_container()
    assert data[30:38] == b"mimetype"  # the first local header names mimetype at offset 30
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == [
            "mimetype",
            PAYLOAD_NAME,
            MANIFEST_NAME,
            SIGNATURE_NAME,
        ]
        assert infos[0].compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == MIMETYPE.encode()
        manifest = archive.read(MANIFEST_NAME).decode()
    assert "http://uri.etsi.org/02918/v1.2.1#" in manifest
    assert "http://www.w3.org/2001/04/xmlenc#sha256" in manifest


def test_container__entries_stored_as_files_readable_by_all_writable_by_owner() -> None:
    # What unzip (Info-ZIP) gives each unpacked file: the entry's Unix mode, rw-r--r--.
    with zipfile.ZipFile(io.BytesIO(sample_container())) as archive:
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    assert set(modes.values()) == {0o644}


def test_container__fresh_file__all_checks_hold() -> None:
    report = _verify(sample_container(), trusted=[credentials().certificate])
    assert report.exit_code == 0, report.lines()
    assert report.test_data
    assert report.record_count == 3
    assert "TEST" in (report.signer or "")


def test_signature__attributes__signing_time_and_signer_certificate_present() -> None:
    data = sample_container()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        signature = archive.read(SIGNATURE_NAME)
    signed = asn1_cms.ContentInfo.load(signature)["content"]
    attrs = {a["type"].native for a in signed["signer_infos"][0]["signed_attrs"]}
    assert {"signing_time", "message_digest", "content_type"} <= attrs
    assert len(signed["certificates"]) == 1
    assert signed["encap_content_info"]["content"].native is None  # detached


@needs_openssl
def test_openssl__verify_detached_signature__accepted(tmp_path: Path) -> None:
    data = sample_container()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path / "x")
    ca = _pem(tmp_path / "signer.pem")
    result = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "META-INF/signature.p7s",
            "-content",
            "META-INF/ASiCManifest.xml",
            "-CAfile",
            str(ca),
            "-purpose",
            "any",
            "-out",
            str(tmp_path / "out.xml"),
        ],
        cwd=tmp_path / "x",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr
    assert (tmp_path / "out.xml").read_bytes() == (tmp_path / "x" / MANIFEST_NAME).read_bytes()


@needs_openssl
def test_openssl__changed_manifest__rejected(tmp_path: Path) -> None:
    data = sample_container()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path)
    manifest = tmp_path / MANIFEST_NAME
    manifest.write_bytes(manifest.read_bytes().replace(b"MimeType", b"Mimetype", 1))
    result = subprocess.run(
        [
            *("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-noverify"),
            *("-in", str(tmp_path / SIGNATURE_NAME), "-content", str(manifest)),
        ],
        capture_output=True,
        check=False,
    )
    assert result.returncode != 0


@needs_openssl
def test_openssl__decrypt_envelope__gives_back_container(tmp_path: Path) -> None:
    inner = sample_container()
    recipient = credentials("mottaker")
    (tmp_path / "in.p7m").write_bytes(cms.envelope(inner, recipient.certificate))
    _pem(tmp_path / "cert.pem", "mottaker")
    (tmp_path / "key.pem").write_bytes(
        recipient.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    result = subprocess.run(
        [
            *("openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", "in.p7m"),
            *("-recip", "cert.pem", "-inkey", "key.pem", "-out", "out.asice"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.asice").read_bytes() == inner
    printed = subprocess.run(
        ["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", "in.p7m"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "aes-256-cbc" in printed.stdout


def test_envelope__decrypt_with_recipient__verifies() -> None:
    recipient = credentials("mottaker")
    wrapped = cms.envelope(sample_container(), recipient.certificate)
    report = _verify(wrapped, decrypt_with=recipient)
    assert report.exit_code == 0, report.lines()


def test_envelope__wrong_recipient_key__unreadable() -> None:
    wrapped = cms.envelope(sample_container(), credentials("mottaker").certificate)
    report = _verify(wrapped, decrypt_with=credentials("andre"))
    assert report.exit_code == 2
    assert _failed(report) == (
        "Filen kan ikke dekrypteres med dette sertifikatet: den er skadet eller kryptert til "
        "en annen mottaker."
    )


def test_envelope__no_key_given__unreadable_with_hint() -> None:
    wrapped = cms.envelope(sample_container(), credentials("mottaker").certificate)
    report = _verify(wrapped)
    assert report.exit_code == 2
    assert "--decrypt-with" in _failed(report)


# --- Tampering: every case under "Safety" -------------------------------------------------


def test_tamper__payload_changed__digest_mismatch() -> None:
    def change(name: str, content: bytes) -> bytes:
        return (
            content.replace(b'"antall_barn":2', b'"antall_barn":3')
            if name == PAYLOAD_NAME
            else content
        )

    report = _verify(rewrite_zip(sample_container(), change))
    assert report.exit_code == 1
    assert "stemmer ikke med manifestet" in _failed(report)


def test_tamper__manifest_byte_flipped__signature_fails() -> None:
    def change(name: str, content: bytes) -> bytes:
        return flip(content, len(content) // 2) if name == MANIFEST_NAME else content

    report = _verify(rewrite_zip(sample_container(), change))
    assert report.exit_code == 1


def test_tamper__manifest_digest_replaced_to_match_new_payload__signature_fails() -> None:
    import base64
    import hashlib

    original = sample_container()
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        old_payload = archive.read(PAYLOAD_NAME)
    new_payload = old_payload.replace(b'"antall_barn":2', b'"antall_barn":3')
    old_digest = base64.b64encode(hashlib.sha256(old_payload).digest())
    new_digest = base64.b64encode(hashlib.sha256(new_payload).digest())

    def change(name: str, content: bytes) -> bytes:
        if name == PAYLOAD_NAME:
            return new_payload
        if name == MANIFEST_NAME:
            return content.replace(old_digest, new_digest)
        return content

    report = _verify(rewrite_zip(original, change))
    assert report.exit_code == 1
    assert "endret etter signering" in _failed(report)


def test_tamper__signature_byte_flipped__rejected() -> None:
    data = sample_container()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        length = len(archive.read(SIGNATURE_NAME))
    for position in (length - 5, length // 2, 20):

        def change(name: str, content: bytes, position: int = position) -> bytes:
            return flip(content, position) if name == SIGNATURE_NAME else content

        report = _verify(rewrite_zip(data, change))
        assert report.exit_code == 1, (position, report.lines())
        assert any(c.name == "Signatur" and not c.ok for c in report.checks)


def test_tamper__certificate_swapped__signature_fails() -> None:
    other = credentials("andre").certificate.public_bytes(serialization.Encoding.DER)

    def change(name: str, content: bytes) -> bytes:
        if name != SIGNATURE_NAME:
            return content
        info = asn1_cms.ContentInfo.load(content)
        signed = info["content"]
        signed["certificates"] = [asn1_cms.CertificateChoices.load(other)]
        return info.dump(force=True)

    report = _verify(rewrite_zip(sample_container(), change))
    assert report.exit_code == 1
    assert "sertifikat" in _failed(report)


def test_tamper__resigned_by_other_key__untrusted() -> None:
    signed_by_other = sample_container(signer="andre")
    report = _verify(signed_by_other, trusted=[credentials().certificate])
    assert report.exit_code == 1
    assert "klarert" in _failed(report)


def test_tamper__truncated_file__unreadable() -> None:
    data = sample_container()
    for cut in (len(data) - 10, len(data) // 2, 100, 0):
        report = _verify(data[:cut])
        assert report.exit_code == 2, cut
        assert report.lines()[-1] == "Resultat: filen kan ikke leses."


def test_tamper__extra_entry__rejected() -> None:
    data = rewrite_zip(sample_container(), lambda _n, c: c, extra={"notes.txt": b"hei"})
    report = _verify(data)
    assert report.exit_code == 1
    assert "uventede oppføringer: notes.txt" in _failed(report)


def test_tamper__missing_entry__rejected() -> None:
    for dropped in (PAYLOAD_NAME, MANIFEST_NAME, SIGNATURE_NAME, "mimetype"):
        data = rewrite_zip(sample_container(), lambda n, c, d=dropped: None if n == d else c)
        report = _verify(data)
        assert report.exit_code == 1, dropped
        assert f"mangler oppføringer: {dropped}" in _failed(report)


@pytest.mark.parametrize(
    "evil", ["../submission.json", "/etc/passwd", "META-INF\\signature.p7s", "C:/x", "a//b"]
)
def test_tamper__path_trick_entry__rejected(evil: str) -> None:
    data = rewrite_zip(sample_container(), lambda _n, c: c, extra={evil: b"x"})
    report = _verify(data)
    assert report.exit_code == 1
    assert "farlig filnavn" in _failed(report)


def test_tamper__mimetype_not_first__rejected() -> None:
    data = sample_container()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        infos = source.infolist()
        for info in [*infos[1:], infos[0]]:
            target.writestr(info, source.read(info))
    report = _verify(out.getvalue())
    assert report.exit_code == 1
    assert "Første oppføring" in _failed(report)


def test_tamper__zip_bomb_payload__rejected_quickly() -> None:
    bomb = b"{" + b" " * (20 * 1024 * 1024) + b"}"
    data = rewrite_zip(sample_container(), lambda n, c: bomb if n == PAYLOAD_NAME else c)
    report = _verify(data)
    assert report.exit_code == 1
    assert "ZIP-bombe" in _failed(report)


def test_tamper__oversized_entry__rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real cap is 256 MB; lower it so the test does not need a 256 MB file.
    data = sample_container(count=50)
    monkeypatch.setitem(container.MAX_ENTRY_BYTES, PAYLOAD_NAME, 1000)
    report = _verify(data)
    assert report.exit_code == 1
    assert "for stor" in _failed(report)


def test_tamper__declared_size_lies__rejected() -> None:
    data = bytearray(sample_container())
    # Shrink the declared uncompressed size of submission.json in the central directory.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(PAYLOAD_NAME)
    start = 0
    while True:
        start = data.find(b"PK\x01\x02", start)
        name_len = int.from_bytes(data[start + 28 : start + 30], "little")
        if data[start + 46 : start + 46 + name_len] == PAYLOAD_NAME.encode():
            break
        start += 4
    data[start + 24 : start + 28] = (info.file_size // 2).to_bytes(4, "little")
    report = _verify(bytes(data))
    assert report.exit_code in (1, 2)
    assert report.checks and not report.checks[0].ok


def test_tamper__random_byte_flips__never_crash_and_content_never_changes_unnoticed() -> None:
    data = sample_container()
    original = container.read_container(data)
    rng = random.Random(5)
    passed = 0
    for _ in range(200):
        position = rng.randrange(len(data))
        damaged = flip(data, position)
        report = _verify(damaged)
        assert report.lines()
        if report.exit_code == 0:
            # Only ZIP bookkeeping the signature does not cover (timestamps, attributes)
            # may change without notice: what is read must equal what was signed.
            assert container.read_container(damaged) == original, position
            passed += 1
    assert passed < 40


@pytest.mark.slow
def test_tamper__every_byte_of_payload_manifest_signature_flipped__rejected() -> None:
    data = sample_container(count=1)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = {
            name: archive.read(name) for name in (PAYLOAD_NAME, MANIFEST_NAME, SIGNATURE_NAME)
        }
    for target, content in entries.items():
        for position in range(0, len(content), 7):

            def change(name: str, old: bytes, t: str = target, p: int = position) -> bytes:
                return flip(old, p) if name == t else old

            report = _verify(rewrite_zip(data, change))
            assert report.exit_code == 1, (target, position, report.lines())


def test_tamper__not_a_container__unreadable() -> None:
    for junk in (b"", b"hello", b"\x30\x03\x02\x01\x00", bytes(range(256))):
        assert _verify(junk).exit_code == 2


def test_payload__schema_violation_in_signed_file__rejected() -> None:
    creds = credentials()
    bad = sample_payload().replace(b'"record_version":1', b'"record_version":0', 1)
    report = _verify(build_container(bad, creds.certificate, creds.key))
    assert report.exit_code == 1
    assert "record_version" in _failed(report)


@pytest.mark.parametrize("o_tmpfile", [True, False], ids=["o_tmpfile", "without_o_tmpfile"])
def test_write_atomic__check_fails__no_file_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, o_tmpfile: bool
) -> None:
    if not o_tmpfile:  # the named temporary file's path, as on Windows and macOS
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    target = tmp_path / "out.asice"

    def refuse(_temp: Path) -> None:
        raise RuntimeError("verification failed")

    with pytest.raises(RuntimeError):
        write_atomic(target, b"data", before_rename=refuse)
    assert list(tmp_path.iterdir()) == []


def test_write_atomic__success__content_in_place(tmp_path: Path) -> None:
    target = tmp_path / "out.asice"
    write_atomic(target, b"data")
    assert target.read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == ["out.asice"]


def test_rules__signed_file_with_incomplete_record__rules_check_fails() -> None:
    report = verify_bytes(sample_container(count=2), trusted=[credentials().certificate])
    assert report.exit_code == 1
    (rules,) = [c for c in report.checks if c.name == "Regler"]
    assert not rules.ok
    assert rules.detail.startswith("2 av 2 poster bryter skjemaets regler")
    assert "«Fødselsnummer til deltaker»" in rules.detail
    assert "fodselsnummer" not in rules.detail


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "DOCTYPE"),
        (b"<asic:ASiCManifest xmlns:asic='urn:feil'/>", "navnerom"),
        (b"not xml at all <", "ikke gyldig XML"),
        (b"<x>" * 70_000, "urimelig stort"),
    ],
)
def test_manifest__hostile_xml__rejected(manifest: bytes, expected: str) -> None:
    from jsdesk.submission.manifest import ManifestProblem, parse_manifest

    with pytest.raises(ManifestProblem, match=expected):
        parse_manifest(manifest)


def _certificate(
    name: str, key: rsa.RSAPrivateKey, issuer: SigningCredentials | None, *, ca: bool
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer.key if issuer else key, hashes.SHA256())
    )


@cache
def _ca(name: str) -> SigningCredentials:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningCredentials(certificate=_certificate(name, key, None, ca=True), key=key)


def _issue(issuer: SigningCredentials, name: str, *, ca: bool = False) -> SigningCredentials:
    """A certificate for ``name`` issued by ``issuer`` (like a Buypass virksomhetssertifikat)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _certificate(name, key, issuer, ca=ca)
    return SigningCredentials(certificate=cert, key=key, chain=(issuer.certificate,))


def test_trust__leaf_issued_by_trusted_ca__holds_other_ca__fails() -> None:
    leaf = _issue(_ca("TEST Buypass-aktig CA"), "TEST virksomhet 0301")
    data = build_container(sample_payload(), leaf.certificate, leaf.key, leaf.chain)
    assert _verify(data, trusted=[_ca("TEST Buypass-aktig CA").certificate]).exit_code == 0
    report = _verify(data, trusted=[_ca("TEST annen CA").certificate])
    assert report.exit_code == 1
    assert "klarert" in _failed(report)


def test_trust__certificate_issued_by_a_leaf__not_trusted() -> None:
    # A non-CA certificate (here the trusted signer's own) must not vouch for others.
    leaf = _issue(credentials(), "TEST falsk virksomhet")
    data = build_container(sample_payload(), leaf.certificate, leaf.key, leaf.chain)
    report = _verify(data, trusted=[credentials().certificate])
    assert report.exit_code == 1
    assert "klarert" in _failed(report)


def test_signature__certificate_expired_when_signed__rejected() -> None:
    old = create_test_credentials("0301", days=5, now=datetime.now(UTC) - timedelta(days=30))
    data = build_container(sample_payload(), old.certificate, old.key)
    report = _verify(data)
    assert report.exit_code == 1
    assert "var ikke gyldig på tidspunktet" in _failed(report)


def test_envelope__default__oaep_sha256_mgf1_sha256_aes256() -> None:
    from asn1crypto import cms as asn1_cms

    wrapped = cms.envelope(sample_container(), credentials("mottaker").certificate)
    enveloped = asn1_cms.ContentInfo.load(wrapped)["content"]
    ktri = enveloped["recipient_infos"][0].chosen
    algorithm = ktri["key_encryption_algorithm"]
    assert algorithm["algorithm"].native == "rsaes_oaep"
    assert algorithm["parameters"]["hash_algorithm"]["algorithm"].native == "sha256"
    mgf = algorithm["parameters"]["mask_gen_algorithm"]
    assert (mgf["algorithm"].native, mgf["parameters"]["algorithm"].native) == ("mgf1", "sha256")
    content = enveloped["encrypted_content_info"]["content_encryption_algorithm"]
    assert content["algorithm"].native == "aes256_cbc"


def test_envelope__legacy_pkcs1v15_file__still_readable() -> None:
    # What jsdesk wrote before (cryptography's builder: RSA PKCS#1 v1.5 key transport).
    inner = sample_container()
    legacy = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(inner)
        .set_content_encryption_algorithm(algorithms.AES256)
        .add_recipient(credentials("mottaker").certificate)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    report = _verify(legacy, decrypt_with=credentials("mottaker"))
    assert report.exit_code == 0, report.lines()
    assert "PKCS#1 v1.5" in report.checks[0].detail


def test_verify_file__issuer_given_as_trusted__file_holds(tmp_path: Path) -> None:
    path = tmp_path / "innsending.asice"
    path.write_bytes(sample_container(2))
    report = verify_file(path, trusted=[credentials().certificate], check_rules=False)
    assert report.exit_code == 0, report.lines()
    assert report.lines()[-1] == "Resultat: TESTDATA – alle kontroller holder (2 poster)."


def test_verify__cms_of_another_kind__says_it_is_neither_zip_nor_envelope() -> None:
    digested = asn1_cms.ContentInfo(
        {
            "content_type": "digested_data",
            "content": asn1_cms.DigestedData(
                {
                    "version": "v0",
                    "digest_algorithm": {"algorithm": "sha256"},
                    "encap_content_info": {"content_type": "data", "content": b"hei"},
                    "digest": b"\x00" * 32,
                }
            ),
        }
    ).dump()
    report = verify_bytes(digested)
    assert report.exit_code == 2
    assert report.lines()[0] == (
        "FEIL Fil: Filen er verken en ASiC-E-beholder (ZIP) eller en CMS-konvolutt (EnvelopedData)."
    )


def test_read_file_limited__exactly_at_the_limit__read_one_byte_more__refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fil.asice"
    path.write_bytes(b"x" * 100)
    assert read_file_limited(path, limit=100) == b"x" * 100
    with pytest.raises(ContainerUnreadable) as raised:
        read_file_limited(path, limit=99)
    assert raised.value.message == f"{path} er for stor til å være en innsendingsfil."


def test_remove_stale_partials__dead_exporters_file__removed_live_ones_kept(
    tmp_path: Path,
) -> None:
    child = subprocess.Popen(["true"])
    child.wait()  # its pid now belongs to no process
    dead = tmp_path / f".innsending.asice.{child.pid}{PARTIAL_SUFFIX}"
    mine = tmp_path / f".annen.asice.{os.getpid()}{PARTIAL_SUFFIX}"
    for partial in (dead, mine):
        partial.write_bytes(b"halvferdig")
    # A partial written a minute ago by a process that is gone is not someone's work.
    assert remove_stale_partials(tmp_path) == [dead]
    assert not dead.exists() and mine.exists()


def _reenveloped(
    wrapped: bytes,
    recipient: SigningCredentials,
    *,
    oaep: dict[str, object] | None = None,
    encrypt_with: tuple[type[hashes.HashAlgorithm], type[hashes.HashAlgorithm]] | None = None,
    iv: bytes | None = None,
) -> bytes:
    """jsdesk's envelope as another sender might write it: other RSAES-OAEP parameters
    (the content key encrypted with ``encrypt_with`` = (hash, MGF1 hash)) or another IV."""
    from asn1crypto import algos
    from cryptography.hazmat.primitives.asymmetric import padding

    info = asn1_cms.ContentInfo.load(wrapped)
    enveloped = info["content"]
    ktri = enveloped["recipient_infos"][0].chosen
    content_key = recipient.key.decrypt(  # type: ignore[union-attr]
        ktri["encrypted_key"].native,
        padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    )
    if oaep is not None:
        ktri["key_encryption_algorithm"] = {
            "algorithm": "rsaes_oaep",
            "parameters": algos.RSAESOAEPParams(oaep),
        }
    if encrypt_with is not None:
        hash_type, mgf_type = encrypt_with
        public = recipient.certificate.public_key()
        ktri["encrypted_key"] = public.encrypt(  # type: ignore[union-attr]
            content_key,
            padding.OAEP(mgf=padding.MGF1(mgf_type()), algorithm=hash_type(), label=None),
        )
    if iv is not None:
        enveloped["encrypted_content_info"]["content_encryption_algorithm"] = {
            "algorithm": "aes256_cbc",
            "parameters": iv,
        }
    return info.dump(force=True)


def _oaep(hash_name: str, mgf_hash: str, label: bytes = b"") -> dict[str, object]:
    parameters: dict[str, object] = {
        "hash_algorithm": {"algorithm": hash_name},
        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": mgf_hash}},
    }
    if label:
        parameters["p_source_algorithm"] = {"algorithm": "p_specified", "parameters": label}
    return parameters


@pytest.mark.parametrize(
    ("hash_name", "mgf_hash", "label"),
    [("md5", "sha256", b""), ("sha256", "md5", b""), ("sha256", "sha256", b"etikett")],
    ids=["oaep-hash-md5", "mgf1-hash-md5", "oaep-label"],
)
def test_envelope__oaep_parameters_jsdesk_does_not_take__refused_saying_so(
    hash_name: str, mgf_hash: str, label: bytes
) -> None:
    recipient = credentials("mottaker")
    wrapped = cms.envelope(sample_container(), recipient.certificate)
    odd = _reenveloped(wrapped, recipient, oaep=_oaep(hash_name, mgf_hash, label))
    report = _verify(odd, decrypt_with=recipient)
    assert report.exit_code == 2
    assert _failed(report) == "Konvolutten bruker OAEP-parametere jsdesk ikke godtar."


@pytest.mark.parametrize(
    ("hash_name", "mgf_hash", "encrypt_with"),
    [
        ("sha1", "sha1", (hashes.SHA1, hashes.SHA1)),  # RFC 8017's default parameters
        ("sha384", "sha256", (hashes.SHA384, hashes.SHA256)),
        ("sha512", "sha512", (hashes.SHA512, hashes.SHA512)),
    ],
    ids=["sha1", "sha384-mgf1-sha256", "sha512"],
)
def test_envelope__oaep_with_other_hashes__opens_and_says_oaep(
    hash_name: str,
    mgf_hash: str,
    encrypt_with: tuple[type[hashes.HashAlgorithm], type[hashes.HashAlgorithm]],
) -> None:
    recipient = credentials("mottaker")
    wrapped = cms.envelope(sample_container(), recipient.certificate)
    other = _reenveloped(
        wrapped, recipient, oaep=_oaep(hash_name, mgf_hash), encrypt_with=encrypt_with
    )
    report = _verify(other, decrypt_with=recipient)
    assert report.exit_code == 0, report.lines()
    assert report.lines()[0] == (
        "OK   Kryptering: Filen er dekryptert (CMS EnvelopedData, RSAES-OAEP, aes256_cbc)."
    )


def test_envelope__oaep_parameters_differ_from_those_used__not_for_this_key() -> None:
    # The parameters say SHA-1, the key was encrypted with SHA-256: decryption fails.
    recipient = credentials("mottaker")
    wrapped = cms.envelope(sample_container(), recipient.certificate)
    report = _verify(
        _reenveloped(wrapped, recipient, oaep=_oaep("sha1", "sha1")), decrypt_with=recipient
    )
    assert report.exit_code == 2
    assert _failed(report) == (
        "Filen kan ikke dekrypteres med dette sertifikatet: den er skadet eller kryptert til "
        "en annen mottaker."
    )


@pytest.mark.parametrize("iv", [b"\x00" * 8, b"\x00" * 17], ids=["iv-8", "iv-17"])
def test_envelope__iv_of_wrong_length__unreadable(iv: bytes) -> None:
    recipient = credentials("mottaker")
    wrapped = cms.envelope(sample_container(), recipient.certificate)
    report = _verify(_reenveloped(wrapped, recipient, iv=iv), decrypt_with=recipient)
    assert report.exit_code == 2
    assert _failed(report) == (
        "Filen kan ikke dekrypteres med dette sertifikatet: den er skadet eller kryptert til "
        "en annen mottaker."
    )


@pytest.mark.parametrize("unnamed", [True, False], ids=["o_tmpfile", "temp-and-rename"])
def test_write_atomic__check_reads_the_complete_data_before_the_file_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unnamed: bool
) -> None:
    if not unnamed:  # as on Windows and macOS, which have no O_TMPFILE
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    target = tmp_path / "out.asice"
    seen: list[bytes] = []

    def check(written: Path) -> None:
        seen.append(written.read_bytes())
        assert not target.exists()

    write_atomic(target, b"hele innholdet", before_rename=check, private=True)
    # Where linking the unnamed file is refused (some sandboxes), the temporary file
    # written next is checked too.
    assert seen and set(seen) == {b"hele innholdet"}
    assert target.read_bytes() == b"hele innholdet"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.asice"]


def test_rules__form_version_unknown_here__each_record_listed_in_turn() -> None:
    def unknown(version: str) -> object:
        raise UserError(f"Skjemaversjon {version} finnes ikke.", 1)

    report = verify_bytes(
        sample_container(count=2),
        trusted=[credentials().certificate],
        forms=unknown,  # type: ignore[arg-type]
    )
    assert report.exit_code == 1
    assert [line for line in report.lines() if line.startswith("FEIL")] == [
        "FEIL Regler: 2 av 2 poster bryter skjemaets regler: post 1: ukjent skjemaversjon "
        "'2023.1' | post 2: ukjent skjemaversjon '2023.1'"
    ]


@pytest.mark.parametrize(
    "junk", [b"", b"hei", bytes(range(1, 256))], ids=["empty", "text", "bytes"]
)
def test_verify__neither_zip_nor_der__one_line_naming_the_file_check(junk: bytes) -> None:
    assert _verify(junk).lines() == [
        "FEIL Fil: Filen er verken en ASiC-E-beholder (ZIP) eller en CMS-konvolutt.",
        "Resultat: filen kan ikke leses.",
    ]


def _swap_signature(data: bytes, edit: object) -> bytes:
    """``data`` with its CMS signature changed by ``edit`` (given the SignedData)."""

    def change(name: str, content: bytes) -> bytes:
        if name != SIGNATURE_NAME:
            return content
        info = asn1_cms.ContentInfo.load(content)
        edit(info["content"])  # type: ignore[operator]
        return info.dump(force=True)

    return rewrite_zip(data, change)


def test_tamper__certificate_reissued_for_the_same_key__names_signing_certificate() -> None:
    # Same key, name and serial number, another validity: the signature value still
    # checks out, but the signed attributes bind the certificate that was used.
    signer = credentials()
    original = signer.certificate
    reissued = (
        x509.CertificateBuilder()
        .subject_name(original.subject)
        .issuer_name(original.issuer)
        .public_key(signer.key.public_key())
        .serial_number(original.serial_number)
        .not_valid_before(original.not_valid_before_utc)
        .not_valid_after(original.not_valid_after_utc - timedelta(days=1))
        .sign(signer.key, hashes.SHA256())  # type: ignore[arg-type]
    ).public_bytes(serialization.Encoding.DER)

    def swap(signed: asn1_cms.SignedData) -> None:
        signed["certificates"] = [asn1_cms.CertificateChoices.load(reissued)]

    report = _verify(_swap_signature(sample_container(), swap))
    assert report.exit_code == 1
    assert _failed(report) == (
        "Sertifikatet i signaturen er ikke det som ble signert med (signing-certificate-v2)."
    )


def test_tamper__signed_data_version_unknown__named() -> None:
    def version(signed: asn1_cms.SignedData) -> None:
        signed["version"] = "v4"

    report = _verify(_swap_signature(sample_container(), version))
    assert report.exit_code == 1
    assert _failed(report) == "Signaturen har en ukjent SignedData-versjon."


def test_signature__ec_p256_key__file_signed_and_holds() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    issuer = _ca("TEST Buypass-aktig CA")
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _certificate("TEST virksomhet EC", key, issuer, ca=False)  # type: ignore[arg-type]
    data = build_container(sample_payload(), certificate, key, (issuer.certificate,))
    report = _verify(data, trusted=[issuer.certificate])
    assert report.exit_code == 0, report.lines()
    assert "TEST virksomhet EC" in (report.signer or "")
