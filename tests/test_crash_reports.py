"""Logs and crash reports carry no personal data: an error whose message and locals hold a
fødselsnummer and a name is injected into a real ``jsdesk`` process (command line and GUI),
and every file the run wrote, its stdout and its stderr are scanned afterwards."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from engine_support import tenor

from jsdesk import logs
from jsdesk.errors import ExitCode

REPO_ROOT = Path(__file__).resolve().parent.parent
FNR = tenor()
NAME = "Kari Nordmann"
# The number as people write it too: 17059012345 / 170590 12345.
FNR_SPACED = f"{FNR[:6]} {FNR[6:]}"

# The injected bug: a function with the number and the name in its locals and message.
INJECT = f"""
def buggy(*_args, **_kwargs):
    fodselsnummer = {FNR!r}
    navn = {NAME!r}
    raise ValueError(f"ugyldig deltaker {{fodselsnummer}} ({FNR_SPACED}) navn={{navn!r}}")
"""


def _isolated_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "JSDESK_"))}
    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        (home / name.lower()).mkdir(parents=True)
        env[name] = str(home / name.lower())
    env.update(
        HOME=str(home),
        TMPDIR=str(home / "tmp"),
        PYTHONPATH=str(REPO_ROOT),
        QT_QPA_PLATFORM="offscreen",
        JSDESK_DB=str(home / "data" / "jsdesk.db"),
    )
    (home / "tmp").mkdir()
    return env


def _run(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=_isolated_env(home),
        check=False,
    )


def _assert_no_personal_data(home: Path, *streams: str) -> list[Path]:
    written = [p for p in home.rglob("*") if p.is_file()]
    for path in written:
        text = path.read_bytes().decode("utf-8", errors="replace")
        for secret in (FNR, FNR_SPACED, NAME):
            assert secret not in text, (path, secret)
    for stream in streams:
        for secret in (FNR, FNR_SPACED, NAME):
            assert secret not in stream, secret
    return written


def _log_file(home: Path) -> Path:
    (path,) = home.rglob(logs.LOG_FILE)
    return path


def test_cli__injected_error__one_line_with_log_path_and_no_personal_data(
    tmp_path: Path,
) -> None:
    code = (
        INJECT
        + "import sys, jsdesk.cli\n"
        + "jsdesk.cli.run_command = buggy\n"
        + "sys.exit(jsdesk.cli.main(['records', 'list']))\n"
    )
    result = _run(code, tmp_path)

    assert result.returncode == ExitCode.UNEXPECTED
    log_path = _log_file(tmp_path)
    assert log_path.parent == tmp_path / "xdg_state_home" / "jsdesk" / "log"
    assert result.stderr.strip().splitlines() == [
        "Feil: Det oppstod en uventet feil i jsdesk (ValueError). Det du har lagret, er i "
        f"behold. Detaljer uten personopplysninger står i loggfilen {log_path}."
    ]
    log = log_path.read_text(encoding="utf-8")
    assert "CRITICAL jsdesk" in log and "Uventet feil" in log
    assert "in buggy" in log and "ValueError: ugyldig deltaker ***********" in log
    assert 'File "<string>", line' in log  # where it failed stays readable
    written = _assert_no_personal_data(tmp_path, result.stdout, result.stderr)
    assert {p.name for p in written} >= {logs.LOG_FILE, logs.CRASH_FILE}


def test_cli__hard_crash__faulthandler_writes_the_crash_file_without_values(
    tmp_path: Path,
) -> None:
    code = (
        "import faulthandler, sys, jsdesk.cli\n"
        f"def crash(*_args):\n    fodselsnummer = {FNR!r}\n    faulthandler._sigsegv()\n"
        "jsdesk.cli.run_command = crash\n"
        "sys.exit(jsdesk.cli.main(['records', 'list']))\n"
    )
    result = _run(code, tmp_path)

    assert result.returncode != 0
    (crash_file,) = tmp_path.rglob(logs.CRASH_FILE)
    crash = crash_file.read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in crash
    assert "in crash" in crash
    _assert_no_personal_data(tmp_path, result.stdout, result.stderr)


def test_cli__error_in_a_thread__logged_scrubbed(tmp_path: Path) -> None:
    code = (
        INJECT
        + "import sys, threading, jsdesk.cli\n"
        + "def run(*_args):\n"
        + "    worker = threading.Thread(target=buggy, name='bakgrunn')\n"
        + "    worker.start(); worker.join()\n"
        + "    return 0\n"
        + "jsdesk.cli.run_command = run\n"
        + "sys.exit(jsdesk.cli.main(['records', 'list']))\n"
    )
    result = _run(code, tmp_path)

    assert result.returncode == 0, result.stderr
    log = _log_file(tmp_path).read_text(encoding="utf-8")
    assert "Uventet feil i tråden bakgrunn" in log and "in buggy" in log
    assert result.stderr == ""
    _assert_no_personal_data(tmp_path, result.stdout, result.stderr)


GUI_DRIVER = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer, qWarning
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
import jsdesk.cli
from jsdesk.ui.main_window import MainWindow

MainWindow.start = buggy  # the first slot the window runs raises
app = QApplication(["jsdesk"])
seen = []

def look_for_dialog():
    dialog = QApplication.activeModalWidget()
    if dialog is None or dialog.objectName() != "krasj_dialog":
        QTimer.singleShot(50, look_for_dialog)
        return
    text = dialog.findChild(object, "krasj_tekst").text()
    dialog.findChild(object, "kopier_detaljer").click()
    Path(sys.argv[1]).write_text(
        text + "\\n---\\n" + QGuiApplication.clipboard().text(), encoding="utf-8"
    )
    dialog.reject()
    QTimer.singleShot(0, app.quit)

QTimer.singleShot(0, look_for_dialog)
QTimer.singleShot(0, lambda: qWarning("Qt-melding FNR"))  # Qt's own messages: to the log
sys.exit(jsdesk.cli.main([]))
"""


def test_gui__injected_error__dialog_with_copied_details_and_no_personal_data(
    tmp_path: Path,
) -> None:
    out = tmp_path / "dialog.txt"
    result = subprocess.run(
        [sys.executable, "-c", INJECT + GUI_DRIVER.replace("FNR", FNR), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_isolated_env(tmp_path),
        check=False,
    )

    assert out.exists(), result.stderr
    shown, copied = out.read_text(encoding="utf-8").split("\n---\n")
    log_path = _log_file(tmp_path)
    assert "Det oppstod en uventet feil i jsdesk" in shown
    assert "Du kan fortsette å arbeide" in shown
    assert str(log_path) in shown
    assert "ValueError: ugyldig deltaker ***********" in copied
    assert "in buggy" in copied and f"Loggfil: {log_path}" in copied
    log = log_path.read_text(encoding="utf-8")
    assert "CRITICAL jsdesk [MainThread]: Uventet feil" in log
    assert "WARNING jsdesk.qt [MainThread]: Qt-melding ***********" in log
    assert "Traceback" not in result.stderr
    _assert_no_personal_data(tmp_path, result.stdout, result.stderr)


def test_scrub__numbers_with_separators_and_quoted_names__masked() -> None:
    text = f"{FNR} / {FNR[:6]}-{FNR[6:]} / {FNR_SPACED} navn='{NAME}' «{NAME}» \"{NAME}\""
    scrubbed = logs.scrub(text)
    assert FNR[:6] not in scrubbed and NAME not in scrubbed
    assert scrubbed.count(logs.MASK) == 3
    assert logs.scrub("kommunenummer 0301, 2026-12-01 20:13:05") == (
        "kommunenummer 0301, 2026-12-01 20:13:05"
    )


def test_format_exception__chained_causes__all_scrubbed_no_locals() -> None:
    def inner(fodselsnummer: str) -> None:
        raise KeyError(fodselsnummer)

    try:
        try:
            inner(FNR)
        except KeyError as exc:
            raise RuntimeError(f"kunne ikke lagre {NAME!r}") from exc
    except RuntimeError as exc:
        text = logs.format_exception(exc)

    assert "KeyError" in text and "RuntimeError" in text and "in inner" in text
    assert f'File "{__file__}"' in text
    assert FNR not in text and NAME not in text


def test_install__every_handler_filtered_and_restored_on_close(tmp_path: Path) -> None:
    root = logging.getLogger()
    other = logging.StreamHandler(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    root.addHandler(other)
    saved_hook = sys.excepthook
    try:
        setup = logs.install(tmp_path)
        try:
            assert all(
                any(isinstance(f, logs.ScrubbingFilter) for f in h.filters) for h in root.handlers
            )
            assert sys.excepthook is not saved_hook
            logging.getLogger("jsdesk.test").warning("deltaker %s", FNR)
        finally:
            setup.close()
        assert not any(isinstance(f, logs.ScrubbingFilter) for f in other.filters)
        assert sys.excepthook is saved_hook
        assert setup.log_path is not None
        text = setup.log_path.read_text(encoding="utf-8")
        assert "deltaker ***********" in text and FNR not in text
    finally:
        root.removeHandler(other)
        other.stream.close()


def test_install__unwritable_log_folder__program_goes_on_without_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "fil"
    blocker.write_text("", encoding="utf-8")
    setup = logs.install(blocker / "log")
    try:
        assert setup.log_path is None
        logging.getLogger("jsdesk").warning("ingen loggfil")
    finally:
        setup.close()
    assert "Loggfilen kunne ikke skrives." in logs.CrashReport("X", "", None).one_line()
