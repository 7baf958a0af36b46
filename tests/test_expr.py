"""The expression language: parsing, semantics of missing values, safety."""

from __future__ import annotations

from datetime import date

import pytest

from jsdesk.rules.explain import Explainer
from jsdesk.rules.expr import (
    BoolOp,
    Compare,
    Env,
    ExprError,
    Function,
    Name,
    code_references,
    compile_expression,
    parse,
    tokenize,
)
from jsdesk.rules.functions import FUNCTIONS

TODAY = date(2025, 6, 1)


def value(text: str, **values: object) -> object:
    return compile_expression(text, FUNCTIONS)(Env(values, TODAY))


def test_tokenize__keywords_and_operators__kinds() -> None:
    kinds = [(t.kind, t.text) for t in tokenize('a not in [1, "x"] and b>=2')]
    assert kinds == [
        ("name", "a"),
        ("kw", "not"),
        ("kw", "in"),
        ("op", "["),
        ("int", "1"),
        ("op", ","),
        ("str", '"x"'),
        ("op", "]"),
        ("kw", "and"),
        ("name", "b"),
        ("op", ">="),
        ("int", "2"),
        ("end", ""),
    ]


def test_parse__and_binds_tighter_than_or() -> None:
    node = parse("a == 1 or b == 2 and c == 3")
    assert isinstance(node, BoolOp) and node.op == "or"
    assert isinstance(node.operands[1], BoolOp) and node.operands[1].op == "and"


@pytest.mark.parametrize(
    "text",
    ["a ==", "(a == 1", "a == 1)", "a = 1", "a == 1 b", "[1, 2", "a $ 1", "", "not"],
)
def test_parse__malformed__expr_error_with_position(text: str) -> None:
    with pytest.raises(ExprError) as info:
        parse(text)
    assert info.value.position is not None
    assert "tegn" in str(info.value)


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("a == 1", {"a": 1}, True),
        ("a == 1", {"a": 2}, False),
        ("a == 1", {}, False),
        ("a != 1", {}, False),
        ("a != 1", {"a": 2}, True),
        ("not (a == 1)", {}, True),
        ("a < 3", {}, False),
        ("a >= 3", {"a": 3}, True),
        ("a in [1, 2]", {"a": 2}, True),
        ("a in [1, 2]", {}, False),
        ("a not in [1, 2]", {"a": 3}, True),
        ("a not in [1, 2]", {}, False),
        ("m contains 3", {"m": [1, 3]}, True),
        ("m contains 3", {"m": [1]}, False),
        ("m contains 3", {}, False),
        ("m contains_any [4, 5]", {"m": [1, 5]}, True),
        ("m contains_any [4, 5]", {"m": [1]}, False),
        ('k == "0301"', {"k": "0301"}, True),
        ('k == "0301"', {"k": 301}, False),
        ("a == 1", {"a": True}, False),
        ("a < 1", {"a": "0"}, False),
        ('d <= date("2024-01-01")', {"d": date(2023, 5, 1)}, True),
        ("d <= today()", {"d": date(2025, 6, 2)}, False),
        ("year(d) == 2024", {"d": date(2024, 5, 1)}, True),
        ("age_at(y, d) == 34", {"y": 1990, "d": date(2024, 5, 1)}, True),
        ("answered(a)", {"a": []}, False),
        ("answered(a)", {"a": [1]}, True),
        ("null == null", {}, False),
        ("true and not false", {}, True),
    ],
)
def test_evaluate__semantics(text: str, values: dict[str, object], expected: bool) -> None:
    assert value(text, **values) is expected


def test_evaluate__function_of_missing_value__none() -> None:
    assert value("year(d)") is None
    assert value("kommunenavn(k, d, e)", k="0301") is None


def test_compile__names__collected() -> None:
    expression = compile_expression("a == 1 or year(b) > c", FUNCTIONS)
    assert expression.names == frozenset({"a", "b", "c"})


def test_compile__unknown_function__error() -> None:
    with pytest.raises(ExprError, match="ukjent funksjon «open»"):
        compile_expression('open("/etc/passwd")', FUNCTIONS)


def test_compile__python_code__never_executed() -> None:
    for text in ['__import__("os").system("x")', "a.b", "lambda: 1", "a[0]"]:
        with pytest.raises(ExprError):
            compile_expression(text, FUNCTIONS)


def test_compile__wrong_arity__error() -> None:
    with pytest.raises(ExprError, match="tar 1 argument"):
        compile_expression("year(a, b)", FUNCTIONS)


def test_compile__bad_date_literal__error() -> None:
    with pytest.raises(ExprError, match="ugyldig dato"):
        compile_expression('date("2023-02-30")', FUNCTIONS)


def test_compile__entry_names__read_from_group_entry() -> None:
    expression = compile_expression("p == 8 and a == 1", FUNCTIONS, frozenset({"p"}))
    assert expression(Env({"a": 1, "p": 2}, TODAY, {"p": 8})) is True
    assert expression(Env({"a": 1}, TODAY, None)) is False


def test_compile__custom_function__called_with_env() -> None:
    functions = {"double": Function(1, lambda env, x: None if x is None else 2 * x)}
    assert compile_expression("double(a) == 4", functions)(Env({"a": 2}, TODAY)) is True


def test_code_references__all_comparison_forms() -> None:
    node = parse("a == 1 or b in [2, 3] or not (m contains_any [4]) or k != 5 or x > 6")
    assert code_references(node) == [("a", 1), ("b", 2), ("b", 3), ("m", 4), ("k", 5)]


def test_explain__or_of_contains__all_parts_joined() -> None:
    from engine_support import shipped_form

    explainer = Explainer(shipped_form())
    node = parse("sted_arbeidspraksis contains_any [1, 2] or arbeidsrettede_tiltak contains 6")
    assert explainer.why_not(node, "") == (
        "«Hvor har deltakeren hatt ordinær arbeidspraksis?» ikke inneholder noen av "
        "«Intern, særlig tilrettelagt, praksis i kommunen/bydelen» eller «Hos offentlig "
        "arbeidsgiver» og «Arbeidsrettede tiltak» ikke inneholder «Praksis med fokus arbeid»"
    )
    assert explainer.why(parse("deltatt_intro == 1"), "") == (
        "«Har personen vært deltager i introduksjonsprogrammet?» er «Ja»"
    )


def test_explain__unknown_shape__general_sentence() -> None:
    from engine_support import shipped_form

    explainer = Explainer(shipped_form())
    node = parse("year(oppstartsdato) > 2024")
    assert explainer.why_not(node, "year(oppstartsdato) > 2024") == (
        "vilkåret «year(oppstartsdato) > 2024» ikke er oppfylt"
    )
    assert isinstance(parse("a == 1"), Compare)
    assert isinstance(parse("a"), Name)


# --- variable operands: the general paths no shipped rule uses ---------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [({"a": 2, "b": 1, "c": 2}, True), ({"a": 3, "b": 1, "c": 2}, False)],
)
def test_evaluate__in_list_of_variables__compares_their_values(
    values: dict[str, object], expected: bool
) -> None:
    assert value("a in [b, c]", **values) is expected
    assert value("a not in [b, c]", **values) is not expected


def test_evaluate__in_list_of_variables__missing_member_never_matches() -> None:
    assert value("a in [b, c]", a=2, b=2) is True
    assert value("a in [b, c]", a=None, b=1) is False


@pytest.mark.parametrize(
    ("values", "expected"),
    [({"m": [1, 6], "b": 6}, True), ({"m": [1, 6], "b": 3}, False), ({"m": [1], "b": None}, False)],
)
def test_evaluate__contains_variable__compares_its_value(
    values: dict[str, object], expected: bool
) -> None:
    assert value("m contains b", **values) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(1, 2, True), (2, 2, False), (None, 2, False), ("0301", "0301", False), ("0301", 301, True)],
)
def test_evaluate__not_equal_between_variables__by_value(
    a: object, b: object, expected: bool
) -> None:
    assert value("a != b", a=a, b=b) is expected
