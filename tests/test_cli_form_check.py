"""`jsdesk form check FILE...`: prints every problem, exit 0 clean / 1 otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from engine_support import FORM_PATH

from jsdesk.cli import main
from jsdesk.errors import ExitCode


def test_form_check__shipped_form__ok_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["form", "check", str(FORM_PATH)]) == 0
    assert capsys.readouterr().out == f"{FORM_PATH}: OK\n"


def test_form_check__draft_with_mistakes__every_problem_printed_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = tmp_path / "utkast.yaml"
    text = FORM_PATH.read_text(encoding="utf-8")
    text = text.replace('when: "deltatt_intro == 1"', 'when: "deltatt_intro == 3"', 1)
    text = text.replace("name: antall_barn", "name: antall_barn\n    lable: x", 1)
    draft.write_text(text, encoding="utf-8")
    good = tmp_path / "ok.yaml"
    shutil.copy(FORM_PATH, good)
    assert main(["form", "check", str(draft), str(good)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{draft}: variabel antall_barn: ukjent nøkkel «lable»")
    assert lines[1].startswith(f"{draft}: variabel intro_avsluttet_dato: regel")
    assert "nevner kode 3, som «deltatt_intro» ikke har" in lines[1]
    assert lines[2:] == [f"{draft}: 2 problem(er).", f"{good}: OK"]


def test_form_check__missing_file__exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "borte.yaml"
    assert main(["form", "check", str(path)]) == 1
    assert f"{path}: filen finnes ikke" in capsys.readouterr().out


def test_form__without_action__help_exit_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["form"]) == ExitCode.USAGE
    assert "check" in capsys.readouterr().out
