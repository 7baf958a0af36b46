"""Why a connection to the shared database failed, told apart without reading messages.

libpq reports a failed connection without an SQLSTATE, so ``backend.classify`` only
knows whether a password was tried. This module asks further, each step by what it
observes, not by an error text:

- the server's TLS: a TCP connection and PostgreSQL's own ``SSLRequest``, then a TLS
  handshake checked against the CA file the URL names (``ssl.SSLCertVerificationError``
  means the certificate does not match the CA or the host name);
- after a refused login: the same login to the ``template1`` database, which every
  cluster has. If that succeeds the password is right, and ``pg_database`` says
  whether the database is missing or the login has no access to it; if it fails
  too, the user name or password is wrong.
"""

from __future__ import annotations

import socket
import ssl
import struct
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from jsdesk.storage.backend import connect_timeout, server_url
from jsdesk.storage.errors import classify

SSL_REQUEST = struct.pack("!ii", 8, 80877103)  # PostgreSQL's "please speak TLS" message


def password_needed(url: str) -> str:
    """Says that the login ``url`` names needs a password and none was given."""
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}/{parts.path.lstrip('/')}"
    return (
        f"Den felles databasen {where} ber om passordet for «{parts.username or '?'}», og "
        "det er ikke oppgitt. Skriv det når jsdesk spør, eller sett JSDESK_PASSPHRASE."
    )


def explain_failed_connection(url: str, password: str | None, kind: str | None) -> str | None:
    """A precise Bokmål message for a connection that failed as ``kind`` ('login' or
    'unreachable', see ``backend.classify``), or None when nothing more is known."""
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 5432
    database = parts.path.lstrip("/")
    where = f"{host}:{port}/{database}"  # short: the screen shows the fields themselves
    if kind == "unreachable":
        given = parse_qs(parts.query).get("sslrootcert")
        ca = given[-1] if given else None
        return _tls_message(host, port, ca, where, connect_timeout(url))
    if kind != "login":
        return None
    login = parts.username or "?"
    found = _database_seen_by_login(url, password, database)
    if found is None:
        return (
            f"Innloggingen til {where} ble avvist: feil brukernavn eller passord for «{login}». "
            "Sjekk at du skriver riktig (store og små bokstaver). Har du glemt passordet, kan "
            "IT i kommunen gi deg et nytt engangspassord."
        )
    if not found:
        return (
            f"Databasen «{database}» finnes ikke på serveren {host}. Sjekk databasenavnet du "
            "har fått fra IT (passordet ditt er riktig)."
        )
    return (
        f"Innloggingen «{login}» har ikke tilgang til databasen «{database}» på {host}. "
        "Be IT i kommunen gi deg tilgang («jsdesk server add-user»)."
    )


def _database_seen_by_login(url: str, password: str | None, database: str) -> bool | None:
    """Whether ``database`` exists, asked with the same login in ``template1``; None when
    that login is refused there too (a wrong user name or password)."""
    engine = create_engine(
        server_url(url, password).set(database="template1"),
        poolclass=NullPool,
        connect_args={"connect_timeout": connect_timeout(url), "application_name": "jsdesk"},
    )
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text("SELECT count(*) FROM pg_database WHERE datname = :d"), {"d": database}
                ).scalar()
            )
    except DBAPIError as exc:
        if classify(exc) == "login":
            return None
        raise
    finally:
        engine.dispose()


def _tls_message(host: str, port: int, ca: str | None, where: str, timeout: int) -> str | None:
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return (
            f"Fikk ikke kontakt med serveren {host} på port {port}. Sjekk adressen og porten, "
            "og at du er koblet til kommunens nett (eller VPN)."
        )
    with sock:
        try:
            sock.sendall(SSL_REQUEST)
            answer = sock.recv(1)
        except OSError:  # a timeout too: something took the connection but never answered
            return (
                f"Serveren {host} svarer ikke på port {port} (ventet i {timeout} s). "
                "Sjekk adressen og porten, og at du er koblet til kommunens nett (eller VPN). "
                "Er det riktig, kan IT se etter om databaseserveren er oppe."
            )
        if answer != b"S":
            return (
                f"Serveren {host} tilbyr ikke kryptert forbindelse (TLS). jsdesk sender aldri "
                "personopplysninger ukryptert. Be IT slå på TLS på databaseserveren."
            )
        if ca is None:
            return None
        try:
            context = ssl.create_default_context(cafile=ca)
        except OSError:
            return f"Fant ikke CA-sertifikatet {ca} (eller det kan ikke leses). Velg filen fra IT."
        except ssl.SSLError:
            return f"{ca} er ikke et CA-sertifikat jsdesk kan lese (PEM). Velg filen fra IT."
        try:
            context.wrap_socket(sock, server_hostname=host).close()
        except ssl.SSLCertVerificationError:
            return (
                f"Den krypterte forbindelsen til {where} ble avvist: serverens sertifikat er "
                f"ikke utstedt av CA-sertifikatet {ca}, eller gjelder ikke adressen {host}. "
                "Sjekk at du har riktig CA-fil og serveradresse fra IT. Ingenting er sendt."
            )
        except (ssl.SSLError, OSError):
            return (
                f"Den krypterte forbindelsen til {where} kunne ikke settes opp. Be IT "
                "kontrollere TLS-oppsettet på databaseserveren. Ingenting er sendt."
            )
    return None
