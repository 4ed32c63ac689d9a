"""好差评 at the counter: ask after service, store the rating durably, queue it for upload."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from hallclient.core import evaluation
from hallclient.core.evaluation import Level
from hallclient.core.workdays import add_working_days
from hallclient.store import case_repo, log_repo

from .lanes import DB
from .session import user_message

if TYPE_CHECKING:
    from .context import DbContext
    from .tasks import Runner


@dataclass(frozen=True)
class SavedEvaluation:
    """A rating stored durably: its uid, level, the rectification deadline of a bad one
    (整改期限) and the case it is about (or "")."""

    uid: str
    level: Level
    rectify_by: str | None
    case_no: str


def save_evaluation(ctx: DbContext, *, level: Level, reasons: list[str], text: str, case_no: str,
                    ticket: str, window: int | None, clerk: str,
                    rectify_days: int) -> SavedEvaluation:
    """On the db lane: one transaction for the rating, its outbox row and the log."""
    problems = evaluation.problems(level, reasons, text)
    if problems:
        raise ValueError("；".join(problems))
    now = ctx.clock()
    at = now.isoformat(timespec="milliseconds")
    uid = str(uuid.uuid4())
    rectify_by = add_working_days(now.date(), rectify_days).isoformat() if level.is_bad else None
    with ctx.db.write() as conn:
        eid = case_repo.insert_evaluation(conn, {
            "uid": uid, "case_no": case_no or None, "ticket": ticket or None, "level": level.value,
            "reasons": json.dumps(reasons, ensure_ascii=False), "comment": text.strip(),
            "window": window, "clerk": clerk, "channel": evaluation.CHANNEL_HALL_PAD, "at": at,
            "rectify_by": rectify_by,
        })
        case_repo.enqueue_evaluation(conn, eid, case_repo.case_id(conn, case_no) if case_no else None,
                                     f"evaluation:{uid}", at)
        log_repo.append(conn, at=at, action="rating", window=window, clerk=clerk,
                        ticket=ticket or None,
                        detail={"case_no": case_no or None, "level": level.value,
                                "bad": level.is_bad or None, "reasons": reasons or None,
                                "rectify_by": rectify_by})
    return SavedEvaluation(uid, level, rectify_by, case_no)


class EvaluationService(QObject):
    """Signals:
    evaluation_requested(str case_no, str ticket) — show the evaluator
    evaluated(SavedEvaluation)                    — stored durably
    evaluation_failed(str message)
    """

    evaluation_requested = Signal(str, str)
    evaluated = Signal(object)
    evaluation_failed = Signal(str)

    def __init__(self, runner: Runner, rectify_days: int = 5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.rectify_days = rectify_days
        self.window: int | None = None
        self.clerk = ""
        self.pending: tuple[str, str] | None = None

    def attach(self, clerk: str, window: int) -> None:
        self.clerk, self.window = clerk, window

    def request(self, case_no: str = "", ticket: str = "") -> None:
        self.pending = (case_no, ticket)
        self.evaluation_requested.emit(case_no, ticket)

    def submit(self, level: Level | None, reasons: list[str], text: str) -> None:
        problems = evaluation.problems(level, reasons, text)
        if problems:
            self.evaluation_failed.emit("；".join(problems))
            return
        assert level is not None
        case_no, ticket = self.pending or ("", "")
        window, clerk, days = self.window, self.clerk, self.rectify_days

        def done(result: SavedEvaluation) -> None:
            self.pending = None
            self.evaluated.emit(result)

        self.runner.run(
            DB, lambda ctx: save_evaluation(ctx, level=level, reasons=reasons, text=text,
                                        case_no=case_no, ticket=ticket, window=window,
                                        clerk=clerk, rectify_days=days),
            done, lambda exc: self.evaluation_failed.emit(user_message(exc)))
