"""Test set-up shared by every test: Qt offscreen, UTF-8, no real user folders."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pg_support import GAMLE_OSLO, GRUNERLOKKA, SharedInstallations
from storage_helpers import Installation

from jsdesk.storage import Database

try:
    from PySide6.QtCore import QSettings
except ImportError:  # the Windows tests under Wine run without Qt (tests/windows/pytest.ini)
    QSettings = None

if TYPE_CHECKING:
    from pg_support import PgServer
    from pytestqt.qtbot import QtBot

    from jsdesk.ui.main_window import MainWindow
    from jsdesk.ui.wizard import ParticipationWizard

# The offscreen screen is what a 1366×768 laptop with a 40 px taskbar makes available to
# windows, 1366×728 (offscreen has no taskbar: its whole screen is the available geometry;
# Qt's own default is 800×600). Windows sized from the screen then get what caseworkers
# get (see test_ui_fits_screen).
_SCREEN = Path(tempfile.gettempdir()) / f"jsdesk-test-screen-{os.getpid()}.json"
_SCREEN.write_text(
    json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 728}]}),
    encoding="utf-8",
)
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"
os.environ.setdefault("LANG", "C.UTF-8")
# main() logs to the user's log folder: the tests' runs go to a folder of their own.
os.environ.setdefault("JSDESK_LOG_DIR", tempfile.mkdtemp(prefix="jsdesk-test-logs-"))


@pytest.fixture(autouse=True)
def _quicker_key_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    """New key slots use Argon2id with 1 MiB and one pass in tests (m=19 MiB, t=2 in use).

    Every database a test makes is unlocked several times; the production cost
    is checked by test_storage_keys (which undoes this patch).
    """
    from jsdesk.storage import keys

    monkeypatch.setattr(keys, "ARGON2_MEMORY_KIB", 1024)
    monkeypatch.setattr(keys, "ARGON2_ITERATIONS", 1)


@pytest.fixture(autouse=True)
def _own_qt_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Window sizes and last folders (QSettings) go to a fresh folder per test, never to
    the user's own settings."""
    if QSettings is None:
        return
    folder = str(tmp_path_factory.mktemp("qsettings"))
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, folder)


@pytest.fixture(autouse=True)
def _own_data_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Update packages install into a fresh data folder per test, never the user's own;
    after a test that installed one, the shipped data are read again."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("JSDESK_DATA_DIR", str(folder))
    yield folder
    if (folder / "pakker").exists():
        from jsdesk.packages.install import reload_installed

        reload_installed()


def pytest_configure(config: pytest.Config) -> None:
    """Under coverage, measure the code QThread workers run too (tests/qthread_coverage.py)."""
    from qthread_coverage import install

    install()


# Mutation runs (scripts/mutation.py) trace every line and run each test many times:
# fewer examples, no deadline and no "too slow" health check there; normal runs unchanged.
if os.environ.get("JSDESK_MUTATION"):
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "mutation",
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    settings.load_profile("mutation")

    @pytest.fixture(autouse=True)
    def _rules_caches_empty_per_test() -> None:
        """mutmut runs a mutant only against the tests that reached the mutated function in
        its stats run. A form's evaluation plan is kept for later calls, so only the first
        test to evaluate a form would count as reaching the code that builds it, and a
        broken plan would be tested by that test alone."""
        import sys

        from jsdesk.rules.form_files import forget_cached_forms

        forget_cached_forms()
        support = sys.modules.get("engine_support")
        form = getattr(support, "_FORM", None)
        if form is not None:
            form.cache.clear()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A small tmpfs is Linux's: elsewhere (the Windows release job) ``full_disk`` tests
    are skipped; CI and the Debian check run them on Linux."""
    import sys

    if sys.platform == "linux":
        return
    skip = pytest.mark.skip(reason="full_disk needs a Linux tmpfs (tests/small_disk.py)")
    for item in items:
        if item.get_closest_marker("full_disk") is not None:
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A test marked ``full_disk`` mounts a small tmpfs (tests/small_disk.py), which needs
    root: without it, the test runs again, whole, as root of its own user and mount
    namespace, and passes or fails with that run. It is never skipped."""
    from small_disk import can_mount

    if pyfuncitem.get_closest_marker("full_disk") is None or can_mount():
        return None
    import subprocess
    import sys

    command = ["unshare", "--map-root-user", "--mount", sys.executable, "-m", "pytest"]
    command += ["-q", "-p", "no:cacheprovider", pyfuncitem.nodeid]
    result = subprocess.run(
        command, cwd=pyfuncitem.config.rootpath, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)}:\n{result.stdout}{result.stderr}", pytrace=False)
    return True


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One real PostgreSQL server (TLS on) for the whole run (tests/pg_support.py).

    Without PostgreSQL installed the tests that need it are skipped, as the interop tests
    are without their tools, except where ``JSDESK_REQUIRE_POSTGRES=1`` (CI): there a
    missing server fails them."""
    from pg_support import REQUIRE_ENV, postgres_bin, running_server

    if postgres_bin() is None and not os.environ.get(REQUIRE_ENV):
        pytest.skip("PostgreSQL er ikke installert (apt-get install postgresql)")
    with running_server() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer, request: pytest.FixtureRequest) -> str:
    """The owner's URL of a fresh, empty database on the test server."""
    name = "t" + uuid.uuid4().hex[:16]
    url = pg_server.create_database(name)
    request.addfinalizer(lambda: pg_server.sql(f'DROP DATABASE "{name}" WITH (FORCE)'))
    return url


@pytest.fixture
def oslo_server(shared_installations: SharedInstallations) -> Iterator[str]:
    """The owner's URL of a shared database set up by ``server init`` for Oslo, with the
    bydeler Gamle Oslo and Grünerløkka (a copy of a template made once per run)."""
    url = shared_installations.new_owner("0301", (GAMLE_OSLO, GRUNERLOKKA))
    yield url
    shared_installations.drop(url)


@pytest.fixture(scope="session")
def shared_installations(pg_server: PgServer) -> SharedInstallations:
    """Fresh shared test installations for the run, copied from templates set up once."""
    return SharedInstallations(pg_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def installation(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Installation]:
    """A test installation on each back end, not yet created (``create``, ``reopen``): the
    local SQLCipher file, and a shared PostgreSQL database set up with ``server init`` and
    opened by a caseworker's own login (``pg_support.CASEWORKER``)."""
    if request.param == "sqlite":
        yield Installation("sqlite", tmp_path)
        return
    shared: SharedInstallations = request.getfixturevalue("shared_installations")
    made = Installation("postgresql", tmp_path, shared)
    yield made
    if isinstance(made.target, str):
        shared.drop(made.target)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_installation(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Installation]:
    """As ``installation``, made once per test module and back end: for data a module's
    tests only read (the report tests' fixed register)."""
    folder = tmp_path_factory.mktemp(f"installasjon-{request.param}")
    if request.param == "sqlite":
        yield Installation("sqlite", folder)
        return
    shared: SharedInstallations = request.getfixturevalue("shared_installations")
    made = Installation("postgresql", folder, shared)
    yield made
    if isinstance(made.target, str):
        shared.drop(made.target)


@pytest.fixture
def any_db(installation: Installation) -> Iterator[Database]:
    """An open test installation's database (Oslo, bydel 030101) on each back end."""
    with installation.create() as db:
        yield db


@pytest.fixture
def cli_installation(installation: Installation, monkeypatch: pytest.MonkeyPatch) -> Installation:
    """A test installation on each back end (Oslo, bydel 030101) that ``jsdesk`` commands
    open without ``--db``: ``JSDESK_DB`` names it, ``JSDESK_PASSPHRASE`` unlocks it."""
    installation.create().close()
    monkeypatch.setenv("JSDESK_DB", str(installation.target))
    monkeypatch.setenv("JSDESK_PASSPHRASE", installation.secret)
    return installation


@pytest.fixture
def app_installation(tmp_path: Path) -> Installation:
    """The installation ``app_window`` opens: a local file, unlocked with the GUI tests'
    passphrase. A test module whose GUI tests run on both back ends overrides it with the
    ``installation`` fixture."""
    from ui_support import PASSPHRASE

    return Installation("sqlite", tmp_path, passphrase=PASSPHRASE)


@pytest.fixture
def app_window(
    qtbot: QtBot, app_installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    """The main window on an empty test installation, showing the overview."""
    from ui_support import open_app_window

    yield from open_app_window(qtbot, app_installation, monkeypatch)


@pytest.fixture
def wizard(qtbot: QtBot, app_window: MainWindow) -> ParticipationWizard:
    """A new participation's wizard, opened with Ctrl+N from the overview."""
    from ui_support import new_wizard

    return new_wizard(qtbot, app_window)
