"""``hallclient --self-test``: the installed program proves its core loop, end to end.

In a throw-away data directory (or the training data with ``--training``) the real main
window signs a demo clerk in, calls a ticket, accepts a case through the intake window's own
submit path, renders the acceptance notice to PDF, lets the outbox upload the case to a
platform simulator started on loopback, and then reads the simulator's own record of the
case (not the local row) and checks that the catalog refresh ran against it. Last, every
module of the installed package must import. Any step that fails or stalls ends the run with
exit code 2 and one line ``SELFTEST FAILED: <原因>``; success prints ``SELFTEST OK (...)``.

The kiosk's self-test only proves that its window starts and loads the services.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TIMEOUT_MS = 30_000
APPLICANT = ("自检", "11010519491231002X", "13800138000")   # GB 11643 sample number
SERVERS_MISSING = ("缺少服务端组件，无法启动平台模拟器验证上传"
                   "（安装包不完整；pip 安装请用 pip install 'hallclient[servers]'）")

Finish = Callable[[int, str], None]


def arm(app: Any) -> None:
    """Watch the app that ``_start_gui`` built; print the verdict and leave the event loop."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    target = app.window or app.kiosk_window

    def finish(code: int, text: str) -> None:
        if app.exit_code is None:
            print(" ".join(text.split("\n")), flush=True)     # always one line
            app.exit_code = code
            app.qapp.exit(code)

    class FirstPaint(QObject):
        def __init__(self) -> None:
            super().__init__(target)
            self.seen = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not self.seen:
                self.seen = True
                print("FIRST_PAINT", flush=True)
            return False

    target.installEventFilter(FirstPaint())
    if app.session is None:
        watchdog = QTimer(target)
        watchdog.setSingleShot(True)
        watchdog.timeout.connect(lambda: finish(2, "SELFTEST FAILED: 超时：取号机未载入业务"))
        watchdog.start(TIMEOUT_MS)
        app.kiosk.services_loaded.connect(
            lambda s: finish(0, "SELFTEST OK") if s else finish(2, "SELFTEST FAILED: 取号机没有业务"))
        return
    CounterSelfTest(app, finish).start()


class CounterSelfTest:
    """The counter's run, one stage after another; ``stage`` names where a stall happened."""

    def __init__(self, app: Any, finish: Finish) -> None:
        self.app = app
        self.finish = finish
        self.stage = "打开数据库并签到"
        self.ticket = ""
        self.case_no = ""
        self.notice_bytes = 0
        self.confirming = False
        self.last_sync: dict[str, Any] = {}

    def fail(self, reason: str) -> None:
        self.finish(2, f"SELFTEST FAILED: {reason}")

    def start(self) -> None:
        from PySide6.QtCore import QTimer

        app = self.app
        watchdog = QTimer(app.window)
        watchdog.setSingleShot(True)
        watchdog.timeout.connect(self.timed_out)
        watchdog.start(TIMEOUT_MS)
        if app.platform_sim is None:          # the servers extra is not in this installation
            QTimer.singleShot(0, lambda: self.fail(SERVERS_MISSING))
            return
        app.session.signed_in.connect(self.signed_in)
        app.session.sign_in_failed.connect(lambda m: self.fail(f"签到失败：{m}"))
        app.queue.action_failed.connect(lambda m: self.fail(f"叫号失败：{m}"))
        app.runner.task_finished.connect(
            lambda *_: self.fail(app.startup_errors[0]) if app.startup_errors else None)

    def timed_out(self) -> None:
        reason = f"超时（{TIMEOUT_MS // 1000} 秒），停在「{self.stage}」"
        message = self.last_sync.get("message")
        if self.confirming and message:
            reason += f"；上传状态：{message}"
        elif self.confirming:
            reason += "；平台一直没有确认这件办件"
        self.fail(reason)

    # sign in, call, accept --------------------------------------------------------------
    def signed_in(self, *_: Any) -> None:
        from PySide6.QtCore import QTimer

        self.stage = "叫号"
        self.app.queue.ticket_called.connect(lambda t: QTimer.singleShot(0, lambda: self.called(t)))
        self.app.queue.call_next()

    def called(self, ticket: Any) -> None:
        from hallclient.app import _wire_counter_extras, open_intake
        from hallclient.store import catalog_repo

        if self.ticket:
            return
        app = self.app
        self.ticket = ticket.number
        self.stage = "受理办件"
        if app.intake is None:
            _wire_counter_extras(app)
        app.intake.draft_started.connect(self.fill_in)
        app.intake.case_committed.connect(self.committed)
        app.intake.commit_failed.connect(lambda ps: self.fail("受理未保存：" + "；".join(ps)))
        app.sync.status_changed.connect(self.sync_reported)
        open_intake(app, ticket.number)
        app.notice_printer.notice_printed.connect(self.printed)
        app.notice_printer.print_failed.connect(lambda kind, m: self.fail(f"通知书（{kind}）未生成：{m}"))
        app.runner.run(lambda ctx: catalog_repo.search(ctx.db.conn, "", limit=1), self.chosen,
                       lambda exc: self.fail(f"事项目录读取失败：{exc}"))

    def chosen(self, items: list[Any]) -> None:
        if not items:
            self.fail("事项目录为空")
            return
        self.app.intake.choose(items[0].impl_code, self.ticket)

    def fill_in(self, draft: Any) -> None:
        from hallclient.core.cases import Applicant, Decision, MaterialStatus

        name, id_number, mobile = APPLICANT
        draft.applicant = Applicant(kind="person", name=name, id_number=id_number, mobile=mobile)
        for material in draft.materials:
            self.app.intake.set_status(material.code, MaterialStatus.ORIGINAL_VERIFIED
                                       if material.required else MaterialStatus.NOT_APPLICABLE)
        window = self.app.intake_window
        window.decision_buttons[Decision.ACCEPT].setChecked(True)
        window.submit()                     # the window's own path: its form, then the service

    def committed(self, done: Any, _case: Any) -> None:
        self.case_no = done.case_no
        self.stage = "生成受理通知书"

    def printed(self, kind: str, pdf: str, _printer: str) -> None:
        if kind == "accept":                # its size is read off the GUI thread
            self.app.runner.run(lambda _ctx: Path(pdf).stat().st_size if Path(pdf).is_file() else 0,
                                lambda size: self.notice_done(pdf, size),
                                lambda exc: self.fail(f"受理通知书读取失败：{exc}"))

    def notice_done(self, pdf: str, size: int) -> None:
        from PySide6.QtCore import QCoreApplication

        if not size:
            self.fail(f"受理通知书未生成：{pdf}")
            return
        if QCoreApplication.translate("QPlatformTheme", "Cancel") != "取消":
            self.fail("Qt 中文翻译（qtbase_zh_CN.qm）未加载")
            return
        self.notice_bytes = size
        self.stage = "上传到平台并等待确认"
        self.confirming = True
        self.app.sync.sync_now()

    # upload confirmed by the platform ------------------------------------------------------
    def sync_reported(self, status: dict[str, Any]) -> None:
        self.last_sync = status
        if not self.confirming:
            return
        message = str(status.get("message") or "")
        if message.startswith("上传出错"):      # the upload path itself is broken
            self.fail(message)
        elif status.get("attention"):
            self.fail(f"平台拒收办件：{message or '需处理'}")
        elif not status.get("pending"):
            sim = self.app.platform_sim.sim.store
            self.app.runner.run(lambda ctx: platform_record(ctx, sim, self.case_no),
                                self.platform_answered,
                                lambda exc: self.fail(f"读取平台记录失败：{exc}"))

    def platform_answered(self, record: dict[str, Any] | None) -> None:
        if record is None or self.stage != "上传到平台并等待确认":
            return                          # not uploaded yet: the next status report asks again
        device = self.app.config["platform.device_id"]
        if record["device_id"] != device or record["applicant_name"] != APPLICANT[0]:
            self.fail(f"平台记录与本机办件不符：{record}")
            return
        if not record["catalog_current"]:
            self.fail("事项目录没有从平台更新（本机目录版本与平台不一致）")
            return
        self.confirming = False
        self.stage = "检查程序模块"
        self.record = record
        self.app.runner.run(lambda _ctx: modules_that_fail(), self.modules_checked,
                            lambda exc: self.fail(f"检查程序模块出错：{exc}"))

    def modules_checked(self, broken: list[str]) -> None:
        if broken:
            self.fail("程序模块无法载入（安装不完整）：" + "，".join(broken[:5]))
            return
        r = self.record
        self.finish(0, f"SELFTEST OK ({self.ticket}, 受理 {self.case_no}, 通知书 {self.notice_bytes} 字节,"
                       f" 平台已确认 v{r['version']}, 事项目录 {r['catalog_items']} 项)")


def platform_record(ctx: Any, sim_store: Any, case_no: str) -> dict[str, Any] | None:
    """On the worker lane: the simulator's own record of the case, and whether this PC's
    catalog is the one the platform serves (the refresh path ran)."""
    from hallclient.store import catalog_repo

    record = sim_store.case_by_number(case_no)
    if record is None:
        return None
    platform_etag = sim_store.catalog_etag()
    local_etag = catalog_repo.etag(ctx.db.conn)
    return {**record, "catalog_current": bool(platform_etag) and local_etag == platform_etag,
            "catalog_items": catalog_repo.count(ctx.db.conn)}


def modules_that_fail() -> list[str]:
    """Import every module of the installed package; the names that do not import."""
    import hallclient

    broken: list[str] = []

    def failed(name: str) -> None:
        broken.append(name)

    for info in pkgutil.walk_packages(hallclient.__path__, "hallclient.", onerror=failed):
        if info.name == "hallclient.__main__":
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:          # ImportError above all; the name is what IT needs
            log.error("self-test: module %s does not import", info.name, exc_info=exc)
            broken.append(f"{info.name}（{type(exc).__name__}: {exc}）")
    return broken
