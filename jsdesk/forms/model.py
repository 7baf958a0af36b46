"""The form definition as immutable data: parts, variables, code lists and rules.

A ``FormDefinition`` is built once by :mod:`jsdesk.forms.loader` from a YAML file
and never changes afterwards; the rule engine and the UI only read it. Rule
expressions arrive here already parsed and compiled by :mod:`jsdesk.rules`, which
reads the ``rules:`` section; this package does not know the rule language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol


class VarType(StrEnum):
    UUID = "uuid"
    FNR = "fnr"
    STRING = "string"
    INTEGER = "integer"
    YEAR = "year"
    DATE = "date"
    CODE = "code"
    MULTICODE = "multicode"
    GROUP = "group"


class Source(StrEnum):
    """Where a value comes from (the spec's *Kilde*)."""

    KOMMUNE = "Kommune"
    SYSTEM = "System"
    FREG = "FREG"
    PAD = "PAD"
    BA_KOMMUNE = "BA/kommune"
    OSLO_KOMMUNE = "Oslo kommune"
    EAPPLY = "eApply eller kommune"


INPUT_SOURCES = frozenset(
    {Source.KOMMUNE, Source.BA_KOMMUNE, Source.OSLO_KOMMUNE, Source.EAPPLY},
)


class Importance(StrEnum):
    OBLIGATORISK = "Obligatorisk"
    IKKE_OBLIGATORISK = "Ikke obligatorisk"


class Stage(StrEnum):
    AKTIV = "aktiv"
    AVSLUTTET = "avsluttet"


class Domain(StrEnum):
    """Named value sets that live outside the form file (see docs/form-format.md)."""

    KOMMUNENUMMER = "kommunenummer"
    OSLO_BYDEL = "oslo_bydel"
    FREG_SIVILSTAND = "freg_sivilstand"
    ISO3166_ALPHA3 = "iso3166_alpha3"


class Role(StrEnum):
    """What a variable is to the application, declared in the form (``role:``).

    Storage, export, registry import and the rule engine ask the form which variable
    plays a role instead of naming variables themselves.
    """

    IDENTITY = "identity"  # the person's identity number (fødselsnummer)
    START = "start"  # the participation's start date
    END = "end"  # the participation's end date
    MUNICIPALITY = "municipality"  # the municipality that receives the grant
    # the person id, keyed to the installation (docs/person-id.md): local only, never
    # sent to the register and never shown next to a masked identity number
    PERSON_ID = "person_id"


class RuleKind(StrEnum):
    ENABLE = "enable"
    REQUIRE = "require"
    DERIVE = "derive"
    CHECK = "check"


def in_period(day: date, valid_from: date, valid_to: date | None) -> bool:
    """True when ``day`` lies in the closed period (``valid_to`` None = open end)."""
    return valid_from <= day and (valid_to is None or day <= valid_to)


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a coded variable. ``unknown`` is the form's word that the code means
    "unknown" (the register's «Ukjent» in its completeness figures)."""

    code: int
    text: str
    valid_from: date
    valid_to: date | None = None
    unknown: bool = False

    def applies_on(self, day: date) -> bool:
        return in_period(day, self.valid_from, self.valid_to)


@dataclass(frozen=True, slots=True)
class CodeGroup:
    """Codes the register reports together (e.g. end reasons 3-7 as «Utdanning»).

    ``goal`` marks the groups that count as reaching the programme's goal (work
    or education), the headline share of the results.
    """

    name: str
    text: str
    codes: tuple[int, ...]
    goal: bool = False


@dataclass(frozen=True, slots=True)
class Variable:
    id: str
    name: str
    label: str
    description: str
    type: VarType
    source: Source
    importance: Importance
    part: int
    valid_from: date
    valid_to: date | None = None
    codes: tuple[Code, ...] = ()
    exclusive_codes: tuple[int, ...] = ()
    code_groups: tuple[CodeGroup, ...] = ()
    fields: tuple[Variable, ...] = ()
    widget: str | None = None
    domain: Domain | None = None
    group: str | None = None  # name of the enclosing group for a group field
    role: Role | None = None
    guidance: str = ""  # extra help shown under the description

    @property
    def is_input(self) -> bool:
        """Typed by the caseworker or known to the installation (not System/FREG/PAD)."""
        return self.source in INPUT_SOURCES

    def applies_on(self, day: date) -> bool:
        return in_period(day, self.valid_from, self.valid_to)

    def code_text(self, code: int) -> str:
        """The code's text (the first listed when a code has several periods)."""
        for item in self.codes:
            if item.code == code:
                return item.text
        return str(code)

    def has_code(self, code: int) -> bool:
        return any(item.code == code for item in self.codes)

    def group_of(self, code: int) -> CodeGroup | None:
        """The reporting group ``code`` belongs to (None without groups or when unknown)."""
        for group in self.code_groups:
            if code in group.codes:
                return group
        return None

    @property
    def unknown_codes(self) -> frozenset[int]:
        """Codes the form declares to mean "unknown" (``unknown: true`` on the code)."""
        return frozenset(item.code for item in self.codes if item.unknown)

    def is_unknown(self, value: object) -> bool:
        """True when a stored ``value`` answers «Ukjent»: one of ``unknown_codes``, or a
        multi-select holding only one such code (the record JSON as stored, a code as a
        JSON number)."""
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        return value.__class__ is int and value in self.unknown_codes


@dataclass(frozen=True, slots=True)
class Part:
    number: int
    title: str
    description: str
    required_in: frozenset[Stage]
    closes_record: bool


class Expression(Protocol):
    """A rule expression as the rules package compiled it (``jsdesk.rules.expr``).

    The form model only holds it: its text and the variable names it reads.
    """

    @property
    def source(self) -> str: ...

    @property
    def names(self) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class Rule:
    """One dependency rule, derivation or constraint from the form file."""

    id: str
    kind: RuleKind
    variable: str
    when: Expression | None = None
    required: bool = False  # enable: required whenever enabled
    locked_reason: str | None = None  # enable: overrides the generated explanation
    locks: bool = True  # enable: False = while `when` fails the field stays open, a value warns
    value: Expression | None = None  # derive
    assertion: Expression | None = None  # check (``assert:`` in the file)
    severity: str = "error"  # check: "error" | "warning"
    code: str | None = None  # check: a FindingCode value
    message: str | None = None  # check: Bokmål text with {label} / {label:NAME}


@dataclass(frozen=True, slots=True, eq=False)
class FormDefinition:
    version: str
    title: str
    valid_from: date
    valid_to: date | None
    register_opened: date
    parts: tuple[Part, ...]
    variables: tuple[Variable, ...]
    rules: tuple[Rule, ...]
    source_file: str = ""
    _by_name: dict[str, Variable] = field(default_factory=dict, compare=False, repr=False)
    # Precompiled evaluation plan, filled once by jsdesk.rules.engine (identity-hashed form).
    cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self._by_name:
            for variable in self.variables:
                self._by_name[variable.name] = variable
                for sub in variable.fields:
                    self._by_name[sub.name] = sub

    def variable(self, name: str) -> Variable:
        """The variable called ``name`` (group fields included); KeyError if unknown."""
        return self._by_name[name]

    def has_variable(self, name: str) -> bool:
        return name in self._by_name

    def role_variable(self, role: Role) -> Variable | None:
        """The variable declared with ``role:`` (None when the form declares none)."""
        for variable in self.variables:
            if variable.role is role:
                return variable
        return None

    def role_name(self, role: Role) -> str:
        """The name of the variable with ``role``; KeyError when the form declares none."""
        variable = self.role_variable(role)
        if variable is None:
            raise KeyError(f"skjemaet {self.version} har ingen variabel med role: {role}")
        return variable.name

    def all_variables(self) -> tuple[Variable, ...]:
        """Top-level variables and group fields, in spec order."""
        return tuple(self._by_name.values())

    def part(self, number: int) -> Part:
        for part in self.parts:
            if part.number == number:
                return part
        raise KeyError(number)

    def part_variables(self, number: int) -> tuple[Variable, ...]:
        return tuple(v for v in self.variables if v.part == number)


@dataclass(frozen=True, slots=True)
class FormProblem:
    """One thing wrong with a form file, for ``jsdesk form check`` and load errors."""

    file: str
    variable: str | None
    message: str

    def __str__(self) -> str:
        if self.variable is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}: variabel {self.variable}: {self.message}"


class FormLoadError(Exception):
    """A form file that cannot be used; ``problems`` lists everything found."""

    def __init__(self, problems: list[FormProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
