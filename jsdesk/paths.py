"""Where jsdesk finds its shipped files (forms, resources), from source or frozen."""

from __future__ import annotations

import sys
from pathlib import Path


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
