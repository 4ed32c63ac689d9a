"""The outbox view's use cases: list, retry now, fix and resend."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from hallclient.store import outbox_repo

from .case_desk import CaseError
from .lanes import DB
from .session import user_message

if TYPE_CHECKING:
    from .context import DbContext
    from .tasks import Runner


class OutboxService(QObject):
    """Signals: rows_loaded(list dict), resend_queued(str case_no), action_failed(str)"""

    rows_loaded = Signal(list)
    resend_queued = Signal(str)
    action_failed = Signal(str)

    def __init__(self, runner: Runner, on_queued: Callable[[], None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.on_queued = on_queued       # e.g. SyncService.sync_now
        self.window: int | None = None
        self.clerk = ""

    def load(self) -> None:
        self.runner.run(DB, lambda ctx: outbox_repo.overview(ctx.db.conn), self.rows_loaded.emit,
                        lambda exc: self.action_failed.emit(user_message(exc)))

    def retry_now(self, row_id: int) -> None:
        def job(ctx: DbContext) -> None:
            with ctx.db.write() as conn:
                outbox_repo.retry_now(conn, row_id)

        self.runner.run(DB, job, lambda _: self._queued(""),
                        lambda exc: self.action_failed.emit(user_message(exc)))

    def fix_and_resend(self, case_no: str, changes: dict[str, str]) -> None:
        window, clerk = self.window, self.clerk

        def failed(exc: BaseException) -> None:
            self.action_failed.emit("；".join(exc.problems) if isinstance(exc, CaseError)
                                    else user_message(exc))

        self.runner.run(DB, lambda ctx: ctx.desk.amend(case_no, changes, window, clerk),
                        lambda done: self._queued(done.case_no), failed)

    def _queued(self, case_no: str) -> None:
        self.resend_queued.emit(case_no)
        if self.on_queued is not None:
            self.on_queued()
        self.load()
