"""The supervisor's dashboard (值班长): supervisor sign-in, the report for a period, exports.

The figures are built on the db lane (with a hall server, its records are fetched on the
hall lane first); exports are written on the device lane; answers come back as signals
on the GUI thread.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from hallclient.core.accounts import Clerk, Role
from hallclient.reports.figures import DEFAULT_CLOSING

from .lanes import DB, DEVICE, HALL
from .reporting import heading, period_report
from .session import user_message

if TYPE_CHECKING:
    from PySide6.QtCharts import QChart
    from PySide6.QtGui import QPagedPaintDevice

    from hallclient.queue.hall import HallQueue
    from hallclient.reports.figures import Report

    from .context import DbContext
    from .tasks import Runner

SUPERVISOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)


class ReportTable(Protocol):
    """One table of the report as the dashboard shows it (documents.report_tables.View):
    ``texts()`` are its cells as shown, the same text in every export."""

    title: str
    headers: list[str]
    rows: list[list[Any]]

    def texts(self) -> list[list[str]]: ...


def hall_records(queue: HallQueue, first: date, last: date) -> dict[str, Any]:
    """On the hall lane: this counter's latest log to the server (its cases and ratings),
    then every window's queue records and every counter's pushed logs of the period."""
    queue.push_log()
    return queue.report_records(first.isoformat(), last.isoformat())


def compute(ctx: DbContext, first: date, last: date, wait_target_min: float,
            service_target_min: float, remote: dict[str, Any] | None = None,
            closing: time = DEFAULT_CLOSING) -> dict[str, Any]:
    """On the db lane: read the period by index, build the figures, check the log.
    ``remote``: the hall server's records (``hall_records``) when it keeps the queue."""
    from hallclient.store import report_repo

    if remote is None:
        return period_report(ctx.db.conn, first, last, ctx.clock(), wait_target_min,
                             service_target_min, closing=closing)
    # with the hall server: every window's queue records, and every counter's cases and
    # ratings from the logs they pushed (upload states are only this counter's own)
    from hallclient.reports.records import (
        cases_from_json,
        manual_from_json,
        records_from_json,
        repeats_from_json,
    )

    data = report_repo.load(ctx.db.conn, first, last)
    data["tickets"], data["events"], data["serves"] = records_from_json(remote)
    data["manual"], data["repeats"] = manual_from_json(remote), repeats_from_json(remote)
    hall_cases, hall_ratings = cases_from_json(remote)
    uploads = {c.case_no: c.upload for c in data["cases"]}
    data["cases"] = [replace(c, upload=uploads.get(c.case_no, "none")) for c in hall_cases]
    data["evaluations"] = hall_ratings
    log = remote["log"]
    hall_log = (f"；大厅服务器日志完整（本期 {log['entries']} 条）" if log["intact"]
                else f"；大厅服务器日志被改动：第 {log['broken_seq']} 条起 {log['reason']}")
    return period_report(ctx.db.conn, first, last, ctx.clock(), wait_target_min,
                         service_target_min, data=data, log_suffix=hall_log,
                         others_intact=bool(log["intact"]), closing=closing)


def draw_charts(hours: QChart, windows: QChart, ratings: QChart, report: Report) -> None:
    """The dashboard's three charts, drawn as in the PDF (documents.report_charts)."""
    from hallclient.documents.report_charts import fill_hours, fill_ratings, fill_windows

    fill_hours(hours, report)
    fill_windows(windows, report)
    fill_ratings(ratings, report)


class ReportService(QObject):
    """Signals:
    supervisor_ok(str username) / supervisor_refused(str message)
    report_ready(dict) — report, tables, intact, first, last
    exported(str path)
    failed(str message)
    """

    supervisor_ok = Signal(str)
    supervisor_refused = Signal(str)
    report_ready = Signal(dict)
    exported = Signal(str)
    failed = Signal(str)

    def __init__(self, runner: Runner, hall_name: str, wait_target_min: float,
                 service_target_min: float, parent: QObject | None = None,
                 training: bool = False, closing_time: str = "17:30") -> None:
        super().__init__(parent)
        self.runner = runner
        self.hall_name = hall_name
        self.training = training        # 培训模式: the report's paper says so
        self.targets = (wait_target_min, service_target_min)
        self.closing = time.fromisoformat(closing_time)
        self.supervisor: str | None = None
        self.last: dict[str, Any] | None = None

    def check_supervisor(self, username: str, password: str, window: int | None) -> None:
        """A supervisor signs in at any counter, offline too (local accounts)."""
        who = username.strip() or None

        def failed(exc: BaseException) -> None:
            self.supervisor_refused.emit(user_message(exc))

        def checked(clerk: Clerk | None) -> None:
            ok = clerk is not None and clerk.role in SUPERVISOR_ROLES
            problem = (None if ok else "用户名或密码错误" if clerk is None
                       else "该账户不是值班长（需要值班长或管理员账户）")
            self.runner.run_queue(
                lambda q: q.record("supervisor_sign_in" if ok else "supervisor_refused", window, who),
                lambda _: answered(problem), failed)

        def answered(problem: str | None) -> None:
            if problem:
                self.supervisor_refused.emit(self.tr(problem))
            else:
                self.supervisor = username.strip()
                self.supervisor_ok.emit(self.supervisor)

        self.runner.run(DB, lambda ctx: ctx.authenticate(username, password), checked, failed)

    def load(self, first: date, last: date) -> None:
        if last < first:
            self.failed.emit(self.tr("结束日期早于开始日期"))
            return

        def done(result: dict[str, Any]) -> None:
            self.last = result
            self.report_ready.emit(result)

        def failed(exc: BaseException) -> None:
            self.failed.emit(user_message(exc))

        def build(remote: dict[str, Any] | None) -> None:
            self.runner.run(DB, lambda ctx: compute(ctx, first, last, *self.targets, remote=remote,
                                                    closing=self.closing),
                            done, failed)

        if self.runner.hall_mode:
            self.runner.run(HALL, lambda ctx: hall_records(ctx.queue, first, last), build, failed)
        else:
            build(None)

    def heading(self) -> str:
        if self.last is None:
            return ""
        from hallclient.documents.paper import training_title

        return training_title(heading(self.hall_name, self.last["first"], self.last["last"]),
                              self.training)

    def export(self, fmt: str, path: Path) -> None:
        """CSV and XLSX are written on the device lane (slow local output, never in a
        commit's way); PDF needs the GUI thread's fonts and is written here at once (it is
        small)."""
        from hallclient.documents import report_tables
        from hallclient.store.durable import PaperError

        def failed(exc: BaseException) -> None:
            self.failed.emit(exc.message if isinstance(exc, PaperError) else user_message(exc))

        if self.last is None:
            self.failed.emit(self.tr("请先生成报表"))
            return
        tables, heading = self.last["tables"], self.heading()
        if fmt == "pdf":
            try:
                kept = report_tables.write_pdf(tables, path, heading, self.last["report"],
                                               self.training)
            except PaperError as exc:     # a full disk: nothing under that name, and said so
                failed(exc)
                return
            self.exported.emit(str(kept))
            return
        writer = {"csv": report_tables.write_csv, "xlsx": report_tables.write_xlsx}[fmt]
        self.runner.run(DEVICE, lambda _dev: writer(tables, path, heading),
                        lambda _r: self.exported.emit(str(path)), failed)

    def print_on(self, printer: QPagedPaintDevice) -> None:
        """打印: the report as in the PDF export, on ``printer`` (on the GUI thread, which
        lays out the fonts and draws the charts)."""
        from hallclient.documents.report_paper import chart_images_for, paint_report

        if self.last is None:
            return
        paint_report(printer, self.last["tables"], self.heading(),
                     chart_images_for(self.last["report"]), self.training)
