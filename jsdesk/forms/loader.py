"""Read a form file (YAML) into a ``FormDefinition``, checking everything on the way.

Every problem is collected, not just the first. Each problem names the file, the
variable (when there is one) and what is wrong, with the YAML line where known.
Stages: ``reading`` (YAML, typed access) → this module (header, parts, variables,
codes) → the ``rules:`` section, read by the parser the caller passes in
(:func:`jsdesk.rules.rule_parsing.parse_rules`). Loading a form with its rules
compiled, and finding the shipped forms, is :mod:`jsdesk.rules.form_files`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from jsdesk.forms.model import (
    Code,
    CodeGroup,
    Domain,
    FormDefinition,
    FormProblem,
    Importance,
    Part,
    Role,
    Rule,
    Source,
    Stage,
    Variable,
    VarType,
)
from jsdesk.forms.reading import (
    LineDict,
    Problems,
    Reader,
    check_period,
    read_yaml,
    show,
    unknown_keys,
)

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
        "role",
        "guidance",
        "codes",
        "exclusive_codes",
        "code_groups",
        "fields",
    }
)
CODE_KEYS = frozenset({"code", "text", "valid_from", "valid_to", "unknown"})
CODE_GROUP_KEYS = frozenset({"name", "text", "codes", "goal"})
WIDGETS = frozenset({"radio", "combo"})


# Reads the ``rules:`` section. The rules package supplies it: forms does not know
# the rule language.
RuleParser = Callable[[object, tuple[Variable, ...], Problems], tuple[Rule, ...]]


def read_form_file(
    path: Path, parse_rules: RuleParser
) -> tuple[FormDefinition | None, list[FormProblem]]:
    """The form in ``path`` (None when it has problems) and every problem found."""
    problems = Problems(str(path))
    data = read_yaml(path, problems)
    if problems.items:
        return None, problems.items
    form = _build(data, problems, parse_rules)
    return (form if not problems.items else None), problems.items


# -------------------------------------------------------------------- building


def _build(data: object, problems: Problems, parse_rules: RuleParser) -> FormDefinition | None:
    if not isinstance(data, dict):
        problems.add(None, "filen må inneholde nøklene form, parts, variables og rules")
        return None
    unknown_keys(data, TOP_KEYS, problems, None, "på toppnivå")
    for key in sorted(TOP_KEYS - data.keys()):
        problems.add(None, f"mangler nøkkelen «{key}» på toppnivå")
    header = data.get("form")
    if not isinstance(header, dict):
        if "form" in data:
            problems.add(None, "«form» må være en blokk med version, title, valid_from …")
        header = LineDict()
    reader = Reader(header, problems, None, "form")
    reader.unknown(FORM_KEYS)
    version = reader.text("version")
    title = reader.text("title")
    valid_from = reader.date("valid_from")
    valid_to = reader.date("valid_to", optional=True)
    register_opened = reader.date("register_opened")
    check_period(valid_from, valid_to, problems, None, "skjemaets", header)

    parts = _parts(data.get("parts"), problems)
    part_numbers = {p.number for p in parts}
    variables = _variables(data.get("variables"), problems, part_numbers)
    rules = parse_rules(data.get("rules"), variables, problems)
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


def _parts(data: object, problems: Problems) -> tuple[Part, ...]:
    if not isinstance(data, list):
        if data is not None:
            problems.add(None, "«parts» må være en liste")
        return ()
    parts: list[Part] = []
    for raw in data:
        if not isinstance(raw, dict):
            problems.add(None, "hver del i «parts» må være en blokk")
            continue
        reader = Reader(raw, problems, None, f"skjemadel {raw.get('number', '?')}")
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


def _variables(data: object, problems: Problems, part_numbers: set[int]) -> tuple[Variable, ...]:
    if not isinstance(data, list):
        if data is not None:
            problems.add(None, "«variables» må være en liste")
        return ()
    result: list[Variable] = []
    seen_names: set[str] = set()
    seen_ids: set[str] = set()

    roles: dict[Role, str] = {}

    def remember(variable: Variable, where: object) -> None:
        if variable.role is not None:
            other = roles.setdefault(variable.role, variable.name)
            if other != variable.name:
                problems.add(
                    variable.name, f"role: {variable.role} er allerede gitt til «{other}»", where
                )
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
    for role in (Role.IDENTITY, Role.START):
        if result and role not in roles:
            problems.add(None, f"ingen variabel har role: {role} (skjemaet må si hvilken)")
    return tuple(result)


def _variable(
    raw: object, problems: Problems, part_numbers: set[int], group: Variable | None
) -> Variable | None:
    if not isinstance(raw, dict):
        problems.add(None, f"hver variabel må være en blokk (fant {show(raw)})")
        return None
    name = raw.get("name")
    label = name if isinstance(name, str) else f"id {raw.get('id', '?')}"
    reader = Reader(raw, problems, label, "variabelen")
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
    check_period(valid_from, valid_to, problems, label, "variabelens", raw)
    widget = reader.text("widget", optional=True) or None
    if widget is not None and widget not in WIDGETS:
        reader._wrong("widget", "radio eller combo")
    domain = reader.choice("domain", Domain, optional=True)
    role = reader.choice("role", Role, optional=True)
    if role is not None and group is not None:
        problems.add(label, "et felt i en gruppe kan ikke ha «role»", raw)
    guidance = reader.text("guidance", optional=True)

    codes = _codes(raw, var_type, valid_from, valid_to, problems, label)
    exclusive = _exclusive(raw, var_type, codes, problems, label)
    code_groups = _code_groups(raw, var_type, codes, problems, label)
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
        code_groups=code_groups,
        widget=widget,
        domain=domain,
        group=group.name if group is not None else None,
        role=role,
        guidance=" ".join(guidance.split()),
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
    problems: Problems,
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
            problems.add(label, f"hver kode må være en blokk (fant {show(item)})", raw)
            continue
        reader = Reader(item, problems, label, f"kode {item.get('code', '?')}")
        reader.unknown(CODE_KEYS)
        number = reader.integer("code")
        text = reader.text("text")
        start = reader.date("valid_from", optional=True) or var_from
        end = reader.date("valid_to", optional=True)
        unknown = item.get("unknown", False)
        if not isinstance(unknown, bool):
            problems.add(label, f"«unknown» i kode {number} må være true eller false", item)
            unknown = False
        check_period(start, end, problems, label, f"kode {number}s", item)
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
        codes.append(Code(number, text, start, end, unknown))
    return tuple(codes)


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


def _exclusive(
    raw: dict[str, Any],
    var_type: VarType | None,
    codes: tuple[Code, ...],
    problems: Problems,
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


def _code_groups(
    raw: dict[str, Any],
    var_type: VarType | None,
    codes: tuple[Code, ...],
    problems: Problems,
    label: str,
) -> tuple[CodeGroup, ...]:
    """Reporting groups: every code of the variable in exactly one group."""
    data = raw.get("code_groups")
    if data is None or data == []:
        return ()
    if var_type is not VarType.CODE:
        problems.add(label, "bare code-variabler kan ha «code_groups»", raw)
        return ()
    if not isinstance(data, list):
        problems.add(label, "«code_groups» må være en liste med grupper", raw)
        return ()
    known = {c.code for c in codes}
    seen: dict[int, str] = {}
    groups: list[CodeGroup] = []
    for item in data:
        if not isinstance(item, dict):
            problems.add(label, f"hver kodegruppe må være en blokk (fant {show(item)})", raw)
            continue
        reader = Reader(item, problems, label, f"kodegruppe {item.get('name', '?')}")
        reader.unknown(CODE_GROUP_KEYS)
        name = reader.text("name")
        text = reader.text("text")
        members = item.get("codes")
        goal = item.get("goal", False)
        if not isinstance(goal, bool):
            problems.add(label, f"«goal» i kodegruppe {name} må være true eller false", item)
            goal = False
        if not isinstance(members, list) or not members or not all(type(c) is int for c in members):
            problems.add(label, f"kodegruppe {name} må ha «codes», en liste med koder", item)
            continue
        for code in members:
            if code not in known:
                problems.add(label, f"kodegruppe {name} nevner kode {code}, som ikke finnes", item)
            elif code in seen:
                problems.add(
                    label, f"kode {code} står i både kodegruppe {seen[code]} og {name}", item
                )
            seen[code] = name
        groups.append(CodeGroup(name, text, tuple(members), goal))
    for code in sorted(known - seen.keys()):
        problems.add(label, f"kode {code} står ikke i noen kodegruppe", raw)
    return tuple(groups)
