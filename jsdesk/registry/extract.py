"""Read FREG and PAD extract files (CSV or JSON) into raw rows with line numbers.

This is the first stage of an import: it only decides what kind of extract a
file is and splits it into rows. A CSV file is streamed: ``read_extract`` reads
the header and checks the encoding of the whole file (in chunks), and the rows
are read from the file each time ``Extract.rows`` is iterated, so a file of a
million rows never sits in memory. Whether the values in a row are any good is
decided in ``jsdesk.registry.check``. Problems that make the whole file
unreadable (wrong encoding, wrong column set, broken JSON) raise
``ExtractFileError``; everything about single rows is left to the checker so
that every bad row can be reported, not just the first.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from jsdesk.errors import UserError
from jsdesk.jsontext import (
    UntrustedJsonError,
    check_surrogates,
    raw_decode_untrusted,
    untrusted_decoder,
)


class ExtractKind(StrEnum):
    FREG = "FREG"
    PAD = "PAD"


COLUMNS: dict[ExtractKind, tuple[str, ...]] = {
    ExtractKind.FREG: ("fodselsnummer", "fodeland", "sivilstand", "ankomstar", "fodselsar"),
    ExtractKind.PAD: ("fodselsnummer", "provedato", "provetype", "proveresultat"),
}

# Exit code for a file that cannot be read as an extract at all.
EXIT_UNREADABLE = 2


class ExtractFileError(UserError):
    """The file as a whole cannot be read as an extract (encoding, columns, syntax)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_UNREADABLE)


@dataclass(frozen=True)
class RawRow:
    """One row as found in the file. CSV gives strings; JSON gives JSON values.

    ``problems`` holds what is wrong with the row's shape (missing or unknown
    fields, wrong number of columns); the checker adds problems with values.
    """

    line: int
    values: dict[str, object]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Extract:
    """An extract file. ``rows`` is read afresh from the file on each iteration (CSV).

    ``size`` is the file's size in bytes; ``RawRow.line`` and the reader's
    ``position`` (CSV) let a caller report progress through the file.
    """

    path: Path
    kind: ExtractKind
    file_format: str  # "CSV" or "JSON"
    rows: Iterable[RawRow]
    size: int = 0


def read_extract(path: Path) -> Extract:
    """Read ``path`` as a FREG or PAD extract; raises ``ExtractFileError``.

    A CSV file's encoding is checked to the end here, so a bad byte anywhere is
    reported before any row is checked; its rows are read lazily (``CsvRows``).
    """
    try:
        with path.open("rb") as file:
            start = file.read(4096)
            _check_encoding(path, start, file)
        size = path.stat().st_size
    except FileNotFoundError:
        raise ExtractFileError(f"Finner ikke filen {path}.") from None
    except OSError as exc:
        raise ExtractFileError(f"Kan ikke lese filen {path}: {exc.strerror}.") from None
    head = start.decode("utf-8-sig", errors="ignore")
    if _looks_like_json(path, head):
        return _read_json(path, _read_text(path))
    return _read_csv(path, size)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ExtractFileError(f"Kan ikke lese filen {path}: {exc.strerror}.") from None


_CHUNK = 1 << 20


def _check_encoding(path: Path, start: bytes, rest: BinaryIO) -> None:
    """Decode the whole file in chunks; a bad byte raises with its line number."""
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractFileError(
            f"Filen {path} er lagret som UTF-16. Uttrekk må være UTF-8; "
            "lagre filen som «UTF-8» og prøv igjen."
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines_before = 0
    chunk = start
    while True:
        final = not chunk
        try:
            decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            # Decode errors point into the bytes given plus what the decoder held back.
            held = len(exc.object) - len(chunk)
            offset = max(exc.start - held, 0)
            bad = exc.object[exc.start]
            line = lines_before + chunk.count(b"\n", 0, offset) + 1
            raise ExtractFileError(
                f"Filen {path} er ikke UTF-8: ugyldig tegn (byte 0x{bad:02X}) på "
                f"linje {line}.{_cp1252_hint(path)} Lagre filen som «UTF-8» og prøv igjen. "
                "Ingenting er importert."
            ) from None
        if final:
            return
        nul = chunk.find(b"\0")
        if nul >= 0:
            # PostgreSQL's text cannot hold a NUL; no back end stores one (jsdesk.storable).
            line = lines_before + chunk.count(b"\n", 0, nul) + 1
            raise ExtractFileError(
                f"Filen {path} inneholder tegnet NUL (kode 0) på linje {line}, som ikke kan "
                "lagres. Fjern tegnet og prøv igjen. Ingenting er importert."
            )
        lines_before += chunk.count(b"\n")
        chunk = rest.read(_CHUNK)


def _cp1252_hint(path: Path) -> str:
    with path.open("rb") as file:
        decoder = codecs.getincrementaldecoder("cp1252")()
        try:
            while chunk := file.read(_CHUNK):
                decoder.decode(chunk)
        except UnicodeDecodeError:
            return ""
    return " Den ser ut til å være lagret som Windows-1252/ISO-8859-1 (vanlig fra Excel)."


def _looks_like_json(path: Path, head: str) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return True
    if suffix == ".csv":
        return False
    return head.lstrip()[:1] in {"[", "{"}


# --- CSV ----------------------------------------------------------------------------------


def _read_csv(path: Path, size: int) -> Extract:
    rows = CsvRows(path)
    return Extract(path, rows.kind, "CSV", rows, size)


class CsvRows:
    """The rows of a CSV extract, read from the file each time they are iterated.

    Holds one row at a time; ``position`` is how many bytes of the file have been
    read so far (for progress). A CSV syntax error raises ``ExtractFileError``
    when the reader gets to it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.position = 0
        with path.open("rb") as file:
            first_line = file.readline().decode("utf-8-sig")
        if not first_line.strip():
            raise ExtractFileError(
                f"Filen {path} mangler overskriftslinje: første linje må være kolonnenavnene."
            )
        self.delimiter = ";" if ";" in first_line else ","
        header_row = next(csv.reader([first_line], delimiter=self.delimiter))
        self.header = [name.strip().lower() for name in header_row]
        self.kind = _kind_for_columns(path, self.header)

    def _lines(self) -> Iterator[str]:
        with self.path.open("rb") as file:
            self.position = 0
            for raw in file:
                text = raw.decode("utf-8-sig" if self.position == 0 else "utf-8")
                self.position += len(raw)
                yield text

    def __iter__(self) -> Iterator[RawRow]:
        # The header holds exactly the kind's columns (``_kind_for_columns``), in any order.
        header, width = self.header, len(self.header)
        reader = csv.reader(self._lines(), delimiter=self.delimiter, strict=True)
        try:
            next(reader, None)  # the header, read in __init__
            line = reader.line_num + 1
            for fields in reader:
                if not "".join(fields).strip():
                    line = reader.line_num + 1
                    continue
                if len(fields) == width:
                    values: dict[str, object] = dict(
                        zip(header, map(str.strip, fields), strict=True)
                    )
                    yield RawRow(line, values)
                else:
                    values = {
                        name: fields[i].strip() if i < len(fields) else ""
                        for i, name in enumerate(header)
                    }
                    problem = f"har {len(fields)} felt, men overskriften har {width} kolonner"
                    yield RawRow(line, values, (problem,))
                line = reader.line_num + 1
        except UnicodeDecodeError:  # the file changed after its encoding was checked
            raise ExtractFileError(
                f"Filen {self.path} er ikke UTF-8 (linje {reader.line_num + 1}). "
                "Ingenting er importert."
            ) from None
        except csv.Error as exc:
            raise ExtractFileError(
                f"Filen {self.path} kan ikke leses som CSV (linje {reader.line_num}): {exc}. "
                "Ingenting er importert."
            ) from None


def _kind_for_columns(path: Path, header: list[str]) -> ExtractKind:
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise ExtractFileError(
            f"Filen {path} har kolonnen {_names(duplicates)} mer enn én gang i overskriften."
        )
    given = set(header)
    for kind, columns in COLUMNS.items():
        if given == set(columns):
            return kind
    # Name what is wrong relative to the kind the file most resembles.
    kind = max(COLUMNS, key=lambda k: len(given & set(COLUMNS[k])))
    missing = [name for name in COLUMNS[kind] if name not in given]
    unknown = [name for name in header if name not in COLUMNS[kind]]
    parts = []
    if missing:
        parts.append(f"mangler {_names(missing)}")
    if unknown:
        parts.append(f"har ukjente kolonner {_names(unknown)}")
    raise ExtractFileError(
        f"Filen {path} har feil kolonner for et {kind}-uttrekk: {' og '.join(parts)}. "
        f"Et FREG-uttrekk har kolonnene {_names(COLUMNS[ExtractKind.FREG])}; "
        f"et PAD-uttrekk har {_names(COLUMNS[ExtractKind.PAD])}. Ingenting er importert."
    )


def _names(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"«{name}»" for name in names)


# --- JSON ---------------------------------------------------------------------------------


def _read_json(path: Path, text: str) -> Extract:
    """Read a JSON array of objects, keeping the line each object starts on."""
    newlines = [match.start() for match in re.finditer("\n", text)]

    def line_of(pos: int) -> int:
        return bisect_right(newlines, pos - 1) + 1

    try:
        check_surrogates(text)
        return _read_json_objects(path, text, line_of)
    except UntrustedJsonError as exc:
        raise ExtractFileError(
            f"Filen {path} kan ikke leses ({exc.detail}). Ingenting er importert."
        ) from None


def _read_json_objects(path: Path, text: str, line_of: Callable[[int], int]) -> Extract:
    decoder = untrusted_decoder()
    pos = _skip_space(text, 0)
    if text[pos : pos + 1] != "[":
        raise ExtractFileError(
            f"Filen {path} er ikke et gyldig uttrekk: JSON-uttrekk er en liste "
            "([ ... ]) med ett objekt per rad."
        )
    objects: list[tuple[int, object]] = []
    pos = _skip_space(text, pos + 1)
    expect_value = text[pos : pos + 1] != "]"
    while expect_value:
        start = pos
        try:
            value, pos = raw_decode_untrusted(decoder, text, pos)
        except json.JSONDecodeError as exc:
            raise ExtractFileError(
                f"Filen {path} er ikke gyldig JSON (linje {exc.lineno}, kolonne {exc.colno}): "
                f"{exc.msg}. Ingenting er importert."
            ) from None
        objects.append((line_of(start), value))
        pos = _skip_space(text, pos)
        separator = text[pos : pos + 1]
        if separator == ",":
            pos = _skip_space(text, pos + 1)
        elif separator == "]":
            expect_value = False
        else:
            raise ExtractFileError(
                f"Filen {path} er ikke gyldig JSON (linje {line_of(pos)}): "
                "forventet «,» eller «]». Ingenting er importert."
            )
    if text[_skip_space(text, pos + 1) :].strip():
        raise ExtractFileError(
            f"Filen {path} er ikke gyldig JSON (linje {line_of(pos + 1)}): "
            "tekst etter slutten av listen. Ingenting er importert."
        )
    kind = _kind_for_objects(path, [value for _, value in objects])
    columns = COLUMNS[kind]
    rows = []
    for line, value in objects:
        if not isinstance(value, dict):
            rows.append(RawRow(line, {}, ("er ikke et JSON-objekt",)))
            continue
        problems = []
        missing = [name for name in columns if name not in value]
        unknown = [str(name) for name in value if name not in columns]
        if missing:
            problems.append(f"mangler feltet {_names(missing)}")
        if unknown:
            problems.append(f"har ukjent felt {_names(unknown)}")
        values = {name: value.get(name) for name in columns}
        rows.append(RawRow(line, values, tuple(problems)))
    return Extract(path, kind, "JSON", tuple(rows), len(text))


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _kind_for_objects(path: Path, objects: list[object]) -> ExtractKind:
    keys: set[str] = set()
    for value in objects:
        if isinstance(value, dict):
            keys.update(str(key) for key in value)
    fits = {kind: len(keys & set(columns)) for kind, columns in COLUMNS.items()}
    freg, pad = fits[ExtractKind.FREG], fits[ExtractKind.PAD]
    specific = {kind: len(keys & (set(COLUMNS[kind]) - {"fodselsnummer"})) for kind in COLUMNS}
    if specific[ExtractKind.FREG] and not specific[ExtractKind.PAD]:
        return ExtractKind.FREG
    if specific[ExtractKind.PAD] and not specific[ExtractKind.FREG]:
        return ExtractKind.PAD
    if not objects:
        raise ExtractFileError(f"Filen {path} inneholder ingen rader. Ingenting er importert.")
    raise ExtractFileError(
        f"Filen {path} kan ikke tolkes som FREG- eller PAD-uttrekk "
        f"(feltene passer {freg} FREG-felt og {pad} PAD-felt). "
        f"Et FREG-uttrekk har feltene {_names(COLUMNS[ExtractKind.FREG])}; "
        f"et PAD-uttrekk har {_names(COLUMNS[ExtractKind.PAD])}. Ingenting er importert."
    )
