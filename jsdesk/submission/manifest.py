"""The ASiC-E manifest (``META-INF/ASiCManifest.xml``, ETSI EN 319 162-1, CAdES variant).

The manifest lists every data file with its SHA-256 digest and names the
signature file that signs the manifest. Parsing treats the XML as hostile: no
DOCTYPE or entity declarations, a size cap, and every reference checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

ASIC_NS = "http://uri.etsi.org/02918/v1.2.1#"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"
SIGNATURE_MIME = "application/x-pkcs7-signature"
# What a CAdES SigReference may say: jsdesk writes the first, other ASiC-E tools the second.
SIGNATURE_MIMES = (SIGNATURE_MIME, "application/pkcs7-signature")
MAX_MANIFEST_BYTES = 64 * 1024


class ManifestProblem(Exception):
    """The manifest is malformed; ``message`` says how, in Bokmål."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Manifest:
    signature_uri: str
    digests: Mapping[str, bytes]  # data file name -> SHA-256 digest


def build_manifest(files: Mapping[str, tuple[str, bytes]], signature_uri: str) -> bytes:
    """The manifest for ``files`` (name -> (MIME type, content)) signed by ``signature_uri``."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f'<asic:ASiCManifest xmlns:asic="{ASIC_NS}" xmlns:ds="{DSIG_NS}">',
        f"  <asic:SigReference URI={quoteattr(signature_uri)} "
        f"MimeType={quoteattr(SIGNATURE_MIME)}/>",
    ]
    for name, (mime, content) in files.items():
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode("ascii")
        lines += [
            f"  <asic:DataObjectReference URI={quoteattr(name)} MimeType={quoteattr(mime)}>",
            f'    <ds:DigestMethod Algorithm="{SHA256_URI}"/>',
            f"    <ds:DigestValue>{digest}</ds:DigestValue>",
            "  </asic:DataObjectReference>",
        ]
    lines.append("</asic:ASiCManifest>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def parse_manifest(data: bytes) -> Manifest:
    """Read a manifest; ``ManifestProblem`` for anything but a plain, well-formed one."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestProblem("Manifestet er urimelig stort og avvises.")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ManifestProblem("Manifestet inneholder DOCTYPE/ENTITY-deklarasjoner og avvises.")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise ManifestProblem("Manifestet er ikke gyldig XML.") from exc
    if root.tag != f"{{{ASIC_NS}}}ASiCManifest":
        raise ManifestProblem("Manifestet har feil rotelement eller navnerom (ASiCManifest).")
    sig_refs = root.findall(f"{{{ASIC_NS}}}SigReference")
    if len(sig_refs) != 1:
        raise ManifestProblem("Manifestet skal ha nøyaktig én SigReference.")
    signature_mime = sig_refs[0].get("MimeType")
    if signature_mime is not None and signature_mime not in SIGNATURE_MIMES:
        raise ManifestProblem(
            f"Manifestets SigReference oppgir {signature_mime!r}; en CAdES-signatur skal være "
            f"{' eller '.join(SIGNATURE_MIMES)}."
        )
    digests: dict[str, bytes] = {}
    for ref in root.findall(f"{{{ASIC_NS}}}DataObjectReference"):
        uri = ref.get("URI", "")
        if uri in digests:
            raise ManifestProblem(f"Manifestet lister {uri!r} to ganger.")
        method = ref.find(f"{{{DSIG_NS}}}DigestMethod")
        value = ref.find(f"{{{DSIG_NS}}}DigestValue")
        if method is None or method.get("Algorithm") != SHA256_URI:
            raise ManifestProblem(f"Manifestet oppgir ikke SHA-256 for {uri!r}.")
        if value is None or not value.text:
            raise ManifestProblem(f"Manifestet mangler sjekksum for {uri!r}.")
        try:
            digest = base64.b64decode(value.text.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ManifestProblem(f"Sjekksummen for {uri!r} i manifestet er skadet.") from exc
        if len(digest) != hashlib.sha256().digest_size:
            raise ManifestProblem(f"Sjekksummen for {uri!r} i manifestet har feil lengde.")
        digests[uri] = digest
    if not digests:
        raise ManifestProblem("Manifestet lister ingen datafiler.")
    return Manifest(signature_uri=sig_refs[0].get("URI", ""), digests=digests)
