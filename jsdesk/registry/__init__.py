"""Registry data without a network: FREG and PAD extract files.

The import reads top to bottom in three stages:
``extract`` (file → raw rows with line numbers) → ``check`` (every row checked,
problems in Bokmål) → ``apply`` (match participations, plan, store with source
and import date). The file formats are documented in ``docs/registry-extracts.md``.
"""

from jsdesk.registry.apply import (
    ImportOutcome,
    ImportPlan,
    UnknownPerson,
    ValueChange,
    apply_plan,
    describe_value,
    plan_import,
    provenance,
)
from jsdesk.registry.check import (
    CheckedExtract,
    FregValues,
    PadResult,
    RowProblem,
    check_extract,
)
from jsdesk.registry.extract import (
    COLUMNS,
    Extract,
    ExtractFileError,
    ExtractKind,
    RawRow,
    read_extract,
)

__all__ = [
    "COLUMNS",
    "CheckedExtract",
    "Extract",
    "ExtractFileError",
    "ExtractKind",
    "FregValues",
    "ImportOutcome",
    "ImportPlan",
    "PadResult",
    "RawRow",
    "RowProblem",
    "UnknownPerson",
    "ValueChange",
    "apply_plan",
    "check_extract",
    "describe_value",
    "plan_import",
    "provenance",
    "read_extract",
]
