"""The form files' small expression language: tokenizer, parser, compiler.

Rule text such as ``deltatt_intro == 1`` or
``norskopplaring_spraktrening contains 3 or sted_arbeidspraksis contains_any [1, 2]``
is parsed into a tiny AST and compiled once, at load time, into nested Python
closures. Nothing from a form file is ever passed to ``eval``/``exec``: the only
operations an expression can perform are the ones this module implements.

Grammar (lowest precedence first)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand [op operand]
    op         := "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in"
                  | "contains" | "contains_any"
    operand    := INT | STRING | "null" | "true" | "false" | list | call | NAME | "(" expr ")"
    list       := "[" [expr ("," expr)*] "]"
    call       := NAME "(" [expr ("," expr)*] ")"

Semantics: a missing value is ``None``; every comparison involving ``None`` is
false (so ``x != 1`` is false while ``x`` is unanswered). Functions given
``None`` return ``None``. Values of different types never compare equal or
ordered (no exceptions).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from jsdesk.domain.period import Period

if TYPE_CHECKING:
    from jsdesk.domain.fnr import PersonKey

# ----------------------------------------------------------------- evaluation env


class Env:
    """What an expression can see while it runs.

    ``values`` holds the well-formed values of the record's variables (malformed,
    locked or unanswered ones are absent); ``entry`` the current group entry's
    fields while a group rule runs; ``period`` the participation's period (start
    to end, or to today while active), None while the start date is unknown;
    ``person_key`` the installation's key for ``person_id()`` (None: no person id).
    """

    __slots__ = ("entry", "period", "person_key", "today", "values")

    def __init__(
        self,
        values: Mapping[str, object],
        today: date,
        entry: Mapping[str, object] | None = None,
        period: Period | None = None,
        person_key: PersonKey | None = None,
    ) -> None:
        self.values = values
        self.today = today
        self.entry = entry
        self.period = period
        self.person_key = person_key


Compiled = Callable[[Env], object]
FunctionImpl = Callable[..., object]  # impl(env, *args)


@dataclass(frozen=True, slots=True)
class Function:
    """A function the language offers: ``arity`` arguments, ``impl(env, *args)``.

    ``says``: for a condition function, Bokmål for "holds" and "does not hold" with
    ``{0}`` for the first argument's label, used to explain locked fields.
    """

    arity: int
    impl: FunctionImpl
    says: tuple[str, str] | None = None


class ExprError(Exception):
    """A syntax or reference error in an expression, with a Bokmål message."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return f"{self.message} (tegn {self.position + 1})"


# ----------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<int>\d+)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
    """,
    re.VERBOSE,
)
KEYWORDS = frozenset(
    {"and", "or", "not", "in", "contains", "contains_any", "null", "true", "false"}
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "int" | "str" | "name" | "kw" | "op" | "end"
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ExprError(f"ukjent tegn «{text[pos]}»", pos)
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "name" and value in KEYWORDS:
            kind = "kw"
        if kind != "ws":
            tokens.append(Token(kind, value, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# -------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Literal:
    value: object


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # == != < <= > >= in "not in" contains contains_any
    left: Node
    right: Node


Node = Literal | Name | ListLit | Call | Not | BoolOp | Compare

_COMPARE_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token.kind in {"op", "kw"} and token.text == text:
            self.i += 1
            return True
        return False

    def expect(self, text: str) -> None:
        token = self.peek()
        if not self.accept(text):
            found = token.text or "slutten av uttrykket"
            raise ExprError(f"forventet «{text}», fant «{found}»", token.pos)

    def parse(self) -> Node:
        node = self.expr()
        token = self.peek()
        if token.kind != "end":
            raise ExprError(f"uventet «{token.text}»", token.pos)
        return node

    def expr(self) -> Node:
        operands = [self.and_expr()]
        while self.accept("or"):
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while self.accept("and"):
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def not_expr(self) -> Node:
        if self.accept("not"):
            return Not(self.not_expr())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        token = self.peek()
        if token.kind == "op" and token.text in _COMPARE_OPS:
            self.take()
            return Compare(token.text, left, self.operand())
        if token.kind == "kw" and token.text in {"in", "contains", "contains_any"}:
            self.take()
            return Compare(token.text, left, self.operand())
        if token.kind == "kw" and token.text == "not":
            self.take()
            self.expect("in")
            return Compare("not in", left, self.operand())
        return left

    def operand(self) -> Node:
        token = self.take()
        if token.kind == "int":
            return Literal(int(token.text))
        if token.kind == "str":
            return Literal(_unquote(token.text))
        if token.kind == "kw" and token.text in {"null", "true", "false"}:
            return Literal({"null": None, "true": True, "false": False}[token.text])
        if token.kind == "op" and token.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        if token.kind == "op" and token.text == "[":
            items: list[Node] = []
            if not self.accept("]"):
                items.append(self.expr())
                while self.accept(","):
                    items.append(self.expr())
                self.expect("]")
            return ListLit(tuple(items))
        if token.kind == "name":
            if self.accept("("):
                args: list[Node] = []
                if not self.accept(")"):
                    args.append(self.expr())
                    while self.accept(","):
                        args.append(self.expr())
                    self.expect(")")
                return Call(token.text, tuple(args), token.pos)
            return Name(token.text, token.pos)
        found = token.text or "slutten av uttrykket"
        raise ExprError(f"forventet en verdi, fant «{found}»", token.pos)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse(text: str) -> Node:
    """Parse expression text; raises ExprError with a Bokmål message."""
    return _Parser(text).parse()


def names_in(node: Node) -> frozenset[str]:
    """Every variable name the expression reads."""
    found: set[str] = set()

    def walk(item: Node) -> None:
        match item:
            case Name(name=name):
                found.add(name)
            case ListLit(items=items) | Call(args=items):
                for sub in items:
                    walk(sub)
            case Not(operand=operand):
                walk(operand)
            case BoolOp(operands=operands):
                for sub in operands:
                    walk(sub)
            case Compare(left=left, right=right):
                walk(left)
                walk(right)
            case Literal():
                pass

    walk(node)
    return frozenset(found)


def code_references(node: Node) -> list[tuple[str, int]]:
    """(variable, code) pairs where a code variable is compared with integer codes.

    Covers ``v == 1``, ``v != 1``, ``v in [1, 2]``, ``v not in [..]``,
    ``v contains 3`` and ``v contains_any [1, 2]``; the loader checks each code
    exists in that variable's list.
    """
    pairs: list[tuple[str, int]] = []

    def ints(item: Node) -> list[int]:
        if isinstance(item, Literal) and type(item.value) is int:
            return [item.value]
        if isinstance(item, ListLit):
            return [v for sub in item.items for v in ints(sub)]
        return []

    def walk(item: Node) -> None:
        match item:
            case Compare(op=op, left=Name(name=name), right=right) if op in {
                "==",
                "!=",
                "in",
                "not in",
                "contains",
                "contains_any",
            }:
                pairs.extend((name, code) for code in ints(right))
            case Not(operand=operand):
                walk(operand)
            case BoolOp(operands=operands):
                for sub in operands:
                    walk(sub)
            case _:
                pass

    walk(node)
    return pairs


# --------------------------------------------------------------------- compiler


def _compare(op: str) -> Callable[[object, object], bool]:
    def eq(a: object, b: object) -> bool:
        return a is not None and b is not None and type(a) is type(b) and a == b

    def ne(a: object, b: object) -> bool:
        return a is not None and b is not None and not (type(a) is type(b) and a == b)

    def ordered(check: Callable[[Any, Any], bool]) -> Callable[[object, object], bool]:
        def run(a: object, b: object) -> bool:
            if a is None or b is None or type(a) is not type(b) or isinstance(a, bool | list):
                return False
            return check(a, b)

        return run

    def member(a: object, b: object) -> bool:
        return a is not None and isinstance(b, list) and any(eq(a, x) for x in b)

    def not_member(a: object, b: object) -> bool:
        return a is not None and isinstance(b, list) and not any(eq(a, x) for x in b)

    def contains(a: object, b: object) -> bool:
        return isinstance(a, list) and b is not None and any(eq(x, b) for x in a)

    def contains_any(a: object, b: object) -> bool:
        return isinstance(a, list) and isinstance(b, list) and any(eq(x, y) for x in a for y in b)

    table: dict[str, Callable[[object, object], bool]] = {
        "==": eq,
        "!=": ne,
        "<": ordered(lambda a, b: a < b),
        "<=": ordered(lambda a, b: a <= b),
        ">": ordered(lambda a, b: a > b),
        ">=": ordered(lambda a, b: a >= b),
        "in": member,
        "not in": not_member,
        "contains": contains,
        "contains_any": contains_any,
    }
    return table[op]


def compile_node(
    node: Node,
    functions: Mapping[str, Function],
    entry_names: frozenset[str] = frozenset(),
) -> Compiled:
    """Turn an AST into a closure ``f(env) -> value``; raises ExprError for bad calls."""
    match node:
        case Literal(value=value):
            return lambda env: value
        case Name(name=name) if name in entry_names:
            return lambda env: env.entry.get(name) if env.entry is not None else None
        case Name(name=name):
            return lambda env: env.values.get(name)
        case ListLit(items=items):
            parts = [compile_node(item, functions, entry_names) for item in items]
            if all(isinstance(item, Literal) for item in items):
                constant = [item.value for item in items if isinstance(item, Literal)]
                return lambda env: constant
            return lambda env: [part(env) for part in parts]
        case Call(func=func, args=args, pos=pos):
            if func == "date":
                return _compile_date_literal(args, pos)
            spec = functions.get(func)
            if spec is None:
                raise ExprError(f"ukjent funksjon «{func}»", pos)
            if len(args) != spec.arity:
                raise ExprError(
                    f"funksjonen «{func}» tar {spec.arity} argument(er), fikk {len(args)}", pos
                )
            compiled = [compile_node(arg, functions, entry_names) for arg in args]
            impl = spec.impl
            return lambda env: impl(env, *[arg(env) for arg in compiled])
        case Not(operand=operand):
            inner = compile_node(operand, functions, entry_names)
            return lambda env: not inner(env)
        case BoolOp(op=op, operands=operands):
            return _compile_bool(op, [compile_node(o, functions, entry_names) for o in operands])
        case Compare(op=op, left=left, right=right):
            check = _compare(op)
            lhs = compile_node(left, functions, entry_names)
            if isinstance(right, Literal | ListLit) and all(
                isinstance(i, Literal) for i in getattr(right, "items", ())
            ):
                fixed = compile_node(right, functions, entry_names)(Env({}, date.min))
                fast = _compare_constant(op, lhs, fixed)
                if fast is not None:
                    return fast
                return lambda env: check(lhs(env), fixed)
            rhs = compile_node(right, functions, entry_names)
            return lambda env: check(lhs(env), rhs(env))
    raise AssertionError(f"unknown node {node!r}")  # pragma: no cover - exhaustive match


def _compile_bool(op: str, parts: list[Compiled]) -> Compiled:
    # Plain loops rather than all()/any() over a generator: this runs per keystroke.
    if op == "and":

        def run_and(env: Env) -> bool:
            for part in parts:  # noqa: SIM110
                if not part(env):
                    return False
            return True

        return run_and

    def run_or(env: Env) -> bool:
        for part in parts:  # noqa: SIM110
            if part(env):
                return True
        return False

    return run_or


_HASHABLE = (int, str, date)


def _compare_constant(op: str, lhs: Compiled, fixed: object) -> Compiled | None:
    """Fast paths for the common ``name == 1`` / ``name in [1, 2]`` / ``contains`` forms.

    Same semantics as ``_compare``: values match only when their types match, so
    a ``(type, value)`` key keeps ``True`` apart from ``1``.
    """
    if op in {"==", "!="} and fixed.__class__ in _HASHABLE:
        cls = fixed.__class__
        if op == "==":
            return lambda env: (v := lhs(env)).__class__ is cls and v == fixed
        return lambda env: (v := lhs(env)) is not None and not (v.__class__ is cls and v == fixed)
    if isinstance(fixed, list) and all(x.__class__ in _HASHABLE for x in fixed):
        keys = frozenset((x.__class__, x) for x in fixed)
        if op == "in":
            return lambda env: (v := lhs(env)).__class__ in _HASHABLE and (v.__class__, v) in keys
        if op == "not in":
            return lambda env: (
                (v := lhs(env)).__class__ in _HASHABLE
                and (
                    v.__class__,
                    v,
                )
                not in keys
            )
        if op == "contains_any":

            def contains_any(env: Env) -> bool:
                v = lhs(env)
                if v.__class__ is not list:
                    return False
                assert isinstance(v, list)
                return any(x.__class__ in _HASHABLE and (x.__class__, x) in keys for x in v)

            return contains_any
    if op == "contains" and fixed.__class__ in _HASHABLE:
        key = (fixed.__class__, fixed)

        def contains(env: Env) -> bool:
            v = lhs(env)
            if v.__class__ is not list:
                return False
            assert isinstance(v, list)
            return any(x.__class__ in _HASHABLE and (x.__class__, x) == key for x in v)

        return contains
    return None


def _compile_date_literal(args: Sequence[Node], pos: int) -> Compiled:
    if len(args) != 1 or not isinstance(args[0], Literal) or not isinstance(args[0].value, str):
        raise ExprError('date() tar én dato i anførselstegn, f.eks. date("2023-01-01")', pos)
    try:
        day = date.fromisoformat(args[0].value)
    except ValueError:
        raise ExprError(f"ugyldig dato «{args[0].value}» i date()", pos) from None
    return lambda env: day


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed and compiled expression with the names it reads."""

    source: str
    node: Node
    names: frozenset[str]
    run: Compiled

    def __call__(self, env: Env) -> object:
        return self.run(env)


def compile_expression(
    text: str,
    functions: Mapping[str, Function],
    entry_names: frozenset[str] = frozenset(),
) -> Expression:
    """Parse and compile ``text``; raises ExprError (Bokmål) on any problem."""
    node = parse(text)
    return Expression(text, node, names_in(node), compile_node(node, functions, entry_names))
