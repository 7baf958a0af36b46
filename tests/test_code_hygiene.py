"""The code reads on its own: no comment sends the reader to an issue tracker outside
the repository. A rule chosen in an issue is stated where it applies instead."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ISSUE_REFERENCE = re.compile(r"\bissue\s*#?\d+|\bdecision\s+\d+\s+of\b", re.IGNORECASE)


def comments_and_docstrings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every comment and string literal in a Python file."""
    found = []
    source = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING):
            found.append((token.start[0], token.string))
    return found


def test_hygiene__comments_in_code_and_form__no_issue_numbers() -> None:
    offenders = []
    for path in sorted([*(ROOT / "jsdesk").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]):
        if path == Path(__file__).resolve():
            continue
        for line, text in comments_and_docstrings(path):
            if ISSUE_REFERENCE.search(text):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {text.strip()[:70]}")
    for path in sorted((ROOT / "forms").glob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            comment = line.partition("#")[2]
            if ISSUE_REFERENCE.search(comment):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {comment.strip()[:70]}")
    assert offenders == [], "state the rule instead of pointing at an issue:\n" + "\n".join(
        offenders
    )


def test_hygiene__issue_pattern__matches_the_forms_it_guards() -> None:
    assert ISSUE_REFERENCE.search("# Decision 4 of issue 11: PAD's rows")
    assert ISSUE_REFERENCE.search('"""Results (issue 17)."""')
    assert not ISSUE_REFERENCE.search("# the issue date of the certificate")
