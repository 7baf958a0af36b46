"""Record files for ``jsdesk validate``: one JSON object or a JSON array of objects."""

from __future__ import annotations

import json
from pathlib import Path

from jsdesk.errors import UserError
from jsdesk.jsontext import UntrustedJsonError, loads_untrusted


class RecordFileError(UserError):
    """A file that cannot be read as records; the message names the file and the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"nøkkelen «{key}» står to ganger i samme objekt")
        result[key] = value
    return result


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} er ikke gyldig JSON")


def parse_records(text: str, source: str) -> list[dict[str, object]]:
    """Records from JSON text; RecordFileError with ``source`` named in the message."""
    try:
        data = loads_untrusted(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except UntrustedJsonError as exc:
        raise RecordFileError(
            f"{source}: kan ikke leses ({exc.detail}). Ingenting er lagret eller kontrollert."
        ) from None
    except json.JSONDecodeError as exc:
        raise RecordFileError(
            f"{source}: ikke gyldig JSON (linje {exc.lineno}, kolonne {exc.colno}: {exc.msg})."
        ) from None
    except (ValueError, RecursionError) as exc:
        raise RecordFileError(f"{source}: ikke gyldig JSON: {exc}.") from None
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                raise RecordFileError(
                    f"{source}: element {index} i listen er ikke et JSON-objekt. Filen må "
                    "inneholde ett objekt eller en liste med objekter (én per deltakelse)."
                )
        return data
    raise RecordFileError(
        f"{source}: filen må inneholde ett JSON-objekt eller en liste med objekter "
        "(én per deltakelse)."
    )


def read_record_file(path: Path) -> list[dict[str, object]]:
    """The records in ``path``; RecordFileError (Bokmål, names the file) when unreadable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RecordFileError(f"{path}: filen finnes ikke.") from None
    except IsADirectoryError:
        raise RecordFileError(f"{path}: er en mappe, ikke en fil.") from None
    except OSError as exc:
        raise RecordFileError(f"{path}: filen kan ikke leses ({exc.strerror}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RecordFileError(f"{path}: filen er ikke UTF-8-tekst.") from None
    return parse_records(text, str(path))
