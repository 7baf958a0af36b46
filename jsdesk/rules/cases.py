"""Form test cases: a record with the outcome a form gave it, re-checked with another form.

A case is a JSON file (``forms/cases/*.json``, or one saved from the pilot
sandbox with "Lagre som testtilfelle")::

    {"format": "jsdesk-testtilfelle/1", "name": "...", "description": "...",
     "form_version": "2023.1", "today": "2026-11-29", "allow_synthetic": true,
     "record": {...},
     "outcome": {"valid": false, "stage": "avsluttet",
                 "errors": {"bydel": ["REQUIRED"]}, "warnings": {}}}

``run_cases(form, cases)`` evaluates every record with ``form`` on the case's own
``today`` (so the outcome does not drift with the calendar) and reports each case
whose outcome changed: validity, stage, or the codes of errors and warnings by
variable. ``jsdesk form test``, ``jsdesk form diff`` and ``jsdesk package install``
use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jsdesk.errors import UserError
from jsdesk.forms.model import FormDefinition
from jsdesk.jsontext import loads_untrusted
from jsdesk.paths import forms_dir
from jsdesk.rules.engine import Evaluation, evaluate
from jsdesk.rules.findings import Finding

FORMAT = "jsdesk-testtilfelle/1"
CASES_FOLDER = "cases"


def shipped_cases_dir() -> Path:
    """``forms/cases/``: the cases for the shipped form."""
    return forms_dir() / CASES_FOLDER


@dataclass(frozen=True)
class Outcome:
    """What a form says about a record: valid, stage, codes by variable."""

    valid: bool
    stage: str
    errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, evaluation: Evaluation) -> Outcome:
        return cls(
            valid=evaluation.valid,
            stage=str(evaluation.stage),
            errors=_by_variable(evaluation.errors),
            warnings=_by_variable(evaluation.warnings),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "stage": self.stage,
            "errors": {k: list(v) for k, v in self.errors.items()},
            "warnings": {k: list(v) for k, v in self.warnings.items()},
        }

    @classmethod
    def from_json(cls, raw: object) -> Outcome:
        if not isinstance(raw, dict) or not isinstance(raw.get("valid"), bool):
            raise ValueError("«outcome» må ha valid (true/false), stage, errors og warnings")
        return cls(
            valid=raw["valid"],
            stage=str(raw.get("stage", "")),
            errors=_codes(raw.get("errors", {})),
            warnings=_codes(raw.get("warnings", {})),
        )

    def short(self) -> str:
        """``gyldig`` / ``ugyldig: bydel REQUIRED`` — for the table."""
        parts = [("gyldig" if self.valid else "ugyldig") + f" ({self.stage})"]
        for label, codes in (("feil", self.errors), ("advarsler", self.warnings)):
            if codes:
                listed = ", ".join(f"{var} {'/'.join(c)}" for var, c in sorted(codes.items()))
                parts.append(f"{label}: {listed}")
        return "; ".join(parts)


def _by_variable(findings: Iterable[Finding]) -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = {}
    for finding in findings:
        where = finding.variable + (f"[{finding.index}]" if finding.index is not None else "")
        found.setdefault(where, set()).add(str(finding.code))
    return {name: tuple(sorted(codes)) for name, codes in sorted(found.items())}


def _codes(raw: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or not all(
        isinstance(v, list) and all(isinstance(c, str) for c in v) for v in raw.values()
    ):
        raise ValueError("errors og warnings må være {variabel: [kode, ...]}")
    return {str(k): tuple(sorted(v)) for k, v in sorted(raw.items())}


@dataclass(frozen=True)
class FormCase:
    """One saved case."""

    name: str
    description: str
    form_version: str
    today: date
    allow_synthetic: bool
    record: Mapping[str, object]
    outcome: Outcome
    path: Path | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "name": self.name,
            "description": self.description,
            "form_version": self.form_version,
            "today": self.today.isoformat(),
            "allow_synthetic": self.allow_synthetic,
            "record": dict(self.record),
            "outcome": self.outcome.to_json(),
        }

    def evaluate(self, form: FormDefinition) -> Evaluation:
        return evaluate(form, self.record, allow_synthetic=self.allow_synthetic, today=self.today)


def new_case(
    form: FormDefinition,
    record: Mapping[str, object],
    *,
    name: str,
    description: str = "",
    today: date | None = None,
    allow_synthetic: bool = True,
) -> FormCase:
    """A case holding the outcome ``form`` gives ``record`` now."""
    day = today or date.today()
    case = FormCase(
        name=name,
        description=description,
        form_version=form.version,
        today=day,
        allow_synthetic=allow_synthetic,
        record=dict(record),
        outcome=Outcome(valid=True, stage=""),
    )
    return FormCase(**{**case.__dict__, "outcome": Outcome.of(case.evaluate(form))})


def case_file_name(name: str) -> str:
    """A file name for the case ``name`` (letters, digits, dash, underscore)."""
    plain = name.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return (re.sub(r"[^a-z0-9_-]+", "-", plain).strip("-") or "testtilfelle") + ".json"


def write_case(folder: Path, case: FormCase) -> Path:
    """Write ``case`` into ``folder`` under a file name of its own (never over another)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = case_file_name(case.name)
    path = folder / base
    counter = 2
    while path.exists():
        path = folder / base.replace(".json", f"-{counter}.json")
        counter += 1
    text = json.dumps(case.to_json(), ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def read_case(path: Path) -> FormCase:
    """One case file; UserError naming the file when it cannot be used."""
    try:
        raw = loads_untrusted(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"Kan ikke lese {path}: {exc.strerror or exc}.", 2) from exc
    except ValueError as exc:  # UnicodeDecodeError, JSONDecodeError, UntrustedJsonError
        raise UserError(f"{path} er ikke gyldig JSON ({exc}).", 2) from exc
    try:
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError(f"formatet må være «{FORMAT}»")
        record = raw.get("record")
        if not isinstance(record, dict):
            raise ValueError("«record» må være et objekt")
        return FormCase(
            name=str(raw.get("name") or path.stem),
            description=str(raw.get("description", "")),
            form_version=str(raw.get("form_version", "")),
            today=date.fromisoformat(str(raw.get("today"))),
            allow_synthetic=bool(raw.get("allow_synthetic", True)),
            record=record,
            outcome=Outcome.from_json(raw.get("outcome")),
            path=path,
        )
    except ValueError as exc:
        raise UserError(f"{path} er ikke et testtilfelle jsdesk kan lese: {exc}.", 2) from None


def read_cases(folder: Path) -> list[FormCase]:
    """Every ``*.json`` case in ``folder``, sorted by file name."""
    if not folder.is_dir():
        raise UserError(f"Finner ikke mappen med testtilfeller {folder}.", 2)
    return [read_case(path) for path in sorted(folder.glob("*.json"))]


@dataclass(frozen=True)
class CaseResult:
    case: FormCase
    now: Outcome

    @property
    def changed(self) -> bool:
        return self.now != self.case.outcome

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.case.name,
            "file": self.case.path.name if self.case.path else None,
            "changed": self.changed,
            "before": self.case.outcome.to_json(),
            "now": self.now.to_json(),
        }


def run_cases(form: FormDefinition, cases: Iterable[FormCase]) -> list[CaseResult]:
    """Every case re-evaluated with ``form``."""
    return [CaseResult(case, Outcome.of(case.evaluate(form))) for case in cases]


def changed_case_lines(form: FormDefinition, folder: Path | None = None) -> list[str]:
    """Lines naming the saved cases whose outcome ``form`` would change (for diffs)."""
    folder = folder or shipped_cases_dir()
    if not folder.is_dir():
        return []
    results = run_cases(form, read_cases(folder))
    changed = [result for result in results if result.changed]
    lines = [
        f"Testtilfeller i {folder.name}/ som får et annet utfall med {form.version}: "
        f"{len(changed)} av {len(results)}."
    ]
    for result in changed:
        lines.append(f"  {result.case.name}: {result.case.outcome.short()} → {result.now.short()}")
    return lines
