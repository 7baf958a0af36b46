"""Where jsdesk finds its shipped files (forms, resources), from source or frozen."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_dir


def app_root() -> Path:
    """The folder that holds ``forms/`` and ``resources/``.

    In a PyInstaller bundle that is the unpack folder; from a source checkout or
    an editable install it is the repository root beside the package.
    """
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def forms_dir() -> Path:
    return app_root() / "forms"


def resources_dir() -> Path:
    return app_root() / "resources"


DATA_DIR_ENV = "JSDESK_DATA_DIR"


def user_data_folder() -> Path:
    """The user's data folder: ``JSDESK_DATA_DIR`` when set, else the platform's own.

    Installed update packages live here (``pakker/``); the database's default
    place is the same folder (``jsdesk.storage.default_db_path``).
    """
    given = os.environ.get(DATA_DIR_ENV)
    if given:
        return Path(given).expanduser()
    return Path(user_data_dir("jsdesk", appauthor=False))


def publishers_dir() -> Path:
    """The form owner's publisher certificates shipped with jsdesk (update packages)."""
    return resources_dir() / "publishers"
