"""Verify a submission file as its receiver would: layout, digests, signature, schema, rules.

``verify_bytes``/``verify_file`` return a ``Report``: one ``Check`` per step,
with a Bokmål line each. The file is hostile input; every problem becomes a
failed check (exit 1) or, when the file cannot be opened at all, an unreadable
report (exit 2). Nothing here raises for bad input.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from jsdesk.errors import UserError
from jsdesk.rules import FormLookup, evaluate, form_by_version, in_form_words
from jsdesk.submission import cms
from jsdesk.submission.container import (
    PAYLOAD_NAME,
    SIGNATURE_NAME,
    Container,
    ContainerProblem,
    ContainerUnreadable,
    read_container,
    read_file_limited,
)
from jsdesk.submission.credentials import SigningCredentials
from jsdesk.submission.manifest import ManifestProblem, parse_manifest
from jsdesk.submission.payload import PayloadProblem, decode_payload
from jsdesk.submission.timestamp import check_timestamp
from jsdesk.submission.trust import (
    CertificateProblem,
    Purpose,
    TrustStore,
    UntrustedCertificate,
    validate_certificate,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNREADABLE = 2
MAX_LISTED_RECORDS = 10
CLOCK_SKEW = timedelta(minutes=5)  # a signer's clock may run this far ahead of the TSA's
_ZIP_MAGIC = b"PK\x03\x04"
_NOT_AN_ENVELOPE = {
    "signed_data": "Filen er en CMS SignedData (en signatur alene), ikke en ASiC-E-beholder "
    "eller en kryptert innsendingsfil (EnvelopedData).",
    "data": "Filen er en CMS Data-struktur, ikke en kryptert innsendingsfil (EnvelopedData).",
    None: "Filen er verken en ASiC-E-beholder (ZIP) eller en CMS-konvolutt (EnvelopedData).",
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    unreadable: bool = False
    test_data: bool = False
    record_count: int = 0
    signer: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unreadable and bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return EXIT_UNREADABLE
        return EXIT_OK if self.ok else EXIT_FAILED

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def lines(self) -> list[str]:
        out = [f"{'OK  ' if c.ok else 'FEIL'} {c.name}: {c.detail}" for c in self.checks]
        out += self.notes
        if self.unreadable:
            out.append("Resultat: filen kan ikke leses.")
        elif self.ok:
            label = "TESTDATA – " if self.test_data else ""
            out.append(f"Resultat: {label}alle kontroller holder ({self.record_count} poster).")
        else:
            out.append("Resultat: filen består IKKE kontrollen.")
        return out


def verify_file(
    path: Path,
    *,
    trust: TrustStore | None = None,
    trusted: Sequence[x509.Certificate] = (),
    decrypt_with: SigningCredentials | None = None,
    check_rules: bool = True,
    forms: FormLookup = form_by_version,
) -> Report:
    try:
        data = read_file_limited(path)
    except ContainerUnreadable as exc:
        report = Report(unreadable=True)
        report.add("Fil", False, exc.message)
        return report
    return verify_bytes(
        data,
        trust=trust,
        trusted=trusted,
        decrypt_with=decrypt_with,
        check_rules=check_rules,
        forms=forms,
    )


def verify_bytes(
    data: bytes,
    *,
    trust: TrustStore | None = None,
    trusted: Sequence[x509.Certificate] = (),
    decrypt_with: SigningCredentials | None = None,
    check_rules: bool = True,
    forms: FormLookup = form_by_version,
) -> Report:
    """Check ``data`` as the receiver would.

    The signer must be vouched for by a trust anchor: those in ``trust`` (see
    ``TrustStore.load``) and the certificates in ``trusted``. A signature by
    anyone else is reported, with the signer, and the file does not pass. Every
    record is evaluated with the form ``forms`` gives for its version (by default
    the shipped forms).
    """
    trust = (trust or TrustStore()).with_anchors(trusted)
    report = Report()
    if not data.startswith(_ZIP_MAGIC):
        opened = _open_envelope(report, data, decrypt_with)
        if opened is None:
            return report
        data = opened
    try:
        container = read_container(data)
    except ContainerUnreadable as exc:
        report.unreadable = True
        report.add("Beholder", False, exc.message)
        return report
    except ContainerProblem as exc:
        report.add("Beholder", False, exc.message)
        return report
    report.add("Beholder", True, "ASiC-E-struktur, mimetype og oppføringer er i orden.")
    if not _check_manifest(report, container):
        return report
    if not _check_signature(report, container, trust):
        return report
    document = _check_payload(report, container)
    if document is None:
        return report
    if check_rules:
        _check_records(report, document, forms)
    return report


def _open_envelope(
    report: Report, data: bytes, credentials: SigningCredentials | None
) -> bytes | None:
    if not data.startswith(b"\x30"):
        report.unreadable = True
        report.add("Fil", False, "Filen er verken en ASiC-E-beholder (ZIP) eller en CMS-konvolutt.")
        return None
    kind = cms.content_kind(data)
    if kind != "enveloped_data":
        report.unreadable = True
        report.add("Fil", False, _NOT_AN_ENVELOPE.get(kind, _NOT_AN_ENVELOPE[None]))
        return None
    if credentials is None:
        report.unreadable = True
        report.add(
            "Kryptering",
            False,
            "Filen er kryptert (CMS EnvelopedData). Oppgi mottakerens nøkkel med --decrypt-with.",
        )
        return None
    if not isinstance(credentials.key, rsa.RSAPrivateKey):
        report.unreadable = True
        report.add("Kryptering", False, "Dekryptering krever en RSA-nøkkel.")
        return None
    try:
        opened = cms.open_envelope_details(data, credentials.certificate, credentials.key)
    except cms.SignatureProblem as exc:
        report.unreadable = True
        report.add("Kryptering", False, exc.message)
        return None
    transport = {
        cms.EnvelopePadding.OAEP: "RSAES-OAEP",
        cms.EnvelopePadding.PKCS1V15: "RSA PKCS#1 v1.5",
    }[opened.key_transport]
    report.add(
        "Kryptering",
        True,
        f"Filen er dekryptert (CMS EnvelopedData, {transport}, {opened.content_cipher}).",
    )
    return opened.content


def _check_manifest(report: Report, container: Container) -> bool:
    try:
        manifest = parse_manifest(container.manifest)
    except ManifestProblem as exc:
        return report.add("Manifest", False, exc.message)
    if manifest.signature_uri != SIGNATURE_NAME:
        return report.add(
            "Manifest", False, f"Manifestet peker på signaturen {manifest.signature_uri!r}."
        )
    listed = set(manifest.digests)
    if listed != {PAYLOAD_NAME}:
        return report.add(
            "Manifest",
            False,
            f"Manifestet skal liste nøyaktig {PAYLOAD_NAME}, men lister {sorted(listed)}.",
        )
    actual = hashlib.sha256(container.payload).digest()
    if not hmac.compare_digest(actual, manifest.digests[PAYLOAD_NAME]):
        return report.add(
            "Sjekksum",
            False,
            f"SHA-256 for {PAYLOAD_NAME} stemmer ikke med manifestet: innholdet er endret.",
        )
    return report.add("Sjekksum", True, f"SHA-256 for {PAYLOAD_NAME} stemmer med manifestet.")


def _check_signature(report: Report, container: Container, trust: TrustStore) -> bool:
    try:
        info = cms.verify_detached(container.signature, container.manifest)
    except cms.SignatureProblem as exc:
        return report.add("Signatur", False, exc.message)
    report.signer = info.signer_name
    report.add(
        "Signatur",
        True,
        f"gyldig, signert {info.signing_time:%d.%m.%Y %H:%M:%S} UTC av {info.signer_name}.",
    )
    moment = info.signing_time
    if info.timestamp_token is not None:
        try:
            stamp = check_timestamp(info.timestamp_token, info.signature_value, trust)
        except (cms.SignatureProblem, CertificateProblem) as exc:
            return report.add("Tidsstempel", False, exc.message)
        if info.signing_time > stamp.time + CLOCK_SKEW:
            return report.add(
                "Tidsstempel",
                False,
                f"Signaturen oppgir signeringstid {info.signing_time:%d.%m.%Y %H:%M:%S} UTC, "
                f"etter tidsstempelet ({stamp.time:%d.%m.%Y %H:%M:%S} UTC).",
            )
        moment = stamp.time
        report.add(
            "Tidsstempel",
            True,
            f"signaturen fantes {stamp.time:%d.%m.%Y %H:%M:%S} UTC (CAdES B-T, tidsstempel fra "
            f"{stamp.tsa_name}); sertifikatet kontrolleres på det tidspunktet.",
        )
    else:
        report.notes.append(
            "Merk: signaturen har ikke tidsstempel (CAdES B-B); signeringstiden er "
            "signatarens egen opplysning."
        )
    try:
        path = validate_certificate(
            info.signer,
            Purpose.SIGNING,
            trust,
            intermediates=info.chain,
            moment=moment,
        )
    except UntrustedCertificate as exc:
        return report.add(
            "Tillit",
            False,
            f"{exc.message} Oppgi utstederen med --trust SERT.pem eller legg den til med "
            "'jsdesk cert trust SERT.pem' hvis du stoler på den.",
        )
    except CertificateProblem as exc:
        return report.add("Tillit", False, f"{exc.message} Signatar: {info.signer_name}.")
    anchor = path.anchor.subject.rfc4514_string()
    revocation = (
        "tilbakekalling kontrollert mot oppgitte CRL-er"
        if path.revocation_checked
        else "tilbakekalling ikke kontrollert (ingen CRL oppgitt)"
    )
    return report.add(
        "Tillit",
        True,
        f"sertifikatkjeden til {anchor} holder {moment:%d.%m.%Y %H:%M} UTC; {revocation}.",
    )


def _check_payload(report: Report, container: Container) -> dict[str, Any] | None:
    try:
        document = decode_payload(container.payload)
    except PayloadProblem as exc:
        report.add("Skjema", False, "; ".join(exc.problems))
        return None
    header = document["header"]
    report.test_data = bool(header["test_data"])
    report.record_count = len(document["records"])
    report.add(
        "Skjema",
        True,
        f"submission.json følger skjemaet ({report.record_count} poster, kommune "
        f"{header['kommunenummer']} {header['kommunenavn']}).",
    )
    if report.test_data:
        report.notes.append("TESTDATA: filen er laget av en testinstallasjon og er ikke ekte data.")
    return document


def _check_records(report: Report, document: dict[str, Any], forms: FormLookup) -> None:
    allow_synthetic = bool(document["header"]["test_data"])
    problems: list[str] = []
    failed = 0
    known: dict[str, Any] = {}
    for number, record in enumerate(document["records"], start=1):
        version = record["form_version"]
        if version not in known:
            try:
                known[version] = forms(version)
            except UserError:
                known[version] = None
        form = known[version]
        if form is None:
            failed += 1
            message = f"post {number}: ukjent skjemaversjon {version!r}"
        else:
            evaluation = evaluate(
                form,
                record["values"],
                allow_synthetic=allow_synthetic,
                installation=document["header"]["kommunenummer"],
            )
            errors = [in_form_words(form, f.variable, f.message) for f in evaluation.errors]
            if str(evaluation.stage) != record["stage"]:
                errors.append(f"stadiet er {evaluation.stage}, men posten oppgir {record['stage']}")
            if not errors:
                continue
            failed += 1
            message = f"post {number} ({record['record_id']}): " + "; ".join(errors)
        if len(problems) < MAX_LISTED_RECORDS:
            problems.append(message)
    if failed:
        more = f" (viser {len(problems)})" if failed > len(problems) else ""
        report.add(
            "Regler",
            False,
            f"{failed} av {len(document['records'])} poster bryter skjemaets regler{more}: "
            + " | ".join(problems),
        )
    else:
        report.add(
            "Regler", True, f"alle {len(document['records'])} poster holder skjemaets regler."
        )
