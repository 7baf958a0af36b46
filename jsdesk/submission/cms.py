"""Detached CMS signatures over the manifest, and CMS envelopes around the container.

Both structures are assembled with ``asn1crypto`` and the operations done with
``cryptography``: the SignedData (CAdES, with signing-certificate-v2 and, when a
time-stamping service is configured, a signature time-stamp) and the
EnvelopedData (RSAES-OAEP SHA-256 key transport, AES-256-CBC; PKCS#1 v1.5
envelopes are still read). ``openssl cms`` and BouncyCastle accept both.

``cryptography`` has no public API to *verify* CMS, so verification parses the
SignedData with ``asn1crypto`` and checks each step with ``cryptography``: the
message digest against the manifest, the signature over the DER-encoded signed
attributes and the ESS signing-certificate-v2 binding. The signer's certificate
path (validity at the signing time, issuers, key usage, revocation) is validated
by pyhanko-certvalidator through ``jsdesk.submission.trust``; ``verify_signed``
does both.

Every failure on the verifying side is a ``SignatureProblem`` with a Bokmål
message; the input is treated as hostile and never trusted to be well formed.
"""

from __future__ import annotations

import enum
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import tsp as _tsp  # noqa: F401  registers signing-certificate-v2 with cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from jsdesk.submission.trust import Purpose, TrustStore, ValidatedPath, validate_certificate

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# Digest algorithms a signature may use (asn1crypto name -> hashlib name and cryptography hash).
_DIGESTS: dict[str, tuple[str, type[hashes.HashAlgorithm]]] = {
    "sha256": ("sha256", hashes.SHA256),
    "sha384": ("sha384", hashes.SHA384),
    "sha512": ("sha512", hashes.SHA512),
}

_RSA_ALGORITHMS = {"rsassa_pkcs1v15", "sha256_rsa", "sha384_rsa", "sha512_rsa"}
_EC_ALGORITHMS = {"ecdsa", "sha256_ecdsa", "sha384_ecdsa", "sha512_ecdsa"}

# A signature file larger than this is not a signature (a handful of certificates at most).
MAX_SIGNATURE_BYTES = 1 << 20


class SignatureProblem(Exception):
    """The signature does not hold; ``message`` says why, in Bokmål."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SignatureInfo:
    """What a valid signature tells about its signer."""

    signer: x509.Certificate
    signing_time: datetime  # the signer's own claim (signed attribute)
    chain: tuple[x509.Certificate, ...]
    signature_value: bytes = b""
    timestamp_token: bytes | None = None  # CAdES B-T: an RFC 3161 token over signature_value

    @property
    def signer_name(self) -> str:
        return self.signer.subject.rfc4514_string()


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that holds, by a signer whose certificate path was validated."""

    info: SignatureInfo
    path: ValidatedPath


def sign_detached(
    content: bytes,
    certificate: x509.Certificate,
    key: SigningKey,
    chain: Sequence[x509.Certificate] = (),
    *,
    signing_time: datetime | None = None,
    timestamper: Callable[[bytes], bytes] | None = None,
) -> bytes:
    """A DER detached CMS SignedData (CAdES-BES, B-B) over ``content``.

    With ``timestamper`` (signature value -> DER time-stamp token, see
    ``jsdesk.submission.timestamp``) the token is added as the unsigned
    signature-time-stamp attribute: CAdES B-T.

    Signed attributes: content type, signing time, message digest and ESS
    signing-certificate-v2, which binds the signer certificate's SHA-256 hash
    into the signature so that the certificate cannot be swapped or altered.
    ``cryptography``'s PKCS7SignatureBuilder cannot add that attribute, so the
    structure is assembled with ``asn1crypto`` and signed with ``cryptography``.
    """

    signing_time = (signing_time or datetime.now(UTC)).replace(microsecond=0)
    cert_der = certificate.public_bytes(serialization.Encoding.DER)
    cert = asn1_x509.Certificate.load(cert_der)
    ess_id = tsp.ESSCertIDv2(
        {
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "cert_hash": hashlib.sha256(cert_der).digest(),
            "issuer_serial": {
                "issuer": [asn1_x509.GeneralName({"directory_name": cert.issuer})],
                "serial_number": cert.serial_number,
            },
        }
    )
    attributes = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute(
            {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}
        ),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
        cms.CMSAttribute(
            {
                "type": "signing_certificate_v2",
                "values": [tsp.SigningCertificateV2({"certs": [ess_id]})],
            }
        ),
    ]
    # DER orders a SET OF by the encodings; verifiers (openssl) re-encode and would
    # otherwise compute a different signed value.
    attributes.sort(key=lambda attribute: attribute.dump())
    signed_attrs = cms.CMSAttributes(attributes)
    to_sign = signed_attrs.dump()
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
        signature_algorithm = "sha256_rsa"
    else:
        signature = key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
        signature_algorithm = "sha256_ecdsa"
    unsigned = {}
    if timestamper is not None:
        token = cms.ContentInfo.load(timestamper(signature))
        unsigned["unsigned_attrs"] = cms.CMSAttributes(
            [cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]})]
        )
    signer_info = cms.SignerInfo(
        {
            **unsigned,
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": cert.issuer, "serial_number": cert.serial_number}
                    )
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": signature_algorithm}),
            "signature": core.OctetString(signature),
        }
    )
    certificates = [cert] + [
        asn1_x509.Certificate.load(extra.public_bytes(serialization.Encoding.DER))
        for extra in chain
    ]
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "data"},
            "certificates": certificates,
            "signer_infos": [signer_info],
        }
    )
    info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    result: bytes = info.dump()
    return result


class EnvelopePadding(enum.Enum):
    """RSA key transport in an EnvelopedData."""

    OAEP = "rsaes_oaep"  # RSAES-OAEP, SHA-256 and MGF1-SHA-256: eFormidling's profile, default
    PKCS1V15 = "rsaes_pkcs1v15"  # what jsdesk wrote before; still read


_OAEP_SHA256 = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)
# Content encryption algorithms an envelope may use (asn1crypto name -> key length).
_CONTENT_CIPHERS = {"aes128_cbc": 16, "aes192_cbc": 24, "aes256_cbc": 32}
_OAEP_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def envelope(
    content: bytes,
    recipient: x509.Certificate,
    *,
    key_transport: EnvelopePadding = EnvelopePadding.OAEP,
) -> bytes:
    """Encrypt ``content`` to ``recipient`` as DER CMS EnvelopedData.

    The receiver's profile (Digdir's eFormidling integration point): AES-256-CBC
    content encryption and RSAES-OAEP key transport with SHA-256 and
    MGF1-SHA-256. ``cryptography``'s envelope builder offers only PKCS#1 v1.5, so
    the structure is built with ``asn1crypto`` and the operations done with
    ``cryptography``.
    """

    public_key = recipient.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("recipient certificate must hold an RSA key")
    content_key = os.urandom(32)
    iv = os.urandom(16)
    padder = sym_padding.PKCS7(128).padder()
    padded = padder.update(content) + padder.finalize()
    encryptor = Cipher(algorithms.AES256(content_key), modes.CBC(iv)).encryptor()
    encrypted_content = encryptor.update(padded) + encryptor.finalize()
    if key_transport is EnvelopePadding.OAEP:
        encrypted_key = public_key.encrypt(content_key, _OAEP_SHA256)
        key_algorithm = cms.KeyEncryptionAlgorithm(
            {
                "algorithm": "rsaes_oaep",
                "parameters": algos.RSAESOAEPParams(
                    {
                        "hash_algorithm": {"algorithm": "sha256"},
                        "mask_gen_algorithm": {
                            "algorithm": "mgf1",
                            "parameters": {"algorithm": "sha256"},
                        },
                    }
                ),
            }
        )
    else:
        encrypted_key = public_key.encrypt(content_key, padding.PKCS1v15())
        key_algorithm = cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_pkcs1v15"})
    cert = asn1_x509.Certificate.load(recipient.public_bytes(serialization.Encoding.DER))
    recipient_info = cms.KeyTransRecipientInfo(
        {
            "version": "v0",
            "rid": cms.RecipientIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": cert.issuer, "serial_number": cert.serial_number}
                    )
                }
            ),
            "key_encryption_algorithm": key_algorithm,
            "encrypted_key": encrypted_key,
        }
    )
    enveloped = cms.EnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [cms.RecipientInfo({"ktri": recipient_info})],
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {"algorithm": "aes256_cbc", "parameters": iv},
                "encrypted_content": encrypted_content,
            },
        }
    )
    info = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped})
    result: bytes = info.dump()
    return result


def content_kind(data: bytes) -> str | None:
    """The CMS content type of ``data`` (``"enveloped_data"``, ``"signed_data"``, …) or None."""

    try:
        info = cms.ContentInfo.load(data, strict=True)
        kind = info["content_type"].native
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return None
    return kind if isinstance(kind, str) else None


@dataclass(frozen=True)
class OpenedEnvelope:
    content: bytes
    key_transport: EnvelopePadding
    content_cipher: str


def open_envelope(data: bytes, certificate: x509.Certificate, key: rsa.RSAPrivateKey) -> bytes:
    """Decrypt DER CMS EnvelopedData; ``SignatureProblem`` when it is not for this key."""
    return open_envelope_details(data, certificate, key).content


def open_envelope_details(
    data: bytes, certificate: x509.Certificate, key: rsa.RSAPrivateKey
) -> OpenedEnvelope:
    """Decrypt an envelope with RSAES-OAEP or PKCS#1 v1.5 key transport and AES-CBC content."""

    not_for_us = SignatureProblem(
        "Filen kan ikke dekrypteres med dette sertifikatet: den er skadet eller "
        "kryptert til en annen mottaker."
    )
    try:
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native != "enveloped_data":
            raise not_for_us
        enveloped = info["content"]
        _ = enveloped.native  # parse everything now (asn1crypto is lazy)
        recipient_info = _our_recipient_info(enveloped["recipient_infos"], certificate)
        if recipient_info is None:
            raise not_for_us
        algorithm = recipient_info["key_encryption_algorithm"]
        content_key = _decrypt_content_key(
            key,
            algorithm["algorithm"].native,
            algorithm["parameters"],
            recipient_info["encrypted_key"].native,
        )
        encrypted = enveloped["encrypted_content_info"]
        cipher_name = encrypted["content_encryption_algorithm"]["algorithm"].native
        if _CONTENT_CIPHERS.get(cipher_name) != len(content_key):
            raise SignatureProblem(
                f"Konvolutten bruker en innholdskryptering jsdesk ikke godtar ({cipher_name})."
            )
        iv = encrypted["content_encryption_algorithm"]["parameters"].native
        ciphertext = encrypted["encrypted_content"].native
        if not isinstance(iv, bytes) or len(iv) != 16 or not isinstance(ciphertext, bytes):
            raise not_for_us
        decryptor = Cipher(algorithms.AES(content_key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        unpadder = sym_padding.PKCS7(128).unpadder()
        content = unpadder.update(padded) + unpadder.finalize()
    except SignatureProblem:
        raise
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        OverflowError,
        UnsupportedAlgorithm,
    ) as exc:
        raise not_for_us from exc
    transport = (
        EnvelopePadding.OAEP
        if algorithm["algorithm"].native == "rsaes_oaep"
        else EnvelopePadding.PKCS1V15
    )
    return OpenedEnvelope(content=content, key_transport=transport, content_cipher=cipher_name)


def _our_recipient_info(recipient_infos: object, certificate: x509.Certificate) -> Any:
    """The key-transport recipient info addressed to ``certificate``, if any."""

    assert isinstance(recipient_infos, cms.RecipientInfos)
    issuer_der = certificate.issuer.public_bytes()
    try:
        ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        ski = None
    for choice in recipient_infos:
        if choice.name != "ktri":
            continue
        ktri = choice.chosen
        rid = ktri["rid"]
        if rid.name == "issuer_and_serial_number":
            if (
                rid.chosen["serial_number"].native == certificate.serial_number
                and rid.chosen["issuer"].dump() == issuer_der
            ):
                return ktri
        elif ski is not None and rid.chosen.native == ski:
            return ktri
    return None


def _decrypt_content_key(
    key: rsa.RSAPrivateKey, algorithm: str, parameters: Any, encrypted_key: bytes
) -> bytes:
    if algorithm == "rsaes_pkcs1v15":
        return key.decrypt(encrypted_key, padding.PKCS1v15())
    if algorithm != "rsaes_oaep":
        raise SignatureProblem(
            f"Konvolutten bruker en nøkkeltransport jsdesk ikke godtar ({algorithm})."
        )
    hash_name = parameters["hash_algorithm"]["algorithm"].native
    mgf = parameters["mask_gen_algorithm"]
    mgf_hash = mgf["parameters"]["algorithm"].native
    if mgf["algorithm"].native != "mgf1" or hash_name not in _OAEP_HASHES:
        raise SignatureProblem("Konvolutten bruker OAEP-parametere jsdesk ikke godtar.")
    if mgf_hash not in _OAEP_HASHES or parameters["p_source_algorithm"]["parameters"].native:
        raise SignatureProblem("Konvolutten bruker OAEP-parametere jsdesk ikke godtar.")
    oaep = padding.OAEP(
        mgf=padding.MGF1(algorithm=_OAEP_HASHES[mgf_hash]()),
        algorithm=_OAEP_HASHES[hash_name](),
        label=None,
    )
    return key.decrypt(encrypted_key, oaep)


def verify_signed(signature: bytes, content: bytes, trust: TrustStore) -> VerifiedSignature:
    """Check a detached CMS signature over ``content`` and its signer's certificate path.

    The one call for anything jsdesk accepts only when signed by someone it
    trusts (submission files, update packages): ``SignatureProblem`` when the
    signature does not hold, ``CertificateProblem`` (``UntrustedCertificate``
    for an unknown signer) when the signer cannot be relied on.
    """
    info = verify_detached(signature, content)
    path = validate_certificate(
        info.signer,
        Purpose.SIGNING,
        trust,
        intermediates=info.chain,
        moment=info.signing_time,
    )
    return VerifiedSignature(info=info, path=path)


def verify_detached(signature: bytes, content: bytes) -> SignatureInfo:
    """Check the cryptography of a detached CMS signature over ``content``.

    Says nothing about whether the signer is trusted: ``verify_signed`` (or
    ``trust.validate_certificate``) does that.
    """

    if len(signature) > MAX_SIGNATURE_BYTES:
        raise SignatureProblem("Signaturfilen er urimelig stor og avvises.")
    try:
        info = cms.ContentInfo.load(signature, strict=True)
        if info["content_type"].native != "signed_data":
            raise SignatureProblem("Signaturfilen er ikke en CMS SignedData-signatur.")
        _ = info.native  # parse everything now: asn1crypto is lazy, damage must surface here
        signed = info["content"]
        if signed["version"].native not in ("v1", "v3"):
            raise SignatureProblem("Signaturen har en ukjent SignedData-versjon.")
        if signed["encap_content_info"]["content_type"].native != "data":
            raise SignatureProblem("Signaturen oppgir feil innholdstype.")
        if signed["encap_content_info"]["content"].native is not None:
            raise SignatureProblem("Signaturen er ikke løsrevet (detached) som forventet.")
        signer_infos = list(signed["signer_infos"])
        if len(signer_infos) != 1:
            raise SignatureProblem(
                f"Signaturen skal ha nøyaktig én signatar, men har {len(signer_infos)}."
            )
        certs = [_load_cert(c.dump()) for c in signed["certificates"] if c.name == "certificate"]
        listed_digests = {a["algorithm"].native for a in signed["digest_algorithms"]}
        return _check_signer(signer_infos[0], certs, listed_digests, content)
    except SignatureProblem:
        raise
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        OverflowError,
        UnsupportedAlgorithm,
    ) as exc:
        # asn1crypto parses lazily: a damaged structure surfaces as any of these.
        raise SignatureProblem("Signaturfilen er skadet og kan ikke leses.") from exc


def _load_cert(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except (ValueError, x509.InvalidVersion) as exc:
        raise SignatureProblem("Et sertifikat i signaturen er skadet.") from exc


def _check_signer(
    signer_info: object,
    certs: list[x509.Certificate],
    listed_digests: set[str],
    content: bytes,
) -> SignatureInfo:
    assert isinstance(signer_info, cms.SignerInfo)
    signer, values = _check_signer_info(
        signer_info,
        certs,
        listed_digests,
        content,
        content_type="data",
        changed="Manifestet samsvarer ikke med signaturen: manifestet er endret etter signering.",
    )
    token = _signature_timestamp(signer_info)
    times = values.get("signing_time", [])
    if len(times) != 1:
        raise SignatureProblem("Signaturen mangler signeringstidspunkt.")
    signing_time: datetime = times[0].native
    if signing_time.tzinfo is None:
        signing_time = signing_time.replace(tzinfo=UTC)
    ess = values.get("signing_certificate_v2", [])
    if len(ess) != 1:
        raise SignatureProblem(
            "Signaturen mangler attributtet signing-certificate-v2 som binder sertifikatet."
        )
    _check_signing_certificate(ess[0], signer)
    chain = tuple(c for c in certs if c != signer)
    return SignatureInfo(
        signer=signer,
        signing_time=signing_time,
        chain=chain,
        signature_value=signer_info["signature"].native,
        timestamp_token=token,
    )


def _signature_timestamp(signer_info: Any) -> bytes | None:
    """The CAdES signature time-stamp token (the only unsigned attribute jsdesk accepts)."""
    unsigned = signer_info["unsigned_attrs"]
    if not unsigned.native:
        return None
    attributes = list(unsigned)
    if len(attributes) != 1 or attributes[0]["type"].native != "signature_time_stamp_token":
        raise SignatureProblem(
            "Signaturen har usignerte attributter jsdesk ikke godtar (bare et tidsstempel)."
        )
    tokens = list(attributes[0]["values"])
    if len(tokens) != 1:
        raise SignatureProblem("Signaturen skal ha nøyaktig ett tidsstempel.")
    token: bytes = tokens[0].dump()
    return token


def _check_signer_info(
    signer_info: Any,
    certs: list[x509.Certificate],
    listed_digests: set[str],
    content: bytes,
    *,
    content_type: str,
    changed: str,
) -> tuple[x509.Certificate, dict[str, list[Any]]]:
    """What every CMS signer must satisfy: digest, signed attributes and the signature value.

    Returns the signer certificate and the signed attributes by name.
    """
    signer = _find_signer_cert(signer_info["sid"], certs)
    if signer_info["version"].native not in ("v1", "v3"):
        raise SignatureProblem("Signaturen har en ukjent SignerInfo-versjon.")
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    if digest_name not in _DIGESTS:
        raise SignatureProblem(f"Signaturen bruker en ukjent sjekksumalgoritme ({digest_name}).")
    if digest_name not in listed_digests:
        raise SignatureProblem("Signaturens liste over sjekksumalgoritmer stemmer ikke.")
    hashlib_name, hash_cls = _DIGESTS[digest_name]

    attrs = signer_info["signed_attrs"]
    if not attrs:
        raise SignatureProblem("Signaturen mangler signerte attributter (signeringstid, sjekksum).")
    values: dict[str, list[Any]] = {}
    for attr in attrs:
        values.setdefault(attr["type"].native, []).extend(attr["values"])
    content_types = values.get("content_type", [])
    if len(content_types) != 1 or content_types[0].native != content_type:
        raise SignatureProblem("Signaturens innholdstype-attributt mangler eller er feil.")
    digests = values.get("message_digest", [])
    if len(digests) != 1:
        raise SignatureProblem("Signaturen mangler sjekksum-attributtet (messageDigest).")
    expected = hashlib.new(hashlib_name, content).digest()
    if digests[0].native != expected:
        raise SignatureProblem(changed)

    # The signature covers the DER SET OF the attributes exactly as they were
    # received; asn1crypto keeps the original bytes, only the implicit [0] tag
    # is replaced by the SET tag.
    signed_bytes = b"\x31" + attrs.dump()[1:]
    _check_signature_value(
        signer,
        signer_info["signature_algorithm"]["algorithm"].native,
        signer_info["signature"].native,
        signed_bytes,
        hash_cls(),
    )
    return signer, values


def _check_signing_certificate(ess: Any, signer: x509.Certificate) -> None:
    """An ESS signing-certificate(-v2) attribute must name exactly the signer certificate."""

    ess_ids = ess["certs"]
    if len(ess_ids) < 1:
        raise SignatureProblem("Attributtet signing-certificate er tomt.")
    first = ess_ids[0]
    # ESSCertIDv2 names its hash algorithm; ESSCertID (v1, in time-stamp tokens) is SHA-1.
    v2 = isinstance(first, tsp.ESSCertIDv2)
    algorithm = first["hash_algorithm"]["algorithm"].native if v2 else "sha1"
    if algorithm not in (*_DIGESTS, "sha1"):
        raise SignatureProblem(f"signing-certificate bruker ukjent algoritme ({algorithm}).")
    hashlib_name = _DIGESTS[algorithm][0] if algorithm in _DIGESTS else algorithm
    der = signer.public_bytes(serialization.Encoding.DER)
    if first["cert_hash"].native != hashlib.new(hashlib_name, der).digest():
        raise SignatureProblem(
            "Sertifikatet i signaturen er ikke det som ble signert med (signing-certificate-v2)."
        )


@dataclass(frozen=True)
class TimestampInfo:
    """What a valid signature time-stamp token (RFC 3161) says."""

    time: datetime
    tsa: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def tsa_name(self) -> str:
        return self.tsa.subject.rfc4514_string()


def verify_timestamp_token(token: bytes, stamped: bytes) -> TimestampInfo:
    """Check a time-stamp token over ``stamped`` (the signature value it time-stamps).

    The token's signature, its ESS signing-certificate and the message imprint;
    the TSA's certificate path is validated by ``trust.validate_certificate``
    with ``Purpose.TIMESTAMPING``.
    """

    try:
        info = cms.ContentInfo.load(token, strict=True)
        if info["content_type"].native != "signed_data":
            raise SignatureProblem("Tidsstempelet er ikke en CMS SignedData.")
        _ = info.native
        signed = info["content"]
        encapsulated = signed["encap_content_info"]
        if encapsulated["content_type"].native != "tst_info":
            raise SignatureProblem("Tidsstempelet inneholder ikke en TSTInfo.")
        tst_info = encapsulated["content"].parsed
        signer_infos = list(signed["signer_infos"])
        if len(signer_infos) != 1:
            raise SignatureProblem("Tidsstempelet skal ha nøyaktig én signatar.")
        certs = [_load_cert(c.dump()) for c in signed["certificates"] if c.name == "certificate"]
        listed = {a["algorithm"].native for a in signed["digest_algorithms"]}
        tsa, values = _check_signer_info(
            signer_infos[0],
            certs,
            listed,
            tst_info.dump(),
            content_type="tst_info",
            changed="Tidsstempelets innhold er endret etter at det ble signert.",
        )
        ess = values.get("signing_certificate_v2", []) + values.get("signing_certificate", [])
        if len(ess) != 1:
            raise SignatureProblem("Tidsstempelet binder ikke tjenestens sertifikat (ESS).")
        _check_signing_certificate(ess[0], tsa)
        imprint = tst_info["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if algorithm not in _DIGESTS:
            raise SignatureProblem(f"Tidsstempelet bruker ukjent sjekksumalgoritme ({algorithm}).")
        expected = hashlib.new(_DIGESTS[algorithm][0], stamped).digest()
        if imprint["hashed_message"].native != expected:
            raise SignatureProblem("Tidsstempelet gjelder ikke denne signaturen.")
        time: datetime = tst_info["gen_time"].native
    except SignatureProblem:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise SignatureProblem("Tidsstempelet er skadet og kan ikke leses.") from exc
    if time.tzinfo is None:
        time = time.replace(tzinfo=UTC)
    return TimestampInfo(time=time, tsa=tsa, chain=tuple(c for c in certs if c != tsa))


def _find_signer_cert(sid: object, certs: list[x509.Certificate]) -> x509.Certificate:
    assert isinstance(sid, cms.SignerIdentifier)
    if sid.name == "issuer_and_serial_number":
        serial = sid.chosen["serial_number"].native
        issuer_der = sid.chosen["issuer"].dump()
        for cert in certs:
            if cert.serial_number == serial and cert.issuer.public_bytes() == issuer_der:
                return cert
    else:
        key_id = sid.chosen.native
        for cert in certs:
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ski.value.digest == key_id:
                return cert
    raise SignatureProblem("Signatarens sertifikat finnes ikke i signaturen.")


def _check_signature_value(
    cert: x509.Certificate,
    algorithm: str,
    value: bytes,
    data: bytes,
    digest: hashes.HashAlgorithm,
) -> None:
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            if algorithm not in _RSA_ALGORITHMS:
                raise SignatureProblem(f"Signaturalgoritmen {algorithm} støttes ikke for RSA.")
            key.verify(value, data, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if algorithm not in _EC_ALGORITHMS:
                raise SignatureProblem(f"Signaturalgoritmen {algorithm} støttes ikke for EC.")
            key.verify(value, data, ec.ECDSA(digest))
        else:
            raise SignatureProblem("Signatarens sertifikat har en nøkkeltype jsdesk ikke støtter.")
    except InvalidSignature as exc:
        raise SignatureProblem(
            "Signaturen er ugyldig: den passer ikke med sertifikatet eller innholdet er endret."
        ) from exc
