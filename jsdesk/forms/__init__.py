"""jsdesk.forms: form definitions (YAML) loaded into frozen dataclasses."""

from jsdesk.forms.model import (
    Code,
    Domain,
    FormDefinition,
    FormLoadError,
    FormProblem,
    Importance,
    Part,
    Rule,
    RuleKind,
    Source,
    Stage,
    Variable,
    VarType,
)

__all__ = [
    "Code",
    "Domain",
    "FormDefinition",
    "FormLoadError",
    "FormProblem",
    "Importance",
    "Part",
    "Rule",
    "RuleKind",
    "Source",
    "Stage",
    "VarType",
    "Variable",
]
