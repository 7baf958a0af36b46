"""Signing credentials: import a virksomhetssertifikat (PKCS#12) or make a pilot test certificate.

The certificate and private key live in the installation's settings, inside the
SQLCipher-encrypted database. The key is additionally stored as encrypted
PKCS#8 (under a random per-installation secret) so that it never appears as a
plaintext PEM even in a settings dump or a decrypted backup inspected by hand.

A certificate that expires within ``EXPIRY_WARNING_DAYS`` gets a warning; an
expired (or not yet valid) one is refused for signing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jsdesk.errors import UserError
from jsdesk.submission.cms import SigningKey
from jsdesk.submission.trust import (
    CertificateProblem,
    TrustStore,
    shipped_anchors,
    validate_recipient,
)

EXPIRY_WARNING_DAYS = 30
TEST_MARKER = "TEST"

CERT_SETTING = "signing.certificate"
KEY_SETTING = "signing.private_key"
KEY_SECRET_SETTING = "signing.key_secret"
RECIPIENT_SETTING = "submission.recipient_certificate"


class SettingsStore(Protocol):
    """The part of ``jsdesk.storage.Database`` this module needs (JSON values or bytes)."""

    def get_setting(self, key: str, default: object = None) -> Any: ...

    def set_setting(self, key: str, value: object, *, secret: bool = False) -> None: ...


@dataclass(frozen=True)
class SigningCredentials:
    certificate: x509.Certificate
    key: SigningKey
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def is_test(self) -> bool:
        names = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return any(TEST_MARKER in str(name.value) for name in names)


def load_pkcs12(data: bytes, password: str) -> SigningCredentials:
    """Read a PKCS#12 file; ``UserError`` for a wrong password or an unusable file."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
    except ValueError as exc:
        raise UserError(
            "Kan ikke åpne PKCS#12-filen: feil passord, eller filen er skadet."
        ) from exc
    if cert is None or key is None:
        raise UserError("PKCS#12-filen inneholder ikke både et sertifikat og en privat nøkkel.")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise UserError("PKCS#12-filen har en nøkkeltype jsdesk ikke kan signere med (RSA/EC).")
    return SigningCredentials(certificate=cert, key=key, chain=tuple(extra or ()))


def to_pkcs12(credentials: SigningCredentials, password: str) -> bytes:
    """The credentials as a password-protected PKCS#12 file (for a receiver's test setup)."""
    return pkcs12.serialize_key_and_certificates(
        b"jsdesk",
        credentials.key,
        credentials.certificate,
        list(credentials.chain) or None,
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )


def create_test_credentials(
    organisation: str,
    *,
    days: int = 365,
    now: datetime | None = None,
    role: str = "pilot",
    code_signing: bool = False,
) -> SigningCredentials:
    """A self-signed RSA certificate for pilots, clearly named as a test certificate.

    ``role`` names its use in the common name; ``code_signing`` adds the
    extendedKeyUsage codeSigning (a test publisher of update packages).
    """
    now = now or datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{TEST_MARKER} {organisation}"),
            x509.NameAttribute(
                NameOID.COMMON_NAME, f"{TEST_MARKER} jsdesk {role} {organisation} (ikke ekte)"
            ),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if code_signing:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
        )
    cert = builder.sign(key, hashes.SHA256())
    return SigningCredentials(certificate=cert, key=key)


def expiry_warning(cert: x509.Certificate, now: datetime | None = None) -> str | None:
    """A Bokmål warning when ``cert`` expires within 30 days, else ``None``."""
    now = now or datetime.now(UTC)
    left = cert.not_valid_after_utc - now
    if timedelta(0) <= left <= timedelta(days=EXPIRY_WARNING_DAYS):
        return (
            f"Advarsel: signeringssertifikatet utløper {cert.not_valid_after_utc:%d.%m.%Y} "
            f"(om {left.days} dager). Skaff et nytt virksomhetssertifikat i tide."
        )
    return None


def require_usable(cert: x509.Certificate, now: datetime | None = None) -> None:
    """Refuse to sign with a certificate that has expired or is not valid yet."""
    now = now or datetime.now(UTC)
    if now > cert.not_valid_after_utc:
        raise UserError(
            f"Signeringssertifikatet utløp {cert.not_valid_after_utc:%d.%m.%Y}; jsdesk signerer "
            "ikke med et utløpt sertifikat. Importer et nytt med 'jsdesk cert import'."
        )
    if now < cert.not_valid_before_utc:
        raise UserError(
            f"Signeringssertifikatet er ikke gyldig før {cert.not_valid_before_utc:%d.%m.%Y}."
        )


def save_credentials(store: SettingsStore, credentials: SigningCredentials) -> None:
    """Keep the credentials in the (encrypted) database's settings, key as encrypted PKCS#8."""
    secret = store.get_setting(KEY_SECRET_SETTING)
    if not isinstance(secret, str) or not secret:
        secret = secrets.token_urlsafe(32)
        store.set_setting(KEY_SECRET_SETTING, secret, secret=True)
    key_der = credentials.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret.encode("ascii")),
    )
    certs_pem = b"".join(
        c.public_bytes(serialization.Encoding.PEM)
        for c in (credentials.certificate, *credentials.chain)
    )
    store.set_setting(CERT_SETTING, certs_pem)
    store.set_setting(KEY_SETTING, key_der)


def load_credentials(store: SettingsStore) -> SigningCredentials | None:
    """The stored signing credentials, or ``None`` when none are set up."""
    certs_pem = store.get_setting(CERT_SETTING)
    key_der = store.get_setting(KEY_SETTING)
    secret = store.get_setting(KEY_SECRET_SETTING)
    if not isinstance(certs_pem, bytes) or not isinstance(key_der, bytes):
        return None
    if not isinstance(secret, str):
        return None
    certs = x509.load_pem_x509_certificates(certs_pem)
    key = serialization.load_der_private_key(key_der, secret.encode("ascii"))
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise UserError("Den lagrede signeringsnøkkelen har en nøkkeltype jsdesk ikke støtter.")
    return SigningCredentials(certificate=certs[0], key=key, chain=tuple(certs[1:]))


def require_recipient_usable(
    certificate: x509.Certificate,
    trust: TrustStore | None = None,
    chain: tuple[x509.Certificate, ...] = (),
) -> None:
    """Refuse a recipient certificate that is a CA, expired, not for encryption or not RSA."""
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise UserError("Mottakersertifikatet må ha en RSA-nøkkel for CMS-kryptering.")
    try:
        validate_recipient(
            certificate,
            trust or TrustStore(anchors=tuple(shipped_anchors())),
            intermediates=chain,
        )
    except CertificateProblem as exc:
        raise UserError(f"Mottakersertifikatet kan ikke brukes: {exc.message}") from exc


def save_recipient(store: SettingsStore, certificate: x509.Certificate) -> None:
    require_recipient_usable(certificate)
    store.set_setting(RECIPIENT_SETTING, certificate.public_bytes(serialization.Encoding.PEM))


def load_recipient(store: SettingsStore) -> x509.Certificate | None:
    pem = store.get_setting(RECIPIENT_SETTING)
    if not isinstance(pem, bytes):
        return None
    return x509.load_pem_x509_certificate(pem)


def load_certificate_file(path_text: str, data: bytes) -> x509.Certificate:
    """A PEM or DER certificate from a file's bytes; ``UserError`` naming the file otherwise."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise UserError(
            f"{path_text}: er ikke et lesbart X.509-sertifikat (PEM eller DER)."
        ) from exc
