"""The rule engine: what is enabled, locked, required, derived and wrong in a record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from jsdesk.forms.model import FormDefinition, Stage
from jsdesk.rules.findings import Finding, Severity, VariableState


@dataclass(frozen=True, slots=True)
class Evaluation:
    stage: Stage
    findings: tuple[Finding, ...]
    derived: dict[str, object]
    reference_date: date
    states: dict[str, VariableState]

    @property
    def valid(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)


def evaluate(
    form: FormDefinition,
    record: Mapping[str, object],
    *,
    allow_synthetic: bool = False,
    today: date | None = None,
) -> Evaluation:
    """Evaluate ``record`` against ``form``; never raises on any JSON-like input."""
    raise NotImplementedError  # skeleton: implementation follows
