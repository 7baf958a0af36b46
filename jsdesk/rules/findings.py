"""What the rule engine reports: findings with a stable code, and variable states.

``FindingCode`` values are stable identifiers: stored with accepted warnings,
written to JSON output and asserted by tests. Never rename one; add new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # blocks completion
    WARNING = "warning"  # may be accepted with a reason


class FindingCode(StrEnum):
    NOT_AN_OBJECT = "NOT_AN_OBJECT"  # the record (or a group entry) is not a JSON object
    UNKNOWN_VARIABLE = "UNKNOWN_VARIABLE"  # a key that is not a variable of the form
    WRONG_TYPE = "WRONG_TYPE"  # e.g. a number given as a string
    INVALID_DATE = "INVALID_DATE"  # not an ISO YYYY-MM-DD date
    REQUIRED = "REQUIRED"
    LOCKED = "LOCKED"  # a value in a field that a rule locks
    NOT_APPLICABLE = "NOT_APPLICABLE"  # variable not valid on the reference date
    INVALID_CODE = "INVALID_CODE"  # not in the code list
    CODE_NOT_APPLICABLE = "CODE_NOT_APPLICABLE"  # code not valid on the reference date
    DUPLICATE_CODE = "DUPLICATE_CODE"  # the same code twice in a multi-select
    TOO_MANY_CODES = "TOO_MANY_CODES"  # a multi-select longer than its code list
    EXCLUSIVE_CODE = "EXCLUSIVE_CODE"  # e.g. 99 Ingen tiltak together with other codes
    INVALID_FNR = "INVALID_FNR"  # format, control digits or date
    H_NUMBER = "H_NUMBER"
    FH_NUMBER = "FH_NUMBER"
    SYNTHETIC_FNR = "SYNTHETIC_FNR"  # Tenor test number where synthetic numbers are not allowed
    FNR_2032_RULE = "FNR_2032_RULE"  # valid only under the 2032 control-digit rule (warning)
    DERIVED_MISMATCH = "DERIVED_MISMATCH"  # a given value disagrees with the derived one
    INVALID_UUID = "INVALID_UUID"
    INVALID_KOMMUNENUMMER = "INVALID_KOMMUNENUMMER"
    OTHER_MUNICIPALITY = "OTHER_MUNICIPALITY"  # not the installation's municipality's number
    INVALID_BYDEL = "INVALID_BYDEL"
    INVALID_SIVILSTAND = "INVALID_SIVILSTAND"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    DATE_ORDER = "DATE_ORDER"  # a date before/after another it must follow/precede
    FUTURE_DATE = "FUTURE_DATE"
    OUT_OF_RANGE = "OUT_OF_RANGE"  # a number outside its allowed range
    UNUSUAL_VALUE = "UNUSUAL_VALUE"  # allowed but unlikely (warning)
    AGE_OUT_OF_RANGE = "AGE_OUT_OF_RANGE"  # age at start outside 18-55 (warning)
    INVALID_TEST_RESULT = "INVALID_TEST_RESULT"  # result not possible for the test type
    FUTURE_START = "FUTURE_START"  # start date after today: a planned start? (warning)
    EARLY_START = "EARLY_START"  # start date before 01.01.2019 (warning)
    LONG_PARTICIPATION = "LONG_PARTICIPATION"  # longer than four years (warning)
    CONTRADICTION = "CONTRADICTION"  # two answers that rarely go together (warning)
    UNEXPECTED_VALUE = "UNEXPECTED_VALUE"  # a value where the form expects none (warning)
    RULE_FAILED = "RULE_FAILED"  # a form rule without a more specific code


@dataclass(frozen=True, slots=True)
class Finding:
    variable: str
    index: int | None
    severity: Severity
    code: FindingCode
    message: str
    # On a value the municipality does not own (FREG, PAD): a warning that needs no
    # acceptance, since the caseworker cannot change it. Not part of the JSON form.
    register_data: bool = False

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def needs_acceptance(self) -> bool:
        """A warning the caseworker accepts with a reason (not one on register data)."""
        return self.severity is Severity.WARNING and not self.register_data

    def to_json(self) -> dict[str, object]:
        result: dict[str, object] = {"variable": self.variable}
        if self.index is not None:
            result["index"] = self.index
        result["severity"] = str(self.severity)
        result["code"] = str(self.code)
        result["message"] = self.message
        return result


@dataclass(frozen=True, slots=True)
class VariableState:
    """How the UI should show a variable for the current record.

    ``reason`` is one Bokmål sentence explaining a locked, not applicable,
    conditionally required or automatically filled field; None when there is
    nothing to explain.
    """

    applicable: bool
    enabled: bool
    required: bool
    reason: str | None = None
