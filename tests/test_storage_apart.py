"""Nothing outside ``jsdesk.storage`` knows which back end it has, checked against the source.

The local SQLCipher file and the shared PostgreSQL database differ only behind
``jsdesk.storage``'s public API (``storage/backend.py``'s ``Backend``, with a SQLite and a
PostgreSQL implementation). Every other module: imports no database driver, none of the
modules that hold one back end's details (its connection, key slots, lock, backups,
error codes, sessions), writes no back-end SQL (pragmas, SQLite's or PostgreSQL's
catalogues), never asks an open database which back end it is on, and never tells a
shared database from a file by its name (``startswith("postgresql")``, a URL's scheme):
it asks ``jsdesk.storage`` (``database_target``, ``default_target``) instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "jsdesk"
STORAGE_DIR = PACKAGE_DIR / "storage"

DRIVERS = ("sqlcipher3", "sqlite3", "psycopg", "psycopg_binary", "psycopg2")
# The modules that hold one back end's details; the rest of storage is the same on both.
BACK_END_MODULES = (
    "jsdesk.storage.backend",
    "jsdesk.storage.connection",
    "jsdesk.storage.keys",
    "jsdesk.storage.lock",
    "jsdesk.storage.backup",
    "jsdesk.storage.errors",
    "jsdesk.storage.sessions",
    "jsdesk.storage.database",
)
BACK_END_SQL = ("PRAGMA", "sqlite_master", "pg_catalog", "pg_class", "pg_roles", "pg_advisory")
# What an open database says about its back end (inside storage only).
BACK_END_ATTRIBUTES = ("backend", "dialect")
# Telling a shared database from a file by its name: a URL's scheme, asked by hand.
SCHEMES = ("postgres", "sqlite")
STRING_TESTS = ("startswith", "endswith", "removeprefix", "partition", "find", "index")
URL_PARTS = ("scheme",)


def _outside_storage() -> Iterator[Path]:
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if STORAGE_DIR not in path.parents:
            yield path


def _imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:  # ``from jsdesk.storage import backup`` is a module too
                yield node.lineno, f"{node.module}.{alias.name}"


def _breaches(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for line, module in _imports(tree):
        top = module.split(".")[0]
        if top in DRIVERS or module in BACK_END_MODULES:
            breach = f"{line}: imports {top if top in DRIVERS else module}"
            if breach not in found:
                found.append(breach)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            words = [w for w in BACK_END_SQL if w in node.value]
            if words:
                found.append(f"{node.lineno}: SQL of one back end ({', '.join(words)})")
        if isinstance(node, ast.Attribute) and node.attr in BACK_END_ATTRIBUTES:
            found.append(f"{node.lineno}: asks .{node.attr}")
        if isinstance(node, ast.Attribute) and node.attr in URL_PARTS:
            found.append(f"{node.lineno}: reads a URL's .{node.attr}")
        if _tests_for_scheme(node):
            found.append(f"{node.lineno}: tests whether the database is a URL")
    return found


def _names_scheme(node: ast.AST) -> bool:
    """A string constant (or one in a tuple) that starts like a database URL."""
    return any(
        isinstance(part, ast.Constant)
        and isinstance(part.value, str)
        and part.value.lower().startswith(SCHEMES)
        for part in ast.walk(node)
    )


def _tests_for_scheme(node: ast.AST) -> bool:
    """``x.startswith("postgresql:")``, ``"postgres" in x``, ``scheme == "postgresql"``…:
    the back end guessed from the location instead of asked of ``jsdesk.storage``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in STRING_TESTS and any(_names_scheme(a) for a in node.args)
    if isinstance(node, ast.Compare):
        return any(_names_scheme(part) for part in (node.left, *node.comparators))
    return False


@pytest.mark.parametrize(
    "path", list(_outside_storage()), ids=lambda p: str(p.relative_to(PACKAGE_DIR))
)
def test_outside_storage__no_back_end_known(path: Path) -> None:
    assert _breaches(path) == [], path


def test_check__finds_each_kind_of_breach(tmp_path: Path) -> None:
    """The check above can fail: each kind of breach in a module is found."""
    module = tmp_path / "brudd.py"
    module.write_text(
        "import sqlcipher3\n"
        "from jsdesk.storage.keys import write_atomic\n"
        "from jsdesk.storage import backup\n"
        "from psycopg import sql\n"
        "def f(db, conn):\n"
        "    conn.execute('PRAGMA cipher_version')\n"
        "    return db.backend.shared\n"
        "def g(text):\n"
        "    return text.startswith(('postgresql:', 'postgres:'))\n"
        "def h(text):\n"
        "    return urlsplit(text).scheme == 'postgresql' or 'sqlite' in text\n",
        encoding="utf-8",
    )
    assert sorted(b.split(": ", 1)[1] for b in _breaches(module)) == sorted(
        [
            "imports sqlcipher3",
            "imports jsdesk.storage.keys",
            "imports jsdesk.storage.backup",
            "imports psycopg",
            "SQL of one back end (PRAGMA)",
            "asks .backend",
            "tests whether the database is a URL",  # startswith
            "reads a URL's .scheme",
            "tests whether the database is a URL",  # == 'postgresql'
            "tests whether the database is a URL",  # 'sqlite' in text
        ]
    )


def test_check__a_url_built_or_shown__no_breach(tmp_path: Path) -> None:
    """Building the first-start form's URL or naming the scheme in help text is no test."""
    module = tmp_path / "lov.py"
    module.write_text(
        "def url(user, host):\n"
        "    return f'postgresql://{user}@{host}/jsdesk'\n"
        "HELP = 'postgresql://EIER@VERT/DATABASE'\n",
        encoding="utf-8",
    )
    assert _breaches(module) == []
