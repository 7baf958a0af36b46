"""RFC 3161 time-stamps for CAdES B-T signatures.

When a time-stamping service (TSA) is configured (``jsdesk cert timestamp URL``
or ``submission create --timestamp-url``), the signature value is sent to it
(only its SHA-256 digest leaves the machine) and the returned token is added
to the signature. The token proves the signature existed at the TSA's time, so
the signer's certificate is validated at that time instead of at the signing
time the signer claims. Without a configured or reachable service the file is
signed B-B, as before (offline is the normal case).

The request is built with ``asn1crypto``; the answer is checked here (status,
nonce, message imprint) and again by the verifier (``cms.verify_timestamp_token``
and ``trust.validate_certificate(..., Purpose.TIMESTAMPING)``).
"""

from __future__ import annotations

import hashlib
import secrets
import urllib.error
import urllib.request

from asn1crypto import algos, tsp

from jsdesk.submission import cms
from jsdesk.submission.trust import Purpose, TrustStore, validate_certificate

TIMESTAMP_URL_SETTING = "submission.timestamp_url"
TIMEOUT_SECONDS = 15.0
MAX_RESPONSE_BYTES = 256 * 1024
_GRANTED = ("granted", "granted_with_mods")


class TimestampUnavailable(Exception):
    """No usable time-stamp was had; ``message`` says why, in Bokmål."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def request_timestamp(url: str, stamped: bytes, *, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """A DER time-stamp token (ContentInfo) over SHA-256 of ``stamped`` from the TSA at ``url``."""
    if not url.startswith(("http://", "https://")):
        raise TimestampUnavailable(f"Tidsstempeltjenesten {url!r} er ikke en http(s)-adresse.")
    nonce = secrets.randbits(63)
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "hashed_message": hashlib.sha256(stamped).digest(),
            },
            "nonce": nonce,
            "cert_req": True,
        }
    )
    http_request = urllib.request.Request(
        url,
        data=request.dump(),
        headers={"Content-Type": "application/timestamp-query"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as answer:
            body = answer.read(MAX_RESPONSE_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TimestampUnavailable(
            f"Tidsstempeltjenesten {url} svarte ikke ({getattr(exc, 'reason', exc)})."
        ) from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise TimestampUnavailable("Svaret fra tidsstempeltjenesten er urimelig stort.")
    try:
        response = tsp.TimeStampResp.load(body, strict=True)
        status = response["status"]["status"].native
        if status not in _GRANTED:
            raise TimestampUnavailable(f"Tidsstempeltjenesten avslo forespørselen ({status}).")
        token = response["time_stamp_token"]
        tst_info = token["content"]["encap_content_info"]["content"].parsed
        if tst_info["nonce"].native != nonce:
            raise TimestampUnavailable("Tidsstempelet svarer ikke på denne forespørselen (nonce).")
        token_der: bytes = token.dump()
    except TimestampUnavailable:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise TimestampUnavailable("Svaret fra tidsstempeltjenesten kan ikke leses.") from exc
    try:
        cms.verify_timestamp_token(token_der, stamped)
    except cms.SignatureProblem as exc:
        raise TimestampUnavailable(f"Tidsstempelet holder ikke: {exc.message}") from exc
    return token_der


def check_timestamp(token: bytes, stamped: bytes, trust: TrustStore) -> cms.TimestampInfo:
    """Verify a token over ``stamped`` and its TSA's certificate path at the token's time.

    Raises ``cms.SignatureProblem`` or ``trust.CertificateProblem``.
    """
    info = cms.verify_timestamp_token(token, stamped)
    validate_certificate(
        info.tsa, Purpose.TIMESTAMPING, trust, intermediates=info.chain, moment=info.time
    )
    return info
