"""Exit codes a script can tell apart, and `jsdesk --version`, from the real command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlcipher3
from PySide6 import __version__ as pyside_version
from storage_helpers import Installation

from jsdesk import __version__
from jsdesk.cli import main
from jsdesk.errors import ExitCode
from jsdesk.paths import resources_dir
from jsdesk.rules.form_files import load_form, shipped_form_paths

README = Path(__file__).resolve().parent.parent / "README.md"


def test_exit_codes__readme_lists_every_code_once() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    listed = [int(n) for n in re.findall(r"^\| `?(\d+)`? \|", section, flags=re.MULTILINE)]
    assert sorted(listed) == sorted(code.value for code in ExitCode)


def test_exit_codes__usage_error__64_not_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["records", "list", "--ukjent"])
    assert stopped.value.code == ExitCode.USAGE == 64
    assert "ukjente valg: --ukjent" in capsys.readouterr().err


def test_exit_codes__gui_option_error__usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--form", "skjema.yaml"]) == ExitCode.USAGE
    assert "--sandbox" in capsys.readouterr().err


def test_exit_codes__wrong_passphrase_or_password__unreadable_2(
    cli_installation: Installation,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The local file's passphrase and the shared database's login password: the same code.
    wrong = cli_installation.secret + " feil"
    monkeypatch.setenv("JSDESK_PASSPHRASE", wrong)
    assert main(["records", "list"]) == ExitCode.UNREADABLE == 2
    err = capsys.readouterr().err
    if cli_installation.backend == "sqlite":
        assert "Feil passordfrase" in err
    else:
        assert "ble avvist: feil brukernavn eller passord for «mal_saksbehandler»" in err
    assert "Traceback" not in err and wrong not in err


def test_exit_codes__missing_record_file__unreadable_2(tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "finnes-ikke.json")]) == ExitCode.UNREADABLE


def test_exit_codes__the_pairs_the_issue_names__differ() -> None:
    assert ExitCode.LOCKED != ExitCode.UNEXPECTED
    assert ExitCode.USAGE != ExitCode.UNREADABLE
    assert len({code.value for code in ExitCode}) == len(ExitCode)


def test_version__program_forms_reference_data_and_components(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    lines = {line.split("  ", 1)[0]: line.split("  ", 1)[1].strip() for line in out.splitlines()}
    assert lines["jsdesk"] == __version__
    for path in shipped_form_paths():
        assert lines[f"Skjema {load_form(path).version}"].startswith(load_form(path).title)
    for data_file in resources_dir().glob("*.csv"):
        assert lines[f"Referansedata {data_file.name}"].startswith("sha256 ")
    assert lines["Qt"] == f"{pyside_version} (PySide6 {pyside_version})"
    conn = sqlcipher3.connect(":memory:")
    cipher = conn.execute("PRAGMA cipher_version").fetchone()[0]
    assert lines["SQLCipher"] == f"{cipher} (SQLite {sqlcipher3.sqlite_version})"
    for label in ("OpenSSL i SQLCipher", "OpenSSL i cryptography", "OpenSSL i Python"):
        assert re.match(r"OpenSSL \d+\.\d+\.\d+", lines[label]), label
