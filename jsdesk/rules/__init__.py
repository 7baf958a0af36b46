"""jsdesk.rules: the form's rule engine (see docs/form-format.md)."""

from jsdesk.forms.model import Stage
from jsdesk.rules.engine import REFERENCE_DATE, Evaluation, dependencies, evaluate, prepare
from jsdesk.rules.findings import Finding, FindingCode, Severity, VariableState
from jsdesk.rules.record_files import RecordFileError, parse_records, read_record_file

__all__ = [
    "REFERENCE_DATE",
    "Evaluation",
    "Finding",
    "FindingCode",
    "RecordFileError",
    "Severity",
    "Stage",
    "VariableState",
    "dependencies",
    "evaluate",
    "parse_records",
    "prepare",
    "read_record_file",
]
