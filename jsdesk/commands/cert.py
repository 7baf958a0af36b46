"""``jsdesk cert``: the signing certificate and the recipient's encryption certificate.

``import`` reads a virksomhetssertifikat (PKCS#12; password from the prompt or
``JSDESK_P12_PASSWORD``); ``create-test`` makes a pilot certificate clearly
named TEST (test installations only); ``show`` prints the current one and
warns when it expires within 30 days; ``export`` writes it as PEM for the
receiver's ``--trust``; ``trust`` adds a trust anchor for ``submission verify``
(kept as PEM in ``trust/`` beside the database; CRLs go in ``crl/``);
``recipient`` sets the certificate submissions are encrypted to.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from jsdesk.commands.db import add_db_argument, db_target, open_database
from jsdesk.errors import ExitCode, UserError, os_error_reason
from jsdesk.storage import installation_wide_refusal, refused_for_rights
from jsdesk.submission.container import write_atomic
from jsdesk.submission.credentials import (
    create_test_credentials,
    expiry_warning,
    load_certificate_file,
    load_credentials,
    load_pkcs12,
    load_recipient,
    require_usable,
    save_credentials,
    save_recipient,
)
from jsdesk.submission.timestamp import TIMESTAMP_URL_SETTING
from jsdesk.submission.trust import (
    CRL_FOLDER,
    TRUST_FOLDER,
    CertificateProblem,
    TrustStore,
    load_certificates,
    load_certificates_in,
    load_crl,
    load_crls_in,
    shipped_anchors,
)

P12_PASSWORD_ENV = "JSDESK_P12_PASSWORD"


def ask_p12_password(path: Path) -> str:
    env = os.environ.get(P12_PASSWORD_ENV)
    if env is not None:
        return env
    if not sys.stdin.isatty():
        raise UserError(
            f"Passordet til {path} mangler: sett {P12_PASSWORD_ENV} eller kjør kommandoen i et "
            "terminalvindu.",
            2,
        )
    return getpass.getpass(f"Passord for {path}: ")


def read_input_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UserError(f"Kan ikke lese {path}: {exc.strerror or exc}.", 2) from exc


def load_p12_file(path: Path) -> Any:
    data = read_input_file(path)
    try:
        return load_pkcs12(data, ask_p12_password(path))
    except UserError as exc:
        raise UserError(f"{path}: {exc.message}", 2) from exc


def installation_folder(args: argparse.Namespace) -> Path:
    """The folder on this machine that holds ``trust/`` and ``crl/``: beside the local
    file, or the shared database's own folder in the user's data folder."""
    return db_target(args).local_folder


@contextlib.contextmanager
def _installation_wide(args: argparse.Namespace, what: str) -> Iterator[None]:
    """A setting of the whole installation: on a shared database only IT's owner login
    may change it, and a caseworker's refusal says so."""
    try:
        yield
    except UserError as exc:
        if db_target(args).local_file is not None or not refused_for_rights(exc):
            raise
        raise UserError(installation_wide_refusal(what), exc.exit_code) from exc


def _where_kept(args: argparse.Namespace) -> str:
    """Where ``cert import``/``create-test`` keep the signing key, for the user."""
    if db_target(args).local_file is not None:
        return "(nøkkelen kryptert i databasen)"
    return (
        f"på denne maskinen i {installation_folder(args)}, bare lesbart for din bruker "
        "(aldri i den felles databasen)"
    )


def load_trust_store(args: argparse.Namespace) -> TrustStore:
    """Trust anchors from ``--trust``, the shipped register certificates and ``cert trust``."""
    try:
        given = [
            cert
            for path in args.trust or ()
            for cert in load_certificates(read_input_file(path), str(path))
        ]
        crls = [load_crl(read_input_file(path), str(path)) for path in args.crl or ()]
        return TrustStore.load(given=given, crls=crls, installation=installation_folder(args))
    except CertificateProblem as exc:
        raise UserError(exc.message, 2) from exc


def describe(credentials: Any) -> list[str]:
    cert = credentials.certificate
    lines = [
        f"Sertifikat: {cert.subject.rfc4514_string()}",
        f"Utsteder:   {cert.issuer.rfc4514_string()}",
        f"Gyldig:     {cert.not_valid_before_utc:%d.%m.%Y} – {cert.not_valid_after_utc:%d.%m.%Y}",
    ]
    if credentials.is_test:
        lines.append("Dette er et TESTSERTIFIKAT: bare for piloter og testinstallasjoner.")
    warning = expiry_warning(cert)
    if warning:
        lines.append(warning)
    return lines


def cmd_import(args: argparse.Namespace) -> int:
    credentials = load_p12_file(args.file)
    require_usable(credentials.certificate)
    with open_database(args) as db:
        if credentials.is_test and not db.settings.test_installation:
            raise UserError(
                "Testsertifikater kan bare brukes i en testinstallasjon; dette er en "
                "produksjonsinstallasjon.",
                1,
            )
        save_credentials(db.signing_store, credentials)
    print(f"Signeringssertifikatet er lagret {_where_kept(args)}.")
    print("\n".join(describe(credentials)))
    return 0


def cmd_create_test(args: argparse.Namespace) -> int:
    with open_database(args) as db:
        settings = db.settings
        if not settings.test_installation:
            raise UserError(
                "Testsertifikat kan bare lages i en testinstallasjon (jsdesk db init --test). "
                "Ekte innsendinger signeres med virksomhetssertifikatet: 'jsdesk cert import'.",
                1,
            )
        credentials = create_test_credentials(settings.kommunenummer, days=args.days)
        save_credentials(db.signing_store, credentials)
    print(f"Et testsertifikat er laget og lagret {_where_kept(args)}.")
    print("\n".join(describe(credentials)))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_database(args) as db:
        credentials = load_credentials(db.signing_store)
        recipient = load_recipient(db)
        timestamp_url = db.get_setting(TIMESTAMP_URL_SETTING)
    if credentials is None:
        print("Ingen signeringssertifikat er satt opp ('jsdesk cert import FIL.p12').")
    else:
        print("\n".join(describe(credentials)))
    if recipient is None:
        print("Mottakersertifikat: ikke satt (innsendinger krypteres ikke uten --encrypt-to).")
    else:
        print(f"Mottakersertifikat: {recipient.subject.rfc4514_string()}")
    print(f"Tidsstempeltjeneste: {timestamp_url or 'ingen (signaturer uten tidsstempel, B-B)'}")
    print("\n".join(describe_trust(installation_folder(args))))
    return 0 if credentials is not None else 1


def describe_trust(folder: Path) -> list[str]:
    """The trust anchors (shipped and added) and the CRLs in the installation."""
    try:
        added = load_certificates_in(folder / TRUST_FOLDER)
        crls = load_crls_in(folder / CRL_FOLDER)
    except CertificateProblem as exc:
        return [f"Advarsel: {exc.message}"]
    lines = ["Klarerte sertifikater (registerets, levert med programmet):"]
    lines += [f"  {_fingerprint(c)}  {c.subject.rfc4514_string()}" for c in shipped_anchors()]
    lines.append(f"Klarerte sertifikater lagt til med 'jsdesk cert trust' ({len(added)}):")
    lines += [f"  {_fingerprint(c)}  {c.subject.rfc4514_string()}" for c in added]
    lines.append(f"Tilbakekallingslister (CRL) i {folder / CRL_FOLDER}: {len(crls)}")
    return lines


def _fingerprint(certificate: x509.Certificate) -> str:
    return str(certificate.fingerprint(hashes.SHA256()).hex()[:16])


def cmd_timestamp(args: argparse.Namespace) -> int:
    if args.url is None and not args.off:
        raise UserError("Oppgi adressen til tidsstempeltjenesten, eller --off.", ExitCode.USAGE)
    url = "" if args.off else args.url
    if url and not url.startswith(("http://", "https://")):
        raise UserError(f"«{url}» er ikke en http(s)-adresse.", ExitCode.USAGE)
    with open_database(args) as db, _installation_wide(args, "Tidsstempeltjenesten"):
        db.set_setting(TIMESTAMP_URL_SETTING, url)
    if url:
        print(
            f"Innsendinger tidsstemples heretter av {url} (CAdES B-T) når tjenesten svarer; "
            "ellers signeres de uten tidsstempel (B-B)."
        )
    else:
        print("Innsendinger signeres uten tidsstempel (CAdES B-B).")
    return 0


def cmd_trust(args: argparse.Namespace) -> int:
    try:
        certificates = load_certificates(read_input_file(args.file), str(args.file))
    except CertificateProblem as exc:
        raise UserError(exc.message, 2) from exc
    folder = installation_folder(args) / TRUST_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for certificate in certificates:
        target = folder / f"{certificate.fingerprint(hashes.SHA256()).hex()}.pem"
        if target.exists():
            print(f"Allerede klarert: {certificate.subject.rfc4514_string()}")
            continue
        write_atomic(target, certificate.public_bytes(serialization.Encoding.PEM))
        print(
            f"Klarert heretter: {certificate.subject.rfc4514_string()} "
            f"(SHA-256 {_fingerprint(certificate)}…)."
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with open_database(args) as db:
        credentials = load_credentials(db.signing_store)
    if credentials is None:
        raise UserError("Ingen signeringssertifikat er satt opp.", 1)
    pem = b"".join(
        c.public_bytes(serialization.Encoding.PEM)
        for c in (credentials.certificate, *credentials.chain)
    )
    try:
        write_atomic(args.path, pem)
    except FileExistsError as exc:
        raise UserError(f"{args.path} finnes fra før; velg et annet filnavn.", 1) from exc
    except OSError as exc:
        raise UserError(f"Kan ikke skrive {args.path}: {os_error_reason(exc)}.", 1) from exc
    print(f"Sertifikatet (uten privat nøkkel) er skrevet til {args.path}.")
    return 0


def cmd_recipient(args: argparse.Namespace) -> int:
    certificate = load_certificate_file(str(args.file), read_input_file(args.file))
    with open_database(args) as db, _installation_wide(args, "Mottakersertifikatet"):
        save_recipient(db, certificate)
    print(f"Innsendinger krypteres heretter til {certificate.subject.rfc4514_string()}.")
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("cert", help="signerings- og mottakersertifikat")
    sub = parser.add_subparsers(dest="cert_command", metavar="UNDERKOMMANDO", required=True)

    imp = sub.add_parser("import", help="importer virksomhetssertifikat (PKCS#12)")
    add_db_argument(imp)
    imp.add_argument("file", type=Path, metavar="P12", help="PKCS#12-filen (.p12/.pfx)")
    imp.set_defaults(func=cmd_import)

    test = sub.add_parser("create-test", help="lag et testsertifikat (bare testinstallasjon)")
    add_db_argument(test)
    test.add_argument("--days", type=int, default=365, help="gyldighet i dager (standard 365)")
    test.set_defaults(func=cmd_create_test)

    show = sub.add_parser("show", help="vis sertifikatene som er satt opp")
    add_db_argument(show)
    show.set_defaults(func=cmd_show)

    export = sub.add_parser("export", help="skriv signeringssertifikatet som PEM (for --trust)")
    add_db_argument(export)
    export.add_argument("path", type=Path, metavar="FIL.pem")
    export.set_defaults(func=cmd_export)

    trust = sub.add_parser(
        "trust", help="klarer et sertifikat (utsteder eller signatar) for 'submission verify'"
    )
    add_db_argument(trust)
    trust.add_argument("file", type=Path, metavar="SERT.pem")
    trust.set_defaults(func=cmd_trust)

    stamp = sub.add_parser(
        "timestamp", help="sett tidsstempeltjenesten (RFC 3161) for CAdES B-T-signaturer"
    )
    add_db_argument(stamp)
    stamp.add_argument("url", nargs="?", metavar="URL", help="tjenestens adresse (http/https)")
    stamp.add_argument("--off", action="store_true", help="ingen tidsstempel (B-B)")
    stamp.set_defaults(func=cmd_timestamp)

    recipient = sub.add_parser("recipient", help="sett mottakerens krypteringssertifikat")
    add_db_argument(recipient)
    recipient.add_argument("file", type=Path, metavar="SERT.pem")
    recipient.set_defaults(func=cmd_recipient)
