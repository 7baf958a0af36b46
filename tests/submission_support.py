"""Helpers shared by the submission tests: credentials, a sample payload, ZIP rewriting."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from jsdesk import __version__
from jsdesk.submission.container import build_container
from jsdesk.submission.credentials import SigningCredentials, create_test_credentials
from jsdesk.submission.payload import encode_payload

if TYPE_CHECKING:
    from jsdesk.storage import Database


def credentials(name: str = "signer") -> SigningCredentials:
    """A test certificate per name, made once per test session (key generation is slow)."""
    return _credentials(name)


@cache
def _credentials(name: str) -> SigningCredentials:
    return create_test_credentials(f"0301 {name}")


def sample_header(count: int = 1, *, test_data: bool = True) -> dict[str, object]:
    return {
        "format_version": "1",
        "form_versions": ["2023.1"],
        "kommunenummer": "0301",
        "kommunenavn": "Oslo",
        "bydel": "030105",
        "reporting_period": {"from": "2025-01-01", "to": "2025-12-31"},
        "selection": "changed",
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "submission_id": str(uuid.uuid4()),
        "software_version": f"jsdesk {__version__}",
        "record_count": count,
        "test_data": test_data,
    }


def sample_record(number: int = 1) -> dict[str, object]:
    return {
        "record_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-{number}")),
        "record_version": 1,
        "form_version": "2023.1",
        "stage": "aktiv",
        "status": "komplett",
        "correction": False,
        "values": {"kommunenummer": "0301", "oppstartsdato": "2025-02-03", "antall_barn": 2},
        "accepted_warnings": [],
    }


def sample_payload(count: int = 3, *, test_data: bool = True) -> bytes:
    records = [sample_record(n) for n in range(1, count + 1)]
    return encode_payload(sample_header(count, test_data=test_data), records)


def sample_container(count: int = 3, *, signer: str = "signer") -> bytes:
    creds = credentials(signer)
    return build_container(sample_payload(count), creds.certificate, creds.key)


def rewrite_zip(
    data: bytes,
    change: Callable[[str, bytes], bytes | None],
    *,
    extra: Mapping[str, bytes] | None = None,
) -> bytes:
    """A copy of ZIP ``data`` with each entry passed through ``change`` (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = change(info.filename, source.read(info))
            if content is not None:
                target.writestr(info, content, compress_type=info.compress_type)
        for name, content in (extra or {}).items():
            target.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


PASSPHRASE = "korrekt hest batteri stift"


def make_template_db(folder: Path, *, records: int = 30, test_installation: bool = True) -> Path:
    """A database with demo records and a test signing certificate; copy it per test."""
    from jsdesk.storage import Database

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "jsdesk.db"
    db, _recovery = Database.create(
        path,
        PASSPHRASE,
        kommunenummer="0301",
        bydel="030105",
        test_installation=test_installation,
    )
    with db:
        fill(db, records=records, test_installation=test_installation)
    return path


def fill(
    db: Database, *, records: int, test_installation: bool = True, bydel: str | None = None
) -> None:
    """Demo records (of ``bydel``, or of any of Oslo's) and (on a test installation) a test
    signing certificate in ``db``, kept where the program keeps it (``signing_store``)."""
    from jsdesk.demo import generate_records
    from jsdesk.rules import default_form
    from jsdesk.submission.credentials import save_credentials

    db.import_records(
        generate_records(records, 7, bydel=bydel), form_version=default_form().version
    )
    if test_installation:
        save_credentials(db.signing_store, credentials())


def copy_db(template: Path, folder: Path) -> Path:
    """Copy a closed database (file and key file) into ``folder``; returns the new path."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in template.parent.glob(template.name + "*"):
        if source.is_file() and not source.name.endswith(".lock"):
            (folder / source.name).write_bytes(source.read_bytes())
    return folder / template.name


# --- A small PKI for trust tests: root CA -> intermediate CA -> leaf, each adjustable ----------

CRL_URL = "http://crl.jsdesk.invalid/test.crl"  # declared, never fetched (validation is offline)


def issue_certificate(
    name: str,
    issuer: SigningCredentials | None = None,
    *,
    ca: bool = False,
    key_usage: set[str] | None = None,
    extended_key_usage: list[x509.ObjectIdentifier] | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key: rsa.RSAPrivateKey | None = None,
) -> SigningCredentials:
    """A certificate for ``name`` issued by ``issuer`` (self-signed without one).

    ``key_usage`` names cryptography's KeyUsage fields that are set (None: no
    extension). Issued certificates declare a CRL distribution point, as real ones do.
    """

    now = datetime.now(UTC)
    private = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=10))
        .not_valid_after(not_after or now + timedelta(days=60))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(CRL_URL)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
    if key_usage is not None:
        fields = {
            f: f in key_usage
            for f in (
                "digital_signature",
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "key_cert_sign",
                "crl_sign",
                "encipher_only",
                "decipher_only",
            )
        }
        builder = builder.add_extension(x509.KeyUsage(**fields), critical=True)
    if extended_key_usage is not None:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(extended_key_usage),
            critical=False,
        )
    signing_key = issuer.key if issuer else private
    certificate = builder.sign(signing_key, hashes.SHA256())  # type: ignore[arg-type]
    chain = (issuer.certificate, *issuer.chain) if issuer else ()
    return SigningCredentials(certificate=certificate, key=private, chain=chain)


CA_USAGE = {"key_cert_sign", "crl_sign"}
SIGNER_USAGE = {"digital_signature", "content_commitment"}


@cache
def pki_chain() -> tuple[SigningCredentials, SigningCredentials, SigningCredentials]:
    """(root CA, intermediate CA, virksomhet leaf): a Buypass-like chain, made once."""
    root = issue_certificate("TEST Rot-CA", ca=True, key_usage=CA_USAGE)
    intermediate = issue_certificate("TEST Utsteder-CA", root, ca=True, key_usage=CA_USAGE)
    leaf = issue_certificate(
        "TEST Virksomhet 0301", intermediate, key_usage=SIGNER_USAGE | {"key_encipherment"}
    )
    return root, intermediate, leaf


def make_crl(issuer: SigningCredentials, revoked: dict[int, datetime]) -> bytes:
    """A DER CRL by ``issuer`` listing serial -> revocation time."""

    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(now - timedelta(hours=1))
        .next_update(now + timedelta(days=7))
    )
    for serial, when in revoked.items():
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    crl = builder.sign(issuer.key, hashes.SHA256())  # type: ignore[arg-type]
    return crl.public_bytes(serialization.Encoding.DER)


# --- A local RFC 3161 time-stamping service on loopback (pyHanko's DummyTimeStamper) --------


@cache
def tsa_credentials() -> SigningCredentials:
    """A TSA certificate (EKU timeStamping, critical) under the test PKI's intermediate CA."""
    _root, intermediate, _leaf = pki_chain()
    return issue_certificate(
        "TEST Tidsstempeltjeneste",
        intermediate,
        key_usage={"digital_signature"},
        extended_key_usage=[x509.oid.ExtendedKeyUsageOID.TIME_STAMPING],
    )


@contextmanager
def local_tsa(tsa: SigningCredentials | None = None) -> Iterator[str]:
    """Serve RFC 3161 time-stamps on 127.0.0.1 for the duration; yields the URL."""
    import asyncio
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from asn1crypto import keys, tsp
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    tsa = tsa or tsa_credentials()

    def asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    stamper = DummyTimeStamper(
        tsa_cert=asn1(tsa.certificate),
        tsa_key=keys.PrivateKeyInfo.load(
            tsa.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        certs_to_embed=[asn1(c) for c in tsa.chain],
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            request = tsp.TimeStampReq.load(self.rfile.read(length))
            answer = asyncio.run(stamper.async_request_tsa_response(request)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
