"""SQLAlchemy models: the schema Alembic migrations must match (``alembic check``).

Personal values live in plain columns: SQLCipher encrypts every page of the
database file (and of its WAL), so indexed columns such as ``fnr`` are never
plaintext on disk while staying searchable.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Status(StrEnum):
    """Where a participation stands on its way to the register."""

    KLADD = "kladd"
    KOMPLETT = "komplett"
    INNSENDT = "innsendt"
    ENDRET = "endret etter innsending"


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes; SQLite itself keeps no offset."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
timestamp = Annotated[datetime, mapped_column(UtcDateTime())]
JsonDict = dict[str, Any]


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        JsonDict: JSON,
        datetime: UtcDateTime(),
        date: Date,
    }


# Record values the results report reads for every participation of a period
# (jsdesk.reports.results). They sit in a covering index with the period columns, so
# the report reads the index instead of decrypting every whole record: 100,000
# participations in well under a second. A value missing here still works, slower;
# tests/test_storage_reporting.py checks that the report's query uses the index.
REPORT_INDEX_VALUES = (
    "bydel",
    "hovedarsak_avslutning",
    "type_arbeid",
    "stillingsprosent_arbeid",
    "inntektskilde_for_oppstart",
    "hovedinntektskilde_etter_avslutning",
    "fravar",
    "deltatt_intro",
    "intro_avsluttet_dato",
)
REPORT_INDEX_COLUMNS = ("oppstartsdato", "avslutningsdato", "stage", "birth_date", "fodselsar")
NO_FINDINGS = "[]"
# The overview's sort columns besides ``changed_at``, indexed with ``id`` (migration 0013).
SORT_INDEX_COLUMNS = ("fnr", "fodselsar", "oppstartsdato", "avslutningsdato", "stage", "status")


def json_value_sql(name: str, dialect: str = "sqlite") -> str:
    """The SQL that reads one record value, spelled as in ``ix_participations_report``.

    SQLite: the JSON value (numbers as numbers); PostgreSQL: the value as text (``->>``,
    as migration 0005 indexes it)."""
    if dialect == "postgresql":
        return f"(\"values\" ->> '{name}')"
    return f'json_extract("values", \'$."{name}"\')'


def has_findings_sql(dialect: str = "sqlite") -> str:
    """ "The participation has findings", spelled as in ``ix_participations_with_findings``
    (a literal, so that the database can read only the rows of that partial index)."""
    if dialect == "postgresql":
        return f"participations.findings::text != '{NO_FINDINGS}'"
    return f"participations.findings != '{NO_FINDINGS}'"


class Participation(Base):
    """One person's period of participation (one record in the register)."""

    __tablename__ = "participations"
    __table_args__ = (
        Index(
            "ix_participations_report",
            *REPORT_INDEX_COLUMNS,
            *(text(json_value_sql(name)) for name in REPORT_INDEX_VALUES),
        ),
        # The overview's default order, whole (migration 0011): newest first, then id.
        Index("ix_participations_changed_at_id", "changed_at", "id"),
        # Its other sort orders, each whole (migration 0013): a page is read after the
        # key (value, id) of the row before it.
        *(Index(f"ix_participations_{name}_id", name, "id") for name in SORT_INDEX_COLUMNS),
        # The completeness figures read each record's field states of a period (and bydel)
        # from this index, not from the encrypted records (migration 0012; SQLite only).
        Index(
            "ix_participations_completeness",
            "oppstartsdato",
            "avslutningsdato",
            text(json_value_sql("bydel")),
            "field_states",
        ),
        # The data-quality list reads only the participations that have findings.
        Index(
            "ix_participations_with_findings",
            "id",
            sqlite_where=text(f"findings != '{NO_FINDINGS}'"),
        ),
    )

    id: Mapped[intpk]
    fnr: Mapped[str | None] = mapped_column(String(11))
    person_id: Mapped[str | None] = mapped_column(String(36), index=True)
    birth_date: Mapped[date | None] = mapped_column(index=True)
    fodselsar: Mapped[int | None]
    oppstartsdato: Mapped[date | None]
    avslutningsdato: Mapped[date | None]
    values: Mapped[JsonDict]
    form_version: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(40))
    valid: Mapped[bool] = mapped_column(Boolean, default=False)
    completeness: Mapped[JsonDict]
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Answered, «Ukjent» and missing input variables (``assess.field_states``).
    field_states: Mapped[str | None] = mapped_column(Text)
    record_version: Mapped[int] = mapped_column(default=1)
    submitted_version: Mapped[int | None]
    created_at: Mapped[timestamp]
    changed_at: Mapped[timestamp]

    # Every UPDATE says which version it changes (WHERE record_version = the version
    # read): a write over a newer version (another caseworker's, on a shared database)
    # fails with StaleDataError instead of overwriting it. jsdesk counts the versions
    # itself (``record_version += 1`` per change), so no generator.
    __mapper_args__ = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        "version_id_col": record_version,
        "version_id_generator": False,
    }


class AcceptedWarning(Base):
    """A warning the caseworker accepted, with reason, user and time."""

    __tablename__ = "accepted_warnings"

    id: Mapped[intpk]
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participations.id", ondelete="CASCADE"), index=True
    )
    variable: Mapped[str] = mapped_column(String(80))
    index: Mapped[int | None]
    code: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(200))
    accepted_at: Mapped[timestamp]


class RegisterProvenance(Base):
    """Where a participation's register value came from: the source (FREG, PAD), the
    file and the day it was imported (added in migration 0010; before, ``settings``).

    It belongs to the participation: on a shared database row-level security shows it
    only to the logins that see the participation, and it goes when the participation is
    deleted.
    """

    __tablename__ = "register_provenance"

    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participations.id", ondelete="CASCADE"), primary_key=True
    )
    variable: Mapped[str] = mapped_column(String(80), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(Text)
    imported_on: Mapped[date]


class RegisterImport(Base):
    """One registry import: when, by which login, and what it did (its counts).

    On a shared database each login reads only its own imports (row-level security,
    migration 0010); the audit's ``registerimport`` event is there for everyone."""

    __tablename__ = "register_imports"

    id: Mapped[intpk]
    imported_at: Mapped[timestamp]
    login: Mapped[str] = mapped_column(String(200))
    details: Mapped[JsonDict]


class AuditEvent(Base):
    """Append-only, hash-chained record of every change.

    ``value_digest`` commits to the old and new value through a random salt, so
    scrubbing a deleted participation's values (value and salt set to NULL) keeps
    the chain verifiable without leaving anything to guess the values from.
    """

    __tablename__ = "audit_events"

    id: Mapped[intpk]
    at: Mapped[timestamp]
    os_user: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    participation_id: Mapped[int | None] = mapped_column(index=True)
    variable: Mapped[str | None] = mapped_column(String(80))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    salt: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    value_digest: Mapped[str] = mapped_column(String(64))
    scrubbed: Mapped[bool] = mapped_column(Boolean, default=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Setting(Base):
    """Installation settings as key/value; ``blob`` holds binary values."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    changed_at: Mapped[timestamp]


class LoginSetting(Base):
    """A setting of one login (UI preferences: the idle lock, the receipt's next steps).

    On a shared database ``login`` is the database login, and row-level security lets
    each login read and change only its own (migration 0009); on the local file (one
    user) it is the empty string. Installation-wide settings stay in ``settings``.
    """

    __tablename__ = "login_settings"

    login: Mapped[str] = mapped_column(String(63), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[timestamp]


class Submission(Base):
    """One submission file made for the register (added in migration 0002)."""

    __tablename__ = "submissions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[timestamp]
    file_name: Mapped[str] = mapped_column(Text)
    record_count: Mapped[int]
    test: Mapped[bool] = mapped_column(Boolean)
    period: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[JsonDict]


class SubmittedRecord(Base):
    """Which version of which participation went into which submission."""

    __tablename__ = "submitted_records"
    __table_args__ = (Index("ix_submitted_records_participation", "participation_id"),)

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    participation_id: Mapped[int] = mapped_column(primary_key=True)
    record_version: Mapped[int]
