"""Pilot feedback: comments on a form's fields, kept for the form owner and exported.

A comment holds the form version, the variable (and its label), the comment text,
the record's values when it was written, and the time. Comments are appended to
``<data>/pilot/tilbakemeldinger.jsonl`` as they are written (fsynced: the sandbox's
database is thrown away when the window closes, comments are not), and exported
as JSON or CSV with "Eksporter tilbakemeldinger …" (docs/pilot.md).

The record's values are the pilot's synthetic test data. A fødselsnummer or
D-nummer that is not synthetic (Tenor) is never written: it is replaced by a note.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jsdesk.domain.fnr import FnrError, analyse
from jsdesk.paths import user_data_folder

FEEDBACK_FILE = "tilbakemeldinger.jsonl"
NOT_SYNTHETIC = "(ikke syntetisk nummer – ikke lagret)"
CSV_COLUMNS = ("tidspunkt", "skjemaversjon", "variabel", "felt", "kommentar", "verdier")


def feedback_path() -> Path:
    return user_data_folder() / "pilot" / FEEDBACK_FILE


@dataclass(frozen=True)
class Comment:
    at: datetime
    form_version: str
    variable: str
    label: str
    text: str
    values: Mapping[str, object]

    def to_json(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "form_version": self.form_version,
            "variable": self.variable,
            "label": self.label,
            "text": self.text,
            "values": dict(self.values),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> Comment:
        values = raw.get("values")
        return cls(
            at=datetime.fromisoformat(str(raw["at"])),
            form_version=str(raw["form_version"]),
            variable=str(raw["variable"]),
            label=str(raw.get("label", "")),
            text=str(raw["text"]),
            values=values if isinstance(values, dict) else {},
        )


def safe_values(record: Mapping[str, object], fnr_variables: Iterable[str]) -> dict[str, object]:
    """``record`` with every identity number that is not synthetic replaced by a note."""
    names = set(fnr_variables)
    safe: dict[str, object] = {}
    for name, value in record.items():
        if name in names and value not in (None, ""):
            try:
                synthetic = isinstance(value, str) and analyse(value).synthetic
            except FnrError:
                synthetic = False
            safe[name] = value if synthetic else NOT_SYNTHETIC
        else:
            safe[name] = value
    return safe


def add_comment(comment: Comment, path: Path | None = None) -> None:
    """Append ``comment`` to the feedback file and make it durable."""
    target = path or feedback_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(comment.to_json(), ensure_ascii=False) + "\n"
    with target.open("a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def new_comment(
    form_version: str, variable: str, label: str, text: str, values: Mapping[str, object]
) -> Comment:
    return Comment(
        at=datetime.now(UTC),
        form_version=form_version,
        variable=variable,
        label=label,
        text=text,
        values=dict(values),
    )


def read_comments(path: Path | None = None) -> list[Comment]:
    """Every comment written, oldest first; a damaged line is skipped, the rest kept."""
    source = path or feedback_path()
    if not source.is_file():
        return []
    comments = []
    for line in source.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            raw = json.loads(line)
            comments.append(Comment.from_json(raw))
        except (ValueError, KeyError, TypeError):
            continue
    return comments


def export_json(comments: Iterable[Comment]) -> bytes:
    data = [comment.to_json() for comment in comments]
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def export_csv(comments: Iterable[Comment]) -> bytes:
    """UTF-8 with BOM and semicolons, so that Excel in Norway opens it as columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for comment in comments:
        writer.writerow(
            (
                comment.at.isoformat(timespec="seconds"),
                comment.form_version,
                comment.variable,
                comment.label,
                comment.text,
                json.dumps(dict(comment.values), ensure_ascii=False),
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
