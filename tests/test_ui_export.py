"""The GUI's submission export ("Send inn …") and history ("Innsendinger …")."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pg_support import SharedInstallations
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot
from small_disk import small_filesystem
from storage_helpers import Installation
from submission_support import PASSPHRASE, copy_db, credentials
from ui_support import open_installation_window, open_main_window, start_window

from jsdesk.storage import Database, Status
from jsdesk.storage.server import add_user
from jsdesk.submission import create
from jsdesk.submission.credentials import (
    SigningCredentials,
    load_credentials,
    load_recipient,
    save_credentials,
    save_recipient,
    to_pkcs12,
)
from jsdesk.submission.verify import verify_file
from jsdesk.ui.app import create_main_window
from jsdesk.ui.export_dialog import ExportDialog, overall_progress
from jsdesk.ui.main_window import MainWindow
from jsdesk.ui.participations_model import COLUMNS
from jsdesk.ui.submissions_view import SubmissionsDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

# A caseworker of the shared database who may not submit (logins are the whole server's:
# a name no other test uses).
NOT_SUBMITTER, NOT_SUBMITTER_PASSWORD = "eksport_ikke_innsender", "ikke innsenders passord"
STATUS_COLUMN = next(i for i, c in enumerate(COLUMNS) if c.title == "Status")


BYDEL = "030105"


def _fill(db: Database, *, production: bool) -> None:
    """Demo records of the installation's bydel (complete and incomplete, synthetic
    numbers), no signing certificate."""
    from jsdesk.demo import generate_records
    from jsdesk.rules import default_form

    with db:
        records = generate_records(30, 7, bydel=BYDEL)
        db.import_records(records, form_version=default_form().version)
        if production:
            # The same records in an installation switched to production (synthetic
            # numbers cannot be stored in one directly).
            db.set_setting("test_installation", False)


def _template(folder: Path, *, production: bool = False) -> Path:
    """A local file with the demo records, copied for each test (``copy_db``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "jsdesk.db"
    db, _recovery = Database.create(
        path, PASSPHRASE, kommunenummer="0301", bydel=BYDEL, test_installation=True
    )
    _fill(db, production=production)
    return path


@pytest.fixture(scope="module")
def test_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _template(tmp_path_factory.mktemp("test_install"))


@pytest.fixture(scope="module")
def production_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _template(tmp_path_factory.mktemp("prod_install"), production=True)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "ut"
    folder.mkdir()
    return folder


@pytest.fixture(autouse=True)
def fast_test_certificate(monkeypatch: pytest.MonkeyPatch) -> None:
    """ "Lag testsertifikat" makes an RSA-3072 key; reuse one per session to keep tests fast."""
    monkeypatch.setattr(
        "jsdesk.submission.credentials.create_test_credentials",
        lambda _organisation, **_kwargs: credentials(),
    )


def open_window(
    qtbot: QtBot,
    installation: Installation,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    *,
    production: bool = False,
) -> Iterator[MainWindow]:
    """The overview of the demo records on the back end of ``installation``: a copy of the
    module's local file, or a new shared database (its login also submits) filled with
    them."""
    if installation.shared is None:
        template = request.getfixturevalue("production_template" if production else "test_template")
        path = copy_db(template, installation.folder / "db")
        installation.target = path
        window = open_main_window(qtbot, path, monkeypatch, PASSPHRASE)
    else:
        _fill(installation.create(bydel=BYDEL), production=False)
        if production:
            # The installation's settings are IT's on a shared database (docs/server.md).
            with it_login(installation) as owner:
                owner.set_setting("test_installation", False)
        window = open_installation_window(qtbot, installation, monkeypatch)
    yield window
    window.close()


def it_login(installation: Installation) -> Database:
    """A shared installation opened by the owner login, as the municipality's IT does."""
    assert installation.shared is not None
    name = urlsplit(str(installation.target)).path.lstrip("/")
    return Database.connect(installation.shared.server.owner_url(name))


def set_recipient_as_it(installation: Installation, db: Database) -> None:
    """The recipient's encryption certificate, set up as the installation's IT does: in the
    local file by its user, in a shared database by the owner login (``jsdesk cert
    recipient``; a caseworker may not change the installation's settings)."""
    certificate = credentials("mottaker").certificate
    if installation.shared is None:
        save_recipient(db, certificate)
        return
    with it_login(installation) as owner:
        save_recipient(owner, certificate)


@pytest.fixture
def window(
    qtbot: QtBot,
    installation: Installation,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MainWindow]:
    yield from open_window(qtbot, installation, request, monkeypatch)


@pytest.fixture
def production_window(
    qtbot: QtBot,
    installation: Installation,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MainWindow]:
    yield from open_window(qtbot, installation, request, monkeypatch, production=True)


def open_export(qtbot: QtBot, window: MainWindow) -> ExportDialog:
    window.activateWindow()  # the window manager's part after a dialog closed; offscreen has none
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = window.submission_actions.export_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.objectName() == "export_dialog"
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def press(qtbot: QtBot, button: QAbstractButton) -> None:
    """Tab to the button and press Space, as a keyboard user does."""
    assert button.isEnabled(), button.objectName()
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(button, Qt.Key.Key_Space)


def type_folder(qtbot: QtBot, dialog: ExportDialog, folder: Path) -> None:
    dialog.folder.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(dialog.folder, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.folder, str(folder))


def statuses(window: MainWindow) -> dict[int, Status]:
    db = window.context.require_db()
    return {s.id: s.status for s in db.query_participations(limit=1000)}


def overview_statuses(window: MainWindow) -> dict[int, str]:
    model = window.model
    shown: dict[int, str] = {}
    for row in range(model.rowCount()):
        summary = model.summary(row)
        assert summary is not None
        shown[summary.id] = str(model.data(model.index(row, STATUS_COLUMN)))
    return shown


def short_lived(
    days: int, *, expired: bool = False, name_text: str = "TEST jsdesk kort (ikke ekte)"
) -> SigningCredentials:
    """A quick EC certificate valid for ``days`` more days (or expired that long ago)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    end = now - timedelta(days=days) if expired else now + timedelta(days=days)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name_text)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(end - timedelta(days=400))
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    return SigningCredentials(certificate=cert, key=key)


def test_export__keyboard_test_installation__file_verifies_records_innsendt_history_shows_it(
    qtbot: QtBot, window: MainWindow, installation: Installation, out: Path
) -> None:
    before = statuses(window)
    drafts = {pid for pid, s in before.items() if s == Status.KLADD}
    complete = {pid for pid, s in before.items() if s == Status.KOMPLETT}
    assert drafts and complete
    dialog = open_export(qtbot, window)

    # What goes in, what is left out and why.
    assert dialog.included_label.text() == f"Sendes &med ({len(complete)}):"
    assert dialog.included.count() == len(complete)
    assert f"{len(complete)} poster sendes inn" in dialog.summary.text()
    assert dialog.excluded.rowCount() == len(drafts)
    for row in range(dialog.excluded.rowCount()):
        masked = dialog.excluded.item(row, 0).text()
        assert masked.endswith("*****") and len(masked) == 11
        assert dialog.excluded.item(row, 1).text() == "kladd"
        reason = dialog.excluded.item(row, 2).text()
        assert reason.startswith("Ikke komplett for stadiet")
        # In the form's words: labels in «», never an internal variable name.
        assert "«" in reason
        internal = [v.name for v in window.context.form_for_new().variables if "_" in v.name]
        assert not [name for name in internal if name in reason], reason

    # No certificate yet: refused until a test certificate is made.
    assert "Ingen signeringssertifikat" in dialog.refusal.text()
    assert not dialog.send.isEnabled()
    with qtbot.waitSignal(dialog.certificate.credentials_changed, timeout=20_000):
        press(qtbot, dialog.certificate.create_test)
        assert not window.idle.timer.isActive()  # the key is made in a thread meanwhile
    assert "TESTSERTIFIKAT" in dialog.certificate.status.text()
    assert window.idle.timer.isActive()
    db = window.context.require_db()
    assert load_credentials(db.signing_store) is not None
    if installation.shared is not None:
        # The signing key stays on the submitter's machine, never in the shared database.
        assert load_credentials(db) is None
    type_folder(qtbot, dialog, out)
    assert dialog.refusal.text() == ""

    progress: list[int] = []
    dialog.progress.valueChanged.connect(progress.append)
    with qtbot.waitSignal(dialog.exported, timeout=30_000) as done:
        press(qtbot, dialog.send)
        assert dialog.busy and not dialog.close_button.isEnabled()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # no closing while the file is made
        assert dialog.isVisible()
        assert not window.idle.timer.isActive()  # nor an idle lock closing the database
        assert not window.close()  # nor quitting
    result = done.args[0]
    assert isinstance(result, create.SubmissionResult)
    assert [p.name for p in out.iterdir()] == [result.path.name]
    assert result.path.name.startswith("TEST-jobbsjanse-0301-")
    assert dialog.result_name.text() == result.path.name
    assert dialog.result_name.isReadOnly()
    assert dialog.progress.value() == 100
    assert window.idle.timer.isActive()
    assert any(0 < value < 100 for value in progress), progress
    assert "Innsendingsfilen er laget og kontrollert" in dialog.message.text()
    report = verify_file(result.path, trusted=[credentials().certificate])
    assert report.exit_code == 0, report.lines()
    assert report.record_count == len(complete)

    after = statuses(window)
    assert {pid for pid, s in after.items() if s == Status.INNSENDT} == complete
    assert {pid for pid, s in after.items() if s == Status.KLADD} == drafts
    shown = overview_statuses(window)
    assert all(shown[pid] == "innsendt" for pid in complete)
    assert all(shown[pid] == "kladd" for pid in drafts)
    # The dialog has planned again: nothing new is left to send.
    assert dialog.included.count() == 0 and not dialog.send.isEnabled()

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    window.activateWindow()  # the window manager's part; offscreen has none
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.table, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    history = window.submission_actions.submissions_dialog
    assert isinstance(history, SubmissionsDialog) and history.isVisible()
    assert history.objectName() == "submissions"
    table = history.table
    assert table.rowCount() == 1
    cells = [table.item(0, c).text() for c in range(table.columnCount())]
    assert cells[1] == result.path.name
    assert cells[3] == str(len(complete))
    assert cells[4] == "ja"
    assert cells[2].endswith(datetime.now().strftime("%d.%m.%Y"))


def test_export__record_changed_after_submission__listed_as_correction(
    qtbot: QtBot, window: MainWindow, out: Path
) -> None:
    db = window.context.require_db()
    save_credentials(db.signing_store, credentials())
    dialog = open_export(qtbot, window)
    type_folder(qtbot, dialog, out)
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        press(qtbot, dialog.send)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    sent = next(pid for pid, s in statuses(window).items() if s == Status.INNSENDT)
    country = db.get_participation(sent).values.get("fodeland")
    db.set_values(sent, {"fodeland": "SOM" if country != "SOM" else "ETH"})
    changed = db.get_participation(sent)
    assert changed.status == Status.ENDRET and changed.valid

    again = open_export(qtbot, window)
    lines = [again.included.item(i).text() for i in range(again.included.count())]
    assert len(lines) == 1 and lines[0].endswith("RETTELSE")
    assert "1 av dem som rettelser" in again.summary.text()


def test_export__production_without_certificate__refused_and_nothing_written(
    qtbot: QtBot, production_window: MainWindow, out: Path
) -> None:
    window = production_window
    before = statuses(window)
    dialog = open_export(qtbot, window)
    type_folder(qtbot, dialog, out)
    assert dialog.included.count() > 0
    refusal = dialog.refusal.text()
    assert "Ingen signeringssertifikat er satt opp" in refusal
    assert "mottakersertifikat" in refusal
    assert dialog.refusal.isVisibleTo(dialog)
    assert not dialog.certificate.create_test.isVisibleTo(dialog)
    assert not dialog.send.isEnabled()
    dialog.start_export()  # as if the button could be pressed anyway
    assert not dialog.busy
    assert dialog.message.text().startswith("Innsendingsfilen er ikke laget")
    assert list(out.iterdir()) == []
    assert statuses(window) == before
    assert window.context.require_db().list_submissions() == []


def test_certificate_import__production__test_p12_and_wrong_password_refused(
    qtbot: QtBot, production_window: MainWindow, tmp_path: Path
) -> None:
    dialog = open_export(qtbot, production_window)
    p12 = tmp_path / "virksomhet.p12"
    p12.write_bytes(to_pkcs12(credentials(), "riktig passord"))
    panel = dialog.certificate
    panel.p12_path.setFocus()
    qtbot.keyClicks(panel.p12_path, str(p12))
    qtbot.keyClicks(panel.p12_password, "galt")
    qtbot.keyClick(panel.p12_password, Qt.Key.Key_Return)
    assert "feil passord" in panel.message.text()
    panel.p12_password.clear()
    qtbot.keyClicks(panel.p12_password, "riktig passord")
    press(qtbot, panel.import_button)
    assert "bare brukes i en testinstallasjon" in panel.message.text()
    assert "Ingen signeringssertifikat" in dialog.refusal.text()


def test_export__production_with_enterprise_p12_and_recipient__synthetic_records_refused(
    qtbot: QtBot,
    production_window: MainWindow,
    installation: Installation,
    tmp_path: Path,
    out: Path,
) -> None:
    window = production_window
    before = statuses(window)
    dialog = open_export(qtbot, window)
    type_folder(qtbot, dialog, out)
    p12 = tmp_path / "virksomhet.p12"
    enterprise = short_lived(200, name_text="Eksempel kommune virksomhetssertifikat")
    p12.write_bytes(to_pkcs12(enterprise, "riktig passord"))
    panel = dialog.certificate
    panel.p12_path.setFocus()
    qtbot.keyClicks(panel.p12_path, str(p12))
    qtbot.keyClicks(panel.p12_password, "riktig passord")
    press(qtbot, panel.import_button)
    assert "Virksomhetssertifikatet er lagret" in panel.message.text()
    assert "Eksempel kommune" in panel.status.text()
    assert panel.p12_password.text() == ""
    assert "mottakersertifikat" in dialog.refusal.text()
    recipient = tmp_path / "mottaker.pem"
    recipient.write_bytes(
        credentials("mottaker").certificate.public_bytes(serialization.Encoding.PEM)
    )
    dialog.set_recipient_file(recipient)
    if installation.shared is not None:
        # A caseworker may not change the shared installation's settings: IT sets it.
        refusal = dialog.message.text()
        assert refusal.startswith("Mottakersertifikatet gjelder alle som bruker den felles")
        assert "bare IT kan endre det" in refusal and "Ingenting er endret" in refusal
        assert load_recipient(window.context.require_db()) is None
        set_recipient_as_it(installation, window.context.require_db())
        dialog.refresh_plan()
    assert "krypteres til mottakeren" in dialog.recipient.text()
    assert dialog.refusal.text() == "" and dialog.send.isEnabled()
    # The demo records carry synthetic numbers, which a production file may not hold.
    press(qtbot, dialog.send)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    assert dialog.message.text().startswith("Innsendingsfilen ble ikke laget: Ingen poster")
    assert list(out.iterdir()) == []
    assert statuses(window) == before


def test_export__year_list__this_year_back_to_the_year_the_form_says_the_register_opened(
    qtbot: QtBot, window: MainWindow
) -> None:
    shipped = window.context.form_for_new()
    # A form (here the sandbox's) that says the register opened earlier: the list follows it.
    window.context.pilot_form = replace(shipped, register_opened=date(2021, 1, 1))
    dialog = open_export(qtbot, window)
    years = [dialog.year.itemText(i) for i in range(dialog.year.count())]
    assert years[0] == str(date.today().year)
    assert years[-1] == "2021"
    assert len(years) == date.today().year - 2021 + 1


def test_certificate__expires_in_ten_days__warning_shown_and_export_allowed(
    qtbot: QtBot, window: MainWindow, out: Path
) -> None:
    save_credentials(window.context.require_db().signing_store, short_lived(10))
    dialog = open_export(qtbot, window)
    type_folder(qtbot, dialog, out)
    warning = dialog.certificate.warning
    assert warning.isVisibleTo(dialog) and "utløper" in warning.text()
    assert dialog.send.isEnabled()


def test_certificate__expired__export_refused(qtbot: QtBot, window: MainWindow, out: Path) -> None:
    save_credentials(window.context.require_db().signing_store, short_lived(3, expired=True))
    dialog = open_export(qtbot, window)
    type_folder(qtbot, dialog, out)
    assert "utløp" in dialog.refusal.text() and not dialog.send.isEnabled()
    dialog.start_export()
    assert list(out.iterdir()) == []


@pytest.mark.full_disk
def test_export__disk_full_while_writing__bokmal_error_no_file_then_export_works(
    qtbot: QtBot, window: MainWindow, out: Path, tmp_path: Path
) -> None:
    db = window.context.require_db()
    save_credentials(db.signing_store, credentials())
    before = statuses(window)
    shown_before = overview_statuses(window)
    dialog = open_export(qtbot, window)
    # A real full disk: a 4 KiB tmpfs, smaller than the submission file (checked below).
    with small_filesystem(tmp_path / "minnepinne", 4) as small:
        type_folder(qtbot, dialog, small)
        press(qtbot, dialog.send)
        qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
        assert list(small.iterdir()) == []  # nothing half-written, no temporary file
    text = dialog.message.text()
    assert text.startswith("Innsendingsfilen ble ikke laget: Kan ikke skrive")
    assert "disken er full" in text and "No space" not in text
    assert "ingen poster er merket som innsendt" in text
    assert dialog.result_name.text() == "" and dialog.progress.value() == 0
    assert dialog.send.isEnabled() and dialog.close_button.isEnabled()
    assert statuses(window) == before
    assert db.list_submissions() == []
    window.refresh()
    assert overview_statuses(window) == shown_before

    # The program keeps working: the same dialog exports to a folder with room.
    type_folder(qtbot, dialog, out)
    with qtbot.waitSignal(dialog.exported, timeout=30_000) as done:
        press(qtbot, dialog.send)
    written = done.args[0].path
    assert written.parent == out and written.stat().st_size > 4 * 1024
    assert len(db.list_submissions()) == 1 and statuses(window) != before


def test_export__encrypted_to_recipient__p7m_file(
    qtbot: QtBot, window: MainWindow, installation: Installation, out: Path
) -> None:
    db = window.context.require_db()
    save_credentials(db.signing_store, credentials())
    set_recipient_as_it(installation, db)
    dialog = open_export(qtbot, window)
    assert "krypteres til mottakeren" in dialog.recipient.text()
    type_folder(qtbot, dialog, out)
    with qtbot.waitSignal(dialog.exported, timeout=30_000) as done:
        press(qtbot, dialog.send)
    assert done.args[0].path.name.endswith(".asice.p7m")
    assert "kryptert til mottakeren" in dialog.message.text()


def test_progress__phases__rise_to_hundred() -> None:
    values = [
        overall_progress("Henter poster", 0, 10),
        overall_progress("Henter poster", 10, 10),
        overall_progress("Bygger og signerer", 1, 1),
        overall_progress("Kontrollerer filen", 1, 1),
        overall_progress("Skriver filen", 1, 1),
        overall_progress("Markerer som innsendt", 1, 1),
    ]
    assert values == sorted(values) and values[0] == 0 and values[-1] == 100


def _mnemonic(text: str) -> str | None:
    index = text.replace("&&", "").find("&")
    return text.replace("&&", "")[index + 1].lower() if index >= 0 else None


def test_export_dialog__every_input__accessible_name_buddy_and_unique_mnemonics(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = open_export(qtbot, window)
    labels = dialog.findChildren(QLabel)
    buddies = {label.buddy() for label in labels if label.buddy() is not None}
    inputs: list[QWidget] = [
        *dialog.findChildren(QLineEdit),
        *dialog.findChildren(QComboBox),
        *dialog.findChildren(QListWidget),
        *dialog.findChildren(QTableWidget),
        *dialog.findChildren(QProgressBar),
    ]
    inputs = [w for w in inputs if not isinstance(w.parent(), QComboBox)]
    assert len(inputs) >= 8
    for widget in inputs:
        assert widget.accessibleName(), widget.objectName()
        assert widget in buddies, widget.objectName()
    buttons = [b for b in dialog.findChildren(QAbstractButton) if b.isVisibleTo(dialog)]
    keys: list[str] = []
    for button in buttons:
        if not button.text():
            continue  # header corner buttons of the tables
        assert button.accessibleName() or button.text(), button.objectName()
        key = _mnemonic(button.text())
        assert key is not None, button.text()
        keys.append(key)
    keys += [k for label in labels if (k := _mnemonic(label.text())) is not None]
    assert len(keys) == len(set(keys)), sorted(keys)


def test_actions__menu_and_shortcuts__named_with_mnemonics(window: MainWindow) -> None:
    actions = window.submission_actions
    assert actions.action_export.objectName() == "action_export"
    assert actions.action_export.text() == "&Send inn …"
    assert actions.action_export.shortcut().toString() == "Ctrl+E"
    assert actions.action_submissions.text() == "Innsen&dinger …"
    assert actions.action_export.isEnabled()
    window.lock(idle=False)
    assert not actions.action_export.isEnabled()
    assert not actions.action_submissions.isEnabled()


def test_export_dialog__tab_order__top_to_bottom(qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_export(qtbot, window)
    save_credentials(window.context.require_db().signing_store, credentials())
    dialog.certificate.refresh()
    dialog.refresh_plan()
    assert dialog.send.isEnabled()
    dialog.only_changed.setFocus(Qt.FocusReason.TabFocusReason)
    visited: list[QWidget] = []
    current = QApplication.focusWidget()
    while current is not None and current not in visited:
        visited.append(current)
        qtbot.keyClick(current, Qt.Key.Key_Tab)
        current = QApplication.focusWidget()
    names = [w.objectName() for w in visited]
    tops = [w.mapTo(dialog, QPoint(0, 0)).y() for w in visited]
    assert tops == sorted(tops), list(zip(names, tops, strict=True))
    for name in ("utvalg_endret", "med", "utelatt", "p12_fil", "p12_passord", "mappe", "send_inn"):
        assert name in names
    assert names.index("send_inn") == names.index("lukk") - 1


@pytest.mark.sqlite_only  # the sandbox is a throwaway local file on every back end
def test_actions__pilot_sandbox__export_disabled(qtbot: QtBot, tmp_path: Path) -> None:
    import shutil

    from jsdesk.paths import forms_dir

    form = tmp_path / "pilot.yaml"
    shutil.copy(forms_dir() / "jobbsjansen-2023.yaml", form)
    window = create_main_window(["jsdesk", "--form", str(form), "--sandbox"])
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is not window.loading)
    try:
        assert window.stack.currentWidget() is window.overview
        actions = window.submission_actions
        assert not actions.action_export.isEnabled()
        assert actions.action_submissions.isEnabled()
        qtbot.keyClick(window.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        assert actions.export_dialog is None
    finally:
        window.close()


def test_export__folder_missing__refused_naming_the_folder(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    save_credentials(window.context.require_db().signing_store, credentials())
    dialog = open_export(qtbot, window)
    missing = tmp_path / "finnes-ikke"
    type_folder(qtbot, dialog, missing)
    assert f"Mappen «{missing}» finnes ikke" in dialog.refusal.text()
    assert not dialog.send.isEnabled()
    dialog.start_export()
    assert not missing.exists() and not dialog.busy


def test_export__shared_database_login_not_a_submitter__refused_in_bokmal_no_file_no_mark(
    qtbot: QtBot,
    shared_installations: SharedInstallations,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a shared database only ``jsdesk_innsender`` logins mark records as submitted: a
    caseworker who is not one sees what would go, and is refused when sending."""
    owner = shared_installations.new_owner("0301", (BYDEL,))
    try:
        add_user(owner, None, NOT_SUBMITTER, bydeler=[BYDEL], new_password=NOT_SUBMITTER_PASSWORD)
        url = shared_installations.server.url(
            NOT_SUBMITTER, NOT_SUBMITTER_PASSWORD, urlsplit(owner).path[1:]
        )
        _fill(Database.connect(url), production=False)
        monkeypatch.delenv("JSDESK_PASSPHRASE", raising=False)
        window = start_window(qtbot, url)
        assert window.stack.currentWidget() is window.overview, window.unlock_panel.error.text()
        before = statuses(window)
        dialog = open_export(qtbot, window)
        with qtbot.waitSignal(dialog.certificate.credentials_changed, timeout=20_000):
            press(qtbot, dialog.certificate.create_test)
        type_folder(qtbot, dialog, out)
        assert dialog.included.count() > 0 and dialog.send.isEnabled()
        press(qtbot, dialog.send)
        qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
        message = dialog.message.text()
        assert message.startswith("Innsendingsfilen ble ikke laget"), message
        assert "tilgang" in message and "Innsendingen er ikke registrert" in message
        assert list(out.iterdir()) == []
        assert statuses(window) == before
        assert window.context.require_db().list_submissions() == []
        window.close()
    finally:
        shared_installations.drop(owner)
