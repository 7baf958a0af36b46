"""Certificate trust: path validation by pyhanko-certvalidator for every certificate jsdesk uses.

One function, ``validate_certificate``, checks a certificate for a purpose:

- ``SIGNING``: a submission's (or an update package's) signer;
- ``ENCRYPTION``: the recipient certificate a submission is encrypted to;
- ``TIMESTAMPING``: the time-stamping authority of a CAdES B-T signature.

The path from the certificate to one of the trust anchors is built and checked
by pyhanko-certvalidator (RFC 5280: signatures, validity of every certificate
at the given moment, basicConstraints, keyUsage of the issuers, name
constraints, path length) and revocation is checked against CRLs supplied
offline (``--crl FILE`` and the installation's CRL folder). The library leaves
some things to its caller, which are checked here: a trust anchor that issues
another certificate must itself be a CA allowed to sign certificates, the end
certificate's keyUsage / extendedKeyUsage must fit the purpose, and a
certificate that is itself a trust anchor must be valid at the moment.

Trust anchors come from three places (``TrustStore.load``): certificates given
on the command line (``--trust``), the register's certificates shipped with the
program (``resources/trust/``), and those the user has added with ``jsdesk cert
trust`` (the ``trust/`` folder beside the database). CRLs come from ``--crl``
and the ``crl/`` folder beside the database.

Every refusal is a ``CertificateProblem`` with a Bokmål message.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as validation_errors

from jsdesk.paths import resources_dir

TRUST_FOLDER = "trust"
CRL_FOLDER = "crl"
CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")
CRL_SUFFIXES = (".crl", ".pem", ".der")


class Purpose(enum.Enum):
    SIGNING = "signering"
    ENCRYPTION = "kryptering"
    TIMESTAMPING = "tidsstempling"


# keyUsage bits (asn1crypto names) of which the end certificate needs at least one.
_KEY_USAGES = {
    Purpose.SIGNING: {"digital_signature", "non_repudiation"},
    Purpose.ENCRYPTION: {"key_encipherment"},
    Purpose.TIMESTAMPING: {"digital_signature", "non_repudiation"},
}
# extendedKeyUsage values of which the end certificate needs one, when it has the extension.
_EXTENDED_KEY_USAGES = {
    Purpose.SIGNING: {
        "any_extended_key_usage",
        "email_protection",
        "client_auth",  # Norwegian virksomhetssertifikater (SEID) carry clientAuth
        "1.3.6.1.5.5.7.3.36",  # id-kp-documentSigning (RFC 9336)
        "1.3.6.1.4.1.311.10.3.12",  # Microsoft document signing
        "code_signing",  # update packages
    },
    Purpose.ENCRYPTION: {"any_extended_key_usage", "email_protection", "client_auth"},
    Purpose.TIMESTAMPING: {"time_stamping"},
}
_WHO = {
    Purpose.SIGNING: "Signatarens sertifikat",
    Purpose.ENCRYPTION: "Mottakersertifikatet",
    Purpose.TIMESTAMPING: "Tidsstempeltjenestens sertifikat",
}


class CertificateProblem(Exception):
    """A certificate cannot be relied on; ``message`` says why, in Bokmål."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UntrustedCertificate(CertificateProblem):
    """No path leads from the certificate to a trust anchor (unknown issuer or self-signed)."""


@dataclass(frozen=True)
class TrustStore:
    """Trust anchors and offline revocation lists (DER CRLs)."""

    anchors: tuple[x509.Certificate, ...] = ()
    crls: tuple[bytes, ...] = ()

    def with_anchors(self, more: Iterable[x509.Certificate]) -> TrustStore:
        return TrustStore(anchors=(*self.anchors, *more), crls=self.crls)

    @classmethod
    def load(
        cls,
        *,
        given: Sequence[x509.Certificate] = (),
        crls: Sequence[bytes] = (),
        installation: Path | None = None,
    ) -> TrustStore:
        """Anchors from ``given``, the shipped register certificates and the installation."""
        anchors = [*given, *shipped_anchors()]
        all_crls = list(crls)
        if installation is not None:
            anchors += load_certificates_in(installation / TRUST_FOLDER)
            all_crls += load_crls_in(installation / CRL_FOLDER)
        return cls(anchors=tuple(_unique(anchors)), crls=tuple(all_crls))


@dataclass(frozen=True)
class ValidatedPath:
    """The certificates from the trust anchor down to the validated one."""

    certificates: tuple[x509.Certificate, ...]
    revocation_checked: bool

    @property
    def anchor(self) -> x509.Certificate:
        return self.certificates[0]


def validate_certificate(
    certificate: x509.Certificate,
    purpose: Purpose,
    trust: TrustStore,
    *,
    intermediates: Sequence[x509.Certificate] = (),
    moment: datetime | None = None,
) -> ValidatedPath:
    """Validate ``certificate`` for ``purpose`` at ``moment`` (default: now).

    Raises ``UntrustedCertificate`` when no trust anchor vouches for it and
    ``CertificateProblem`` for every other failure (expired, revoked, a CA used
    as an end certificate, a missing key usage, …).
    """
    moment = moment or datetime.now(UTC)
    who = _WHO[purpose]
    _check_end_certificate(certificate, purpose, who)
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        # The library does not check a certificate that is itself a trust anchor.
        raise CertificateProblem(
            f"{who} var ikke gyldig på tidspunktet {moment:%d.%m.%Y %H:%M} UTC (gyldig "
            f"{certificate.not_valid_before_utc:%d.%m.%Y}–"
            f"{certificate.not_valid_after_utc:%d.%m.%Y})."
        )
    if not trust.anchors:
        raise UntrustedCertificate(
            f"{who} ({certificate.subject.rfc4514_string()}) er ikke klarert: ingen "
            "klarerte sertifikater er satt opp."
        )
    context = ValidationContext(
        trust_roots=[_asn1(anchor) for anchor in trust.anchors],
        other_certs=[_asn1(extra) for extra in intermediates],
        moment=moment,
        crls=list(trust.crls),
        allow_fetching=False,
        # Offline: a certificate is checked against every CRL supplied; one whose CRL is
        # not at hand is not refused for that (the report says whether CRLs were checked).
        revocation_mode="soft-fail",
        # A CRL issued after the moment still tells whether the revocation came before it.
        retroactive_revinfo=True,
    )
    validator = CertificateValidator(_asn1(certificate), validation_context=context)
    try:
        path = asyncio.run(validator.async_validate_path())
    except validation_errors.RevokedError as exc:
        raise CertificateProblem(
            f"{_whose(who, exc)} er tilbakekalt ({exc.revocation_dt:%d.%m.%Y}), ifølge CRL."
        ) from exc
    except validation_errors.ExpiredError as exc:
        raise CertificateProblem(
            f"{_whose(who, exc)} var utløpt ({exc.expired_dt:%d.%m.%Y}) på tidspunktet "
            f"{moment:%d.%m.%Y %H:%M} UTC."
        ) from exc
    except validation_errors.NotYetValidError as exc:
        raise CertificateProblem(
            f"{_whose(who, exc)} var ikke gyldig ennå (fra {exc.valid_from:%d.%m.%Y}) på "
            f"tidspunktet {moment:%d.%m.%Y %H:%M} UTC."
        ) from exc
    except validation_errors.PathBuildingError as exc:
        raise UntrustedCertificate(
            f"{who} ({certificate.subject.rfc4514_string()}) er ikke utstedt av et klarert "
            "sertifikat."
        ) from exc
    except validation_errors.InvalidCertificateError as exc:
        # The library's word for a self-signed end certificate that is not an anchor.
        raise UntrustedCertificate(
            f"{who} ({certificate.subject.rfc4514_string()}) er ikke klarert "
            "(selvsignert og ikke blant de klarerte sertifikatene)."
        ) from exc
    except validation_errors.PathValidationError as exc:
        raise CertificateProblem(
            f"Sertifikatkjeden til {who.lower()} holder ikke: {exc.failure_msg}"
        ) from exc
    except validation_errors.ValidationError as exc:
        raise CertificateProblem(f"{who} kan ikke valideres: {exc.failure_msg}") from exc
    certificates = tuple(_unique(_from_asn1(c) for c in path.iter_certs(include_root=True)))
    _check_anchor(certificates)
    return ValidatedPath(certificates=certificates, revocation_checked=bool(trust.crls))


def validate_recipient(
    certificate: x509.Certificate,
    trust: TrustStore,
    *,
    intermediates: Sequence[x509.Certificate] = (),
    moment: datetime | None = None,
) -> ValidatedPath:
    """Validate a recipient certificate that submissions are to be encrypted to.

    It must be an end certificate (not a CA), valid now and issued for key
    encipherment. A path to a trust anchor is validated when there is one (an
    expired or revoked issuer refuses it); a certificate no anchor vouches for
    is the one the user chose explicitly and is then checked on its own.
    """
    try:
        return validate_certificate(
            certificate, Purpose.ENCRYPTION, trust, intermediates=intermediates, moment=moment
        )
    except UntrustedCertificate:
        return validate_certificate(
            certificate, Purpose.ENCRYPTION, trust.with_anchors([certificate]), moment=moment
        )


def _check_end_certificate(certificate: x509.Certificate, purpose: Purpose, who: str) -> None:
    """What the library leaves to its caller: the end certificate's role and usages."""
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is not None and constraints.value.ca:
        raise CertificateProblem(
            f"{who} er et CA-sertifikat (basicConstraints CA:TRUE) og kan ikke brukes til "
            f"{purpose.value}."
        )
    asn1_cert = _asn1(certificate)
    key_usage = asn1_cert.key_usage_value
    needed = _KEY_USAGES[purpose]
    if purpose is Purpose.ENCRYPTION and key_usage is None:
        raise CertificateProblem(
            f"{who} mangler keyUsage og er dermed ikke utstedt for kryptering (keyEncipherment)."
        )
    if key_usage is not None and not needed & set(key_usage.native):
        names = " eller ".join(sorted(needed))
        raise CertificateProblem(
            f"{who} har ikke keyUsage {names} og kan ikke brukes til {purpose.value}."
        )
    extended = asn1_cert.extended_key_usage_value
    if extended is not None and not _EXTENDED_KEY_USAGES[purpose] & set(extended.native):
        raise CertificateProblem(
            f"{who} er begrenset til andre formål (extendedKeyUsage "
            f"{', '.join(extended.native)}) og kan ikke brukes til {purpose.value}."
        )
    if purpose is Purpose.TIMESTAMPING and extended is None:
        raise CertificateProblem(f"{who} mangler extendedKeyUsage timeStamping.")


def _check_anchor(path: tuple[x509.Certificate, ...]) -> None:
    """A trust anchor that issued the next certificate must be a CA allowed to sign certificates.

    pyhanko-certvalidator treats an anchor as trusted input and does not look at
    its extensions; a leaf certificate added as trusted must not vouch for others.
    """
    if len(path) < 2:
        return  # the certificate is itself the anchor
    anchor = _asn1(path[0])
    subject = path[0].subject.rfc4514_string()
    if not anchor.ca:
        raise CertificateProblem(
            f"Det klarerte sertifikatet {subject} er ikke et CA-sertifikat og kan ikke gå god "
            "for andre sertifikater."
        )
    key_usage = anchor.key_usage_value
    if key_usage is not None and "key_cert_sign" not in key_usage.native:
        raise CertificateProblem(
            f"Det klarerte sertifikatet {subject} har ikke keyUsage keyCertSign og kan ikke "
            "utstede sertifikater."
        )


def shipped_anchors() -> list[x509.Certificate]:
    """The register's certificates shipped with the program (``resources/trust/``)."""
    return load_certificates_in(resources_dir() / TRUST_FOLDER)


def load_certificates_in(folder: Path) -> list[x509.Certificate]:
    """Every certificate in ``folder`` (PEM, possibly several per file, or DER)."""
    if not folder.is_dir():
        return []
    certificates: list[x509.Certificate] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in CERTIFICATE_SUFFIXES and path.is_file():
            certificates += load_certificates(path.read_bytes(), str(path))
    return certificates


def load_certificates(data: bytes, source: str) -> list[x509.Certificate]:
    """The certificates in a PEM (one or more) or DER file; ``CertificateProblem`` otherwise."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise CertificateProblem(
            f"{source}: er ikke et lesbart X.509-sertifikat (PEM eller DER)."
        ) from exc


def load_crls_in(folder: Path) -> list[bytes]:
    if not folder.is_dir():
        return []
    return [
        load_crl(path.read_bytes(), str(path))
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in CRL_SUFFIXES and path.is_file()
    ]


def load_crl(data: bytes, source: str) -> bytes:
    """A CRL as DER (from PEM or DER); ``CertificateProblem`` when it is not one."""
    try:
        if b"-----BEGIN" in data:
            crl = x509.load_pem_x509_crl(data)
        else:
            crl = x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise CertificateProblem(
            f"{source}: er ikke en lesbar tilbakekallingsliste (CRL)."
        ) from exc
    return crl.public_bytes(serialization.Encoding.DER)


def _unique(certificates: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    out: list[x509.Certificate] = []
    for cert in certificates:
        der = cert.public_bytes(serialization.Encoding.DER)
        if der not in seen:
            seen.add(der)
            out.append(cert)
    return out


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _from_asn1(certificate: object) -> x509.Certificate:
    assert isinstance(certificate, asn1_x509.Certificate)
    return x509.load_der_x509_certificate(certificate.dump())


def _whose(who: str, problem: validation_errors.PathValidationError) -> str:
    """Whose certificate ``problem`` is about, to open a sentence: ``who`` or a CA in the chain."""
    whose = who.lower() if problem.is_ee_cert else "et CA-sertifikat i kjeden"
    return whose[:1].upper() + whose[1:]
