"""Certificate trust by pyhanko-certvalidator: signers, recipients, revocation, openssl."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from storage_helpers import Installation
from submission_support import (
    CA_USAGE,
    SIGNER_USAGE,
    credentials,
    issue_certificate,
    make_crl,
    pki_chain,
    sample_payload,
)

from jsdesk.cli import main
from jsdesk.errors import UserError
from jsdesk.storage import database_target
from jsdesk.submission import cms
from jsdesk.submission.container import SIGNATURE_NAME, build_container
from jsdesk.submission.credentials import SigningCredentials, require_recipient_usable
from jsdesk.submission.trust import (
    CertificateProblem,
    Purpose,
    TrustStore,
    UntrustedCertificate,
    validate_certificate,
)
from jsdesk.submission.verify import Report, verify_bytes

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is installed by .ci/run")
NOW = datetime.now(UTC)


def _signed(signer: SigningCredentials) -> bytes:
    return build_container(sample_payload(), signer.certificate, signer.key, signer.chain)


def _verify(data: bytes, trust: TrustStore) -> Report:
    return verify_bytes(data, trust=trust, check_rules=False)


def _trust_check(report: Report) -> str:
    (check,) = [c for c in report.checks if c.name == "Tillit"]
    return ("OK " if check.ok else "FEIL ") + check.detail


def _pem(path: Path, signer: SigningCredentials) -> Path:
    path.write_bytes(signer.certificate.public_bytes(serialization.Encoding.PEM))
    return path


def test_chain__leaf_under_trusted_root__holds() -> None:
    root, _intermediate, leaf = pki_chain()
    report = _verify(_signed(leaf), TrustStore(anchors=(root.certificate,)))
    assert report.exit_code == 0, report.lines()
    assert "TEST Rot-CA" in _trust_check(report)
    assert "tilbakekalling ikke kontrollert" in _trust_check(report)


def test_chain__no_anchor_at_all__unknown_signer_fails_and_is_named() -> None:
    _root, _intermediate, leaf = pki_chain()
    report = _verify(_signed(leaf), TrustStore())
    assert report.exit_code == 1
    assert report.signer is not None and "TEST Virksomhet 0301" in report.signer
    assert "TEST Virksomhet 0301" in _trust_check(report)
    assert "alle kontroller holder" not in report.lines()[-1]


def test_chain__self_signed_stranger__fails_even_with_shipped_anchors() -> None:
    report = _verify(sample_container_by("fremmed"), TrustStore.load())
    assert report.exit_code == 1
    assert "selvsignert" in _trust_check(report)


def sample_container_by(name: str) -> bytes:
    return _signed(credentials(name))


@pytest.mark.parametrize(
    ("not_before", "not_after", "verdict"),
    [
        (NOW - timedelta(days=400), NOW - timedelta(days=1), "var utløpt ("),
        (NOW + timedelta(days=5), NOW + timedelta(days=400), "var ikke gyldig ennå (fra "),
    ],
    ids=["expired", "not_yet_valid"],
)
def test_chain__intermediate_outside_its_validity__rejected_naming_the_ca(
    not_before: datetime, not_after: datetime, verdict: str
) -> None:
    root, _intermediate, _leaf = pki_chain()
    issuer = issue_certificate(
        "TEST Utsteder-CA utenfor gyldighet",
        root,
        ca=True,
        key_usage=CA_USAGE,
        not_before=not_before,
        not_after=not_after,
    )
    leaf = issue_certificate("TEST Virksomhet under CA-en", issuer, key_usage=SIGNER_USAGE)
    report = _verify(_signed(leaf), TrustStore(anchors=(root.certificate,)))
    assert report.exit_code == 1
    assert f"FEIL Et CA-sertifikat i kjeden {verdict}" in _trust_check(report)


@needs_openssl
def test_chain__expired_intermediate__openssl_agrees(tmp_path: Path) -> None:
    # The same verdict from openssl: "certificate has expired".
    root, _intermediate, _leaf = pki_chain()
    old = issue_certificate(
        "TEST Utløpt CA 2", root, ca=True, key_usage=CA_USAGE, not_after=NOW - timedelta(days=1)
    )
    leaf = issue_certificate("TEST Virksomhet 2", old, key_usage=SIGNER_USAGE)
    with zipfile.ZipFile(io.BytesIO(_signed(leaf))) as archive:
        archive.extractall(tmp_path)
    result = subprocess.run(
        [
            *("openssl", "cms", "-verify", "-binary", "-inform", "DER"),
            *("-in", SIGNATURE_NAME, "-content", "META-INF/ASiCManifest.xml"),
            *("-CAfile", str(_pem(tmp_path / "root.pem", root)), "-out", "/dev/null"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "certificate has expired" in result.stderr


def test_chain__anchor_without_key_cert_sign__rejected() -> None:
    anchor = issue_certificate("TEST Rot uten keyCertSign", ca=True, key_usage={"crl_sign"})
    leaf = issue_certificate("TEST Virksomhet 3", anchor, key_usage=SIGNER_USAGE)
    report = _verify(_signed(leaf), TrustStore(anchors=(anchor.certificate,)))
    assert report.exit_code == 1
    assert "keyCertSign" in _trust_check(report)


def test_chain__leaf_as_anchor_vouching_for_another__rejected() -> None:
    # A trusted end certificate (the signer's own) must not vouch for certificates it issued.
    own = credentials()
    forged = issue_certificate("TEST falsk virksomhet", own, key_usage=SIGNER_USAGE)
    report = _verify(_signed(forged), TrustStore(anchors=(own.certificate,)))
    assert report.exit_code == 1
    assert "ikke et CA-sertifikat" in _trust_check(report)


@pytest.mark.parametrize(
    ("usage", "extended", "expected"),
    [
        ({"key_cert_sign"}, None, "keyUsage"),
        (SIGNER_USAGE, [ExtendedKeyUsageOID.SERVER_AUTH], "extendedKeyUsage"),
    ],
)
def test_signer__wrong_key_usage__rejected(
    usage: set[str], extended: list[object] | None, expected: str
) -> None:
    root, intermediate, _leaf = pki_chain()
    leaf = issue_certificate(
        "TEST feil bruk",
        intermediate,
        key_usage=usage,
        extended_key_usage=extended,  # type: ignore[arg-type]
    )
    report = _verify(_signed(leaf), TrustStore(anchors=(root.certificate,)))
    assert report.exit_code == 1
    assert expected in _trust_check(report)


def test_signer__is_a_ca__rejected() -> None:
    root, intermediate, _leaf = pki_chain()
    report = _verify(_signed(intermediate), TrustStore(anchors=(root.certificate,)))
    assert report.exit_code == 1
    assert "CA-sertifikat (basicConstraints CA:TRUE)" in _trust_check(report)


def test_crl__signer_revoked_before_signing__rejected() -> None:
    root, intermediate, _leaf = pki_chain()
    leaf = issue_certificate("TEST tilbakekalt", intermediate, key_usage=SIGNER_USAGE)
    crl = make_crl(intermediate, {leaf.certificate.serial_number: NOW - timedelta(days=1)})
    report = _verify(_signed(leaf), TrustStore(anchors=(root.certificate,), crls=(crl,)))
    assert report.exit_code == 1
    assert "tilbakekalt" in _trust_check(report)


def test_crl__revoked_after_signing__signature_still_holds() -> None:
    root, intermediate, _leaf = pki_chain()
    leaf = issue_certificate("TEST senere tilbakekalt", intermediate, key_usage=SIGNER_USAGE)
    now = datetime.now(UTC)
    content = b"manifest"
    signed_at = now - timedelta(hours=2)
    signature = cms.sign_detached(
        content, leaf.certificate, leaf.key, leaf.chain, signing_time=signed_at
    )
    later = make_crl(intermediate, {leaf.certificate.serial_number: now - timedelta(hours=1)})
    trust = TrustStore(anchors=(root.certificate,), crls=(later,))
    verified = cms.verify_signed(signature, content, trust)
    assert verified.path.revocation_checked
    earlier = make_crl(intermediate, {leaf.certificate.serial_number: now - timedelta(hours=3)})
    with pytest.raises(CertificateProblem, match="tilbakekalt"):
        cms.verify_signed(
            signature, content, TrustStore(anchors=(root.certificate,), crls=(earlier,))
        )


def test_crl__intermediate_revoked__rejected() -> None:
    root, intermediate, leaf = pki_chain()
    crl = make_crl(root, {intermediate.certificate.serial_number: NOW - timedelta(days=1)})
    report = _verify(_signed(leaf), TrustStore(anchors=(root.certificate,), crls=(crl,)))
    assert report.exit_code == 1
    assert "CA-sertifikat i kjeden er tilbakekalt" in _trust_check(report)


def test_cli__crl_file_and_crl_folder__revoked_signer_exit_1(
    installation: Installation,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, intermediate, _leaf = pki_chain()
    leaf = issue_certificate("TEST CLI tilbakekalt", intermediate, key_usage=SIGNER_USAGE)
    made = tmp_path / "fil.asice"
    made.write_bytes(_signed(leaf))
    crl = make_crl(intermediate, {leaf.certificate.serial_number: NOW - timedelta(days=1)})
    (tmp_path / "utsteder.crl").write_bytes(crl)
    installation.create().close()
    monkeypatch.setenv("JSDESK_DB", str(installation.target))
    trust = ["--trust", str(_pem(tmp_path / "root.pem", root))]
    # (The sample records break the form's rules; this test is about the Tillit line.)
    assert main(["submission", "verify", str(made), *trust]) == 1
    assert "OK   Tillit" in capsys.readouterr().out
    assert (
        main(["submission", "verify", str(made), *trust, "--crl", str(tmp_path / "utsteder.crl")])
        == 1
    )
    assert "tilbakekalt" in capsys.readouterr().out
    # The same CRL dropped into the installation's crl/ folder: beside the local file, or
    # on this machine for the shared database.
    folder = database_target(str(installation.target)).local_folder / "crl"
    folder.mkdir(parents=True)
    (folder / "utsteder.crl").write_bytes(crl)
    assert main(["submission", "verify", str(made), *trust]) == 1
    assert "tilbakekalt" in capsys.readouterr().out


# --- Recipient certificates ----------------------------------------------------------------


def test_recipient__self_made_ca_without_key_usage__refused() -> None:
    ca = issue_certificate("TEST selvlaget CA-mottaker", ca=True)
    with pytest.raises(UserError, match="CA-sertifikat"):
        require_recipient_usable(ca.certificate)


def test_recipient__expired__refused() -> None:
    old = issue_certificate(
        "TEST utløpt mottaker",
        key_usage={"key_encipherment"},
        not_before=NOW - timedelta(days=100),
        not_after=NOW - timedelta(days=1),
    )
    with pytest.raises(UserError, match="ikke gyldig"):
        require_recipient_usable(old.certificate)


@pytest.mark.parametrize("usage", [None, {"digital_signature"}])
def test_recipient__without_key_encipherment__refused(usage: set[str] | None) -> None:
    signer_only = issue_certificate("TEST bare signering", key_usage=usage)
    with pytest.raises(UserError, match=r"keyEncipherment|key_encipherment"):
        require_recipient_usable(signer_only.certificate)


def test_recipient__under_expired_issuer__refused() -> None:
    root, _intermediate, _leaf = pki_chain()
    old = issue_certificate(
        "TEST Utløpt CA 3", root, ca=True, key_usage=CA_USAGE, not_after=NOW - timedelta(days=1)
    )
    recipient = issue_certificate("TEST mottaker 3", old, key_usage={"key_encipherment"})
    with pytest.raises(UserError, match="utløpt"):
        require_recipient_usable(
            recipient.certificate, TrustStore(anchors=(root.certificate,)), recipient.chain
        )


def test_recipient__good_certificate__accepted() -> None:
    require_recipient_usable(credentials("mottaker").certificate)


def test_cli_cert_recipient__ca_certificate__refused_with_message(
    cli_installation: Installation,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The recipient is the installation's: set by whoever owns it (the local file's user,
    # or IT's owner login of the shared database).
    it, it_secret = cli_installation.owner
    good = _pem(tmp_path / "mottaker.pem", credentials("mottaker"))
    if cli_installation.backend == "postgresql":  # a caseworker's own login may not
        assert main(["cert", "recipient", str(good)]) == 1  # refused
        err = capsys.readouterr().err
        assert "bare IT kan endre det" in err and "Traceback" not in err
    monkeypatch.setenv("JSDESK_PASSPHRASE", it_secret)
    ca = issue_certificate("TEST CA som mottaker", ca=True)
    assert main(["cert", "recipient", "--db", it, str(_pem(tmp_path / "ca.pem", ca))]) == 1
    assert "Mottakersertifikatet kan ikke brukes" in capsys.readouterr().err
    assert main(["cert", "recipient", "--db", it, str(good)]) == 0
    assert "krypteres heretter til CN=TEST" in capsys.readouterr().out


def test_validate__timestamping_purpose__needs_time_stamping_eku() -> None:
    root, intermediate, _leaf = pki_chain()
    tsa = issue_certificate(
        "TEST TSA",
        intermediate,
        key_usage={"digital_signature"},
        extended_key_usage=[ExtendedKeyUsageOID.TIME_STAMPING],
    )
    trust = TrustStore(anchors=(root.certificate,))
    path = validate_certificate(
        tsa.certificate, Purpose.TIMESTAMPING, trust, intermediates=tsa.chain
    )
    assert path.anchor == root.certificate
    with pytest.raises(CertificateProblem, match="timeStamping"):
        validate_certificate(_leaf_of(intermediate), Purpose.TIMESTAMPING, trust)
    with pytest.raises(UntrustedCertificate):
        validate_certificate(
            tsa.certificate, Purpose.TIMESTAMPING, TrustStore(anchors=(credentials().certificate,))
        )


def _leaf_of(issuer: SigningCredentials) -> object:
    return issue_certificate("TEST ikke TSA", issuer, key_usage={"digital_signature"}).certificate


def test_verify_signed__one_call_for_packages__signature_and_path() -> None:
    # The function update packages reuse: a signature that holds by a trusted signer.
    root, _intermediate, leaf = pki_chain()
    content = b"innhold i en pakke"
    signature = cms.sign_detached(content, leaf.certificate, leaf.key, leaf.chain)
    verified = cms.verify_signed(signature, content, TrustStore(anchors=(root.certificate,)))
    assert verified.info.signer == leaf.certificate
    assert verified.path.anchor == root.certificate
    with pytest.raises(UntrustedCertificate):
        cms.verify_signed(signature, content, TrustStore(anchors=(credentials().certificate,)))
    with pytest.raises(cms.SignatureProblem):
        cms.verify_signed(signature, content + b"!", TrustStore(anchors=(root.certificate,)))
