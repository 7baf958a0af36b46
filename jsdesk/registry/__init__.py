"""Registry data without a network: FREG and PAD extract files.

The import reads top to bottom in three stages:
``extract`` (file → raw rows with line numbers) → ``check`` (every row checked,
problems in Bokmål) → ``apply`` (match participations, plan, store with source
and import date). A CSV file streams through read, check and plan
(``plan_extract``), so memory follows the database, not the file.
``service.import_extract`` runs them in one call for the CLI and the GUI.
The file formats are documented in ``docs/registry-extracts.md``.
"""

from jsdesk.registry.apply import (
    ImportOutcome,
    ImportPlan,
    Progress,
    UnknownPerson,
    ValueChange,
    apply_plan,
    describe_value,
    plan_extract,
    plan_import,
    provenance,
)
from jsdesk.registry.check import (
    MAX_PROBLEMS,
    CheckedExtract,
    FregValues,
    PadResult,
    RowProblem,
    check_extract,
)
from jsdesk.registry.extract import (
    COLUMNS,
    CsvRows,
    Extract,
    ExtractFileError,
    ExtractKind,
    RawRow,
    read_extract,
)
from jsdesk.registry.service import ImportReport, import_extract

__all__ = [
    "COLUMNS",
    "MAX_PROBLEMS",
    "CheckedExtract",
    "CsvRows",
    "Extract",
    "ExtractFileError",
    "ExtractKind",
    "FregValues",
    "ImportOutcome",
    "ImportPlan",
    "ImportReport",
    "PadResult",
    "Progress",
    "RawRow",
    "RowProblem",
    "UnknownPerson",
    "ValueChange",
    "apply_plan",
    "check_extract",
    "describe_value",
    "import_extract",
    "plan_extract",
    "plan_import",
    "provenance",
    "read_extract",
]
