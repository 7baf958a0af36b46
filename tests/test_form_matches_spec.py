"""The shipped form definition says exactly what IMDi's variable documentation says.

``docs/spec/jobbsjanseregisteret-variabler.txt`` is the text of the register's
variable documentation as extracted from the PDF: table cells wrap over several
lines, blank lines split a cell, page breaks leave runs of blank lines, and the
section for each form part opens with its title and a short description. The
parser below reads that text as printed, so a variable, a code or a validity date
that is missing, renumbered or misspelled in ``forms/jobbsjansen-2023.yaml`` fails
a test here.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "docs" / "spec" / "jobbsjanseregisteret-variabler.txt"
FORM_PATH = ROOT / "forms" / "jobbsjansen-2023.yaml"

DATE = r"\d{2}\.\d{2}\.\d{4}"
HEADING = re.compile(r"Variabel (?P<id>\d+(?:-[A-Z])?)(?: - [^:]+)?: .+")
TABLE_HEADER = "Id Variabelnavn Variabeltekst i registeret Gyldig fra Gyldig til"
TABLE_ROW = re.compile(
    rf"(?P<id>\d+(?:-[A-Z])?) (?P<name>[a-z_]+) (?P<label>.+?)"
    rf" (?P<valid_from>{DATE})(?: (?P<valid_to>{DATE}))?"
)
DESCRIPTION_HEADER = "Beskrivelse"
DATATYPE_HEADER = "Datatype Kilde Viktighet"
DATATYPE_ROW = re.compile(
    r"(?P<datatype>\S+(?: \([^)]*\))?) (?P<source>.+)"
    r" (?P<importance>Obligatorisk|Ikke obligatorisk)"
)
CODE_HEADER = "Kode nr. Kode tekst Gyldig fra Gyldig til"
CODE_ROW = re.compile(
    rf"(?P<code>\d+) (?P<text>.+?) (?P<valid_from>{DATE})(?: (?P<valid_to>{DATE}))?"
)
# Variable 40 prints "Se beskrivelse" as its text; the description quotes the real one.
SEE_DESCRIPTION = "Se beskrivelse"
QUOTED_REGISTER_TEXT = re.compile(r"Variabeltekst i jobbsjanseregisteret: «(?P<text>[^»]+)»")
MULTI_SELECT_NOTE = "Flere valg mulig"


@dataclass(frozen=True)
class SpecCode:
    code: int
    text: str
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class SpecVariable:
    id: str
    name: str
    label: str
    description: str
    datatype: str | None  # None where the spec prints no Datatype row (26)
    source: str | None
    importance: str | None
    part: int
    valid_from: date
    valid_to: date | None
    codes: tuple[SpecCode, ...]


@dataclass(frozen=True)
class SpecPart:
    number: int
    title: str
    description: str


@dataclass(frozen=True)
class Spec:
    parts: tuple[SpecPart, ...]
    variables: tuple[SpecVariable, ...]


def join_cell(lines: Sequence[str]) -> str:
    """One table cell or paragraph as a single line, undoing the PDF's wrapping.

    A line ending in a hyphen right after a letter or digit ("26-", "15-") continues
    the same word; a line starting with punctuation ("?") closes the previous one.
    """
    text = ""
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if not text or re.search(r"\w-$", text) or line[0] in "?.,;:)":
            text += line
        else:
            text += " " + line
    return text


def normalise(text: str) -> str:
    """Compare texts independent of where the PDF wrapped them."""
    return join_cell(text.splitlines())


def parse_date(text: str | None) -> date | None:
    return None if text is None else datetime.strptime(text, "%d.%m.%Y").date()


def parse_spec(text: str) -> Spec:
    lines = [line.strip() for line in text.splitlines()]
    starts = [i for i, line in enumerate(lines) if HEADING.fullmatch(line)]
    assert starts, "fant ingen «Variabel N:»-overskrifter i spesifikasjonen"
    parts: list[SpecPart] = []
    variables: list[SpecVariable] = []
    leftover = lines[: starts[0]]
    for n, start in enumerate(starts):
        part_header = last_paragraph(leftover)
        if part_header:
            parts.append(SpecPart(len(parts) + 1, part_header[0], join_cell(part_header[1:])))
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        variable, leftover = parse_variable(lines[start:end], part=len(parts))
        variables.append(variable)
    assert not last_paragraph(leftover), f"uventet tekst etter siste variabel: {leftover}"
    return Spec(tuple(parts), tuple(variables))


def last_paragraph(lines: Sequence[str]) -> list[str]:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    non_empty = [p for p in paragraphs if p]
    return non_empty[-1] if non_empty else []


def parse_variable(block: Sequence[str], *, part: int) -> tuple[SpecVariable, list[str]]:
    """One variable's section; returns it and the lines after its last table row."""
    heading = HEADING.fullmatch(block[0])
    assert heading is not None
    where = f"variabel {heading['id']}"
    description_at = block.index(DESCRIPTION_HEADER)
    table = join_cell(block[1:description_at])
    assert table.startswith(TABLE_HEADER + " "), f"{where}: uventet tabellhode {table!r}"
    row = TABLE_ROW.fullmatch(table[len(TABLE_HEADER) + 1 :])
    assert row is not None, f"{where}: kan ikke lese tabellraden {table!r}"
    assert row["id"] == heading["id"], f"{where}: raden har id {row['id']}"

    rest = list(block[description_at + 1 :])
    first = next(i for i, line in enumerate(rest) if line)
    stop = next(
        (i for i in range(first, len(rest)) if not rest[i] or rest[i] == DATATYPE_HEADER),
        len(rest),
    )
    description = join_cell(rest[first:stop])
    rest = rest[stop:]

    datatype = source = importance = None
    codes: list[SpecCode] = []
    if DATATYPE_HEADER in rest:
        after = rest[rest.index(DATATYPE_HEADER) + 1 :]
        at = next(i for i, line in enumerate(after) if line)
        types = DATATYPE_ROW.fullmatch(join_cell([after[at]]))
        assert types is not None, f"{where}: kan ikke lese datatype-raden {after[at]!r}"
        datatype, source, importance = types["datatype"], types["source"], types["importance"]
        rest = after[at + 1 :]
        code_at = next((i for i, line in enumerate(rest) if line.startswith("Kode nr.")), None)
        if code_at is not None:
            header_end = code_at + 1
            while join_cell(rest[code_at:header_end]) != CODE_HEADER:
                header_end += 1
                assert header_end <= len(rest), f"{where}: kodetabellen mangler overskrift"
            codes, rest = parse_codes(rest[header_end:])
    label = row["label"]
    if label == SEE_DESCRIPTION:
        quoted = QUOTED_REGISTER_TEXT.search(description)
        assert quoted is not None, f"{where}: «{SEE_DESCRIPTION}» uten sitert variabeltekst"
        label = quoted["text"]
    valid_from = parse_date(row["valid_from"])
    assert valid_from is not None
    variable = SpecVariable(
        id=row["id"],
        name=row["name"],
        label=label,
        description=description,
        datatype=datatype,
        source=source,
        importance=importance,
        part=part,
        valid_from=valid_from,
        valid_to=parse_date(row["valid_to"]),
        codes=tuple(codes),
    )
    return variable, rest


def parse_codes(lines: Sequence[str]) -> tuple[list[SpecCode], list[str]]:
    """Code rows end with their validity dates; a row may wrap over several lines."""
    codes: list[SpecCode] = []
    row_start = 0
    pending: list[str] = []
    for i, line in enumerate(lines):
        if not line:
            continue
        if not pending:
            row_start = i
        pending.append(line)
        row = CODE_ROW.fullmatch(join_cell(pending))
        if row is not None:
            valid_from = parse_date(row["valid_from"])
            assert valid_from is not None
            codes.append(
                SpecCode(int(row["code"]), row["text"], valid_from, parse_date(row["valid_to"]))
            )
            pending = []
    leftover = list(lines[row_start:]) if pending else []
    return codes, leftover


@pytest.fixture(scope="module")
def spec() -> Spec:
    return parse_spec(SPEC_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def form() -> dict[str, Any]:
    with FORM_PATH.open(encoding="utf-8") as stream:
        loaded = yaml.safe_load(stream)
    assert isinstance(loaded, dict)
    return loaded


def flat_variables(form: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Top-level variables in order, each group followed by its fields."""
    for variable in form["variables"]:
        yield variable
        yield from variable.get("fields", [])


def form_variable(form: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for v in flat_variables(form) if v["name"] == name)


def iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


# --- the parser reads the whole spec ---------------------------------------------


def test_spec_parser__every_heading__becomes_a_variable(spec: Spec) -> None:
    text = SPEC_PATH.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.strip().startswith("Variabel ")]
    assert len(spec.variables) == len(headings)
    assert len({v.id for v in spec.variables}) == len(spec.variables)


def test_spec_parser__every_printed_date__is_read_as_a_validity_date(spec: Spec) -> None:
    # A code row merged into a neighbour or lost in a part heading would leave its
    # dates unaccounted for.
    printed = len(re.findall(DATE, SPEC_PATH.read_text(encoding="utf-8")))
    read = 0
    for variable in spec.variables:
        read += 1 + (variable.valid_to is not None)
        read += sum(1 + (code.valid_to is not None) for code in variable.codes)
    assert read == printed


def test_spec_parser__coded_variables__have_code_lists(spec: Spec) -> None:
    for variable in spec.variables:
        assert bool(variable.codes) == (variable.datatype == "Kodeverk"), variable.id


def test_spec_parser__parts__open_with_title_and_description(spec: Spec) -> None:
    assert [p.number for p in spec.parts] == [1, 2, 3, 4]
    assert all(p.title and p.description for p in spec.parts)
    assert {v.part for v in spec.variables} == {1, 2, 3, 4}


def test_spec_parser__wrapped_cells__are_joined(spec: Spec) -> None:
    by_id = {v.id: v for v in spec.variables}
    assert by_id["10-A"].label == "Har personen vært deltager i introduksjonsprogrammet?"
    assert by_id["26-B"].name == "provedato"
    assert by_id["18"].codes[6].text == "Universitets- og høyskoleutdanning, lavere nivå"


# --- comparing the form with it ----------------------------------------------------
# Each function lists every difference it finds, so a failing test names them all.


def variable_list_problems(form: dict[str, Any], spec: Spec) -> list[str]:
    ours = [(v["id"], v["name"]) for v in flat_variables(form)]
    theirs = [(v.id, v.name) for v in spec.variables]
    missing = [f"mangler variabel {i} {n}" for i, n in theirs if (i, n) not in ours]
    extra = [
        f"variabel {i} {n} finnes ikke i spesifikasjonen" for i, n in ours if (i, n) not in theirs
    ]
    order = [] if missing or extra or ours == theirs else ["variablene står i feil rekkefølge"]
    return missing + extra + order


def matching(form: dict[str, Any], spec: Spec) -> Iterator[tuple[SpecVariable, dict[str, Any]]]:
    ours = {v["name"]: v for v in flat_variables(form)}
    for theirs in spec.variables:
        if theirs.name in ours:
            yield theirs, ours[theirs.name]


def text_problems(form: dict[str, Any], spec: Spec) -> list[str]:
    problems = []
    for theirs, ours in matching(form, spec):
        if normalise(ours["label"]) != theirs.label:
            problems.append(
                f"{theirs.id}: label {ours['label']!r}, spesifikasjonen: {theirs.label!r}"
            )
        if normalise(ours["description"]) != theirs.description:
            problems.append(f"{theirs.id}: beskrivelsen avviker fra spesifikasjonen")
    return problems


def validity_problems(form: dict[str, Any], spec: Spec) -> list[str]:
    problems = []
    for theirs, ours in matching(form, spec):
        expected = (iso(theirs.valid_from), iso(theirs.valid_to))
        actual = (ours["valid_from"], ours["valid_to"])
        if actual != expected:
            problems.append(f"{theirs.id}: gyldighet {actual}, spesifikasjonen: {expected}")
    return problems


def placement_problems(form: dict[str, Any], spec: Spec) -> list[str]:
    """Part number, source and importance as printed (26 prints no source row)."""
    problems = []
    for theirs, ours in matching(form, spec):
        if ours["part"] != theirs.part:
            problems.append(f"{theirs.id}: del {ours['part']}, spesifikasjonen: {theirs.part}")
        if theirs.datatype is None:
            continue
        for key, expected in (("source", theirs.source), ("importance", theirs.importance)):
            if ours[key] != expected:
                problems.append(f"{theirs.id}: {key} {ours[key]!r}, spesifikasjonen: {expected!r}")
    return problems


def expected_type(variable: SpecVariable) -> set[str]:
    datatype = variable.datatype or ""
    if datatype == "Kodeverk":
        multi = MULTI_SELECT_NOTE.lower() in variable.description.lower()
        return {"multicode" if multi else "code"}
    if datatype == "Date (YYYY)":
        return {"year"}
    if datatype.startswith("Date"):
        return {"date"}
    if datatype == "Uniqueidentifier":
        return {"uuid"}
    if datatype == "Integer":
        return {"integer", "year"}
    if datatype == "String":
        return {"string", "fnr"}
    return {"group"}  # 26 prints no datatype: it heads the test-result fields


def type_problems(form: dict[str, Any], spec: Spec) -> list[str]:
    return [
        f"{theirs.id}: type {ours['type']}, ventet {expected_type(theirs)} ({theirs.datatype})"
        for theirs, ours in matching(form, spec)
        if ours["type"] not in expected_type(theirs)
    ]


def code_problems(form: dict[str, Any], spec: Spec) -> list[str]:
    problems = []
    for theirs, ours in matching(form, spec):
        expected = [(c.code, c.text, iso(c.valid_from), iso(c.valid_to)) for c in theirs.codes]
        actual = [
            (c["code"], normalise(c["text"]), c["valid_from"], c["valid_to"])
            for c in ours.get("codes", [])
        ]
        if actual == expected:
            continue
        differences = [f"mangler eller avviker: {row}" for row in expected if row not in actual]
        differences += [f"ikke i spesifikasjonen: {row}" for row in actual if row not in expected]
        for difference in differences or ["kodene står i feil rekkefølge eller finnes to ganger"]:
            problems.append(f"{theirs.id}: {difference}")
    return problems


def exclusive_code_problems(form: dict[str, Any], spec: Spec) -> list[str]:
    """Multi-selects: the "Ingen ..." choice cannot be combined with other codes."""
    problems = []
    for theirs, ours in matching(form, spec):
        if ours["type"] != "multicode":
            if "exclusive_codes" in ours:
                problems.append(f"{theirs.id}: exclusive_codes på en variabel uten flervalg")
            continue
        none_choices = [c.code for c in theirs.codes if c.text in {"Ingen tiltak", "Ingen praksis"}]
        if ours.get("exclusive_codes") != none_choices:
            problems.append(
                f"{theirs.id}: exclusive_codes {ours.get('exclusive_codes')}, ventet {none_choices}"
            )
    return problems


# --- the shipped form matches the spec ----------------------------------------------


def test_form__header__is_the_2023_form(form: dict[str, Any]) -> None:
    assert form["form"]["version"] == "2023.1"
    assert form["form"]["valid_from"] == "2023-01-01"
    assert form["form"]["register_opened"] == "2023-01-01"


def test_form__parts__match_spec_parts(form: dict[str, Any], spec: Spec) -> None:
    assert [p["number"] for p in form["parts"]] == [p.number for p in spec.parts]
    for ours, theirs in zip(form["parts"], spec.parts, strict=True):
        # The form may shorten a title ("Bakgrunn til deltaker" -> "Bakgrunn").
        assert theirs.title.startswith(ours["title"]), ours["number"]
        assert normalise(ours["description"]) == theirs.description, ours["number"]
    assert [p["closes_record"] for p in form["parts"]] == [False, False, False, True]


def test_form__variables__same_ids_and_names_in_spec_order(
    form: dict[str, Any], spec: Spec
) -> None:
    assert variable_list_problems(form, spec) == []


def test_form__labels_and_descriptions__match_spec(form: dict[str, Any], spec: Spec) -> None:
    assert text_problems(form, spec) == []


def test_form__variable_validity__matches_spec(form: dict[str, Any], spec: Spec) -> None:
    assert validity_problems(form, spec) == []


def test_form__part_source_importance__match_spec(form: dict[str, Any], spec: Spec) -> None:
    assert placement_problems(form, spec) == []


def test_form__types__follow_spec_datatypes(form: dict[str, Any], spec: Spec) -> None:
    assert type_problems(form, spec) == []


def test_form__code_lists__match_spec_code_by_code(form: dict[str, Any], spec: Spec) -> None:
    assert code_problems(form, spec) == []


def test_form__exclusive_codes__are_the_none_choices(form: dict[str, Any], spec: Spec) -> None:
    assert exclusive_code_problems(form, spec) == []


def test_form__test_results__are_one_repeating_group(form: dict[str, Any]) -> None:
    group = form_variable(form, "proveresultater")
    assert group["type"] == "group"
    assert [f["name"] for f in group["fields"]] == ["provedato", "provetype", "proveresultat"]


# --- the comparison catches mistakes --------------------------------------------------


def plant(form: dict[str, Any], name: str, key: str, value: object) -> dict[str, Any]:
    planted = copy.deepcopy(form)
    form_variable(planted, name)[key] = value
    return planted


def test_form_comparison__planted_mistakes__are_each_reported(
    form: dict[str, Any], spec: Spec
) -> None:
    kosthold = form_variable(form, "helsefremmende_tiltak")["codes"]
    misspelled = [dict(c, text=c["text"] + "e") if c["code"] == 3 else c for c in kosthold]
    b2_missing = [c for c in form_variable(form, "proveresultat")["codes"] if c["code"] != 7]
    finansiering = form_variable(form, "finansieringstype")["codes"]
    open_ended = [dict(c, valid_to=None) for c in finansiering]
    dropped = copy.deepcopy(form)
    dropped["variables"] = [v for v in dropped["variables"] if v["name"] != "fravar"]
    cases = [
        (code_problems, plant(form, "helsefremmende_tiltak", "codes", misspelled)),
        (code_problems, plant(form, "proveresultat", "codes", b2_missing)),
        (code_problems, plant(form, "finansieringstype", "codes", open_ended)),
        (variable_list_problems, plant(form, "utdanning_utland", "name", "utdanning_utlandet")),
        (variable_list_problems, dropped),
        (text_problems, plant(form, "fravar", "label", "Hva var fravær?")),
        (validity_problems, plant(form, "finansieringstype", "valid_to", None)),
        (placement_problems, plant(form, "bydel", "source", "Kommune")),
        (type_problems, plant(form, "samfunn_ovrige_tiltak", "type", "code")),
        (exclusive_code_problems, plant(form, "sted_arbeidspraksis", "exclusive_codes", [99])),
    ]
    for check, planted in cases:
        assert check(planted, spec), check.__name__


# --- jsdesk's own loader reads the file the same way ------------------------------------


def test_form__jsdesk_loader__loads_it_with_the_spec_contents(spec: Spec) -> None:
    from jsdesk.rules import check_form_file, load_form

    assert check_form_file(FORM_PATH) == []
    loaded = load_form(FORM_PATH)
    assert [(v.id, v.name) for v in loaded.all_variables()] == [
        (v.id, v.name) for v in spec.variables
    ]
    for theirs in spec.variables:
        ours = loaded.variable(theirs.name)
        assert normalise(ours.label) == theirs.label, theirs.id
        assert (ours.valid_from, ours.valid_to) == (theirs.valid_from, theirs.valid_to), theirs.id
        assert ours.part == theirs.part, theirs.id
        expected = [(c.code, c.text, c.valid_from, c.valid_to) for c in theirs.codes]
        actual = [(c.code, normalise(c.text), c.valid_from, c.valid_to) for c in ours.codes]
        assert actual == expected, theirs.id
