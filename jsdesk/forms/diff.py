"""What changed between two form versions: variables, codes, validity periods, rules.

``diff_forms(old, new)`` compares two loaded ``FormDefinition`` objects and
returns one ``FormChange`` per difference, in the order a reader expects: the
form itself, its parts, the variables in the new form's order (group fields
under their group), then the rules. ``jsdesk form diff OLD NEW`` prints them
(:mod:`jsdesk.commands.form`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from jsdesk.forms.model import Code, FormDefinition, Part, Rule, Variable


class ChangeKind(StrEnum):
    ADDED = "lagt til"
    REMOVED = "fjernet"
    CHANGED = "endret"


@dataclass(frozen=True)
class FormChange:
    """One difference. ``subject`` names the thing ("variabel deltatt_intro",
    "kode 3 i sivilstand", "regel bydel_oslo"); ``detail`` says how it differs."""

    kind: ChangeKind
    subject: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.kind}: {self.subject}"
        return f"{text}: {self.detail}" if self.detail else text

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind.name.lower(), "subject": self.subject, "detail": self.detail}


_FORM_FIELDS = {
    "version": "versjon",
    "title": "tittel",
    "valid_from": "gyldig fra",
    "valid_to": "gyldig til",
    "register_opened": "registeret åpnet",
}
_PART_FIELDS = {
    "title": "tittel",
    "description": "beskrivelse",
    "required_in": "påkrevd i",
    "closes_record": "avslutter registreringen",
}
_VARIABLE_FIELDS = {
    "id": "id",
    "label": "ledetekst",
    "description": "beskrivelse",
    "type": "type",
    "source": "kilde",
    "importance": "viktighet",
    "part": "skjemadel",
    "valid_from": "gyldig fra",
    "valid_to": "gyldig til",
    "widget": "visning",
    "domain": "verdiområde",
    "exclusive_codes": "eksklusive koder",
}
_RULE_FIELDS = {
    "kind": "type",
    "variable": "variabel",
    "when": "når",
    "required": "påkrevd",
    "locked_reason": "låst-forklaring",
    "value": "verdi",
    "assertion": "krav",
    "severity": "alvorlighet",
    "code": "kode",
    "message": "melding",
}


def diff_forms(old: FormDefinition, new: FormDefinition) -> list[FormChange]:
    changes: list[FormChange] = []
    details = _field_changes(old, new, _FORM_FIELDS)
    if details:
        changes.append(FormChange(ChangeKind.CHANGED, "skjemaet", "; ".join(details)))
    changes += _diff_parts(old.parts, new.parts)
    changes += _diff_variables(old.variables, new.variables, parent="")
    changes += _diff_rules(old.rules, new.rules)
    return changes


def _diff_parts(old: Sequence[Part], new: Sequence[Part]) -> list[FormChange]:
    before = {part.number: part for part in old}
    after = {part.number: part for part in new}
    changes = []
    for number in sorted(before.keys() | after.keys()):
        subject = f"del {number}"
        if number not in before:
            changes.append(FormChange(ChangeKind.ADDED, subject, after[number].title))
        elif number not in after:
            changes.append(FormChange(ChangeKind.REMOVED, subject, before[number].title))
        else:
            details = _field_changes(before[number], after[number], _PART_FIELDS)
            if details:
                changes.append(FormChange(ChangeKind.CHANGED, subject, "; ".join(details)))
    return changes


def _diff_variables(
    old: Sequence[Variable], new: Sequence[Variable], *, parent: str
) -> list[FormChange]:
    before = {variable.name: variable for variable in old}
    after = {variable.name: variable for variable in new}
    prefix = f"felt i {parent}: " if parent else ""
    changes = []
    for name in _ordered(after, before):
        subject = f"{prefix}variabel {name}"
        if name not in before:
            variable = after[name]
            changes.append(
                FormChange(
                    ChangeKind.ADDED,
                    subject,
                    f"{variable.id} «{variable.label}», {variable.type}, del {variable.part}, "
                    f"{_period(variable.valid_from, variable.valid_to)}",
                )
            )
            continue
        if name not in after:
            changes.append(FormChange(ChangeKind.REMOVED, subject, f"«{before[name].label}»"))
            continue
        details = _field_changes(before[name], after[name], _VARIABLE_FIELDS)
        if details:
            changes.append(FormChange(ChangeKind.CHANGED, subject, "; ".join(details)))
        changes += _diff_codes(name, before[name].codes, after[name].codes)
        changes += _diff_variables(before[name].fields, after[name].fields, parent=name)
    return changes


def _diff_codes(variable: str, old: Sequence[Code], new: Sequence[Code]) -> list[FormChange]:
    before = _codes_by_number(old)
    after = _codes_by_number(new)
    changes = []
    for number in sorted(before.keys() | after.keys()):
        subject = f"kode {number} i {variable}"
        if number not in before:
            changes.append(FormChange(ChangeKind.ADDED, subject, _code_text(after[number])))
        elif number not in after:
            changes.append(FormChange(ChangeKind.REMOVED, subject, _code_text(before[number])))
        elif before[number] != after[number]:
            details = []
            old_texts = {code.text for code in before[number]}
            new_texts = {code.text for code in after[number]}
            if old_texts != new_texts:
                details.append(
                    f"tekst «{' / '.join(sorted(old_texts))}» → «{' / '.join(sorted(new_texts))}»"
                )
            old_periods = [_period(c.valid_from, c.valid_to) for c in before[number]]
            new_periods = [_period(c.valid_from, c.valid_to) for c in after[number]]
            if old_periods != new_periods:
                details.append(f"gyldighet {', '.join(old_periods)} → {', '.join(new_periods)}")
            changes.append(FormChange(ChangeKind.CHANGED, subject, "; ".join(details)))
    return changes


def _diff_rules(old: Sequence[Rule], new: Sequence[Rule]) -> list[FormChange]:
    before = {rule.id: rule for rule in old}
    after = {rule.id: rule for rule in new}
    changes = []
    for rule_id in _ordered(after, before):
        subject = f"regel {rule_id}"
        if rule_id not in before:
            changes.append(FormChange(ChangeKind.ADDED, subject, _rule_summary(after[rule_id])))
        elif rule_id not in after:
            changes.append(FormChange(ChangeKind.REMOVED, subject, _rule_summary(before[rule_id])))
        else:
            details = _field_changes(before[rule_id], after[rule_id], _RULE_FIELDS)
            if details:
                changes.append(FormChange(ChangeKind.CHANGED, subject, "; ".join(details)))
    return changes


# --- helpers -----------------------------------------------------------------------------


def _ordered(after: Mapping[str, object], before: Mapping[str, object]) -> list[str]:
    """New order first, then what only the old one had, in its order."""
    return [*after, *(name for name in before if name not in after)]


def _field_changes(old: object, new: object, fields: dict[str, str]) -> list[str]:
    details = []
    for attribute, label in fields.items():
        before = _shown(getattr(old, attribute, None))
        after = _shown(getattr(new, attribute, None))
        if before != after:
            details.append(f"{label} {before} → {after}")
    return details


def _shown(value: object) -> str:
    """A field value as text for comparing and printing (expressions by their source)."""
    if value is None:
        return "(ingen)"
    source = getattr(value, "source", None)
    if isinstance(source, str):
        return f"«{' '.join(source.split())}»"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, frozenset | set):
        return "[" + ", ".join(sorted(str(item) for item in value)) + "]"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    if isinstance(value, str) and value:
        return f"«{value}»"
    return str(value)


def _codes_by_number(codes: Iterable[Code]) -> dict[int, tuple[Code, ...]]:
    result: dict[int, tuple[Code, ...]] = {}
    for code in codes:
        result[code.code] = (*result.get(code.code, ()), code)
    return result


def _code_text(codes: tuple[Code, ...]) -> str:
    periods = ", ".join(_period(code.valid_from, code.valid_to) for code in codes)
    return f"«{codes[0].text}», {periods}"


def _period(valid_from: date, valid_to: date | None) -> str:
    end = f"{valid_to:%d.%m.%Y}" if valid_to else ""
    return f"gyldig {valid_from:%d.%m.%Y}-{end}"


def _rule_summary(rule: Rule) -> str:
    parts = [f"{rule.kind} på {rule.variable}"]
    for attribute in ("when", "value", "assertion"):
        value = getattr(rule, attribute)
        if value is not None:
            parts.append(f"{_RULE_FIELDS[attribute]} {_shown(value)}")
    return ", ".join(parts)
