"""What stays on this machine when the database is shared.

A shared database holds the register; some things belong to the machine and its user
instead and must never go into it: the submitter's signing certificate and key, and
the trust anchors and revocation lists ``submission verify`` uses. For the local file
they sit beside it (the key inside the encrypted database); for a shared database
they sit in a folder of their own in the user's data folder, one per database
(``shared_local_folder``), and the signing credentials in an owner-only file there
(``LocalSettings``; see docs/server.md, "Submissions").
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsdesk.errors import UserError, os_error_reason
from jsdesk.paths import user_data_folder
from jsdesk.storage.files import private_dir, write_atomic

LOCAL_SETTINGS_FILE = "lokale-innstillinger.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def shared_local_folder(url: str) -> Path:
    """This machine's folder for the shared database ``url`` (host, port and database)."""
    parts = urlsplit(url)
    name = f"{parts.hostname or 'localhost'}_{parts.port or 5432}_{parts.path.lstrip('/')}"
    return user_data_folder() / "felles" / _UNSAFE.sub("_", name)


class LocalSettings:
    """Settings kept in an owner-only JSON file on this machine (``get_setting`` and
    ``set_setting`` as ``Database`` has them: JSON values or ``bytes``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / LOCAL_SETTINGS_FILE

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            reason = os_error_reason(exc) if isinstance(exc, OSError) else "ikke gyldig JSON"
            raise UserError(f"Kan ikke lese {self.file}: {reason}.", 5) from exc
        return data if isinstance(data, dict) else {}

    def get_setting(self, key: str, default: object = None) -> Any:
        stored = self._read().get(key)
        if not isinstance(stored, dict):
            return default
        if "bytes" in stored:
            return base64.b64decode(stored["bytes"])
        return stored.get("json", default)

    def set_setting(self, key: str, value: object, *, secret: bool = False) -> None:
        data = self._read()
        if isinstance(value, bytes):
            data[key] = {"bytes": base64.b64encode(value).decode("ascii")}
        else:
            data[key] = {"json": value}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            private_dir(self.folder)
            write_atomic(self.file, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            raise UserError(
                f"Kan ikke lagre i {self.file}: {os_error_reason(exc)}. Ingenting er endret.", 5
            ) from exc
