"""CAdES B-T: signature time-stamps from an RFC 3161 service on loopback, checked by jsdesk,
openssl, pyHanko and BouncyCastle; B-B stays the offline default.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import socket
import subprocess
import zipfile
from pathlib import Path

import pytest
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from storage_helpers import Installation
from submission_support import (
    PASSPHRASE,
    copy_db,
    credentials,
    issue_certificate,
    local_tsa,
    make_template_db,
    pki_chain,
    rewrite_zip,
    sample_payload,
    tsa_credentials,
)
from test_submission_interop import BC_VERIFY, HAS_BC, _bc, bc_classes  # noqa: F401

from jsdesk.cli import main
from jsdesk.storage import Database
from jsdesk.submission.container import MANIFEST_NAME, SIGNATURE_NAME, build_container
from jsdesk.submission.create import create_submission, plan_submission
from jsdesk.submission.timestamp import TimestampUnavailable, request_timestamp
from jsdesk.submission.trust import TrustStore
from jsdesk.submission.verify import Report, verify_bytes

OPENSSL = shutil.which("openssl")


def _b_t_container(url: str) -> bytes:
    _root, _intermediate, leaf = pki_chain()
    return build_container(
        sample_payload(),
        leaf.certificate,
        leaf.key,
        leaf.chain,
        timestamper=lambda signature: request_timestamp(url, signature),
    )


def _signature(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(SIGNATURE_NAME)


def _check(report: Report, name: str) -> str:
    found = [c for c in report.checks if c.name == name]
    assert found, report.lines()
    return ("OK " if found[0].ok else "FEIL ") + found[0].detail


def _trust_root() -> TrustStore:
    return TrustStore(anchors=(pki_chain()[0].certificate,))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_b_t__local_tsa__token_in_signature_and_verified() -> None:
    with local_tsa() as url:
        data = _b_t_container(url)
    signer_info = asn1_cms.ContentInfo.load(_signature(data))["content"]["signer_infos"][0]
    assert [a["type"].native for a in signer_info["unsigned_attrs"]] == [
        "signature_time_stamp_token"
    ]
    report = verify_bytes(data, trust=_trust_root(), check_rules=False)
    assert report.exit_code == 0, report.lines()
    assert "TEST Tidsstempeltjeneste" in _check(report, "Tidsstempel")
    assert _check(report, "Tidsstempel").startswith("OK")


def test_b_b__no_timestamp__noted_not_failed() -> None:
    _root, _intermediate, leaf = pki_chain()
    data = build_container(sample_payload(), leaf.certificate, leaf.key, leaf.chain)
    report = verify_bytes(data, trust=_trust_root(), check_rules=False)
    assert report.exit_code == 0
    assert any("uten tidsstempel" in n or "ikke tidsstempel" in n for n in report.notes)


def test_b_t__token_from_another_signature__rejected() -> None:
    with local_tsa() as url:
        first = _b_t_container(url)
        second = _b_t_container(url)
    stolen = asn1_cms.ContentInfo.load(_signature(first))["content"]["signer_infos"][0][
        "unsigned_attrs"
    ]
    info = asn1_cms.ContentInfo.load(_signature(second))
    info["content"]["signer_infos"][0]["unsigned_attrs"] = stolen
    forged = info.dump(force=True)

    def swap(name: str, content: bytes) -> bytes:
        return forged if name == SIGNATURE_NAME else content

    report = verify_bytes(rewrite_zip(second, swap), trust=_trust_root(), check_rules=False)
    assert report.exit_code == 1
    assert "gjelder ikke denne signaturen" in _check(report, "Tidsstempel")


def test_b_t__tsa_not_trusted__rejected() -> None:
    stranger = issue_certificate(
        "TEST ukjent TSA",
        key_usage={"digital_signature"},
        extended_key_usage=[ExtendedKeyUsageOID.TIME_STAMPING],
    )
    with local_tsa(stranger) as url:
        data = _b_t_container(url)
    report = verify_bytes(data, trust=_trust_root(), check_rules=False)
    assert report.exit_code == 1
    assert "ikke klarert" in _check(report, "Tidsstempel")


def test_request__service_down__unavailable_in_bokmal() -> None:
    with pytest.raises(TimestampUnavailable, match="svarte ikke"):
        request_timestamp(f"http://127.0.0.1:{_free_port()}/tsa", b"signatur", timeout=5)


@pytest.mark.skipif(OPENSSL is None, reason="openssl is installed by .ci/run")
def test_b_t__openssl_verifies_signature_with_timestamp(tmp_path: Path) -> None:
    root = pki_chain()[0]
    with local_tsa() as url:
        data = _b_t_container(url)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path)
    (tmp_path / "root.pem").write_bytes(root.certificate.public_bytes(serialization.Encoding.PEM))
    result = subprocess.run(
        [
            *("openssl", "cms", "-verify", "-binary", "-inform", "DER"),
            *("-in", SIGNATURE_NAME, "-content", MANIFEST_NAME),
            *("-CAfile", "root.pem", "-purpose", "any", "-out", "/dev/null"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_b_t__pyhanko_validates_signature_and_timestamp() -> None:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(
        pki_chain()[0].certificate.public_bytes(serialization.Encoding.DER)
    )
    with local_tsa() as url:
        data = _b_t_container(url)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = archive.read(MANIFEST_NAME)
    signed = asn1_cms.ContentInfo.load(_signature(data))["content"]
    status = asyncio.run(
        async_validate_detached_cms(
            manifest,
            signed,
            signer_validation_context=ValidationContext(trust_roots=[root]),
            ts_validation_context=ValidationContext(trust_roots=[root]),
        )
    )
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.trusted


@pytest.mark.skipif(not HAS_BC, reason="Java and BouncyCastle are installed by .ci/run")
def test_b_t__bouncycastle_verifies_signature_with_timestamp(
    tmp_path: Path,
    bc_classes: str,  # noqa: F811
) -> None:
    with local_tsa() as url:
        data = _b_t_container(url)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path)
    result = _bc(BC_VERIFY, tmp_path, bc_classes)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "signature time-stamp present" in result.stdout


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_db(tmp_path_factory.mktemp("template"), records=10)


def test_export__timestamp_configured_and_reachable__b_t_file(
    template: Path, tmp_path: Path
) -> None:
    db_path = copy_db(template, tmp_path / "db")
    (db_path.parent / "trust").mkdir()
    (db_path.parent / "trust" / "rot.pem").write_bytes(
        pki_chain()[0].certificate.public_bytes(serialization.Encoding.PEM)
    )
    out = tmp_path / "ut"
    out.mkdir()
    with local_tsa() as url, Database.open(db_path, PASSPHRASE) as db:
        result = create_submission(db, plan_submission(db), out, timestamp_url=url)
    assert result.warnings == ()
    report = verify_bytes(
        result.path.read_bytes(), trusted=[credentials().certificate, pki_chain()[0].certificate]
    )
    assert _check(report, "Tidsstempel").startswith("OK"), report.lines()


def test_export__timestamp_service_unreachable__b_b_file_with_warning(
    template: Path, tmp_path: Path
) -> None:
    db_path = copy_db(template, tmp_path / "db")
    out = tmp_path / "ut"
    out.mkdir()
    with Database.open(db_path, PASSPHRASE) as db:
        db.set_setting("submission.timestamp_url", f"http://127.0.0.1:{_free_port()}/tsa")
        result = create_submission(db, plan_submission(db), out)
    assert any("uten tidsstempel (CAdES B-B)" in w for w in result.warnings)
    report = verify_bytes(result.path.read_bytes(), trusted=[credentials().certificate])
    assert report.exit_code == 0, report.lines()
    assert not [c for c in report.checks if c.name == "Tidsstempel"]


def test_cli_cert_timestamp__set_shown_and_off(
    cli_installation: Installation,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The service is the installation's: set by whoever owns it (the local file's user, or
    # IT's owner login of the shared database), shown to the caseworker (``JSDESK_DB``).
    it, it_secret = cli_installation.owner
    assert main(["cert", "create-test"]) == 0  # ``cert show`` needs a signing certificate

    def as_it(*args: str) -> int:
        with monkeypatch.context() as patch:
            patch.setenv("JSDESK_PASSPHRASE", it_secret)
            return main(["cert", "timestamp", "--db", it, *args])

    assert as_it("http://127.0.0.1:9/tsa") == 0
    assert main(["cert", "show"]) == 0
    assert "Tidsstempeltjeneste: http://127.0.0.1:9/tsa" in capsys.readouterr().out
    assert as_it("--off") == 0
    assert main(["cert", "show"]) == 0
    assert "Tidsstempeltjeneste: ingen" in capsys.readouterr().out
    assert as_it("ftp://x") == 64  # a usage error
    assert as_it() == 64
    if cli_installation.backend == "postgresql":  # a caseworker's own login may not
        assert main(["cert", "timestamp", "http://tsa.example"]) == 1  # refused: only IT may
        err = capsys.readouterr().err
        assert "bare IT kan endre det" in err and "Traceback" not in err
        assert main(["cert", "show"]) == 0
        assert "Tidsstempeltjeneste: ingen" in capsys.readouterr().out


def test_export__unreadable_file_in_trust_folder__bokmal_user_error(
    template: Path, tmp_path: Path
) -> None:
    from jsdesk.errors import UserError

    db_path = copy_db(template, tmp_path / "db")
    (db_path.parent / "trust").mkdir()
    (db_path.parent / "trust" / "tull.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\ntull\n")
    out = tmp_path / "ut"
    out.mkdir()
    with Database.open(db_path, PASSPHRASE) as db, pytest.raises(UserError, match=r"tull\.pem"):
        create_submission(db, plan_submission(db), out)
    assert list(out.iterdir()) == []


def test_b_t__token_with_two_signers__rejected_saying_so() -> None:
    with local_tsa() as url:
        data = _b_t_container(url)
    info = asn1_cms.ContentInfo.load(_signature(data))
    attribute = info["content"]["signer_infos"][0]["unsigned_attrs"][0]
    token = attribute["values"][0]
    one = token["content"]["signer_infos"][0]
    token["content"]["signer_infos"] = [one, one]
    attribute["values"] = [asn1_cms.ContentInfo.load(token.dump(force=True))]
    forged = info.dump(force=True)

    def swap(name: str, content: bytes) -> bytes:
        return forged if name == SIGNATURE_NAME else content

    report = verify_bytes(rewrite_zip(data, swap), trust=_trust_root(), check_rules=False)
    assert report.exit_code == 1
    assert _check(report, "Tidsstempel") == "FEIL Tidsstempelet skal ha nøyaktig én signatar."


def test_b_t__token_time_without_zone__read_as_utc() -> None:
    """RFC 3161 asks for UTC ("Z"); a service that leaves the zone out is read as UTC,
    as the time is shown, rather than failing the comparison with the signing time."""
    import hashlib

    from asn1crypto import core
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    with local_tsa() as url:
        data = _b_t_container(url)
    info = asn1_cms.ContentInfo.load(_signature(data))
    attribute = info["content"]["signer_infos"][0]["unsigned_attrs"][0]
    token = attribute["values"][0]
    signed = token["content"]
    tst_info = signed["encap_content_info"]["content"].parsed
    stamped_at = tst_info["gen_time"].native
    tst_info["gen_time"] = core.GeneralizedTime(
        contents=stamped_at.strftime("%Y%m%d%H%M%S").encode("ascii")
    )
    tst_der = tst_info.dump()
    signed["encap_content_info"]["content"] = core.ParsableOctetString(tst_der)
    signer_info = signed["signer_infos"][0]
    for attr in signer_info["signed_attrs"]:
        if attr["type"].native == "message_digest":
            attr["values"] = [hashlib.sha256(tst_der).digest()]
    assert signer_info["digest_algorithm"]["algorithm"].native == "sha256"
    to_sign = signer_info["signed_attrs"].untag().dump()
    signer_info["signature"] = tsa_credentials().key.sign(  # type: ignore[call-arg]
        to_sign,
        padding.PKCS1v15(),  # type: ignore[arg-type]
        hashes.SHA256(),  # type: ignore[arg-type]
    )
    attribute["values"] = [asn1_cms.ContentInfo.load(token.dump())]
    forged = info.dump()

    def swap(name: str, content: bytes) -> bytes:
        return forged if name == SIGNATURE_NAME else content

    report = verify_bytes(rewrite_zip(data, swap), trust=_trust_root(), check_rules=False)
    assert report.exit_code == 0, report.lines()
    assert _check(report, "Tidsstempel").startswith("OK ")
    assert f"{stamped_at:%d.%m.%Y %H:%M:%S} UTC" in " ".join(report.lines())
