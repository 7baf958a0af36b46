"""The interop matrix of docs/submission.md, re-run: openssl, BouncyCastle and jsdesk on each
other's signatures and envelopes. Each row runs where its tool is installed (.ci/run installs
openssl, Java and Debian's BouncyCastle).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from submission_support import credentials, sample_container

from jsdesk.submission import cms
from jsdesk.submission.container import MANIFEST_NAME, SIGNATURE_NAME
from jsdesk.submission.verify import verify_bytes

ROOT = Path(__file__).resolve().parent.parent
OPENSSL = shutil.which("openssl")
JAVA = shutil.which("java")
JAVAC = shutil.which("javac")
BC_JARS = [Path("/usr/share/java") / f"{name}.jar" for name in ("bcprov", "bcpkix", "bcutil")]
HAS_BC = JAVA is not None and JAVAC is not None and all(jar.exists() for jar in BC_JARS)
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is installed by .ci/run")
needs_bc = pytest.mark.skipif(
    not HAS_BC, reason="Java and libbcprov-java/libbcpkix-java are installed by .ci/run"
)

# The commands of the matrix in docs/submission.md; a test checks the document lists them.
OPENSSL_VERIFY = (
    "openssl cms -verify -binary -inform DER -in META-INF/signature.p7s "
    "-content META-INF/ASiCManifest.xml -CAfile signer.pem -purpose any -out /dev/null"
)
OPENSSL_DECRYPT = (
    "openssl cms -decrypt -binary -inform DER -in F.asice.p7m -recip cert.pem -inkey key.pem "
    "-out F.asice"
)
OPENSSL_ENCRYPT_OAEP = (
    "openssl cms -encrypt -binary -aes-256-cbc -outform DER -in F.asice -out F.asice.p7m "
    "-recip cert.pem -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 "
    "-keyopt rsa_mgf1_md:sha256"
)
OPENSSL_ENCRYPT_PKCS1 = (
    "openssl cms -encrypt -binary -aes-256-cbc -outform DER -in F.asice -out F.asice.p7m "
    "-recip cert.pem"
)
BC_DECRYPT = (
    "java -cp bcprov.jar:bcpkix.jar:bcutil.jar BcCheck decrypt F.asice.p7m cert.pem key.pem F.asice"
)
BC_VERIFY = (
    "java -cp bcprov.jar:bcpkix.jar:bcutil.jar BcCheck verify META-INF/signature.p7s "
    "META-INF/ASiCManifest.xml"
)
MATRIX_COMMANDS = (
    OPENSSL_VERIFY,
    OPENSSL_DECRYPT,
    OPENSSL_ENCRYPT_OAEP,
    OPENSSL_ENCRYPT_PKCS1,
    BC_DECRYPT,
    BC_VERIFY,
)


def _run(command: str, cwd: Path, **names: str) -> subprocess.CompletedProcess[str]:
    """Run a matrix command in ``cwd``; ``names`` replaces placeholder words (e.g. jar paths)."""
    words = command.split()
    words = [names.get(word, word) for word in words]
    return subprocess.run(words, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A signed container (F.asice), the recipient's cert.pem/key.pem and signer.pem."""
    recipient = credentials("mottaker")
    (tmp_path / "F.asice").write_bytes(sample_container())
    (tmp_path / "cert.pem").write_bytes(
        recipient.certificate.public_bytes(serialization.Encoding.PEM)
    )
    (tmp_path / "key.pem").write_bytes(
        recipient.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "signer.pem").write_bytes(
        credentials().certificate.public_bytes(serialization.Encoding.PEM)
    )
    return tmp_path


@pytest.fixture(scope="session")
def bc_classes(tmp_path_factory: pytest.TempPathFactory) -> str:
    """BcCheck compiled once; the class path for running it."""
    out = tmp_path_factory.mktemp("bc")
    classpath = ":".join(str(jar) for jar in BC_JARS)
    subprocess.run(
        [str(JAVAC), "-cp", classpath, "-d", str(out), str(ROOT / "tests/interop/BcCheck.java")],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return f"{out}:{classpath}"


def _bc(command: str, cwd: Path, classpath: str) -> subprocess.CompletedProcess[str]:
    return _run(command, cwd, **{"bcprov.jar:bcpkix.jar:bcutil.jar": classpath})


def _envelope_default(files: Path) -> bytes:
    inner = (files / "F.asice").read_bytes()
    wrapped = cms.envelope(inner, credentials("mottaker").certificate)
    (files / "F.asice").unlink()
    (files / "F.asice.p7m").write_bytes(wrapped)
    return inner


def test_matrix__documented_in_docs_submission_md() -> None:
    text = (ROOT / "docs/submission.md").read_text(encoding="utf-8")
    for command in MATRIX_COMMANDS:
        assert command in text, command


@needs_openssl
def test_matrix__openssl_verifies_jsdesk_signature(files: Path) -> None:
    with zipfile.ZipFile(files / "F.asice") as archive:
        archive.extractall(files)
    result = _run(OPENSSL_VERIFY, files)
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr


@needs_openssl
def test_matrix__openssl_decrypts_jsdesk_oaep_envelope(files: Path) -> None:
    inner = _envelope_default(files)
    printed = _run("openssl cms -cmsout -print -inform DER -in F.asice.p7m", files)
    assert "rsaesOaep" in printed.stdout
    result = _run(OPENSSL_DECRYPT, files)
    assert result.returncode == 0, result.stderr
    assert (files / "F.asice").read_bytes() == inner


@needs_openssl
@pytest.mark.parametrize(
    ("command", "transport"),
    [(OPENSSL_ENCRYPT_OAEP, "RSAES-OAEP"), (OPENSSL_ENCRYPT_PKCS1, "PKCS#1 v1.5")],
)
def test_matrix__jsdesk_decrypts_openssl_envelope(
    files: Path, command: str, transport: str
) -> None:
    result = _run(command, files)
    assert result.returncode == 0, result.stderr
    report = verify_bytes(
        (files / "F.asice.p7m").read_bytes(),
        trusted=[credentials().certificate],
        decrypt_with=credentials("mottaker"),
        check_rules=False,
    )
    assert report.exit_code == 0, report.lines()
    assert transport in report.checks[0].detail


@needs_bc
def test_matrix__bouncycastle_decrypts_jsdesk_oaep_envelope(files: Path, bc_classes: str) -> None:
    inner = _envelope_default(files)
    result = _bc(BC_DECRYPT, files, bc_classes)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "key transport 1.2.840.113549.1.1.7" in result.stdout  # rsaesOaep
    assert (files / "F.asice").read_bytes() == inner


@needs_bc
def test_matrix__bouncycastle_verifies_jsdesk_signature(files: Path, bc_classes: str) -> None:
    with zipfile.ZipFile(files / "F.asice") as archive:
        archive.extractall(files)
    result = _bc(BC_VERIFY, files, bc_classes)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verified" in result.stdout


@needs_bc
def test_matrix__bouncycastle_rejects_changed_manifest(files: Path, bc_classes: str) -> None:
    # The check can fail: a manifest changed after signing does not verify.
    with zipfile.ZipFile(io.BytesIO((files / "F.asice").read_bytes())) as archive:
        archive.extractall(files)
    manifest = files / MANIFEST_NAME
    manifest.write_bytes(manifest.read_bytes().replace(b"MimeType", b"Mimetype", 1))
    assert (files / SIGNATURE_NAME).exists()
    result = _bc(BC_VERIFY, files, bc_classes)
    assert result.returncode != 0
