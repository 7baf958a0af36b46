"""A throw-away Kerberos realm for the tests: Debian's MIT KDC (``krb5-kdc``,
``krb5-admin-server``, ``krb5-user``) in a temporary folder, on a free port of 127.0.0.1.

It holds a service principal ``postgres/localhost`` (its keytab for the PostgreSQL test
server, ``krb_server_keyfile``) and the caseworkers' principals. ``kinit`` fills a
credential cache of the realm's own; ``env`` names it and the realm's krb5.conf, as the
Windows login does for a caseworker on a domain-joined laptop.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REALM = "JSDESK.TEST"
PROGRAMS = ("krb5kdc", "kdb5_util", "kadmin.local", "kinit")


def kerberos_programs() -> dict[str, str] | None:
    """The MIT Kerberos programs the realm needs, or None when one is missing."""
    search = f"{os.environ.get('PATH', '')}:/usr/sbin"
    found = {name: shutil.which(name, path=search) for name in PROGRAMS}
    if any(path is None for path in found.values()):
        return None
    return {name: str(path) for name, path in found.items()}


@dataclass
class Realm:
    folder: Path
    programs: dict[str, str]
    keytab: Path

    @property
    def env(self) -> dict[str, str]:
        """The environment a client of the realm needs (its krb5.conf and credential cache)."""
        return {
            "KRB5_CONFIG": str(self.folder / "krb5.conf"),
            "KRB5CCNAME": f"FILE:{self.folder / 'ccache'}",
        }

    def add_principal(self, name: str, password: str) -> None:
        self._admin(f"addprinc -pw {password} {name}")

    def kinit(self, name: str, password: str) -> None:
        """Log ``name`` in: a ticket-granting ticket in the realm's credential cache."""
        subprocess.run(
            [self.programs["kinit"], f"{name}@{REALM}"],
            input=password + "\n",
            text=True,
            check=True,
            capture_output=True,
            env={**os.environ, **self.env},
        )

    def _admin(self, query: str) -> None:
        subprocess.run(
            [self.programs["kadmin.local"], "-q", query],
            check=True,
            capture_output=True,
            env={**os.environ, **self._kdc_env},
        )

    @property
    def _kdc_env(self) -> dict[str, str]:
        return {**self.env, "KRB5_KDC_PROFILE": str(self.folder / "kdc.conf")}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int) -> None:
    """Until the KDC answers on ``port`` (10 s at most)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def running_realm(folder: Path, programs: dict[str, str]) -> Iterator[Realm]:
    """A KDC for ``REALM`` with the service principal ``postgres/localhost`` in a keytab."""
    port = _free_port()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "krb5.conf").write_text(
        f"[libdefaults]\n  default_realm = {REALM}\n  dns_lookup_kdc = false\n"
        "  dns_lookup_realm = false\n  dns_canonicalize_hostname = false\n  rdns = false\n"
        "  udp_preference_limit = 1\n"
        f"[realms]\n  {REALM} = {{\n    kdc = 127.0.0.1:{port}\n  }}\n"
        f"[domain_realm]\n  localhost = {REALM}\n",
        encoding="utf-8",
    )
    (folder / "kdc.conf").write_text(
        f"[kdcdefaults]\n  kdc_ports = {port}\n  kdc_tcp_ports = {port}\n"
        f"[realms]\n  {REALM} = {{\n    database_name = {folder / 'principal'}\n"
        f"    key_stash_file = {folder / 'stash'}\n    acl_file = {folder / 'kadm5.acl'}\n"
        "    supported_enctypes = aes256-cts-hmac-sha1-96:normal\n  }\n"
        f"[logging]\n  kdc = FILE:{folder / 'kdc.log'}\n",
        encoding="utf-8",
    )
    (folder / "kadm5.acl").write_text("", encoding="utf-8")
    realm = Realm(folder, programs, folder / "postgres.keytab")
    subprocess.run(
        [programs["kdb5_util"], "create", "-s", "-r", REALM, "-P", "kdc-hovednokkel-test"],
        check=True,
        capture_output=True,
        env={**os.environ, **realm._kdc_env},
    )
    realm._admin("addprinc -randkey postgres/localhost")
    realm._admin(f"ktadd -k {realm.keytab} postgres/localhost")
    kdc = subprocess.Popen(
        [programs["krb5kdc"], "-n"],
        env={**os.environ, **realm._kdc_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        yield realm
    finally:
        kdc.terminate()
        kdc.wait(timeout=30)
