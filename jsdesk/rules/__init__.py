"""jsdesk.rules: the form's rule engine (see docs/form-format.md)."""

from jsdesk.forms.model import Stage
from jsdesk.rules.engine import Evaluation, evaluate
from jsdesk.rules.findings import Finding, FindingCode, Severity, VariableState

__all__ = [
    "Evaluation",
    "Finding",
    "FindingCode",
    "Severity",
    "Stage",
    "VariableState",
    "evaluate",
]
