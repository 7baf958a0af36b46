"""Parsing the ``rules:`` section of a form file and checking what rules refer to."""

from __future__ import annotations

import re

from jsdesk.forms.model import Rule, RuleKind, Variable, VarType
from jsdesk.forms.reading import Problems, Reader, show
from jsdesk.rules.expr import ExprError, Expression, code_references, compile_expression
from jsdesk.rules.findings import FindingCode, Severity
from jsdesk.rules.functions import FUNCTIONS

RULE_KEYS: dict[RuleKind, frozenset[str]] = {
    RuleKind.ENABLE: frozenset(
        {"id", "kind", "variable", "when", "required", "locked_reason", "locks"}
    ),
    RuleKind.REQUIRE: frozenset({"id", "kind", "variable", "when"}),
    RuleKind.DERIVE: frozenset({"id", "kind", "variable", "value"}),
    RuleKind.CHECK: frozenset(
        {"id", "kind", "variable", "when", "assert", "severity", "code", "message"}
    ),
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def parse_rules(
    data: object, variables: tuple[Variable, ...], problems: Problems
) -> tuple[Rule, ...]:
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


def _rule(raw: object, by_name: dict[str, Variable], problems: Problems) -> Rule | None:
    if not isinstance(raw, dict):
        problems.add(None, f"hver regel må være en blokk (fant {show(raw)})")
        return None
    name = raw.get("variable")
    target_name = name if isinstance(name, str) else None
    rule_id = raw.get("id")
    what = f"regel «{rule_id}»" if isinstance(rule_id, str) else "en regel"
    reader = Reader(raw, problems, target_name, what)
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
        if raw.get("locks") is False and raw.get("locked_reason") is not None:
            problems.add(
                target_name, f"{what}: «locked_reason» brukes ikke med «locks: false»", raw
            )
        return Rule(
            id=rule_id,
            kind=kind,
            variable=target_name or "",
            when=expression("when"),
            required=reader.boolean("required", False),
            locked_reason=reader.text("locked_reason", optional=True) or None,
            locks=reader.boolean("locks", True),
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
    problems: Problems,
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
        if variable is None or variable.type in {VarType.INTEGER, VarType.YEAR}:
            continue
        if variable.type in {VarType.STRING, VarType.FNR, VarType.UUID, VarType.DATE}:
            problems.add(
                target_name,
                f"{what}: «{key}» sammenligner «{ref}» med tallet {code}, men «{ref}» er ikke "
                "kodet (skriv tekstverdier i anførselstegn)",
                where,
            )
        elif not variable.has_code(code):
            problems.add(
                target_name, f"{what}: «{key}» nevner kode {code}, som «{ref}» ikke har", where
            )
