"""Read a form file (YAML) into a ``FormDefinition``, checking everything on the way.

Every problem is collected, not just the first: ``check_form_file`` returns them
all for ``jsdesk form check``; ``load_form`` raises ``FormLoadError`` holding them.
Each problem names the file, the variable (when there is one) and what is wrong,
with the YAML line where known.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

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
from jsdesk.paths import forms_dir
from jsdesk.rules.expr import ExprError, Expression, code_references, compile_expression
from jsdesk.rules.findings import FindingCode, Severity
from jsdesk.rules.functions import FUNCTIONS

TOP_KEYS = frozenset({"form", "parts", "variables", "rules"})
FORM_KEYS = frozenset({"version", "title", "valid_from", "valid_to", "register_opened"})
PART_KEYS = frozenset({"number", "title", "description", "required_in", "closes_record"})
VARIABLE_KEYS = frozenset(
    {
        "id",
        "name",
        "label",
        "description",
        "type",
        "source",
        "importance",
        "part",
        "valid_from",
        "valid_to",
        "widget",
        "domain",
        "codes",
        "exclusive_codes",
        "fields",
    }
)
CODE_KEYS = frozenset({"code", "text", "valid_from", "valid_to"})
RULE_KEYS: dict[RuleKind, frozenset[str]] = {
    RuleKind.ENABLE: frozenset({"id", "kind", "variable", "when", "required", "locked_reason"}),
    RuleKind.REQUIRE: frozenset({"id", "kind", "variable", "when"}),
    RuleKind.DERIVE: frozenset({"id", "kind", "variable", "value"}),
    RuleKind.CHECK: frozenset(
        {"id", "kind", "variable", "when", "assert", "severity", "code", "message"}
    ),
}
WIDGETS = frozenset({"radio", "combo"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class _LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line it started on (1-based)."""

    line: int = 0


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and records line numbers."""

    duplicates: list[tuple[int, str]]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        result = _LineDict()
        result.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in result:
                self.duplicates.append((key_node.start_mark.line + 1, str(key)))
            result[key] = self.construct_object(value_node, deep=True)
        return result


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    lambda loader, node: loader.construct_mapping(node),  # type: ignore[arg-type]
)


class _Problems:
    """Collects FormProblems for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[FormProblem] = []

    def add(self, variable: str | None, message: str, where: object = None) -> None:
        line = getattr(where, "line", 0)
        if line:
            message = f"{message} (linje {line})"
        self.items.append(FormProblem(self.file, variable, message))


# ------------------------------------------------------------------ public API


def check_form_file(path: Path) -> list[FormProblem]:
    """Every problem in the form file at ``path`` (empty when it is sound)."""
    _form, problems = _load(path)
    return problems


def load_form(path: Path) -> FormDefinition:
    """The form in ``path``, precompiled; FormLoadError lists every problem found."""
    form, problems = _load(path)
    if problems or form is None:
        raise FormLoadError(problems)
    from jsdesk.rules.engine import prepare

    prepare(form)
    return form


def shipped_form_paths() -> list[Path]:
    """The form files shipped with jsdesk (``forms/*.yaml``), sorted by name."""
    folder = forms_dir()
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.yaml"))


@functools.cache
def _shipped_forms() -> tuple[FormDefinition, ...]:
    from jsdesk.errors import UserError

    forms: list[FormDefinition] = []
    for path in shipped_form_paths():
        try:
            forms.append(load_form(path))
        except FormLoadError as exc:
            raise UserError(
                "Et skjema som følger med jsdesk er ødelagt. Installer jsdesk på nytt.\n"
                + "\n".join(str(p) for p in exc.problems)
            ) from exc
    if not forms:
        raise UserError(f"Fant ingen skjemadefinisjoner i {forms_dir()}. Installer jsdesk på nytt.")
    return tuple(forms)


def default_form() -> FormDefinition:
    """The shipped form in force today (the newest one that has taken effect)."""
    forms = _shipped_forms()
    today = date.today()
    current = [f for f in forms if f.valid_from <= today] or list(forms)
    return max(current, key=lambda f: f.valid_from)


def form_by_version(version: str) -> FormDefinition:
    """The shipped form with this version; UserError when there is none."""
    for form in _shipped_forms():
        if form.version == version:
            return form
    from jsdesk.errors import UserError

    raise UserError(f"Skjemaversjon «{version}» finnes ikke i denne utgaven av jsdesk.")


# -------------------------------------------------------------------- reading


def _load(path: Path) -> tuple[FormDefinition | None, list[FormProblem]]:
    file = str(path)
    problems = _Problems(file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(None, "filen finnes ikke")
        return None, problems.items
    except UnicodeDecodeError:
        problems.add(None, "filen er ikke UTF-8-tekst")
        return None, problems.items
    except OSError as exc:
        problems.add(None, f"filen kan ikke leses ({exc.strerror})")
        return None, problems.items
    loader = _Loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (linje {mark.line + 1})" if mark is not None else ""
        problems.add(None, f"ikke gyldig YAML: {getattr(exc, 'problem', exc)}{where}")
        return None, problems.items
    finally:
        loader.dispose()
    for line, key in loader.duplicates:
        problems.add(None, f"nøkkelen «{key}» står to ganger i samme blokk (linje {line})")
    form = _build(data, problems)
    return (form if not problems.items else None), problems.items


def _build(data: object, problems: _Problems) -> FormDefinition | None:
    if not isinstance(data, dict):
        problems.add(None, "filen må inneholde nøklene form, parts, variables og rules")
        return None
    _unknown_keys(data, TOP_KEYS, problems, None, "på toppnivå")
    for key in sorted(TOP_KEYS - data.keys()):
        problems.add(None, f"mangler nøkkelen «{key}» på toppnivå")
    header = data.get("form")
    if not isinstance(header, dict):
        if "form" in data:
            problems.add(None, "«form» må være en blokk med version, title, valid_from …")
        header = _LineDict()
    reader = _Reader(header, problems, None, "form")
    reader.unknown(FORM_KEYS)
    version = reader.text("version")
    title = reader.text("title")
    valid_from = reader.date("valid_from")
    valid_to = reader.date("valid_to", optional=True)
    register_opened = reader.date("register_opened")
    _check_period(valid_from, valid_to, problems, None, "skjemaets", header)

    parts = _parts(data.get("parts"), problems)
    part_numbers = {p.number for p in parts}
    variables = _variables(data.get("variables"), problems, part_numbers)
    rules = _rules(data.get("rules"), variables, problems)
    if problems.items:
        return None
    assert valid_from is not None and register_opened is not None
    return FormDefinition(
        version=version,
        title=title,
        valid_from=valid_from,
        valid_to=valid_to,
        register_opened=register_opened,
        parts=parts,
        variables=variables,
        rules=rules,
        source_file=problems.file,
    )


class _Reader:
    """Typed access to one YAML mapping, reporting problems against a variable."""

    def __init__(
        self, data: dict[str, Any], problems: _Problems, variable: str | None, what: str
    ) -> None:
        self.data = data
        self.problems = problems
        self.variable = variable
        self.what = what

    def unknown(self, allowed: frozenset[str]) -> None:
        _unknown_keys(self.data, allowed, self.problems, self.variable, f"i {self.what}")

    def _missing(self, key: str) -> None:
        self.problems.add(self.variable, f"{self.what} mangler «{key}»", self.data)

    def _wrong(self, key: str, expected: str) -> None:
        value = self.data.get(key)
        self.problems.add(
            self.variable,
            f"«{key}» i {self.what} må være {expected} (fant {_show(value)})",
            self.data,
        )

    def text(self, key: str, *, optional: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if not optional:
                self._missing(key)
            return ""
        if not isinstance(value, str):
            self._wrong(key, "tekst")
            return ""
        return value

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            self._missing(key)
            return None
        if type(value) is not int:
            self._wrong(key, "et heltall")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self._wrong(key, "true eller false")
            return default
        return value

    def date(self, key: str, *, optional: bool = False) -> date | None:
        value = self.data.get(key)
        if value is None:
            if not optional:
                self._missing(key)
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self._wrong(key, 'en gyldig dato skrevet "ÅÅÅÅ-MM-DD" eller null')
        return None

    def choice(self, key: str, enum: type[Any], *, optional: bool = False) -> Any:
        value = self.data.get(key)
        if value is None:
            if not optional:
                self._missing(key)
            return None
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(str(item.value) for item in enum)
            self._wrong(key, f"en av {allowed}")
            return None


def _unknown_keys(
    data: Mapping[Any, object],
    allowed: frozenset[str],
    problems: _Problems,
    variable: str | None,
    where: str,
) -> None:
    for key in data:
        if key not in allowed:
            problems.add(
                variable,
                f"ukjent nøkkel «{key}» {where} (tillatt: {', '.join(sorted(allowed))})",
                data,
            )


def _show(value: object) -> str:
    if value is None:
        return "ingenting"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_period(
    start: date | None,
    end: date | None,
    problems: _Problems,
    variable: str | None,
    whose: str,
    where: object,
) -> None:
    if start is not None and end is not None and end < start:
        problems.add(
            variable,
            f"{whose} gyldighet slutter ({end.isoformat()}) før den begynner ({start.isoformat()})",
            where,
        )


def _parts(data: object, problems: _Problems) -> tuple[Part, ...]:
    if not isinstance(data, list):
        if data is not None:
            problems.add(None, "«parts» må være en liste")
        return ()
    parts: list[Part] = []
    for raw in data:
        if not isinstance(raw, dict):
            problems.add(None, "hver del i «parts» må være en blokk")
            continue
        reader = _Reader(raw, problems, None, f"skjemadel {raw.get('number', '?')}")
        reader.unknown(PART_KEYS)
        number = reader.integer("number")
        stages: set[Stage] = set()
        required_in = raw.get("required_in", [])
        if not isinstance(required_in, list):
            reader._wrong("required_in", "en liste med aktiv/avsluttet")
        else:
            for item in required_in:
                try:
                    stages.add(Stage(item))
                except ValueError:
                    problems.add(None, f"ukjent stadium «{item}» i required_in", raw)
        if number is None:
            continue
        if any(p.number == number for p in parts):
            problems.add(None, f"skjemadel {number} står to ganger", raw)
            continue
        parts.append(
            Part(
                number=number,
                title=reader.text("title"),
                description=reader.text("description", optional=True),
                required_in=frozenset(stages),
                closes_record=reader.boolean("closes_record", False),
            )
        )
    return tuple(parts)


def _variables(data: object, problems: _Problems, part_numbers: set[int]) -> tuple[Variable, ...]:
    if not isinstance(data, list):
        if data is not None:
            problems.add(None, "«variables» må være en liste")
        return ()
    result: list[Variable] = []
    seen_names: set[str] = set()
    seen_ids: set[str] = set()

    def remember(variable: Variable, where: object) -> None:
        if variable.name in seen_names:
            problems.add(variable.name, "variabelnavnet står mer enn én gang", where)
        seen_names.add(variable.name)
        if variable.id in seen_ids:
            problems.add(variable.name, f"id «{variable.id}» er brukt av en annen variabel", where)
        seen_ids.add(variable.id)

    for raw in data:
        variable = _variable(raw, problems, part_numbers, group=None)
        if variable is None:
            continue
        remember(variable, raw)
        for sub, sub_raw in zip(variable.fields, raw.get("fields") or [], strict=False):
            remember(sub, sub_raw)
        result.append(variable)
    return tuple(result)


def _variable(
    raw: object, problems: _Problems, part_numbers: set[int], group: Variable | None
) -> Variable | None:
    if not isinstance(raw, dict):
        problems.add(None, f"hver variabel må være en blokk (fant {_show(raw)})")
        return None
    name = raw.get("name")
    label = name if isinstance(name, str) else f"id {raw.get('id', '?')}"
    reader = _Reader(raw, problems, label, "variabelen")
    reader.unknown(VARIABLE_KEYS)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        problems.add(label, "«name» må være et variabelnavn med små bokstaver, sifre og _", raw)
    var_id = raw.get("id")
    if not isinstance(var_id, str | int):
        reader._missing("id")
    label_text = reader.text("label")
    description = reader.text("description", optional=True)
    var_type = reader.choice("type", VarType)
    source = reader.choice("source", Source)
    importance = reader.choice("importance", Importance)
    part = reader.integer("part")
    if part is not None and part_numbers and part not in part_numbers:
        problems.add(label, f"skjemadel {part} finnes ikke i «parts»", raw)
    if group is not None and part is not None and part != group.part:
        problems.add(label, f"feltet ligger i del {part}, men gruppen i del {group.part}", raw)
    valid_from = reader.date("valid_from")
    valid_to = reader.date("valid_to", optional=True)
    _check_period(valid_from, valid_to, problems, label, "variabelens", raw)
    widget = reader.text("widget", optional=True) or None
    if widget is not None and widget not in WIDGETS:
        reader._wrong("widget", "radio eller combo")
    domain = reader.choice("domain", Domain, optional=True)

    codes = _codes(raw, var_type, valid_from, valid_to, problems, label)
    exclusive = _exclusive(raw, var_type, codes, problems, label)
    has_fields = raw.get("fields") is not None
    if var_type is not VarType.GROUP and has_fields:
        problems.add(label, "bare variabler av type group kan ha «fields»", raw)
    if var_type is VarType.GROUP and group is not None:
        problems.add(label, "en gruppe kan ikke ligge inne i en annen gruppe", raw)
    if None in (var_type, source, importance, part, valid_from) or not label_text:
        return None
    assert valid_from is not None and part is not None
    variable = Variable(
        id=str(var_id),
        name=name if isinstance(name, str) else label,
        label=label_text,
        description=description,
        type=var_type,
        source=source,
        importance=importance,
        part=part,
        valid_from=valid_from,
        valid_to=valid_to,
        codes=codes,
        exclusive_codes=exclusive,
        widget=widget,
        domain=domain,
        group=group.name if group is not None else None,
    )
    if var_type is VarType.GROUP:
        fields_raw = raw.get("fields")
        if not isinstance(fields_raw, list) or not fields_raw:
            problems.add(label, "en gruppe må ha «fields» med minst ett felt", raw)
            return variable
        subs = [_variable(item, problems, part_numbers, variable) for item in fields_raw]
        variable = dataclasses.replace(
            variable, fields=tuple(sub for sub in subs if sub is not None)
        )
    return variable


def _codes(
    raw: dict[str, Any],
    var_type: VarType | None,
    var_from: date | None,
    var_to: date | None,
    problems: _Problems,
    label: str,
) -> tuple[Code, ...]:
    data = raw.get("codes")
    coded = var_type in {VarType.CODE, VarType.MULTICODE}
    if data is None:
        if coded:
            problems.add(label, "kodede variabler må ha «codes»", raw)
        return ()
    if not coded:
        problems.add(label, "bare variabler av type code og multicode kan ha «codes»", raw)
        return ()
    if not isinstance(data, list) or not data:
        problems.add(label, "«codes» må være en liste med minst én kode", raw)
        return ()
    codes: list[Code] = []
    for item in data:
        if not isinstance(item, dict):
            problems.add(label, f"hver kode må være en blokk (fant {_show(item)})", raw)
            continue
        reader = _Reader(item, problems, label, f"kode {item.get('code', '?')}")
        reader.unknown(CODE_KEYS)
        number = reader.integer("code")
        text = reader.text("text")
        start = reader.date("valid_from", optional=True) or var_from
        end = reader.date("valid_to", optional=True)
        _check_period(start, end, problems, label, f"kode {number}s", item)
        if start is not None and var_from is not None and start < var_from:
            problems.add(
                label, f"kode {number} gjelder fra før variabelen ({start.isoformat()})", item
            )
        if var_to is not None and (end is None or end > var_to):
            problems.add(
                label, f"kode {number} gjelder etter at variabelen slutter ({var_to})", item
            )
        if number is None or start is None:
            continue
        for other in codes:
            if other.code == number and _overlaps(other.valid_from, other.valid_to, start, end):
                problems.add(
                    label,
                    f"kode {number} står mer enn én gang med overlappende gyldighet",
                    item,
                )
                break
        codes.append(Code(number, text, start, end))
    return tuple(codes)


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


def _exclusive(
    raw: dict[str, Any],
    var_type: VarType | None,
    codes: tuple[Code, ...],
    problems: _Problems,
    label: str,
) -> tuple[int, ...]:
    data = raw.get("exclusive_codes")
    if data is None or data == []:
        return ()
    if var_type is not VarType.MULTICODE:
        problems.add(label, "bare multicode-variabler kan ha «exclusive_codes»", raw)
        return ()
    if not isinstance(data, list) or not all(type(c) is int for c in data):
        problems.add(label, "«exclusive_codes» må være en liste med koder", raw)
        return ()
    known = {c.code for c in codes}
    for code in data:
        if code not in known:
            problems.add(label, f"«exclusive_codes» nevner kode {code}, som ikke finnes", raw)
    return tuple(data)


# ---------------------------------------------------------------------- rules


def _rules(data: object, variables: tuple[Variable, ...], problems: _Problems) -> tuple[Rule, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        problems.add(None, "«rules» må være en liste")
        return ()
    by_name: dict[str, Variable] = {}
    for variable in variables:
        by_name[variable.name] = variable
        for sub in variable.fields:
            by_name[sub.name] = sub
    rules: list[Rule] = []
    seen: set[str] = set()
    for raw in data:
        rule = _rule(raw, by_name, problems)
        if rule is None:
            continue
        if rule.id in seen:
            problems.add(rule.variable, f"regel-id «{rule.id}» står mer enn én gang", raw)
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


def _rule(raw: object, by_name: dict[str, Variable], problems: _Problems) -> Rule | None:
    if not isinstance(raw, dict):
        problems.add(None, f"hver regel må være en blokk (fant {_show(raw)})")
        return None
    name = raw.get("variable")
    target_name = name if isinstance(name, str) else None
    rule_id = raw.get("id")
    what = f"regel «{rule_id}»" if isinstance(rule_id, str) else "en regel"
    reader = _Reader(raw, problems, target_name, what)
    if not isinstance(rule_id, str) or not rule_id:
        reader._missing("id")
    kind = reader.choice("kind", RuleKind)
    if kind is not None:
        reader.unknown(RULE_KEYS[kind])
    target = by_name.get(target_name) if target_name is not None else None
    if target_name is None:
        reader._missing("variable")
    elif target is None:
        problems.add(target_name, f"{what} gjelder en variabel som ikke finnes", raw)
    group_fields: frozenset[str] = frozenset()
    if target is not None and target.group is not None:
        group = by_name[target.group]
        group_fields = frozenset(f.name for f in group.fields)
        if kind is not None and kind is not RuleKind.CHECK:
            problems.add(target_name, f"{what}: felt i en gruppe kan bare ha check-regler", raw)

    def expression(key: str, *, optional: bool = False) -> Expression | None:
        text = raw.get(key)
        if text is None:
            if not optional:
                reader._missing(key)
            return None
        if not isinstance(text, str | int | bool):
            reader._wrong(key, "et uttrykk (tekst)")
            return None
        try:
            compiled = compile_expression(str(text), FUNCTIONS, group_fields)
        except ExprError as exc:
            problems.add(target_name, f"{what}: feil i «{key}»: {exc}", raw)
            return None
        _check_references(compiled, key, what, by_name, group_fields, target_name, raw, problems)
        return compiled

    if kind is None or not isinstance(rule_id, str):
        return None
    if kind is RuleKind.ENABLE:
        return Rule(
            id=rule_id,
            kind=kind,
            variable=target_name or "",
            when=expression("when"),
            required=reader.boolean("required", False),
            locked_reason=reader.text("locked_reason", optional=True) or None,
        )
    if kind is RuleKind.REQUIRE:
        return Rule(id=rule_id, kind=kind, variable=target_name or "", when=expression("when"))
    if kind is RuleKind.DERIVE:
        return Rule(id=rule_id, kind=kind, variable=target_name or "", value=expression("value"))
    severity = reader.choice("severity", Severity)
    code = raw.get("code")
    if code is None:
        reader._missing("code")
    elif code not in FindingCode.__members__:
        problems.add(
            target_name,
            f"{what}: ukjent kode «{code}» (se FindingCode i docs/form-format.md)",
            raw,
        )
    message = reader.text("message")
    for placeholder in _PLACEHOLDER.findall(message):
        ref = placeholder.removeprefix("label:")
        if placeholder != "label" and (not placeholder.startswith("label:") or ref not in by_name):
            problems.add(
                target_name, f"{what}: ukjent plassholder «{{{placeholder}}}» i «message»", raw
            )
    return Rule(
        id=rule_id,
        kind=kind,
        variable=target_name or "",
        when=expression("when", optional=True),
        assertion=expression("assert"),
        severity=str(severity or Severity.ERROR),
        code=str(code) if code is not None else None,
        message=message,
    )


def _check_references(
    compiled: Expression,
    key: str,
    what: str,
    by_name: dict[str, Variable],
    group_fields: frozenset[str],
    target_name: str | None,
    where: object,
    problems: _Problems,
) -> None:
    for ref in sorted(compiled.names):
        variable = by_name.get(ref)
        if variable is None:
            problems.add(target_name, f"{what}: «{key}» nevner ukjent variabel «{ref}»", where)
        elif variable.group is not None and ref not in group_fields:
            problems.add(
                target_name,
                f"{what}: «{key}» nevner «{ref}», som bare finnes i gruppen «{variable.group}»",
                where,
            )
    for ref, code in code_references(compiled.node):
        variable = by_name.get(ref)
        if variable is None:
            continue
        if variable.type not in {VarType.CODE, VarType.MULTICODE}:
            problems.add(
                target_name,
                f"{what}: «{key}» sammenligner «{ref}» med kode {code}, men «{ref}» er ikke kodet",
                where,
            )
        elif not variable.has_code(code):
            problems.add(
                target_name, f"{what}: «{key}» nevner kode {code}, som «{ref}» ikke har", where
            )
