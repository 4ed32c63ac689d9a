"""办件查询 (progress query) at the kiosk, and the clerk's 待领取 / 已邮寄.

Where the answer comes from follows ``queue.source``: with the counter's own queue the kiosk
shares the counter PC's database and reads the case there (db lane); with a hall server the
kiosk asks the server (hall lane), which holds the minimal records counters publish. Either
way the same rules decide (``core.progress``): the same answer for an unknown case and a
wrong password, and a lockout after repeated wrong passwords that is stored, so it outlives
a restart of the kiosk.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from hallclient.core.cases import CaseStatus
from hallclient.core.progress import (
    Handover,
    LockoutPolicy,
    QueryAnswer,
    Verdict,
    judge,
    normalise_case_no,
    password_matches,
    progress_words,
    refusal_words,
    valid_case_no,
    valid_password,
)
from hallclient.core.tickets import QueueError
from hallclient.store import log_repo, progress_repo
from hallclient.store.db import Database

from .lanes import DB, HALL
from .session import user_message

if TYPE_CHECKING:
    from .context import DbContext, HallContext
    from .tasks import Runner

log = logging.getLogger(__name__)

WAYBILL_LONGEST = 64
PLACE_LONGEST = 200


class ProgressError(QueueError):
    """The clerk's 待领取 / 已邮寄 cannot be recorded as given (message in Chinese)."""


# -- the answer from this PC's database ------------------------------------------------------

def query_local(db: Database, case_no: str, password: str, now: datetime,
                policy: LockoutPolicy) -> QueryAnswer:
    """Look the case up, compare the password in constant time (also when there is no
    case), then let the attempts kept for the number decide, in one transaction."""
    stored = progress_repo.progress(db.conn, case_no)
    matched = password_matches(password, stored.password if stored else None)
    record = stored.record if stored else None
    with db.write() as conn:
        kept = progress_repo.attempts(conn, case_no)
        answer, keep = judge(kept, record, matched and valid_password(password), now, policy)
        if keep != kept:
            progress_repo.keep_attempts(conn, case_no, keep)
        if keep is not None and keep.failures == 1:
            progress_repo.forget_old_attempts(conn, (now - timedelta(days=1)).isoformat())
    return answer


# -- the clerk: how the result reaches the applicant -------------------------------------------

NO_HANDOVER = (CaseStatus.REFUSED, CaseStatus.WITHDRAWN, CaseStatus.REVOKED,
               CaseStatus.CORRECTION_STARTED)


def handover_problems(handover: Handover, waybill: str, place: str) -> list[str]:
    problems = []
    if handover is Handover.POSTED and not waybill.strip():
        problems.append("已邮寄须填写快递单号")
    if handover is Handover.READY and not place.strip():
        problems.append("待领取须填写取件地点")
    if len(waybill.strip()) > WAYBILL_LONGEST:
        problems.append(f"快递单号最长 {WAYBILL_LONGEST} 个字符")
    if len(place.strip()) > PLACE_LONGEST:
        problems.append(f"取件地点最长 {PLACE_LONGEST} 个字")
    if any(not c.isprintable() for c in waybill + place):
        problems.append("快递单号和取件地点不能含控制字符或换行")
    return problems


def record_handover(db: Database, case_no: str, handover: Handover, waybill: str, place: str,
                    at: str, clerk: str | None = None, window: int | None = None) -> None:
    """待领取 (with the pick-up place) or 已邮寄 (with the waybill) for a case; on the event
    log. The kiosk shows it from then on (and the hall server once published)."""
    problems = handover_problems(handover, waybill, place)
    if problems:
        raise ProgressError("；".join(problems))
    waybill = waybill.strip() if handover is Handover.POSTED else ""
    place = place.strip() if handover is Handover.READY else ""
    with db.write() as conn:
        stored = progress_repo.progress(conn, case_no)
        if stored is None:
            raise ProgressError(f"找不到办件 {case_no}")
        if stored.record.status in NO_HANDOVER:
            label = CaseStatus(stored.record.status).label
            raise ProgressError(f"办件 {case_no} 当前状态为「{label}」，不能登记领取或邮寄")
        progress_repo.set_handover(conn, stored.record.case_no, handover, waybill, place, at)
        log_repo.append(conn, at=at, action="case_handover", window=window, clerk=clerk,
                        detail={"case_no": stored.record.case_no, "handover": handover.value,
                                "waybill": waybill or None})


# -- the service --------------------------------------------------------------------------------

class ProgressService(QObject):
    """Signals:
    progress_shown(ProgressWords words)  — the right password: the case's state in words
    query_refused(str message)          — unknown case or wrong password (one answer)
    query_locked(str message)           — too many wrong passwords: paused for a while
    query_failed(str message)           — the answer could not be read (hall server away ...)
    handover_recorded(str case_no)      — the clerk's 待领取 / 已邮寄 is kept
    handover_failed(str message)
    """

    progress_shown = Signal(object)
    query_refused = Signal(str)
    query_locked = Signal(str)
    query_failed = Signal(str)
    handover_recorded = Signal(str)
    handover_failed = Signal(str)

    def __init__(self, runner: Runner, policy: LockoutPolicy | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.policy = policy or LockoutPolicy()
        self.busy = False

    def query(self, case_no_text: str, password: str) -> None:
        """Ask for a case's progress; the answer comes as one of the signals."""
        case_no = normalise_case_no(case_no_text)
        if not valid_case_no(case_no):
            self.query_refused.emit(self.tr("请扫描受理通知书上的条码，或输入完整的办件编号"))
            return
        if not valid_password(password):
            self.query_refused.emit(self.tr("查询密码是受理通知书上的 6 位数字"))
            return
        if self.busy:
            return
        self.busy = True
        if self.runner.hall_mode:
            def on_hall(ctx: HallContext) -> QueryAnswer:
                return ctx.queue.query_progress(case_no, password)
            self.runner.run(HALL, on_hall, self._answered, self._failed)
            return

        def on_db(ctx: DbContext) -> QueryAnswer:
            return query_local(ctx.db, case_no, password, ctx.clock(), self.policy)
        self.runner.run(DB, on_db, self._answered, self._failed)

    def record_handover(self, case_no: str, handover: Handover, text: str, clerk: str,
                        window: int | None = None) -> None:
        """The clerk's 待领取 (``text``: the pick-up place) or 已邮寄 (``text``: the waybill),
        on the db lane (a counter's case list may offer it; ``admin handover`` does)."""
        number = normalise_case_no(case_no)
        waybill, place = (text, "") if handover is Handover.POSTED else ("", text)

        def job(ctx: DbContext) -> str:
            at = ctx.clock().isoformat(timespec="milliseconds")
            record_handover(ctx.db, number, handover, waybill, place, at, clerk, window)
            return number
        self.runner.run(DB, job, self.handover_recorded.emit,
                        lambda exc: self.handover_failed.emit(user_message(exc)))

    def _answered(self, answer: QueryAnswer) -> None:
        self.busy = False
        if answer.verdict is Verdict.SHOWN and answer.record is not None:
            self.progress_shown.emit(progress_words(answer.record))
        elif answer.verdict is Verdict.LOCKED:
            self.query_locked.emit(refusal_words(answer))
        else:
            self.query_refused.emit(refusal_words(answer))

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        from hallclient.queue.hall_link import HallUnavailableError

        if isinstance(exc, HallUnavailableError):    # the applicant needs what to do, not why
            self.query_failed.emit(self.tr("暂时无法查询，请稍候再试，或到咨询台人工查询"))
            return
        self.query_failed.emit(user_message(exc))
