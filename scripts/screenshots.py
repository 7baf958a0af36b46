"""Regenerate docs/screenshots/ from the real application (offscreen grab).

    python scripts/screenshots.py [OUTPUT_DIR]

Builds a throwaway TEST database with synthetic demo participations, opens the
overview and one ended participation in the wizard, and saves a PNG of the
overview, of each wizard page, of a page with errors shown, of the registry import
dialog, of the receipt after "Send inn", of «Resultater» (top and its chart) and of
«Mangler og feil» (list and completeness). The offscreen screen is what a 1366×768
laptop with a taskbar makes available (1366×728), so windows get the sizes caseworkers
get. Run it again whenever the UI changes.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

SCREEN = {"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 728}]}

PASSPHRASE = "skjermbilder passordfrase"
ROOT = Path(__file__).resolve().parent.parent


def save(widget: object, target: Path) -> None:
    """Grab ``widget`` to ``target`` atomically (temporary file, then rename)."""
    from PySide6.QtWidgets import QWidget

    assert isinstance(widget, QWidget)
    partial = target.with_suffix(".tmp.png")
    if not widget.grab().save(str(partial), "PNG"):
        raise SystemExit(f"Kunne ikke skrive {partial}")
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    partial.replace(target)
    print(f"skrev {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")


def pump() -> None:
    """Let Qt handle what is pending, in a short event loop (PySide6 6.12's processEvents
    drops a reference to None per call, which aborts a script that waits with it)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(10, loop.quit)
    loop.exec()


def use_laptop_screen(folder: Path) -> None:
    """Offscreen Qt with a 1366×728 screen (set before the QApplication is made), and
    window settings in ``folder``."""
    import json

    from PySide6.QtCore import QSettings

    # Remembered window sizes of the person running the script must not shape the pictures.
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(folder))
    config = folder / "skjerm.json"
    config.write_text(json.dumps(SCREEN), encoding="utf-8")
    if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    from jsdesk.commands.demo import fill_demo_database
    from jsdesk.storage import Database
    from jsdesk.ui.app import create_main_window

    output = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        use_laptop_screen(Path(folder))
        db_path = Path(folder) / "skjermbilder.db"
        db, _key = Database.create(
            db_path, PASSPHRASE, kommunenummer="0301", bydel="030104", test_installation=True
        )
        with db:
            fill_demo_database(db, 80, seed=7)
        os.environ["JSDESK_PASSPHRASE"] = PASSPHRASE
        window = create_main_window(["jsdesk", "--db", str(db_path)])
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        while window.stack.currentWidget() is window.loading:
            pump()
        pump()
        save(window, output / "oversikt.png")
        ended = None
        for row in range(window.model.rowCount()):
            summary = window.model.summary(row)
            if summary is not None and str(summary.stage) == "avsluttet":
                ended = summary.id
                break
        wizard = window.open_participation(ended)
        assert wizard is not None
        for number in sorted(wizard.pages):
            wizard.go_to_page(number)
            pump()
            save(wizard, output / f"veiviser-del{number}.png")
        wizard.close()
        save_page_with_errors(window, app, output)
        save_import_dialog(window, app, Path(folder), output)
        save_receipt(window, app, Path(folder), output)
        save_report_views(window, app, output)
        window.close()
        pump()
    return 0


def save_page_with_errors(window: object, app: object, output: Path) -> None:
    """A draft participation on the first page that has errors, with them shown."""
    from PySide6.QtWidgets import QApplication

    from jsdesk.ui.main_window import MainWindow

    assert isinstance(window, MainWindow) and isinstance(app, QApplication)
    db = window.context.require_db()
    for row in range(window.model.rowCount()):
        summary = window.model.summary(row)
        if summary is None or str(summary.status) != "kladd":
            continue
        stored = db.get_participation(summary.id)
        if not stored.findings:
            continue
        wizard = window.open_participation(summary.id)
        assert wizard is not None
        evaluation = wizard.evaluation
        assert evaluation is not None
        wrong = {f.variable for f in evaluation.findings if str(f.severity) == "error"}
        page = min(
            (n for n, p in wizard.pages.items() if any(f.name in wrong for f in p.fields)),
            default=1,
        )
        wizard.go_to_page(page)
        first = next(f for f in wizard.pages[page].fields if f.name in wrong)
        wizard.pages[page].scroll_area.ensureWidgetVisible(first.row, 0, 200)
        pump()
        save(wizard, output / "veiviser-feil.png")
        wizard.close()
        return


def save_receipt(window: object, app: object, folder: Path, output: Path) -> None:
    """Send inn with a test certificate into a temporary folder, then the receipt."""
    from PySide6.QtWidgets import QApplication

    from jsdesk.submission.credentials import create_test_credentials, save_credentials
    from jsdesk.ui.main_window import MainWindow
    from jsdesk.ui.receipt import NEXT_STEPS_SETTING

    assert isinstance(window, MainWindow) and isinstance(app, QApplication)
    db = window.context.require_db()
    save_credentials(db, create_test_credentials("Oslo kommune, bydel Sagene (TEST)"))
    db.set_setting(
        NEXT_STEPS_SETTING,
        "Last opp filen i IMDis mottak for Jobbsjanseregisteret innen den 10. i måneden. "
        "Spør IT-avdelingen om tilgang hvis du ikke har den.",
    )
    out = folder / "Innsendinger"
    out.mkdir()
    dialog = window.submission_actions.open_export()
    assert dialog is not None
    dialog.folder.setText(str(out))
    dialog.start_export()
    while dialog.busy:
        pump()
    pump()
    receipt = dialog.receipt
    assert receipt is not None, dialog.message.text()
    save(receipt, output / "kvittering.png")
    receipt.close()
    dialog.close()


def save_import_dialog(window: object, app: object, folder: Path, output: Path) -> None:
    """The registry import dialog on a small FREG extract: a new value, a change,
    a bad row and an unknown person (all synthetic numbers)."""
    import datetime as dt

    from PySide6.QtWidgets import QApplication

    from jsdesk.domain.fnr import synthetic_number
    from jsdesk.ui.import_dialog import ImportController
    from jsdesk.ui.main_window import MainWindow

    assert isinstance(window, MainWindow) and isinstance(app, QApplication)
    db = window.context.require_db()
    rows = ["fodselsnummer;fodeland;sivilstand;ankomstar;fodselsar"]
    for row in range(3):
        summary = window.model.summary(row)
        assert summary is not None
        values = db.get_participation(summary.id).values
        number, born = values["fodselsnummer"], values.get("fodeland")
        country = "ERI" if born != "ERI" else "SOM"
        rows.append(f"{number};{country};{'gift' if row else 'ugift'};2016;")
    rows[-1] = rows[-1].replace(";2016;", ";1890;")  # a bad year
    rows.append(f"{synthetic_number(dt.date(1990, 1, 1), 123)};IRQ;gift;2019;")
    extract = folder / "freg-uttrekk.csv"
    extract.write_text("\n".join(rows) + "\n", encoding="utf-8")
    controller = window.findChild(ImportController, "import_controller")
    assert isinstance(controller, ImportController)
    dialog = controller.start(extract)
    assert dialog is not None
    while dialog.busy:
        pump()
    pump()
    save(dialog, output / "registerimport.png")
    dialog.close()


def save_report_views(window: object, app: object, output: Path) -> None:
    """«Resultater» for last year (figures, then the outcome chart) and «Mangler og feil»."""
    import datetime as dt

    import pyqtgraph as pg
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication

    from jsdesk.ui.main_window import MainWindow

    assert isinstance(window, MainWindow) and isinstance(app, QApplication)

    def wait(done: object) -> None:
        assert callable(done)
        while not done():
            pump()

    view = window.report_actions.open_results()
    assert view is not None
    view.resize(1366, 700)
    wait(lambda: view.results is not None)
    view.year.setValue(dt.date.today().year - 1)
    view.results = None
    view.compute()
    wait(lambda: view.results is not None)
    pump()
    save(view, output / "resultater.png")
    chart = view.findChild(pg.PlotWidget, "diagram_utfall_per_ar")
    assert chart is not None
    pump()
    top = chart.mapTo(view.content, QPoint(0, 0)).y()
    view.area.verticalScrollBar().setValue(top - 60)
    pump()
    save(view, output / "resultater-diagram.png")
    view.close()
    quality = window.report_actions.open_quality()
    assert quality is not None
    quality.resize(1366, 700)
    wait(lambda: quality.quality is not None)
    pump()
    save(quality, output / "mangler-og-feil.png")
    quality.tabs.setCurrentIndex(1)
    quality.completeness_year.setValue(dt.date.today().year - 1)
    done: list[bool] = []
    quality.completeness_loaded.connect(lambda: done.append(True))
    quality.compute_completeness()
    wait(lambda: bool(done))
    pump()
    save(quality, output / "kompletthet.png")
    quality.close()


if __name__ == "__main__":
    sys.exit(main())
