"""The shipped JSON Schema for submission.json, checked with the reference validator too."""

from __future__ import annotations

import json

import jsonschema
import pytest
from submission_support import sample_header, sample_record

from jsdesk.submission.payload import PayloadProblem, decode_payload, encode_payload, load_schema


def _document(count: int = 2) -> dict[str, object]:
    return {
        "header": sample_header(count),
        "records": [sample_record(n) for n in range(1, count + 1)],
    }


def test_schema__itself__valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema())
    assert load_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


BREAKAGES = {
    "missing header field": lambda d: d["header"].pop("kommunenavn"),
    "bad kommunenummer": lambda d: d["header"].update(kommunenummer="301"),
    "unknown header field": lambda d: d["header"].update(passordfrase="hemmelig"),
    "record version zero": lambda d: d["records"][0].update(record_version=0),
    "bad stage": lambda d: d["records"][0].update(stage="ferdig"),
    "local audit data in record": lambda d: d["records"][0].update(audit=[]),
    "badly named variable": lambda d: d["records"][0]["values"].update({"Navn": "x"}),
    "float value": lambda d: d["records"][0]["values"].update(antall_barn=1.5),
    "warning without reason": lambda d: d["records"][0]["accepted_warnings"].append(
        {"variable": "x", "code": "Y", "index": None, "reason": ""}
    ),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_schema__broken_document__both_validators_reject(breakage: str) -> None:
    document = _document()
    BREAKAGES[breakage](document)
    assert not jsonschema.Draft202012Validator(load_schema()).is_valid(document)
    with pytest.raises(PayloadProblem):
        encode_payload(document["header"], document["records"])  # type: ignore[arg-type]


def test_schema__good_document__both_validators_accept() -> None:
    document = _document()
    jsonschema.Draft202012Validator(load_schema()).validate(document)
    data = encode_payload(document["header"], document["records"])  # type: ignore[arg-type]
    assert decode_payload(data) == document


def test_payload__count_mismatch__rejected_with_bokmal_message() -> None:
    document = _document(2)
    document["header"]["record_count"] = 3  # type: ignore[index]
    with pytest.raises(PayloadProblem) as caught:
        decode_payload(json.dumps(document).encode())
    assert "oppgir 3 poster, men filen har 2" in caught.value.problems[0]


@pytest.mark.parametrize("data", [b"\xff\xfe", b"{", b"[" * 100_000, b'{"header": NaN}', b"null"])
def test_payload__hostile_bytes__payload_problem_not_crash(data: bytes) -> None:
    with pytest.raises(PayloadProblem):
        decode_payload(data)
