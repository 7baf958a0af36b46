"""Who may publish update packages: the form owner's certificates, and test publishers.

A package is accepted only when its signer's certificate is one of these (the
certificates are pinned: each is a trust anchor of its own, nothing it was issued
by is trusted for packages):

- the form owner's publisher certificates shipped with the program
  (``resources/publishers/*.pem``);
- test publishers this installation was told to trust (``<data>/pakker/utgivere/``),
  made with ``jsdesk package create-test-publisher``. Never in a production
  installation: the command says so.

The register's own trust anchors (``resources/trust/``) are not used here: a
submission signer is not a publisher of forms.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from jsdesk.installed import packages_folder
from jsdesk.paths import publishers_dir
from jsdesk.submission.credentials import SigningCredentials, create_test_credentials
from jsdesk.submission.trust import TrustStore, load_certificates_in

TEST_PUBLISHERS_FOLDER = "utgivere"


def test_publishers_folder() -> Path:
    return packages_folder() / TEST_PUBLISHERS_FOLDER


def publisher_trust() -> TrustStore:
    """The publishers whose packages this installation accepts."""
    anchors = [
        *load_certificates_in(publishers_dir()),
        *load_certificates_in(test_publishers_folder()),
    ]
    return TrustStore(anchors=tuple(anchors))


def create_test_publisher(name: str, *, days: int = 365) -> SigningCredentials:
    """A self-signed code-signing certificate, named as a test, for trying packages."""
    return create_test_credentials(name, days=days, role="pakkeutgiver", code_signing=True)


def trust_test_publisher(certificate: x509.Certificate) -> Path:
    """Make this installation accept packages signed with ``certificate``; its file."""
    folder = test_publishers_folder()
    folder.mkdir(parents=True, exist_ok=True)
    serial = format(certificate.serial_number, "x")[:16]
    path = folder / f"testutgiver-{serial}.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path
