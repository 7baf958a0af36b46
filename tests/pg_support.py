"""A real PostgreSQL server for the tests: Debian's ``postgresql`` package, started in a
temporary data directory as an unprivileged OS user, with TLS on (a test CA and a server
certificate for ``localhost`` made with ``cryptography``) and SCRAM logins.

Clients connect with ``sslmode=verify-full`` against the test CA; the server itself
refuses every connection without TLS (``hostnossl … reject``).
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jsdesk.storage.backend import GROUP_CASEWORKER
from jsdesk.storage.server import add_user, init_server

SUPERUSER = "pgeier"
SUPERUSER_PASSWORD = "eier-passord-for-test"
# Two Oslo bydeler for the shared-database tests (the `oslo_server` fixture).
GAMLE_OSLO, GRUNERLOKKA = "030101", "030102"
REQUIRE_ENV = "JSDESK_REQUIRE_POSTGRES"  # .ci/run sets it: no server is then a failure


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for localhost/127.0.0.1, signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jsdesk test-CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.crt", folder / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


@dataclass
class PgServer:
    """A running test server; ``url`` builds client URLs (verify-full against ``ca``)."""

    port: int
    ca: Path
    folder: Path

    def url(self, user: str = SUPERUSER, password: str | None = None, db: str = "jsdesk") -> str:
        secret = f":{quote(password, safe='')}" if password is not None else ""
        return (
            f"postgresql://{quote(user, safe='')}{secret}@localhost:{self.port}/{db}"
            f"?sslmode=verify-full&sslrootcert={self.ca}"
        )

    def owner_url(self, db: str = "jsdesk") -> str:
        return self.url(SUPERUSER, SUPERUSER_PASSWORD, db)

    def sql(self, statement: str, *, db: str = "postgres") -> None:
        """Run one statement as the superuser (autocommit: CREATE DATABASE needs it)."""
        import psycopg

        with psycopg.connect(self.owner_url(db), autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, name: str) -> str:
        self.sql(f'CREATE DATABASE "{name}"')
        return self.owner_url(name)


def _runner() -> tuple[list[str], int | None, int | None]:
    """How to run the server's programs: as ourselves, or (as root) as user ``postgres``."""
    if os.geteuid() != 0:
        return [], None, None
    import pwd  # POSIX only: the Windows tests import this module through storage_helpers

    try:
        user = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise RuntimeError("root needs the unprivileged user 'postgres' to run the server") from exc
    return ["runuser", "-u", "postgres", "--"], user.pw_uid, user.pw_gid


@contextlib.contextmanager
def running_server(
    *,
    keytab: Path | None = None,
    gss_logins: tuple[str, ...] = (),
    realm: str = "",
    tls: bool = True,
) -> Iterator[PgServer]:
    """A server as above; with ``keytab`` (``postgres/localhost``'s key) the ``gss_logins``
    log in through Kerberos (GSSAPI, over TLS, realm ``realm``) and everyone else by SCRAM.
    ``tls=False`` starts one as an old set-up without TLS would be (``ssl = off``, plain
    connections allowed), for the client's refusal."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    prefix, uid, gid = _runner()
    folder = Path(tempfile.mkdtemp(prefix="jsdesk-pg-"))
    try:
        data = folder / "data"
        ca, cert, key = _write_tls(folder)
        password_file = folder / "pw"
        password_file.write_text(SUPERUSER_PASSWORD + "\n", encoding="utf-8")
        server_keytab = folder / "postgres.keytab"
        if keytab is not None:
            shutil.copyfile(keytab, server_keytab)
            server_keytab.chmod(0o600)
        if uid is not None and gid is not None:
            for path in (folder, cert, key, password_file, server_keytab):
                if path.exists():
                    os.chown(path, uid, gid)
        folder.chmod(0o700)
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        subprocess.run(
            [
                *prefix,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--pwfile",
                str(password_file),
                "--auth-local=scram-sha-256",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        port = _free_port()
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {port}\n"
                f"unix_socket_directories = '{folder}'\n"
                + (f"ssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\n" if tls else "")
                + "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 60\n"
            )
            if keytab is not None:
                conf.write(f"krb_server_keyfile = '{server_keytab}'\n")
        gss = "".join(
            f"hostssl all {login} 127.0.0.1/32 gss include_realm=0 krb_realm={realm}\n"
            for login in gss_logins
        )
        (data / "pg_hba.conf").write_text(
            "local all all scram-sha-256\n"
            + (
                "hostnossl all all 0.0.0.0/0 reject\n"
                f"{gss}hostssl all all 127.0.0.1/32 scram-sha-256\n"
                if tls
                else "host all all 127.0.0.1/32 scram-sha-256\n"
            ),
            encoding="utf-8",
        )
        log = folder / "server.log"
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "start"],
            check=True,
            capture_output=True,
            env=env,
        )
        try:
            server = PgServer(port=port, ca=ca, folder=folder)
            yield server
        finally:
            subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                env=env,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# A login no other test makes: add_user elsewhere would reset its password (logins are
# the whole server's, not one database's).
CASEWORKER, CASEWORKER_PASSWORD = "mal_saksbehandler", "mal saksbehandlers passord"


class SharedInstallations:
    """Fresh shared test installations, each a copy of a template database set up once
    per run with ``server init`` (and, for ``new``, the login ``CASEWORKER``, a caseworker
    who also submits, as the one caseworker of a small municipality would), copied with
    ``CREATE DATABASE … TEMPLATE``: a file copy, not a migration run per test."""

    def __init__(self, server: PgServer) -> None:
        self.server = server
        self._templates: dict[tuple[str, tuple[str, ...], bool, bool], str] = {}

    def _template(
        self, kommunenummer: str, bydeler: tuple[str, ...], test: bool, caseworker: bool
    ) -> str:
        key = (kommunenummer, bydeler, test, caseworker)
        if key not in self._templates:
            name = f"mal_{len(self._templates)}"
            url = self.server.create_database(name)
            units = list(bydeler)
            init_server(
                url, None, kommunenummer=kommunenummer, bydeler=units, test_installation=test
            )
            if caseworker:
                add_user(
                    url,
                    None,
                    CASEWORKER,
                    bydeler=units,
                    submitter=True,
                    new_password=CASEWORKER_PASSWORD,
                )
            self._templates[key] = name
        return self._templates[key]

    def _copy(self, template: str) -> str:
        name = "t" + uuid.uuid4().hex[:16]
        self.server.sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        # Database-wide grants are not copied from a template: as ``server init`` sets them.
        self.server.sql(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
        self.server.sql(f'GRANT CONNECT ON DATABASE "{name}" TO {GROUP_CASEWORKER}')
        return name

    def new(
        self, kommunenummer: str = "0301", bydel: str | None = "030101", *, test: bool = True
    ) -> str:
        """The caseworker's URL of a new installation (``drop`` it after the test)."""
        units = (bydel,) if bydel else ()
        name = self._copy(self._template(kommunenummer, units, test, caseworker=True))
        return self.server.url(CASEWORKER, CASEWORKER_PASSWORD, name)

    def new_owner(self, kommunenummer: str, bydeler: tuple[str, ...], *, test: bool = True) -> str:
        """The owner's URL of a new installation with no logins yet (``drop`` it after)."""
        name = self._copy(self._template(kommunenummer, bydeler, test, caseworker=False))
        return self.server.owner_url(name)

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        self.server.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
