"""Bokmål sentences that explain a rule's condition, generated from its expression.

``why_not(node)`` explains why a condition does not hold ("«Har personen vært
deltager i introduksjonsprogrammet?» ikke er «Ja»") and ``why(node)`` why it does;
the engine uses them for locked and conditionally required fields. Conditions
the generator does not understand fall back to a general sentence; a form file
can override the text with ``locked_reason``.
"""

from __future__ import annotations

from jsdesk.forms.model import FormDefinition, VarType
from jsdesk.rules.expr import BoolOp, Call, Compare, ListLit, Literal, Name, Node, Not


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
        from jsdesk.rules.functions import FUNCTIONS

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

    def why(self, node: Node, source: str) -> str:
        return self._explain(node, True) or f"vilkåret «{source}» er oppfylt"

    def why_not(self, node: Node, source: str) -> str:
        return self._explain(node, False) or f"vilkåret «{source}» ikke er oppfylt"
