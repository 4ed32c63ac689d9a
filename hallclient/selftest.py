"""``hallclient --self-test``: the installed program proves its core loop, end to end.

In a throw-away data directory (or the training data with ``--training``) the real main
window signs a demo clerk in, calls a ticket, accepts a case through the intake window's own
submit path, renders the acceptance notice to PDF, lets the outbox upload the case to a
platform simulator started on loopback, and then reads the simulator's own record of the
case (not the local row), with the material photographed on the document camera, and
checks that the catalog refresh ran against it; then the ticket is finished (办结). First of
all, the installed files are checked against the wheel's RECORD (every file there, none
changed); last, every module of the package must import. Any step that fails or stalls
ends the run with exit code 2 and one line ``SELFTEST FAILED: <原因>``; success prints
``SELFTEST OK (...)``. Nothing else goes to standard output.

The kiosk's self-test only proves that its window starts and loads the services.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hallclient import installation
from hallclient.services.lanes import DB, DEVICE

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
            app.exit_code = code
            try:
                print(" ".join(text.split("\n")), flush=True)     # always one line
            except OSError:         # the reader left (``| head``): the exit code still tells,
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                try:                # and the verdict goes where the errors go
                    print(" ".join(text.split("\n")), file=sys.stderr, flush=True)
                except OSError:
                    pass
            if os.environ.get("HALLCLIENT_STARTUP_TRACE") and sys.platform != "win32":
                import resource


                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss    # this process alone
                print(f"PEAK_RSS_KIB {peak}", file=sys.stderr, flush=True)
            app.qapp.exit(code)

    class FirstPaint(QObject):
        def __init__(self) -> None:
            super().__init__(target)
            self.seen = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not self.seen:
                self.seen = True
                log.info("self-test: first paint")
                if os.environ.get("HALLCLIENT_STARTUP_TRACE"):      # bench/bench_counter.py
                    print("FIRST_PAINT", file=sys.stderr, flush=True)
            return False

    painted = FirstPaint()
    target.installEventFilter(painted)
    if app.session is None:
        watchdog = QTimer(target)
        watchdog.setSingleShot(True)
        watchdog.timeout.connect(lambda: finish(2, "SELFTEST FAILED: 超时：取号机未载入业务"))
        watchdog.start(TIMEOUT_MS)
        app.kiosk.services_loaded.connect(
            lambda s: finish(0, "SELFTEST OK") if s else finish(2, "SELFTEST FAILED: 取号机没有业务"))
        return
    CounterSelfTest(app, finish, painted).start()


class CounterSelfTest:
    """The counter's run, one stage after another; ``stage`` names where a stall happened."""

    def __init__(self, app: Any, finish: Finish, painted: Any) -> None:
        self.app = app
        self.finish = finish
        self.painted = painted
        self.stage = "打开数据库并签到"
        self.files_checked = 0
        self.photo_code = ""
        self.ticket = ""
        self.case_no = ""
        self.notice_bytes = 0
        self.confirming = False
        self.last_sync: dict[str, Any] = {}
        self.record: dict[str, Any] = {}

    def fail(self, reason: str) -> None:
        self.finish(2, f"SELFTEST FAILED: {reason}")

    def start(self) -> None:
        from PySide6.QtCore import QTimer

        app = self.app
        watchdog = QTimer(app.window)
        watchdog.setSingleShot(True)
        watchdog.timeout.connect(self.timed_out)
        watchdog.start(TIMEOUT_MS)
        from hallclient.demo import servers_installed

        if not servers_installed():           # the servers extra is not in this installation
            QTimer.singleShot(0, lambda: self.fail(SERVERS_MISSING))
            return
        from hallclient.process import after_painted

        # the installed files are read once the window is up (not to hold its first frame)
        after_painted(app.window, lambda: app.runner.run(
            DEVICE, lambda _dev: installation.installation_problems(), self.files_judged,
            lambda exc: self.fail(f"检查安装文件出错：{exc}")))
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
        ended = self.app.platform_sim.ended() if self.app.platform_sim is not None else None
        if ended:
            reason += f"；平台模拟器已退出（{ended}）"
        self.fail(reason)

    def files_judged(self, result: tuple[list[str], int]) -> None:
        problems, checked = result
        if problems:
            more = f"，等 {len(problems)} 个" if len(problems) > 3 else ""
            self.fail("安装文件缺失或被改动（请重新安装）：" + "，".join(problems[:3]) + more)
        self.files_checked = checked

    # sign in, call, accept --------------------------------------------------------------
    def signed_in(self, _clerk: Any, _window: int, snapshot: Any = None) -> None:
        from PySide6.QtCore import QTimer

        queue = self.app.queue
        queue.ticket_called.connect(lambda t: QTimer.singleShot(0, lambda: self.called(t)))
        queue.ticket_started.connect(lambda t: QTimer.singleShot(0, lambda: self.started(t)))
        queue.ticket_finished.connect(lambda t: QTimer.singleShot(0, lambda: self.finished(t)))
        left = snapshot.current if snapshot is not None else None
        if left is not None:                # an earlier training self-test stopped half-way
            self.stage = f"办结上次留下的 {left.number}"
            self.leftover = left.number
            self.serve_or_finish(left)
        else:
            self.call()

    leftover = ""

    def call(self) -> None:
        self.stage = "叫号"
        self.app.queue.queue_empty.connect(self.take_a_ticket)
        self.app.queue.call_next()

    def take_a_ticket(self) -> None:
        """Nobody waiting (training data from an earlier day, or used up by earlier runs):
        take a ticket for a service of this window, as an applicant at the kiosk would,
        then call it. Once: an empty queue after that is a failure."""
        from hallclient.core.tickets import PriorityClass

        queue = self.app.queue
        queue.queue_empty.disconnect(self.take_a_ticket)
        queue.queue_empty.connect(lambda: self.fail("取号后叫号仍然没有人在等候"))
        window = self.app.session.window
        mine = [w for w in queue.windows if w.number == window]
        service = next(iter(mine[0].services), "") if mine else ""
        if not service:
            self.fail(f"{window} 号窗口没有可办的业务，无法取号自检")
            return
        self.stage = "取号"
        self.app.runner.run_queue(lambda q: q.issue(service, PriorityClass.NORMAL, "selftest"),
                                  lambda _issued: queue.call_next(),
                                  lambda exc: self.fail(f"取号失败：{exc}"))

    def serve_or_finish(self, ticket: Any) -> None:
        state = getattr(ticket.state, "value", ticket.state)
        if state == "called":
            self.app.queue.start()
        elif state == "serving":
            self.app.queue.finish()
        else:
            self.fail(f"窗口上还有号 {ticket.number}（{getattr(ticket.state, 'label', state)}），"
                      "请在培训模式中先处理完")

    def started(self, ticket: Any) -> None:
        if ticket.number == self.leftover:
            self.app.queue.finish()
        elif ticket.number == self.ticket:
            self.accept()

    def finished(self, ticket: Any) -> None:
        if ticket.number == self.leftover:
            self.leftover = ""
            self.call()
        elif ticket.number == self.ticket and self.stage == "办结":
            self.check_modules()

    def called(self, ticket: Any) -> None:
        if self.ticket:
            return
        self.ticket = ticket.number
        self.stage = "开始办理"
        self.app.queue.start()              # 开始办理, as a clerk does before 受理

    def accept(self) -> None:
        from hallclient.store import catalog_repo

        app = self.app
        self.stage = "受理办件"
        if app.intake is None:
            app.shell.wire_extras()
        app.intake.draft_started.connect(self.fill_in)
        app.intake.material_changed.connect(self.material_changed)
        app.intake.material_failed.connect(lambda code, m: self.fail(f"材料拍照保存失败：{m}"))
        app.intake.case_committed.connect(self.committed)
        app.intake.commit_failed.connect(lambda ps: self.fail("受理未保存：" + "；".join(ps)))
        app.sync.status_changed.connect(self.sync_reported)
        app.shell.open_intake(self.ticket)
        app.notice_printer.notice_printed.connect(self.printed)
        app.notice_printer.print_failed.connect(lambda kind, m: self.fail(f"通知书（{kind}）未生成：{m}"))
        app.runner.run(DB, lambda ctx: catalog_repo.search(ctx.db.conn, "", limit=1), self.chosen,
                       lambda exc: self.fail(f"事项目录读取失败：{exc}"))

    def chosen(self, items: list[Any]) -> None:
        if not items:
            self.fail("事项目录为空")
            return
        self.app.intake.choose(items[0].impl_code, self.ticket)

    def fill_in(self, draft: Any) -> None:
        """The applicant typed in; the first required material photographed on the document
        camera (a page drawn here), so its file is stored and uploaded like a scan."""
        from hallclient.core.cases import Applicant

        name, id_number, mobile = APPLICANT
        draft.applicant = Applicant(kind="person", name=name, id_number=id_number, mobile=mobile)
        self.draft = draft
        first = next((m for m in draft.materials if m.required), None)
        if first is None:
            self.submit()
            return
        self.photo_code = first.code
        self.stage = "材料拍照"
        self.app.intake.add_camera_image(first.code, test_page())

    def material_changed(self, code: str) -> None:
        if code == self.photo_code and self.stage == "材料拍照":
            self.submit()

    def submit(self) -> None:
        from hallclient.core.cases import Decision, MaterialStatus

        self.stage = "受理办件"
        for material in self.draft.materials:
            if material.code != self.photo_code:
                self.app.intake.set_status(material.code, MaterialStatus.ORIGINAL_VERIFIED
                                           if material.required else MaterialStatus.NOT_APPLICABLE)
        window = self.app.intake_window
        window.decision_page.decision_buttons[Decision.ACCEPT].setChecked(True)
        window.submit()                     # the window's own path: its form, then the service

    def committed(self, done: Any, _case: Any) -> None:
        self.case_no = done.case_no
        self.stage = "生成受理通知书"

    def printed(self, kind: str, pdf: str, _printer: str) -> None:
        if kind == "accept":                # its size is read off the GUI thread
            self.app.runner.run(DEVICE,
                                lambda _dev: Path(pdf).stat().st_size if Path(pdf).is_file() else 0,
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
        self.app.sync.sync_now()            # its report asks the platform (sync_reported)

    # upload confirmed by the platform ------------------------------------------------------
    def sync_reported(self, status: dict[str, Any]) -> None:
        """After every upload round, from the commit on: a broken upload path or a refusal
        fails at once; else, once the notice is done, the platform's own record is read."""
        self.last_sync = status
        message = str(status.get("message") or "")
        if not self.case_no:
            return
        if message.startswith("上传出错"):      # the upload path itself is broken
            self.fail(message)
            return
        sim, case_no = self.app.platform_sim, self.case_no
        self.app.runner.run(DB, lambda ctx: platform_record(ctx, sim, case_no), self.platform_answered,
                            lambda exc: self.fail(f"读取平台记录失败：{exc}"))

    def platform_answered(self, record: dict[str, Any]) -> None:
        upload = record["upload"] or {}
        if upload.get("state") == "needs_attention":
            self.fail(f"平台拒收办件：{upload.get('last_error') or '需处理'}")
            return
        if not record["uid"] or not self.confirming:
            return                          # not uploaded yet: the next status report asks again
        device = self.app.config["platform.device_id"]
        if record["device_id"] != device or record["applicant_name"] != APPLICANT[0]:
            self.fail(f"平台记录与本机办件不符（平台记下的设备 {record['device_id']}、"
                      f"申请人 {record['applicant_name']}）")
            return
        if self.photo_code and not record["attachments"]:
            self.fail("平台记录里没有拍照的材料附件")
            return
        if not record["attachments_complete"]:
            return                          # the case is there, its file still on its way
        if not record["catalog_current"]:
            self.fail("事项目录没有从平台更新（本机目录版本与平台不一致）")
            return
        self.confirming = False
        self.record = record
        self.stage = "办结"
        self.app.queue.finish()             # 办结: the window is free for the next run

    def check_modules(self) -> None:
        self.stage = "检查程序模块"
        self.app.runner.run(DEVICE, lambda _dev: installation.modules_that_fail_apart(), self.modules_checked,
                            lambda exc: self.fail(f"检查程序模块出错：{exc}"))

    def modules_checked(self, broken: list[str]) -> None:
        if broken:
            self.fail("程序模块无法载入（安装不完整）：" + "，".join(broken[:5]))
            return
        if not self.painted.seen:
            self.fail("主窗口没有绘出")
            return
        r = self.record
        files = f", 安装文件 {self.files_checked} 个完好" if self.files_checked else ""
        self.finish(0, f"SELFTEST OK ({self.ticket}, 受理 {self.case_no}, 通知书 {self.notice_bytes} 字节,"
                       f" 附件 {len(r['attachments'])} 个, 平台已确认 v{r['version']},"
                       f" 事项目录 {r['catalog_items']} 项{files})")


def platform_record(ctx: Any, sim: Any, case_no: str) -> dict[str, Any]:
    """On the db lane: the simulator's own record of the case (``uid`` None while it has
    none), read from its database, this PC's upload state of it, and whether this PC's
    catalog is the one the platform serves (the refresh path ran)."""
    from hallclient.store import catalog_repo, outbox_repo

    sim_store = sim.store()
    try:
        record = sim_store.case_by_number(case_no) or {"uid": None, "attachments": [],
                                                       "attachments_complete": False}
        platform_etag = sim_store.catalog_etag()
    finally:
        sim_store.close()
    local_etag = catalog_repo.etag(ctx.db.conn)
    return {**record, "upload": outbox_repo.case_upload(ctx.db.conn, case_no),
            "catalog_current": bool(platform_etag) and local_etag == platform_etag,
            "catalog_items": catalog_repo.count(ctx.db.conn)}


def test_page() -> Any:
    """A page for the document camera: white, with a black frame and a bar, like a form."""
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(420, 594, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    black = QColor("black")
    for top in (20, 572):
        painter.fillRect(0, top, 420, 2, black)
    painter.fillRect(60, 80, 300, 16, black)
    painter.end()
    return image
