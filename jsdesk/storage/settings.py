"""Settings stored in the database: the installation's, and each login's own.

The installation's (``settings``: municipality, bydel, test installation, the
person-id key, the recipient certificate, the time-stamping service) are the same for
everyone; on a shared database only the owner login (IT) may change them (migration
0009). A login's own (``login_settings``: the idle lock, the receipt's next steps) are
read with ``get_own_setting`` and fall back to the installation's value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy.orm import Session

from jsdesk.domain.fnr import PersonKey
from jsdesk.storable import refuse_unstorable
from jsdesk.storage import audit
from jsdesk.storage.errors import classify
from jsdesk.storage.models import LoginSetting, Setting, utc_now
from jsdesk.storage.sessions import DatabaseCore

SETTING_KOMMUNENUMMER = "kommunenummer"
SETTING_BYDEL = "bydel"
SETTING_TEST_INSTALLATION = "test_installation"
SETTING_CREATED_AT = "created_at"
# The person-id key (docs/person-id.md): made by migration 0007, never shown or audited.
SETTING_PERSON_KEY = "person_id.key"
SETTING_UNITS = "bydeler"  # a shared database's units (bydeler), from ``server init``


class RulesContext(TypedDict):
    """What the rule engine needs of the installation (keyword arguments of ``evaluate``)."""

    allow_synthetic: bool  # a test installation accepts synthetic (Tenor) numbers
    installation: str | None  # the installation's kommunenummer
    person_key: PersonKey | None  # the installation's key for person_id (docs/person-id.md)


@dataclass(frozen=True)
class Settings:
    """Installation settings every part needs."""

    kommunenummer: str
    bydel: str | None
    test_installation: bool
    created_at: str | None = None
    person_key: PersonKey | None = None  # never shown (its repr hides it)
    # On a shared database whose login is granted some bydeler (``server add-user
    # --bydel``): those, the only ones its participations may have. None: ``bydel``.
    login_bydeler: tuple[str, ...] | None = None

    @property
    def own_bydel(self) -> str | None:
        """The one bydel this installation works for (a new participation's, a
        submission's): the installation's own, or on a shared database the one bydel its
        login is granted (every participation it can read is that bydel's); None when it
        covers the whole municipality or several bydeler (a login then chooses)."""
        if self.bydel:
            return self.bydel
        granted = self.login_bydeler or ()
        return granted[0] if len(granted) == 1 else None

    def rules_context(self) -> RulesContext:
        """``evaluate(form, record, **settings.rules_context())``: a record of this
        installation is checked as one (synthetic numbers, its own municipality)."""
        return RulesContext(
            allow_synthetic=self.test_installation,
            installation=self.kommunenummer or None,
            person_key=self.person_key,
        )


class SettingsMixin(DatabaseCore):
    """Settings of ``Database``: read, change (audited), and the ones every part needs."""

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = self._load_settings()
        return self._settings

    @property
    def person_key(self) -> PersonKey:
        """The installation's key for ``person_id`` (made here if it is ever missing)."""
        key = self.settings.person_key
        if key is None:  # only a database that was never migrated to 0007 lacks it
            key = PersonKey.random()
            self.set_setting(SETTING_PERSON_KEY, key.secret, secret=True)
        return key

    def _load_settings(self) -> Settings:
        kommunenummer = str(self.get_setting(SETTING_KOMMUNENUMMER) or "")
        return Settings(
            kommunenummer=kommunenummer,
            bydel=_opt_str(self.get_setting(SETTING_BYDEL)),
            test_installation=bool(self.get_setting(SETTING_TEST_INSTALLATION)),
            created_at=_opt_str(self.get_setting(SETTING_CREATED_AT)),
            person_key=_person_key(self.get_setting(SETTING_PERSON_KEY)),
            login_bydeler=self._login_bydeler(kommunenummer),
        )

    def _login_bydeler(self, kommunenummer: str) -> tuple[str, ...] | None:
        units = self.get_setting(SETTING_UNITS) if self.backend.shared else None
        if not isinstance(units, list) or not units:
            return None
        with self.read() as session:
            return self.backend.granted_units(session, kommunenummer, [str(u) for u in units])

    def get_setting(self, key: str, default: object = None) -> Any:
        """A setting's value: JSON value, or ``bytes`` for binary settings."""
        with self.read() as session:
            row = session.get(Setting, key)
            if row is None:
                return default
            if row.blob is not None:
                return row.blob
            return None if row.value is None else json.loads(row.value)

    def set_setting(self, key: str, value: object, *, secret: bool = False) -> None:
        """Store a JSON-compatible value or ``bytes`` (committed at once, audited).

        The audit trail records that a setting changed; for binary values and
        for ``secret`` ones (passwords, keys) it records that and nothing of the value.
        """
        if not isinstance(value, bytes):
            refuse_unstorable({key: value})
        now = utc_now()
        with self.write() as session:
            old = session.get(Setting, key)
            old_value: object = None
            if old is not None:
                old_value = _shown_setting(old.value, old.blob is not None, secret)
            self._put_setting(session, key, value, now)
            shown = _shown_setting(value, isinstance(value, bytes), secret)
            audit.append(
                session, at=now, action="innstilling", variable=key, old=old_value, new=shown
            )
        self._settings = self._load_settings()

    def _login(self, session: Session) -> str:
        """Whose own settings: the database login on a shared database, else ""."""
        return (self.backend.audit_user(session) or "") if self.backend.shared else ""

    def get_own_setting(self, key: str, default: object = None) -> Any:
        """This login's own value of ``key`` (JSON), else the installation's, else ``default``."""
        with self.read() as session:
            row = session.get(LoginSetting, (self._login(session), key))
        if row is None or row.value is None:
            return self.get_setting(key, default)
        return json.loads(row.value)

    def set_own_setting(self, key: str, value: object) -> None:
        """Store this login's own JSON value of ``key`` (committed at once, audited)."""
        refuse_unstorable({key: value})
        now = utc_now()
        with self.write() as session:
            login = self._login(session)
            row = session.get(LoginSetting, (login, key))
            old = None if row is None or row.value is None else json.loads(row.value)
            if row is None:
                row = LoginSetting(login=login, key=key, changed_at=now)
                session.add(row)
            row.value = json.dumps(value, ensure_ascii=False)
            row.changed_at = now
            audit.append(
                session, at=now, action="egen innstilling", variable=key, old=old, new=value
            )

    @staticmethod
    def _put_setting(session: Session, key: str, value: object, now: datetime) -> None:
        row = session.get(Setting, key)
        if row is None:
            row = Setting(key=key, changed_at=now)
            session.add(row)
        if isinstance(value, bytes):
            row.blob, row.value = value, None
        else:
            row.blob, row.value = None, json.dumps(value, ensure_ascii=False)
        row.changed_at = now


def refused_for_rights(error: BaseException) -> bool:
    """True when ``error`` (a ``UserError`` from a write) says this login may not make
    the change: on a shared database the installation's settings are the owner's."""
    cause = error.__cause__
    return cause is not None and classify(cause) == "denied"


def installation_wide_refusal(what: str) -> str:
    """The Bokmål refusal when a caseworker changes an installation setting (``what``,
    capitalised) of a shared database: only IT's owner login may."""
    return (
        f"{what} gjelder alle som bruker den felles databasen, og bare IT kan endre det "
        "(med eierinnloggingen: «--db postgresql://EIER@…»). Ingenting er endret."
    )


def _person_key(value: object) -> PersonKey | None:
    return PersonKey(value) if isinstance(value, bytes) else None


def _opt_str(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


SECRET_SHOWN = "<hemmelig, endret>"


def _shown_setting(value: object, binary: bool, secret: bool) -> object:
    """What the audit trail keeps of a setting's value."""
    if secret:
        return SECRET_SHOWN
    return "<binær>" if binary else value
