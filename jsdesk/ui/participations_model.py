"""A lazy table model over ``db.query_participations``: only visible pages are fetched.

The model knows the row count (``count_participations``) and asks storage for one
page of summaries when a row in it is first shown, keeping a few pages cached, so
100,000 participations never become 100,000 widgets or Python objects at once.

A page next to a cached one (scrolling, paging with the keyboard) is read after that
page's last row or before its first (keyset paging: as fast at row 50,000 as at the
top, and a participation saved meanwhile neither repeats nor hides another). A jump
with no cached neighbour (the scroll bar dragged, a row looked for after a reload)
gives storage the number of rows to skip, counted from the nearer end of the list.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from jsdesk.errors import UserError
from jsdesk.rules import in_form_words
from jsdesk.ui.bokmal import format_iso_date

if TYPE_CHECKING:
    from jsdesk.storage import ParticipationSummary, SummaryPage
    from jsdesk.ui.context import AppContext

PAGE_SIZE = 200
CACHED_PAGES = 12
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str
    order_by: str | None  # storage's sort key; None = not sortable


COLUMNS: tuple[Column, ...] = (
    Column("Fødselsnummer", "fnr"),
    Column("Fødselsår", "fodselsar"),
    Column("Oppstartsdato", "oppstartsdato"),
    Column("Avslutningsdato", "avslutningsdato"),
    Column("Stadium", "stage"),
    Column("Status", "status"),
    Column("Utfylt per del", None),
    Column("Feil/advarsler", None),
    Column("Sist endret", "changed_at"),
)
PROBLEM_COLUMN = 7
DEFAULT_SORT_COLUMN = 8


@dataclass(frozen=True)
class Filters:
    search: str | None = None
    status: str | None = None
    stage: str | None = None
    year: int | None = None
    order_by: str = "changed_at"
    descending: bool = True


def completeness_text(completeness: dict[int, bool]) -> str:
    """Per part "1 ✓" or "1 –" so that nothing is told by colour alone."""
    return "  ".join(
        f"{part} {'✓' if done else '–'}" for part, done in sorted(completeness.items())
    )


def problem_count_text(summary: ParticipationSummary) -> str:
    """«2 feil, 1 advarsel, 1 godtatt»; only what there is, in words, not colour."""
    errors, waiting = len(summary.errors), len(summary.open_warnings)
    accepted = len(summary.accepted_warnings)
    parts = [f"{errors} feil"] if errors else []
    if waiting:
        parts.append(f"{waiting} {'advarsel' if waiting == 1 else 'advarsler'}")
    if accepted:
        parts.append(f"{accepted} godtatt")
    return ", ".join(parts) or "ingen"


def changed_text(summary: ParticipationSummary) -> str:
    moment = summary.changed_at
    local = moment.astimezone() if moment.tzinfo is not None else moment
    return local.strftime("%d.%m.%Y %H:%M")


class ParticipationsModel(QAbstractTableModel):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.filters = Filters()
        self._count = 0
        self._pages: OrderedDict[int, SummaryPage] = OrderedDict()
        self.revealed: dict[int, str] = {}
        self.fetches = 0

    # -- data access --------------------------------------------------------
    def refresh(self) -> None:
        self.beginResetModel()
        self._pages.clear()
        self._count = self._query_count() if self.context.is_open else 0
        self.endResetModel()

    def set_filters(self, filters: Filters) -> None:
        self.filters = filters
        self.refresh()

    def _query_count(self) -> int:
        f = self.filters
        return self.context.require_db().count_participations(
            search=f.search, status=f.status, stage=f.stage, year=f.year
        )

    def _page(self, number: int) -> tuple[ParticipationSummary, ...]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page.rows
        if not self.context.is_open:
            return ()
        f = self.filters
        first, end = number * PAGE_SIZE, min((number + 1) * PAGE_SIZE, self._count)
        previous, following = self._pages.get(number - 1), self._pages.get(number + 1)
        where: dict[str, Any]
        if previous is not None and previous.last is not None:
            where = {"after": previous.last}
        elif following is not None and following.first is not None:
            where = {"before": following.first}
        elif first <= self._count - end:
            where = {"offset": first}
        else:
            where = {"offset": self._count - end, "from_end": True}
        page = self.context.require_db().overview_page(
            search=f.search,
            status=f.status,
            stage=f.stage,
            year=f.year,
            order_by=f.order_by,
            descending=f.descending,
            limit=max(end - first, 1),
            **where,
        )
        self.fetches += 1
        self._pages[number] = page
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        return page.rows

    def summary(self, row: int) -> ParticipationSummary | None:
        if not 0 <= row < self._count:
            return None
        page = self._page(row // PAGE_SIZE)
        offset = row % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    # -- Qt model -----------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section].title
        return str(section + 1)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        details = index.column() == PROBLEM_COLUMN and role in (
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.AccessibleDescriptionRole,
        )
        if not details and role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            return None
        summary = self.summary(index.row())
        if summary is None:
            return None
        if details:
            return self.problem_details(summary)
        return self.cell_text(summary, index.column())

    def problem_details(self, summary: ParticipationSummary) -> str:
        """Every problem in the form's words (labels), one per line, for tooltip and screen
        reader."""
        lines = [f"Feil: {self._words(summary, f)}" for f in summary.errors]
        lines += [f"Advarsel: {self._words(summary, f)}" for f in summary.open_warnings]
        lines += [f"Godtatt advarsel: {self._words(summary, f)}" for f in summary.accepted_warnings]
        return "\n".join(lines) or "Ingen feil eller advarsler."

    def _words(self, summary: ParticipationSummary, finding: Mapping[str, Any]) -> str:
        message = str(finding.get("message", ""))
        try:
            form = self.context.form_for_version(summary.form_version)
        except UserError:
            return message
        return in_form_words(form, str(finding.get("variable", "")), message)

    def row_of(self, participation_id: int, near: int = 0) -> int | None:
        """Where a participation is now in the sort order: looked for around ``near`` first,
        then page by page (pages are fetched as the table would fetch them)."""
        pages = (self._count + PAGE_SIZE - 1) // PAGE_SIZE
        first = max(near, 0) // PAGE_SIZE
        order = [first, 0, *[p for p in range(pages) if p not in (first, 0)]]
        for number in dict.fromkeys(order):
            if number >= pages:
                continue
            for offset, summary in enumerate(self._page(number)):
                if summary.id == participation_id:
                    return number * PAGE_SIZE + offset
        return None

    def cell_text(self, summary: ParticipationSummary, column: int) -> str:
        """What the overview shows in ``column`` (also what «Eksporter liste …» writes)."""
        match column:
            case 0:
                return self.revealed.get(summary.id, summary.masked_fnr)
            case 1:
                return "" if summary.fodselsar is None else str(summary.fodselsar)
            case 2:
                return format_iso_date(summary.oppstartsdato)
            case 3:
                return format_iso_date(summary.avslutningsdato)
            case 4:
                return str(summary.stage)
            case 5:
                return str(summary.status)
            case 6:
                return completeness_text(dict(summary.completeness))
            case 7:
                return problem_count_text(summary)
            case _:
                return changed_text(summary)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column].order_by
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        self.set_filters(replace(self.filters, order_by=key, descending=descending))

    def reveal(self, row: int, number: str) -> None:
        summary = self.summary(row)
        if summary is None:
            return
        self.revealed[summary.id] = number
        index = self.index(row, 0)
        self.dataChanged.emit(index, index)

    def hide_revealed(self) -> None:
        self.revealed.clear()
        if self._count:
            self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, 0))
