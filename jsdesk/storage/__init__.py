"""jsdesk.storage: the encrypted local database (SQLCipher, SQLAlchemy, Alembic).

Public API (see docs/storage.md and CONTRACTS.md)::

    default_db_path() -> Path
    Database.create(path, passphrase, *, kommunenummer, bydel=None, test_installation=False)
        -> (Database, recovery_key)
    Database.open(path, secret) -> Database      # passphrase or recovery key
    Database.connect(url, password) -> Database  # a shared PostgreSQL database
    database_target(path_or_url) / default_target() -> Backend  # what --db/JSDESK_DB name
    Database.open_target(target, secret) -> Database  # either of the two
"""

from jsdesk.storable import DROPPED_NOTE, storable
from jsdesk.storage.backend import Backend, database_target, postgres_client
from jsdesk.storage.backend import shown_url as shown_target
from jsdesk.storage.connection import sqlcipher_versions
from jsdesk.storage.database import (
    CheckReport,
    Database,
    Settings,
    default_db_path,
    default_target,
)
from jsdesk.storage.keys import MIN_PASSPHRASE_LENGTH, check_passphrase
from jsdesk.storage.models import Status
from jsdesk.storage.settings import installation_wide_refusal, refused_for_rights
from jsdesk.storage.types import (
    AcceptedWarningInfo,
    FieldConflict,
    ImportedRecord,
    PageKey,
    ParticipationRecord,
    ParticipationSummary,
    PasswordNeeded,
    RecordChange,
    RecordConflict,
    SubmissionInfo,
    SummaryPage,
)

__all__ = [
    "DROPPED_NOTE",
    "MIN_PASSPHRASE_LENGTH",
    "AcceptedWarningInfo",
    "Backend",
    "CheckReport",
    "Database",
    "FieldConflict",
    "ImportedRecord",
    "PageKey",
    "ParticipationRecord",
    "ParticipationSummary",
    "PasswordNeeded",
    "RecordChange",
    "RecordConflict",
    "Settings",
    "Status",
    "SubmissionInfo",
    "SummaryPage",
    "check_passphrase",
    "database_target",
    "default_db_path",
    "default_target",
    "installation_wide_refusal",
    "postgres_client",
    "refused_for_rights",
    "shown_target",
    "sqlcipher_versions",
    "storable",
]
