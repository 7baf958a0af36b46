"""jsdesk.storage: the encrypted local database (SQLCipher, SQLAlchemy, Alembic).

Public API (see docs/storage.md and CONTRACTS.md)::

    default_db_path() -> Path
    Database.create(path, passphrase, *, kommunenummer, bydel=None, test_installation=False)
        -> (Database, recovery_key)
    Database.open(path, secret) -> Database      # passphrase or recovery key
    Database.connect(url, password) -> Database  # a shared PostgreSQL database
"""

from jsdesk.storage.backend import is_url as is_shared_target
from jsdesk.storage.backend import pg_dump_command as server_backup_command
from jsdesk.storage.backend import postgres_client
from jsdesk.storage.backend import shown_url as shown_target
from jsdesk.storage.connection import sqlcipher_versions
from jsdesk.storage.database import CheckReport, Database, Settings, default_db_path
from jsdesk.storage.keys import MIN_PASSPHRASE_LENGTH, check_passphrase
from jsdesk.storage.local_store import shared_local_folder
from jsdesk.storage.models import Status
from jsdesk.storage.settings import refused_for_rights
from jsdesk.storage.types import (
    AcceptedWarningInfo,
    FieldConflict,
    ImportedRecord,
    ParticipationRecord,
    ParticipationSummary,
    RecordChange,
    RecordConflict,
    SubmissionInfo,
)

__all__ = [
    "MIN_PASSPHRASE_LENGTH",
    "AcceptedWarningInfo",
    "CheckReport",
    "Database",
    "FieldConflict",
    "ImportedRecord",
    "ParticipationRecord",
    "ParticipationSummary",
    "RecordChange",
    "RecordConflict",
    "Settings",
    "Status",
    "SubmissionInfo",
    "check_passphrase",
    "default_db_path",
    "is_shared_target",
    "postgres_client",
    "refused_for_rights",
    "server_backup_command",
    "shared_local_folder",
    "shown_target",
    "sqlcipher_versions",
]
