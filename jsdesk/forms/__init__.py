"""jsdesk.forms: form definitions (YAML) loaded into frozen dataclasses."""

from jsdesk.forms.model import (  # noqa: I001  (model before loader: import cycle)
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
from jsdesk.forms.loader import (
    check_form_file,
    default_form,
    form_by_version,
    load_form,
    register_form,
    shipped_form_paths,
    unregister_form,
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
    "check_form_file",
    "default_form",
    "form_by_version",
    "load_form",
    "register_form",
    "shipped_form_paths",
    "unregister_form",
]
