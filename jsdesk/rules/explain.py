"""Bokmål sentences that explain a rule's condition, generated from its expression.

``why_not(node)`` explains why a condition does not hold ("«Har personen vært
deltager i introduksjonsprogrammet?» ikke er «Ja»") and ``why(node)`` why it does;
the engine uses them for locked and conditionally required fields. Conditions
the generator does not understand fall back to a general sentence; a form file
can override the text with ``locked_reason``.
"""

from __future__ import annotations

from collections.abc import Mapping

from jsdesk.forms.model import FormDefinition, VarType
from jsdesk.rules.expr import BoolOp, Call, Compare, ListLit, Literal, Name, Node, Not
from jsdesk.rules.functions import FUNCTIONS


def _join(items: list[str], last: str) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


class Explainer:
    def __init__(self, form: FormDefinition) -> None:
        self.form = form

    def label(self, name: str) -> str:
        if self.form.has_variable(name):
            return f"«{self.form.variable(name).label}»"
        return f"«{name}»"

    def value_text(self, name: str, node: Node) -> list[str]:
        items = node.items if isinstance(node, ListLit) else (node,)
        texts: list[str] = []
        variable = self.form.variable(name) if self.form.has_variable(name) else None
        for item in items:
            if not isinstance(item, Literal):
                return []
            value = item.value
            if (
                variable is not None
                and variable.type in {VarType.CODE, VarType.MULTICODE}
                and type(value) is int
            ):
                texts.append(f"«{variable.code_text(value)}»")
            else:
                texts.append(f"«{value}»")
        return texts

    def _simple(self, node: Node, positive: bool) -> str | None:
        if isinstance(node, Not):
            return self._simple(node.operand, not positive)
        if isinstance(node, Call):
            return self._call(node, positive)
        if not isinstance(node, Compare) or not isinstance(node.left, Name):
            return None
        texts = self.value_text(node.left.name, node.right)
        if not texts:
            return None
        label = self.label(node.left.name)
        op = node.op
        negated_ops = {"!=": "==", "not in": "in"}
        if op in negated_ops:
            op, positive = negated_ops[op], not positive
        if op in {"==", "in"}:
            verb = "er" if positive else "ikke er"
            return f"{label} {verb} {_join(texts, 'eller')}"
        if op in {"contains", "contains_any"}:
            if positive:
                return f"{label} inneholder {_join(texts, 'eller')}"
            lead = "noen av " if len(texts) > 1 else ""
            return f"{label} ikke inneholder {lead}{_join(texts, 'eller')}"
        return None

    def _call(self, node: Call, positive: bool) -> str | None:
        function = FUNCTIONS.get(node.func)
        if function is None or function.says is None or not node.args:
            return None
        first = node.args[0]
        if not isinstance(first, Name):
            return None
        return function.says[0 if positive else 1].format(self.label(first.name))

    def _explain(self, node: Node, positive: bool) -> str | None:
        simple = self._simple(node, positive)
        if simple is not None:
            return simple
        if isinstance(node, BoolOp):
            # not (a or b) = not a and not b: all parts are explained, joined by "og".
            all_parts = (node.op == "or") != positive
            parts = [self._explain(o, positive) for o in node.operands]
            if any(p is None for p in parts):
                return None
            return _join([p for p in parts if p is not None], "og" if all_parts else "eller")
        return None

    def why_now(self, node: Node, values: Mapping[str, object]) -> str | None:
        """Why the condition holds for these values, naming only what applies: of an
        «or» only the parts that hold, of a list only the codes that were chosen. None when
        the condition is not one this can narrow (the caller keeps the general sentence)."""
        if isinstance(node, BoolOp):
            parts: list[str] = []
            for operand in node.operands:
                holds = self._holds(operand, values)
                if holds is None:
                    return None
                if holds:
                    part = self.why_now(operand, values)
                    if part is None:
                        return None
                    parts.append(part)
                elif node.op == "and":
                    return None
            return _join(parts, "og") if parts else None
        chosen = self._chosen(node, values)
        if chosen is None or not chosen[1]:
            return None
        name, codes = chosen
        verb = "inneholder" if isinstance(values.get(name), list) else "er"
        texts = self.value_text(name, ListLit(tuple(Literal(code) for code in codes)))
        return f"{self.label(name)} {verb} {_join(texts, 'og')}" if texts else None

    def _chosen(self, node: Node, values: Mapping[str, object]) -> tuple[str, list[object]] | None:
        """For «x == v», «x in [..]», «x contains ..»: x and the listed values it has."""
        if not isinstance(node, Compare) or not isinstance(node.left, Name):
            return None
        if node.op not in {"==", "in", "contains", "contains_any"}:
            return None
        items = node.right.items if isinstance(node.right, ListLit) else (node.right,)
        if not all(isinstance(item, Literal) for item in items):
            return None
        listed = [item.value for item in items if isinstance(item, Literal)]
        value = values.get(node.left.name)
        given = value if isinstance(value, list) else [value]
        return node.left.name, [code for code in listed if code in given]

    def _holds(self, node: Node, values: Mapping[str, object]) -> bool | None:
        if isinstance(node, BoolOp):
            results = [self._holds(operand, values) for operand in node.operands]
            if any(result is None for result in results):
                return None
            return any(results) if node.op == "or" else all(results)
        chosen = self._chosen(node, values)
        return None if chosen is None else bool(chosen[1])

    def why(self, node: Node, source: str) -> str:
        return self._explain(node, True) or f"vilkåret «{source}» er oppfylt"

    def why_not(self, node: Node, source: str) -> str:
        return self._explain(node, False) or f"vilkåret «{source}» ikke er oppfylt"


def in_form_words(form: FormDefinition, variable: str, message: str) -> str:
    """A finding's message as the caseworker reads it: led by the variable's label (never its
    internal name) unless the message names the label already."""
    label = form.variable(variable).label if form.has_variable(variable) else None
    if label is None or f"«{label}»" in message:
        return message
    return f"«{label}»: {message}"
