"""``submission.json``: the payload, built and checked against the shipped JSON Schema.

The schema is ``resources/submission.schema.json`` (draft 2020-12).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jsonschema_rs

from jsdesk.paths import resources_dir

FORMAT_VERSION = "1"
SCHEMA_FILE = "submission.schema.json"
MAX_REPORTED_PROBLEMS = 20


class PayloadProblem(Exception):
    """The payload is not valid; ``problems`` lists why (Bokmål, with the JSON location)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@cache
def load_schema() -> dict[str, Any]:
    with (resources_dir() / SCHEMA_FILE).open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@cache
def _validator() -> Any:
    # jsonschema-rs (Rust) checks 10,000 records in milliseconds where the pure
    # Python jsonschema needs seconds; the tests check the schema itself and
    # sample documents with the reference ``jsonschema`` package as well.
    return jsonschema_rs.Draft202012Validator(load_schema())


def schema_problems(document: object) -> list[str]:
    """Every way ``document`` breaks the schema (capped), plus the header/record count check."""
    problems: list[str] = []
    for error in _validator().iter_errors(document):
        location = "/".join(str(part) for part in error.instance_path) or "(rot)"
        problems.append(f"{location}: {error.message}")
        if len(problems) >= MAX_REPORTED_PROBLEMS:
            problems.append("… (flere feil er ikke vist)")
            return problems
    if not problems and isinstance(document, dict):
        count = document["header"]["record_count"]
        actual = len(document["records"])
        if count != actual:
            problems.append(f"header/record_count: oppgir {count} poster, men filen har {actual}.")
        ids = [record["record_id"] for record in document["records"]]
        if len(set(ids)) != len(ids):
            problems.append("records: samme record_id forekommer mer enn én gang.")
    return problems


def encode_payload(header: Mapping[str, object], records: Sequence[Mapping[str, object]]) -> bytes:
    """The payload as UTF-8 JSON; ``PayloadProblem`` if it would not pass the schema."""
    document = {"header": dict(header), "records": list(records)}
    problems = schema_problems(document)
    if problems:
        raise PayloadProblem(problems)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_payload(data: bytes) -> dict[str, Any]:
    """Parse and schema-check a payload from a (hostile) file; ``PayloadProblem`` otherwise."""
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise PayloadProblem(["submission.json er ikke gyldig UTF-8."]) from exc
    except (ValueError, RecursionError) as exc:
        raise PayloadProblem(["submission.json er ikke gyldig JSON."]) from exc
    problems = schema_problems(document)
    if problems:
        raise PayloadProblem(problems)
    assert isinstance(document, dict)
    return document


def _refuse_constant(name: str) -> object:
    raise ValueError(f"JSON-konstanten {name} er ikke tillatt")
