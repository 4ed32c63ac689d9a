"""Finding stored cases (办件查询) for the counter's case list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from hallclient.core.cases import CaseStatus

from .lanes import DB, DEVICE
from .session import user_message

if TYPE_CHECKING:
    from .tasks import Runner


class CaseListService(QObject):
    """Signals: cases_found(list dict), case_opened(dict), search_failed(str)

    With ``notices_dir``, each case found carries ``notices_unsaved``: the notices it should
    have that are not kept whole there (looked at on the device lane); ``reprint`` prints a
    case's notices again (补打)."""

    cases_found = Signal(list)
    case_opened = Signal(object)
    search_failed = Signal(str)

    def __init__(self, runner: Runner, parent: QObject | None = None, *,
                 notices_dir: Path | None = None,
                 reprint: Callable[[str], None] | None = None, training: bool = False) -> None:
        super().__init__(parent)
        self.runner = runner
        self.notices_dir = notices_dir
        self.training = training        # notices kept as 培训-<name>
        self._reprint = reprint

    @property
    def can_reprint(self) -> bool:
        return self._reprint is not None

    def search(self, text: str = "", status: int | None = None, day_from: str | None = None,
               day_to: str | None = None) -> None:
        failed = lambda exc: self.search_failed.emit(user_message(exc))  # noqa: E731
        folder, training = self.notices_dir, self.training

        def look(cases: list[dict[str, Any]]) -> None:
            if folder is None:
                self.cases_found.emit(cases)
                return
            self.runner.run(DEVICE, lambda _dev: with_notices(folder, cases, training),
                            self.cases_found.emit, failed)

        self.runner.run(
            DB, lambda ctx: ctx.desk.search(text, status=status, day_from=day_from, day_to=day_to),
            look, failed)

    def reprint(self, case_no: str) -> None:
        if self._reprint is not None:
            self._reprint(case_no)

    def saved_notices(self, case: dict[str, Any]) -> list[Path]:
        """The case's notices kept whole (as the last search found them), notice first."""
        from hallclient.documents.notices import KINDS, notice_path, visit_of

        from .intake_service import NOTICE_FOR, notice_kinds

        status = CaseStatus(case["status"])
        if self.notices_dir is None or status not in NOTICE_FOR:
            return []
        unsaved = set(case.get("notices_unsaved") or [])
        return [notice_path(self.notices_dir, case["case_no"], kind, self.training, visit_of(case))
                for kind in notice_kinds(status) if KINDS.get(kind, ("办件回执",))[0] not in unsaved]

    def open(self, case_no: str) -> None:
        self.runner.run(DB, lambda ctx: ctx.desk.load(case_no), self._opened,
                        lambda exc: self.search_failed.emit(user_message(exc)))

    def _opened(self, case: dict[str, Any] | None) -> None:
        if case is None:
            self.search_failed.emit(self.tr("找不到该办件"))
        else:
            self.case_opened.emit(case)


def with_notices(folder: Path, cases: list[dict[str, Any]],
                 training: bool = False) -> list[dict[str, Any]]:
    """``cases``, each with ``notices_unsaved``: the names of its notices not kept whole."""
    from hallclient.documents.notices import missing, visit_of

    from .intake_service import NOTICE_FOR, notice_kinds

    out = []
    for case in cases:
        status = CaseStatus(case["status"])
        kinds = notice_kinds(status) if status in NOTICE_FOR else []
        out.append({**case, "notices_unsaved": missing(folder, case["case_no"], kinds, training,
                                                       visit_of(case))})
    return out
