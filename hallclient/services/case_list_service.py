"""Finding stored cases (办件查询) for the counter's case list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from .lanes import DB
from .session import user_message

if TYPE_CHECKING:
    from .tasks import Runner


class CaseListService(QObject):
    """Signals: cases_found(list dict), case_opened(dict), search_failed(str)"""

    cases_found = Signal(list)
    case_opened = Signal(object)
    search_failed = Signal(str)

    def __init__(self, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner

    def search(self, text: str = "", status: int | None = None, day_from: str | None = None,
               day_to: str | None = None) -> None:
        self.runner.run(
            DB, lambda ctx: ctx.desk.search(text, status=status, day_from=day_from, day_to=day_to),
            self.cases_found.emit, lambda exc: self.search_failed.emit(user_message(exc)))

    def open(self, case_no: str) -> None:
        self.runner.run(DB, lambda ctx: ctx.desk.load(case_no), self._opened,
                        lambda exc: self.search_failed.emit(user_message(exc)))

    def _opened(self, case: dict[str, Any] | None) -> None:
        if case is None:
            self.search_failed.emit(self.tr("找不到该办件"))
        else:
            self.case_opened.emit(case)
