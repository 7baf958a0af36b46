"""Reading form YAML: line-numbered mappings, duplicate keys, typed access, problems.

The first stage of loading a form file (see ``loader``): every helper here records
problems instead of raising, so that one run reports everything wrong in a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from jsdesk.forms.model import FormProblem


class LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line it started on (1-based)."""

    line: int = 0


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that refuses duplicate keys and records line numbers."""

    duplicates: list[tuple[int, str]]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in result:
                self.duplicates.append((key_node.start_mark.line + 1, str(key)))
            result[key] = self.construct_object(value_node, deep=True)
        return result


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    lambda loader, node: loader.construct_mapping(node),
)


class Problems:
    """Collects FormProblems for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[FormProblem] = []

    def add(self, variable: str | None, message: str, where: object = None) -> None:
        line = getattr(where, "line", 0)
        if line:
            message = f"{message} (linje {line})"
        self.items.append(FormProblem(self.file, variable, message))


def read_yaml(path: Path, problems: Problems) -> object:
    """The YAML document in ``path`` with LineDict mappings; None (and a problem) if unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(None, "filen finnes ikke")
        return None
    except UnicodeDecodeError:
        problems.add(None, "filen er ikke UTF-8-tekst")
        return None
    except OSError as exc:
        problems.add(None, f"filen kan ikke leses ({exc.strerror})")
        return None
    loader = _Loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (linje {mark.line + 1})" if mark is not None else ""
        problems.add(None, f"ikke gyldig YAML: {getattr(exc, 'problem', exc)}{where}")
        return None
    finally:
        loader.dispose()
    for line, key in loader.duplicates:
        problems.add(None, f"nøkkelen «{key}» står to ganger i samme blokk (linje {line})")
    return data


class Reader:
    """Typed access to one YAML mapping, reporting problems against a variable."""

    def __init__(
        self, data: dict[str, Any], problems: Problems, variable: str | None, what: str
    ) -> None:
        self.data = data
        self.problems = problems
        self.variable = variable
        self.what = what

    def unknown(self, allowed: frozenset[str]) -> None:
        unknown_keys(self.data, allowed, self.problems, self.variable, f"i {self.what}")

    def _missing(self, key: str) -> None:
        self.problems.add(self.variable, f"{self.what} mangler «{key}»", self.data)

    def _wrong(self, key: str, expected: str) -> None:
        value = self.data.get(key)
        self.problems.add(
            self.variable,
            f"«{key}» i {self.what} må være {expected} (fant {show(value)})",
            self.data,
        )

    def text(self, key: str, *, optional: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if not optional:
                self._missing(key)
            return ""
        if not isinstance(value, str):
            self._wrong(key, "tekst")
            return ""
        return value

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            self._missing(key)
            return None
        if type(value) is not int:
            self._wrong(key, "et heltall")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self._wrong(key, "true eller false")
            return default
        return value

    def date(self, key: str, *, optional: bool = False) -> date | None:
        value = self.data.get(key)
        if value is None:
            if not optional:
                self._missing(key)
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self._wrong(key, 'en gyldig dato skrevet "ÅÅÅÅ-MM-DD" eller null')
        return None

    def choice(self, key: str, enum: type[Any], *, optional: bool = False) -> Any:
        value = self.data.get(key)
        if value is None:
            if not optional:
                self._missing(key)
            return None
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(str(item.value) for item in enum)
            self._wrong(key, f"en av {allowed}")
            return None


def unknown_keys(
    data: Mapping[Any, object],
    allowed: frozenset[str],
    problems: Problems,
    variable: str | None,
    where: str,
) -> None:
    for key in data:
        if key not in allowed:
            problems.add(
                variable,
                f"ukjent nøkkel «{key}» {where} (tillatt: {', '.join(sorted(allowed))})",
                data,
            )


def show(value: object) -> str:
    if value is None:
        return "ingenting"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_period(
    start: date | None,
    end: date | None,
    problems: Problems,
    variable: str | None,
    whose: str,
    where: object,
) -> None:
    if start is not None and end is not None and end < start:
        problems.add(
            variable,
            f"{whose} gyldighet slutter ({end.isoformat()}) før den begynner ({start.isoformat()})",
            where,
        )
