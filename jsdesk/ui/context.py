"""What every window of one running jsdesk shares: the open database and the options.

Signals (on ``AppContext``): ``locked()`` when the database was closed by the idle
lock or the user, ``unlocked()`` when it was opened again, ``changed()`` when a
participation was stored (the overview refreshes).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from jsdesk.forms import FormDefinition
    from jsdesk.storage import Database
    from jsdesk.storage.settings import RulesContext

DEFAULT_IDLE_MINUTES = 15
IDLE_SETTING = "idle_lock_minutes"


class Options(NamedTuple):
    db: str | None  # --db as given: a file, or a shared database (storage tells them apart)
    form_path: Path | None
    sandbox: bool
    startup_probe: bool = False  # benchmarks: show the first window, print the time, exit


class AppContext(QObject):
    locked = Signal()
    unlocked = Signal()
    changed = Signal()

    def __init__(self, options: Options) -> None:
        super().__init__()
        self.options = options
        self.db_path: Path | None = None  # the local file, once start-up has chosen
        self.db_url: str | None = None  # or the shared database (postgresql://…)
        self.db: Database | None = None
        self.pilot_form: FormDefinition | None = None
        self._secret: str | None = None

    @property
    def is_open(self) -> bool:
        return self.db is not None

    def require_db(self) -> Database:
        if self.db is None:
            raise RuntimeError("database is locked")
        return self.db

    @property
    def allow_synthetic(self) -> bool:
        if self.options.sandbox:
            return True
        return self.db is not None and bool(self.db.settings.test_installation)

    @property
    def installation(self) -> str | None:
        """The installation's kommunenummer (None while the database is locked)."""
        return (self.db.settings.kommunenummer or None) if self.db is not None else None

    @property
    def login_bydeler(self) -> tuple[str, ...] | None:
        """The bydeler a shared database's login is granted (None: no such limit)."""
        return self.db.settings.login_bydeler if self.db is not None else None

    def rules_context(self) -> RulesContext:
        """``evaluate(..., **context.rules_context())``: records as this installation's."""
        return {
            "allow_synthetic": self.allow_synthetic,
            "installation": self.installation,
            "person_key": None if self.db is None else self.db.person_key,
        }

    def form_for_new(self) -> FormDefinition:
        if self.pilot_form is not None:
            return self.pilot_form
        from jsdesk.rules import default_form  # after first paint: see ui/main_window.py

        return default_form()

    def form_for_version(self, version: str) -> FormDefinition:
        """The form records of ``version`` are read with: the sandbox's draft form first,
        then the shipped forms (a ``FormLookup``, passed to export, checks and reports)."""
        if self.pilot_form is not None and self.pilot_form.version == version:
            return self.pilot_form
        from jsdesk.rules import form_by_version  # after first paint: see ui/main_window.py

        return form_by_version(version)

    def idle_minutes(self) -> int:
        if self.db is None:
            return DEFAULT_IDLE_MINUTES
        stored = self.db.get_own_setting(IDLE_SETTING)
        try:
            minutes = int(str(stored)) if stored is not None else DEFAULT_IDLE_MINUTES
        except ValueError:
            return DEFAULT_IDLE_MINUTES
        return max(1, minutes)

    def open(self, db: Database) -> None:
        self.db = db
        self.unlocked.emit()

    def lock(self) -> None:
        if self.db is None:
            return
        self.db.close()
        self.db = None
        self.locked.emit()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
