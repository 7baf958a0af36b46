"""jsdesk.rules: the form's rule language and engine, and forms loaded with their rules.

See docs/form-format.md.
"""

from jsdesk.forms.model import Stage
from jsdesk.rules.engine import Evaluation, dependencies, evaluate, prepare
from jsdesk.rules.explain import in_form_words
from jsdesk.rules.findings import Finding, FindingCode, Severity, VariableState
from jsdesk.rules.form_files import (
    FormLookup,
    check_form_file,
    default_form,
    form_by_version,
    load_form,
    shipped_form_paths,
)
from jsdesk.rules.record_files import RecordFileError, parse_records, read_record_file

__all__ = [
    "Evaluation",
    "Finding",
    "FindingCode",
    "FormLookup",
    "RecordFileError",
    "Severity",
    "Stage",
    "VariableState",
    "check_form_file",
    "default_form",
    "dependencies",
    "evaluate",
    "form_by_version",
    "in_form_words",
    "load_form",
    "parse_records",
    "prepare",
    "read_record_file",
    "shipped_form_paths",
]
