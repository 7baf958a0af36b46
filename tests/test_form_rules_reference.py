"""The rules in the shipped form name only variables and codes the form has.

The engine's loader does these checks for every form file; this test keeps the
shipped file honest on its own, with nothing but the YAML and the format's
vocabulary (docs/form-format.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

FORM_PATH = Path(__file__).resolve().parent.parent / "forms" / "jobbsjansen-2023.yaml"

KEYWORDS = {"and", "or", "not", "in", "contains", "contains_any", "null"}
FUNCTIONS = {
    "longer_than_years",
    "reports_per_bydel",
    "today",
    "year",
    "age_at",
    "person_id",
    "birth_year",
    "kommunenavn",
    "answered",
    "date",
}
RULE_KEYS = {
    "enable": {"id", "kind", "variable", "when", "required", "locked_reason", "locks"},
    "require": {"id", "kind", "variable", "when"},
    "derive": {"id", "kind", "variable", "value"},
    "check": {"id", "kind", "variable", "when", "assert", "severity", "code", "message"},
}
EXPRESSION_KEYS = ("when", "value", "assert")
STRING = re.compile(r'"[^"]*"')
IDENTIFIER = re.compile(r"\b[a-z_][a-z0-9_]*\b(?!\s*\()")
CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")
INTEGERS = r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]"
CODE_USE = re.compile(
    rf"\b(?P<name>[a-z_][a-z0-9_]*)\s+"
    rf"(?:(?:==|!=|contains)\s+(?P<code>\d+)|(?:not\s+in|in|contains_any)\s+(?P<codes>{INTEGERS}))"
)
PLACEHOLDER = re.compile(r"\{label(?::(?P<name>[^}]+))?\}")


@pytest.fixture(scope="module")
def form() -> dict[str, Any]:
    with FORM_PATH.open(encoding="utf-8") as stream:
        loaded = yaml.safe_load(stream)
    assert isinstance(loaded, dict)
    return loaded


def all_variables(form: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for variable in form["variables"]:
        yield variable
        yield from variable.get("fields", [])


def expressions(rule: dict[str, Any]) -> Iterator[str]:
    for key in EXPRESSION_KEYS:
        if key in rule:
            yield STRING.sub('""', str(rule[key]))


def test_form_rules__ids_and_keys__are_unique_and_known(form: dict[str, Any]) -> None:
    ids = [rule["id"] for rule in form["rules"]]
    assert len(ids) == len(set(ids))
    for rule in form["rules"]:
        assert rule["kind"] in RULE_KEYS, rule["id"]
        assert set(rule) <= RULE_KEYS[rule["kind"]], rule["id"]
        assert "variable" in rule, rule["id"]


def test_form_rules__names__are_variables_of_the_form(form: dict[str, Any]) -> None:
    names = {v["name"] for v in all_variables(form)}
    for rule in form["rules"]:
        assert rule["variable"] in names, rule["id"]
        for expression in expressions(rule):
            unknown = set(IDENTIFIER.findall(expression)) - KEYWORDS - names
            assert not unknown, f"{rule['id']}: {unknown}"
            assert set(CALL.findall(expression)) - KEYWORDS <= FUNCTIONS, rule["id"]
        for placeholder in PLACEHOLDER.finditer(rule.get("message", "")):
            assert placeholder["name"] in names | {None}, rule["id"]


def test_form_rules__codes__are_in_the_variables_code_lists(form: dict[str, Any]) -> None:
    codes = {v["name"]: {c["code"] for c in v.get("codes", [])} for v in all_variables(form)}
    used = 0
    for rule in form["rules"]:
        for expression in expressions(rule):
            for use in CODE_USE.finditer(expression):
                if use["code"] is not None:
                    wanted = {int(use["code"])}
                else:
                    wanted = {int(n) for n in re.findall(r"\d+", use["codes"])}
                assert wanted <= codes[use["name"]], f"{rule['id']}: {use.group()}"
                used += 1
    assert used >= 10  # the dependency rules of parts 2-4 all compare codes


def test_form_rules__group_rules__stay_inside_their_group(form: dict[str, Any]) -> None:
    group_of = {
        field["name"]: group["name"]
        for group in form["variables"]
        for field in group.get("fields", [])
    }
    for rule in form["rules"]:
        named = {rule["variable"]}
        for expression in expressions(rule):
            named |= set(IDENTIFIER.findall(expression)) - KEYWORDS
        groups = {group_of[name] for name in named if name in group_of}
        assert len(groups) <= 1, rule["id"]


def test_form_rules__checks__have_bokmal_message_and_severity(form: dict[str, Any]) -> None:
    for rule in form["rules"]:
        if rule["kind"] != "check":
            continue
        assert rule["severity"] in {"error", "warning"}, rule["id"]
        assert re.fullmatch(r"[A-Z][A-Z_]+", rule["code"]), rule["id"]
        assert "«" in rule["message"], f"{rule['id']}: meldingen skal nevne feltet ved navn"
