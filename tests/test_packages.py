"""Signed update packages: build, verify, every refusal, install, taking effect on a date.

Every refusal is checked to change nothing: no installed package, no install log,
and the domain objects answer as before.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from storage_helpers import Installation

from jsdesk import installed
from jsdesk.cli import main
from jsdesk.domain.code_domains import MUNICIPALITIES
from jsdesk.domain.period import Period
from jsdesk.errors import ExitCode
from jsdesk.packages.archive import PackageRefused, build_package, open_package
from jsdesk.packages.install import install_log, install_package, preview
from jsdesk.packages.publishers import create_test_publisher, publisher_trust, trust_test_publisher
from jsdesk.paths import resources_dir
from jsdesk.rules import default_form
from jsdesk.submission.cms import sign_detached
from jsdesk.submission.credentials import SigningCredentials, create_test_credentials, to_pkcs12

NEW_NR, NEW_NAME = "5699", "Nyheim"  # fictional municipality of the 2027 list
IN_2027 = Period(dt.date(2027, 2, 1), dt.date(2027, 3, 1))
P12_PASSWORD = "pakke-passord"


@pytest.fixture(scope="module")
def publisher() -> SigningCredentials:
    return create_test_publisher("Skjemaeier test")


@pytest.fixture
def trusted(publisher: SigningCredentials) -> SigningCredentials:
    trust_test_publisher(publisher.certificate)
    return publisher


def _set_today(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    from jsdesk.packages.install import reload_installed

    monkeypatch.setattr(installed, "today", lambda: day)
    reload_installed()


def municipality_source(
    tmp_path: Path, *, version: str = "2027.1", min_program: str = "0.1.0"
) -> Path:
    """A package folder with a 2027 municipality list: 2026's plus Nyheim, valid from 2027."""
    folder = tmp_path / f"kilde-{version}"
    (folder / "data").mkdir(parents=True)
    rows = (resources_dir() / "kommuner_2026.csv").read_text(encoding="utf-8")
    (folder / "data" / "kommuner_2027.csv").write_text(
        rows.rstrip("\n") + f"\n{NEW_NR},{NEW_NAME}\n", encoding="utf-8"
    )
    (folder / "pakke.json").write_text(
        json.dumps(
            {
                "name": "kommuner",
                "title": "Kommunelisten for 2027",
                "version": version,
                "valid_from": "2027-01-01",
                "min_program_version": min_program,
            }
        ),
        encoding="utf-8",
    )
    return folder


def write_package(tmp_path: Path, data: bytes, name: str = "kommuner.jspkg") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def nothing_installed() -> None:
    assert installed.installed_packages() == ()
    assert install_log() == []
    assert MUNICIPALITIES.name_of(NEW_NR, IN_2027) is None


def _rezip(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
    return out.getvalue()


# --- taking effect -----------------------------------------------------------------------


def test_package__2027_municipality_list__takes_effect_on_its_date(
    tmp_path: Path, trusted: SigningCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_today(monkeypatch, dt.date(2026, 12, 15))
    package = open_package(
        write_package(tmp_path, build_package(municipality_source(tmp_path), trusted)),
        publisher_trust(),
    )
    lines = preview(package).lines
    assert "Gyldig fra 01.01.2027: tar effekt da" in "\n".join(lines)
    assert any("1 nye (5699 Nyheim)" in line and "mot listen for 2026" in line for line in lines)
    install_package(package)

    # Installed, but not in effect yet: 2026's list answers for 2027 too.
    assert MUNICIPALITIES.check(NEW_NR, IN_2027) is not None
    assert all(choice.value != NEW_NR for choice in MUNICIPALITIES.choices(IN_2027))

    _set_today(monkeypatch, dt.date(2027, 1, 1))
    assert MUNICIPALITIES.check(NEW_NR, IN_2027) is None
    assert f"{NEW_NR} {NEW_NAME}" in {c.label for c in MUNICIPALITIES.choices(IN_2027)}
    # The rule engine asks the same object: a record in 2027 with the new number is fine.
    before = Period(dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert MUNICIPALITIES.check(NEW_NR, before) is not None  # 2026's list is still 2026's
    assert install_log()[0]["version"] == "2027.1"


def test_package_cli__build_verify_install_list(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JSDESK_P12_PASSWORD", P12_PASSWORD)
    _set_today(monkeypatch, dt.date(2026, 12, 15))
    p12 = tmp_path / "utgiver.p12"
    assert main(["package", "create-test-publisher", "--out", str(p12)]) == 0
    assert "godtar nå pakker signert av testutgiveren" in capsys.readouterr().out
    out = tmp_path / "kommuner.jspkg"
    source = municipality_source(tmp_path)
    assert main(["package", "build", str(source), "--sign", str(p12), "--out", str(out)]) == 0
    assert main(["package", "verify", str(out)]) == 0
    assert "OK. Pakke «kommuner» 2027.1, gyldig fra 01.01.2027" in capsys.readouterr().out
    assert main(["package", "install", str(out), "--yes"]) == 0
    shown = capsys.readouterr().out
    assert "Data kommuner_2027.csv: kommunelisten for 2027 med" in shown
    assert "Installert i" in shown
    assert main(["package", "list"]) == 0
    assert "kommuner 2027.1 (fra 01.01.2027): kommuner_2027.csv" in capsys.readouterr().out


def test_package_cli__install_without_terminal_or_yes__refused_nothing_changed(
    tmp_path: Path, trusted: SigningCredentials, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_package(tmp_path, build_package(municipality_source(tmp_path), trusted))
    assert main(["package", "install", str(path)]) == 64
    assert "bruk --yes" in capsys.readouterr().err
    nothing_installed()


# --- refusals ------------------------------------------------------------------------------


def _refused(path: Path, capsys: pytest.CaptureFixture[str], expected: str) -> None:
    with pytest.raises(PackageRefused, match=expected):
        open_package(path, publisher_trust())
    assert main(["package", "install", str(path), "--yes"]) == 1
    assert expected in capsys.readouterr().err.replace("\n", " ")
    nothing_installed()


def test_package__forged_signature__refused(
    tmp_path: Path, trusted: SigningCredentials, capsys: pytest.CaptureFixture[str]
) -> None:
    """Signed with another key while naming the trusted publisher's certificate."""
    genuine = build_package(municipality_source(tmp_path), trusted)
    forger = create_test_credentials("Forfalsker")
    with zipfile.ZipFile(io.BytesIO(genuine)) as archive:
        manifest = archive.read("manifest.json")
    forged = sign_detached(manifest, trusted.certificate, forger.key)
    data = _rezip(genuine, lambda name, content: forged if name == "manifest.p7s" else content)
    _refused(write_package(tmp_path, data), capsys, "Pakken er forfalsket eller skadet")


def test_package__untrusted_publisher__refused(
    tmp_path: Path, trusted: SigningCredentials, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = create_test_publisher("Ukjent utgiver")
    data = build_package(municipality_source(tmp_path), stranger)
    _refused(write_package(tmp_path, data), capsys, "ikke signert av en klarert utgiver")


def test_package__content_altered_after_signing__refused(
    tmp_path: Path, trusted: SigningCredentials, capsys: pytest.CaptureFixture[str]
) -> None:
    genuine = build_package(municipality_source(tmp_path), trusted)

    def alter(name: str, content: bytes) -> bytes:
        return content.replace(b"Nyheim", b"Nyby") if name.startswith("data/") else content

    _refused(
        write_package(tmp_path, _rezip(genuine, alter)),
        capsys,
        "endret etter signering: data/kommuner_2027.csv",
    )


def test_package__unsigned_extra_file__refused(
    tmp_path: Path, trusted: SigningCredentials, capsys: pytest.CaptureFixture[str]
) -> None:
    genuine = io.BytesIO(build_package(municipality_source(tmp_path), trusted))
    with zipfile.ZipFile(genuine, "a") as archive:
        archive.writestr("data/oslo_bydeler.csv", "bydelsnummer,bydelsnavn\n030101,Gamle Oslo\n")
    _refused(write_package(tmp_path, genuine.getvalue()), capsys, "filer som ikke er signert")


def test_package__older_than_installed__refused(
    tmp_path: Path, trusted: SigningCredentials, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = write_package(
        tmp_path, build_package(municipality_source(tmp_path, version="2027.2"), trusted), "ny"
    )
    older = write_package(
        tmp_path, build_package(municipality_source(tmp_path, version="2027.1"), trusted), "gml"
    )
    install_package(open_package(newer, publisher_trust()))
    before = install_log()
    assert main(["package", "install", str(older), "--yes"]) == 1
    assert "2027.1 er ikke nyere enn versjon 2027.2" in capsys.readouterr().err
    assert [p.manifest.version for p in installed.installed_packages()] == ["2027.2"]
    assert install_log() == before


def test_package__needs_newer_program__refused(
    tmp_path: Path, trusted: SigningCredentials, capsys: pytest.CaptureFixture[str]
) -> None:
    data = build_package(municipality_source(tmp_path, min_program="99.0"), trusted)
    _refused(write_package(tmp_path, data), capsys, "krever jsdesk 99.0 eller nyere")


def test_package__publisher_certificate_expired__refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long_ago = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
    expired = create_test_credentials(
        "Gammel utgiver", days=30, now=long_ago, role="pakkeutgiver", code_signing=True
    )
    trust_test_publisher(expired.certificate)
    data = build_package(
        municipality_source(tmp_path), expired, signing_time=long_ago + dt.timedelta(days=1)
    )
    _refused(write_package(tmp_path, data), capsys, "Pakken er utløpt")


def test_package__not_a_package__refused(
    tmp_path: Path, trusted: SigningCredentials, capsys: pytest.CaptureFixture[str]
) -> None:
    _refused(write_package(tmp_path, b"PK\x03\x04 not really"), capsys, "ikke en oppdateringspakke")


def test_package_build__broken_form__not_built(tmp_path: Path, trusted: SigningCredentials) -> None:
    folder = municipality_source(tmp_path)
    (folder / "skjema").mkdir()
    (folder / "skjema" / "utkast.yaml").write_text("form: {version: 1}\n", encoding="utf-8")
    with pytest.raises(PackageRefused, match=r"Skjemaet utkast\.yaml i pakken kan ikke brukes"):
        build_package(folder, trusted)


# --- a form package -----------------------------------------------------------------------


def test_package__new_form__diff_and_migration_dry_run_shown_before_anything_moves(
    tmp_path: Path,
    installation: Installation,
    trusted: SigningCredentials,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from test_form_versions import _small_database, _write_new_version

    _set_today(monkeypatch, dt.date(2026, 12, 15))
    ids = _small_database(installation)
    monkeypatch.setenv("JSDESK_PASSPHRASE", installation.secret)
    db_path = str(installation.target)
    source = tmp_path / "skjemapakke"
    (source / "skjema").mkdir(parents=True)
    _write_new_version(source / "skjema")
    (source / "pakke.json").write_text(
        json.dumps({"name": "skjema", "version": "2026.1", "valid_from": "2026-12-01"}),
        encoding="utf-8",
    )
    path = write_package(tmp_path, build_package(source, trusted), "skjema.jspkg")
    assert default_form().version == "2023.1"

    assert main(["package", "install", str(path), "--yes", "--db", db_path]) == 0
    shown = capsys.readouterr().out
    assert "Skjema jobbsjansen-2026.yaml: versjon 2026.1" in shown
    assert "fjernet: variabel antall_barn" in shown  # form diff
    # The shipped test cases the new version would change (forms/cases/).
    assert "Testtilfeller i cases/ som får et annet utfall med 2026.1:" in shown
    assert "antall_barn_aktiv-pa" in shown
    assert "Prøvekjøring av flytting (ingen registreringer flyttes nå)" in shown
    assert "3 registreringer flyttes" in shown
    assert f"Deltakelse {ids['children']} " in shown
    assert shown.index("Prøvekjøring") < shown.index("Installert i")

    assert default_form().version == "2026.1"  # the installed form is in effect
    with installation.reopen() as db:
        assert {db.get_participation(pid).form_version for pid in ids.values()} == {"2023.1"}
    (installed_form,) = installed.installed_form_paths()
    assert main(["form", "migrate", "--to", str(installed_form), "--db", db_path, "--apply"]) == 0
    assert "Flyttet 3 registreringer til skjemaversjon 2026.1" in capsys.readouterr().out


def test_package__pkcs12_round_trip_signs(tmp_path: Path, trusted: SigningCredentials) -> None:
    """The P12 that create-test-publisher writes is what build signs with."""
    from jsdesk.submission.credentials import load_pkcs12

    again = load_pkcs12(to_pkcs12(trusted, P12_PASSWORD), P12_PASSWORD)
    path = write_package(tmp_path, build_package(municipality_source(tmp_path), again))
    assert open_package(path, publisher_trust()).publisher == trusted.certificate


def test_package__without_action__help_exit_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["package"]) == ExitCode.USAGE
    out = capsys.readouterr().out
    assert "create-test-publisher" in out and "install" in out
