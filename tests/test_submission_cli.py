"""``jsdesk submission`` and ``jsdesk cert`` on the command line, on both back ends (on a
shared database as a login that may submit, ``jsdesk_innsender``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from storage_helpers import Installation
from submission_support import PASSPHRASE, copy_db, credentials, fill, flip, make_template_db

from jsdesk.cli import main
from jsdesk.submission.credentials import to_pkcs12

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_db(tmp_path_factory.mktemp("template"), records=20)


@pytest.fixture
def env(
    installation: Installation,
    template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """The 20 demo records and a signing certificate on each back end: a copy of the
    local file, or a shared database (Oslo, the whole municipality) the submitter's login
    fills; ``jsdesk`` finds it through ``JSDESK_DB``."""
    if installation.backend == "sqlite":
        target, secret = str(copy_db(template, tmp_path / "db")), PASSPHRASE
    else:
        with installation.create(bydel=None) as db:
            fill(db, records=20)
        target, secret = str(installation.target), installation.secret
    monkeypatch.setenv("JSDESK_DB", target)
    monkeypatch.setenv("JSDESK_PASSPHRASE", secret)
    monkeypatch.delenv("JSDESK_P12_PASSWORD", raising=False)
    (tmp_path / "ut").mkdir()
    return tmp_path


def _create(env: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Path:
    assert main(["submission", "create", "--out", str(env / "ut"), *extra]) == 0
    (made,) = [p for p in (env / "ut").iterdir() if not p.name.startswith(".")]
    capsys.readouterr()
    return made


def test_cli_create__dry_run__lists_left_out_and_writes_nothing(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submission", "create", "--out", str(env / "ut"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Med i innsendingen:" in out
    assert "Utelatt fordi de ikke er komplette" in out
    assert "Ikke komplett for stadiet" in out
    assert list((env / "ut").iterdir()) == []


def test_cli_verify__fresh_file_with_trust__exit_0(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = _create(env, capsys)
    assert made.name.startswith("TEST-")
    assert main(["cert", "export", str(env / "signer.pem")]) == 0
    code = main(["submission", "verify", str(made), "--trust", str(env / "signer.pem")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "TESTDATA" in out and "alle kontroller holder" in out


def test_cli_verify__tampered__exit_1(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = _create(env, capsys)
    with zipfile.ZipFile(made) as source:
        items = [(i, source.read(i)) for i in source.infolist()]
    with zipfile.ZipFile(env / "tampered.asice", "w") as target:
        for info, content in items:
            if info.filename == "submission.json":
                content = flip(content, len(content) // 2)
            target.writestr(info, content)
    assert main(["submission", "verify", str(env / "tampered.asice")]) == 1
    assert "FEIL" in capsys.readouterr().out


def test_cli_verify__missing_or_garbage_file__exit_2(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submission", "verify", str(env / "finnes-ikke.asice")]) == 2
    (env / "tull.asice").write_bytes(b"dette er ikke en zip")
    assert main(["submission", "verify", str(env / "tull.asice")]) == 2
    assert "kan ikke leses" in capsys.readouterr().out


def test_cli_list__after_create__shows_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["submission", "list"]) == 0
    assert "Ingen innsendinger" in capsys.readouterr().out
    made = _create(env, capsys)
    assert main(["submission", "list"]) == 0
    out = capsys.readouterr().out
    assert made.name in out and "TEST" in out


def test_cli_cert_import__wrong_password__exit_2_bokmal(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (env / "virksomhet.p12").write_bytes(to_pkcs12(credentials("andre"), "riktig-passord"))
    monkeypatch.setenv("JSDESK_P12_PASSWORD", "feil-passord")
    assert main(["cert", "import", str(env / "virksomhet.p12")]) == 2
    assert "feil passord" in capsys.readouterr().err
    monkeypatch.setenv("JSDESK_P12_PASSWORD", "riktig-passord")
    assert main(["cert", "import", str(env / "virksomhet.p12")]) == 0
    assert "0301 andre" in capsys.readouterr().out
    assert main(["cert", "show"]) == 0
    assert "0301 andre" in capsys.readouterr().out


def test_cli_encrypted__decrypt_with_p12__exit_0(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    recipient = credentials("mottaker")
    (env / "mottaker.pem").write_bytes(
        recipient.certificate.public_bytes(serialization.Encoding.PEM)
    )
    (env / "mottaker.p12").write_bytes(to_pkcs12(recipient, "mottaker-passord"))
    made = _create(env, capsys, "--encrypt-to", str(env / "mottaker.pem"))
    assert made.name.endswith(".asice.p7m")
    assert main(["submission", "verify", str(made)]) == 2
    assert "--decrypt-with" in capsys.readouterr().out
    monkeypatch.setenv("JSDESK_P12_PASSWORD", "mottaker-passord")
    assert main(["cert", "export", str(env / "signer.pem")]) == 0
    code = main(
        [
            *("submission", "verify", str(made), "--trust", str(env / "signer.pem")),
            *("--decrypt-with", str(env / "mottaker.p12")),
        ]
    )
    assert code == 0, capsys.readouterr().out


def test_cli_verify__unknown_signer_without_trust__exit_1_and_signer_shown(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Re-signed by anyone with a self-signed certificate: never "alle kontroller holder".
    made = _create(env, capsys)
    assert main(["submission", "verify", str(made)]) == 1
    out = capsys.readouterr().out
    assert "FEIL Tillit" in out
    assert "TEST jsdesk pilot 0301 signer" in out  # the signer is named
    assert "alle kontroller holder" not in out
    assert "består IKKE kontrollen" in out


def test_cli_cert_trust__added_anchor__verify_holds_and_show_lists_it(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = _create(env, capsys)
    assert main(["cert", "export", str(env / "signer.pem")]) == 0
    assert main(["cert", "trust", str(env / "signer.pem")]) == 0
    assert "Klarert heretter" in capsys.readouterr().out
    assert main(["submission", "verify", str(made)]) == 0, capsys.readouterr().out
    capsys.readouterr()
    assert main(["cert", "show"]) == 0
    out = capsys.readouterr().out
    added = out.split("lagt til med 'jsdesk cert trust' (1):")[1]
    assert "TEST jsdesk pilot 0301 signer" in added.splitlines()[1]
    assert "Buypass Class 3 Root CA" in out  # the shipped register anchor


def test_cli_verify__garbage_trust_file__exit_2_bokmal(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = _create(env, capsys)
    (env / "tull.pem").write_bytes(
        b"-----BEGIN CERTIFICATE-----\ntull\n-----END CERTIFICATE-----\n"
    )
    assert main(["submission", "verify", str(made), "--trust", str(env / "tull.pem")]) == 2
    assert "ikke et lesbart X.509-sertifikat" in capsys.readouterr().err


def test_cli_create_test_cert__production__refused(
    installation: Installation,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installation.create(test=False).close()
    monkeypatch.setenv("JSDESK_DB", str(installation.target))
    monkeypatch.setenv("JSDESK_PASSPHRASE", installation.secret)
    assert main(["cert", "create-test"]) == 1
    assert "testinstallasjon" in capsys.readouterr().err
    assert main(["cert", "show"]) == 1  # nothing was stored
    assert "Ingen signeringssertifikat" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is installed by .ci/run")
def test_cli_subprocess__created_file__jsdesk_and_openssl_accept(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = _create(env, capsys)
    assert main(["cert", "export", str(env / "signer.pem")]) == 0
    child_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    trust = str(env / "signer.pem")
    verify = subprocess.run(
        [sys.executable, "-m", "jsdesk", "submission", "verify", str(made), "--trust", trust],
        env=child_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    with zipfile.ZipFile(made) as archive:
        archive.extractall(env / "x")
    openssl = subprocess.run(
        [
            *("openssl", "cms", "-verify", "-binary", "-inform", "DER"),
            *("-in", "META-INF/signature.p7s", "-content", "META-INF/ASiCManifest.xml"),
            *("-CAfile", trust, "-purpose", "any", "-out", os.devnull),
        ],
        cwd=env / "x",
        capture_output=True,
        text=True,
        check=False,
    )
    assert openssl.returncode == 0, openssl.stderr
