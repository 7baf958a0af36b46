"""jsdesk.forms: form definitions (YAML) read into frozen dataclasses.

This package knows the form file's structure (parts, variables, code lists) and
depends on nothing above :mod:`jsdesk.domain`. The rule language, and loading a
form with its rules compiled, are :mod:`jsdesk.rules` (``load_form``,
``default_form``, ``form_by_version``).
"""

from jsdesk.forms.model import (
    Code,
    CodeGroup,
    Domain,
    FormDefinition,
    FormLoadError,
    FormProblem,
    Importance,
    Part,
    Role,
    Rule,
    RuleKind,
    Source,
    Stage,
    Variable,
    VarType,
)

__all__ = [
    "Code",
    "CodeGroup",
    "Domain",
    "FormDefinition",
    "FormLoadError",
    "FormProblem",
    "Importance",
    "Part",
    "Role",
    "Rule",
    "RuleKind",
    "Source",
    "Stage",
    "VarType",
    "Variable",
]
