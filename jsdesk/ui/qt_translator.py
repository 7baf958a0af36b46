"""A QTranslator for the texts inside Qt's own widgets: context menus, spin boxes, file dialogs.

Qt ships no Bokmål translation, so a small ``QTranslator`` answers for the Qt classes
jsdesk shows, by (context, source text). Texts not listed stay as Qt has them.
``install_qt_translations`` is idempotent and keeps the translator alive.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTranslator

_EDIT_MENU = {
    "&Undo": "&Angre",
    "&Redo": "&Gjør om",
    "Cu&t": "Klipp &ut",
    "&Copy": "&Kopier",
    "&Paste": "&Lim inn",
    "Delete": "&Slett",
    "Select All": "&Merk alt",
}

TEXTS: dict[str, dict[str, str]] = {
    "QLineEdit": _EDIT_MENU,
    "QWidgetTextControl": {**_EDIT_MENU, "Copy &Link Location": "Kopier &lenkeadresse"},
    "QAbstractSpinBox": {
        "&Select All": "&Merk alt",
        "&Step up": "Trinn &opp",
        "Step &down": "Trinn &ned",
    },
    "QPlatformTheme": {
        "OK": "OK",
        "Cancel": "Avbryt",
        "Open": "Åpne",
        "Save": "Lagre",
        "Close": "Lukk",
        "&Yes": "&Ja",
        "&No": "&Nei",
        "Apply": "Bruk",
        "Help": "Hjelp",
        "Discard": "Forkast",
        "Reset": "Tilbakestill",
        "Retry": "Prøv igjen",
        "Ignore": "Ignorer",
        "Abort": "Avbryt",
    },
    "QFileDialog": {
        "&Open": "&Åpne",
        "&Save": "&Lagre",
        "Save As": "Lagre som",
        "%1 already exists.\nDo you want to replace it?": (
            "%1 finnes fra før.\nVil du erstatte den?"
        ),
        "&Look in:": "&Søk i:",
        "File &name:": "Fil&navn:",
        "Files of &type:": "Fil&type:",
        "All Files (*)": "Alle filer (*)",
        "&New Folder": "&Ny mappe",
        "&Delete": "&Slett",
        "&Rename": "&Gi nytt navn",
        "Show &hidden files": "Vis &skjulte filer",
        "Back": "Tilbake",
        "Forward": "Fremover",
        "Parent Directory": "Overordnet mappe",
        "Create New Folder": "Lag ny mappe",
        "Create a New Folder": "Lag en ny mappe",
        "List View": "Listevisning",
        "Detail View": "Detaljvisning",
        "Change to list view mode": "Bytt til listevisning",
        "Change to detail view mode": "Bytt til detaljvisning",
        "Go back": "Gå tilbake",
        "Go forward": "Gå fremover",
        "Go to the parent directory": "Gå til overordnet mappe",
        "List of places and bookmarks": "Steder og bokmerker",
        "Sidebar": "Sidepanel",
        "Files": "Filer",
        "Directories": "Mapper",
        "Directory:": "Mappe:",
        "Open": "Åpne",
        "Cancel": "Avbryt",
    },
    "QFileSystemModel": {
        "Name": "Navn",
        "Size": "Størrelse",
        "Type": "Type",
        "Date Modified": "Endret",
        "Computer": "Datamaskin",
    },
    "QAbstractFileIconProvider": {"Drive": "Stasjon", "Folder": "Mappe", "File": "Fil"},
}


class BokmalQtTranslator(QTranslator):
    """Answers Qt's own ``tr()`` calls for the contexts in ``TEXTS``."""

    def translate(
        self,
        context: str,
        sourceText: str,
        disambiguation: str | None = None,
        n: int = -1,
    ) -> str | None:
        # None is a null QString: "no translation here", Qt goes on to the source text.
        # (An empty Python string would be taken as an empty translation.)
        return TEXTS.get(context, {}).get(sourceText)

    def isEmpty(self) -> bool:
        return False


def install_qt_translations(app: QCoreApplication) -> BokmalQtTranslator:
    """Install the Bokmål translator on ``app`` once (it is the app's child); returns it."""
    existing = app.findChild(BokmalQtTranslator)
    if isinstance(existing, BokmalQtTranslator):
        return existing
    translator = BokmalQtTranslator(app)
    app.installTranslator(translator)
    return translator
