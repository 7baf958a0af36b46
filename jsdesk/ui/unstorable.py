"""Text typed or pasted into a dialog, without the NUL no database stores.

A NUL (code 0, invisible) comes with text pasted from some PDFs and systems; storage
refuses it (``jsdesk.storable``). The input takes it out as it arrives and a
note beside the input says so; the rest of the text is kept.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QWidget

from jsdesk.storable import DROPPED_NOTE, storable


def kept_position(text: str, position: int) -> int:
    """Where ``position`` in ``text`` lands once the unstorable characters are out."""
    return len(storable(text[:position]))


def drop_unstorable(edit: QLineEdit, text: str) -> str:
    """``text`` (just typed or pasted into ``edit``) without what cannot be stored; when
    something was taken out, ``edit`` shows the rest with the cursor where it was."""
    kept = storable(text)
    if kept != text:
        cursor = edit.cursorPosition()
        edit.setText(kept)
        edit.setCursorPosition(kept_position(text, cursor))
    return kept


def storable_note(edit: QLineEdit | QPlainTextEdit, parent: QWidget) -> QLabel:
    """A hidden note for ``edit`` (placed by the caller), shown when a NUL was taken out
    of what was typed or pasted, hidden again at the next edit without one; the note is
    the edit's accessible description too."""
    note = QLabel(DROPPED_NOTE, parent)
    note.setObjectName(f"{edit.objectName()}_merknad")
    note.setWordWrap(True)
    note.setTextFormat(Qt.TextFormat.PlainText)
    note.hide()

    def show(dropped: bool) -> None:
        note.setVisible(dropped)
        edit.setAccessibleDescription(DROPPED_NOTE if dropped else "")

    if isinstance(edit, QLineEdit):
        line = edit

        def line_edited(text: str) -> None:
            show(drop_unstorable(line, text) != text)

        line.textEdited.connect(line_edited)
    else:
        plain = edit

        def plain_changed() -> None:
            text = plain.toPlainText()
            kept = storable(text)
            if kept == text:
                if note.isVisible():
                    show(False)
                return
            cursor = plain.textCursor().position()
            plain.setPlainText(kept)  # emits textChanged again, now without a NUL
            moved = plain.textCursor()
            moved.setPosition(min(len(kept), kept_position(text, cursor)))
            plain.setTextCursor(moved)
            show(True)

        plain.textChanged.connect(plain_changed)
    return note
