"""The counter window (窗口叫号主界面): the clerk's screen all day."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QDateTime, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hallclient.config import Config
from hallclient.core.accounts import Clerk
from hallclient.core.announce import display_text
from hallclient.core.hall import Service, WindowInfo, WindowSnapshot
from hallclient.core.tickets import STATE_LABELS, Ticket, TicketState
from hallclient.services.announcing import CallAnnouncer
from hallclient.services.queue_service import QueueService
from hallclient.services.session import SessionService

from .eliding_label import ElidingLabel
from .flash import Flasher
from .pages import LockPage, SignInPage
from .training import mark_like

if TYPE_CHECKING:
    from .counter_page import CounterPage
    from .transfer_chooser import TransferChooser, TransferTarget


def waited_text(ticket: Ticket) -> str:
    """已等候 N 分钟: from the ticket's issue to its call (or to now, not yet called)."""
    try:
        issued = datetime.fromisoformat(ticket.issued_at)
        until = datetime.fromisoformat(ticket.called_at) if ticket.called_at else None
    except (TypeError, ValueError):
        return ""
    if until is None:
        until = datetime.now(issued.tzinfo) if issued.tzinfo else datetime.now()
    minutes = int(max((until - issued).total_seconds(), 0) // 60)
    tr = QCoreApplication.translate
    if minutes < 1:
        return tr("CounterWindow", "已等候不到 1 分钟")
    if minutes < 60:
        return tr("CounterWindow", "已等候 {m} 分钟").format(m=minutes)
    return tr("CounterWindow", "已等候 {h} 小时 {m} 分钟").format(h=minutes // 60, m=minutes % 60)


def _qapp() -> QCoreApplication:
    app = QApplication.instance()
    assert app is not None, "the counter window needs a running QApplication"
    return app


class CounterWindow(QMainWindow):
    """Signals: intake_requested(str current ticket number or ""), cases_requested(),
    sync_requested(), said(str message, bool error)"""

    intake_requested = Signal(str)
    cases_requested = Signal()
    supervisor_requested = Signal()
    sync_requested = Signal()
    outbox_requested = Signal()
    said = Signal(str, bool)          # what the message line now says (and whether an error)

    def __init__(self, config: Config, session: SessionService, queue: QueueService,
                 announcer: CallAnnouncer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.session = session
        self.queue = queue
        self.announcer = announcer
        self.actions_by_name: dict[str, QAction] = {}
        self.setObjectName("counter")
        self.setWindowTitle(self.tr("窗口叫号 · {hall}").format(hall=config["hall.name"]))
        self.platform_name = self.tr("平台")     # 培训平台 / 演示平台 when it is the simulator
        self._sync_status: dict[str, Any] | None = None
        self._chooser: TransferChooser | None = None
        self._transfer_label = ""      # where the ticket being transferred goes, for the message

        self.stack = QStackedWidget()
        self.sign_in_page = SignInPage(config["hall.name"])
        self.counter_page: CounterPage | None = None   # built after the first paint
        self.lock_page = LockPage()
        for page in (self.sign_in_page, self.lock_page):
            self.stack.addWidget(page)
        self._build_status_bar()
        # what the last action did (已呼叫 A006, A005 已转到 …) on its own full-width line
        # under the page, not squeezed between the status bar's fields
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.stack, 1)
        column.addWidget(self.message_label)
        self.setCentralWidget(central)
        self.stack.currentChanged.connect(self._show_message_line)
        self._show_message_line()
        self._flasher = Flasher(self, 250)
        self._connect()
        self._watching_activity = False

    # -- construction ------------------------------------------------------------------

    def ensure_counter_page(self) -> None:
        """Build the counter page (and its widget classes) once, after the first paint."""
        if self.counter_page is not None:
            return
        from .counter_page import CounterPage

        page = CounterPage(self)
        self.counter_page = page
        self.actions_by_name = page.actions_by_name
        self.stack.insertWidget(1, page)
        self._connect_counter_page()
        self._update_actions()

    def page(self) -> CounterPage:
        """The counter page, built now if the first paint has not built it yet."""
        self.ensure_counter_page()
        assert self.counter_page is not None
        return self.counter_page

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.counter_page is None:
            QTimer.singleShot(0, self.ensure_counter_page)
        if event.type() == QEvent.Type.Paint and not self._watching_activity:
            # keys and clicks anywhere keep a signed-in clerk's screen unlocked; watched from
            # the first paint on (every event of every widget passes this filter, and nobody
            # is signed in before)
            self._watching_activity = True
            _qapp().installEventFilter(self)
        return super().event(event)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.message_label = QLabel()
        self.message_label.setObjectName("counterMessage")
        self.message_label.setWordWrap(True)       # long messages (manual mode) wrap, never cut
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.clerk_label = QLabel()
        self.window_state_label = QLabel()
        self.window_state_label.setObjectName("windowState")
        self.source_label = ElidingLabel(self.tr("队列：{src}").format(src=self.queue.source_label))
        self.sync_label = ElidingLabel(self.tr("平台：未配置"))
        self.clock_label = QLabel()
        self.aside_button = QPushButton()        # 手工接待需处理: shown while there are any
        self.aside_button.setObjectName("asideButton")
        self.aside_button.setToolTip(self.tr("大厅服务器不接受的手工接待记录：点此修改号码或作废"))
        self.aside_button.hide()
        self.aside_button.clicked.connect(self.open_manual_review)
        self._manual_review: QWidget | None = None
        for w in (self.clerk_label, self.window_state_label, self.aside_button, self.source_label,
                  self.sync_label, self.clock_label):
            bar.addPermanentWidget(w)
        self._clock = QTimer(self)
        self._clock.timeout.connect(self._tick)
        self._clock.start(1000)
        self._tick()

    def _connect(self) -> None:
        s, q = self.session, self.queue
        self.sign_in_page.sign_in_requested.connect(s.sign_in)
        s.sign_in_failed.connect(self.sign_in_page.show_error)
        s.signed_in.connect(self._on_signed_in)
        s.signed_out.connect(self._on_signed_out)
        s.locked.connect(self._on_locked)
        s.unlocked.connect(self._on_unlocked)
        s.unlock_failed.connect(self.lock_page.show_error)
        self.lock_page.unlock_requested.connect(s.unlock)
        self.lock_page.sign_out_requested.connect(s.sign_out)
        q.hall_loaded.connect(self._on_hall_loaded)
        q.snapshot_changed.connect(self._show_snapshot)
        q.action_failed.connect(lambda m: self._say(m, error=True))
        q.ticket_called.connect(self._on_called)
        q.link_changed.connect(self._on_link_changed)
        q.ticket_recalled.connect(lambda t: self._announce(t, self.tr("已重呼 {n}")))
        q.ticket_no_show.connect(self._on_no_show)
        q.ticket_reactivated.connect(lambda t: self._say(self.tr("{n} 已激活，重新等候").format(n=t.number)))
        q.ticket_started.connect(lambda t: self._say(self.tr("{n} 开始办理").format(n=t.number)))
        q.ticket_finished.connect(lambda t: self._say(self.tr("{n} 已办结").format(n=t.number)))
        q.ticket_transferred.connect(self._on_transferred)
        q.ticket_held.connect(lambda t: self._say(self.tr("{n} 已挂起").format(n=t.number)))
        q.ticket_returned.connect(lambda t: self._say(self.tr("{n} 已恢复办理").format(n=t.number)))
        q.queue_empty.connect(lambda: self._say(self.tr("当前没有等候的号")))
        q.window_paused.connect(lambda: self._say(self.tr("已暂停服务")))
        q.window_resumed.connect(lambda: self._say(self.tr("已恢复服务")))
        q.help_answered.connect(lambda: self._say(self.tr("已应答协助请求：请到取号机处协助申请人")))
        self.announcer.flash_requested.connect(self._flash)

    def _connect_counter_page(self) -> None:
        page = self.page()
        q = self.queue
        for name, action in self.actions_by_name.items():
            # window-side handlers where the action needs input from the page,
            # otherwise the queue service's method of the same name
            action.triggered.connect(getattr(self, f"_do_{name}", None) or getattr(q, name))
            self.addAction(action)
        page.held_chosen.connect(q.return_held)
        page.no_show_chosen.connect(q.reactivate)
        page.help_answered.connect(q.answer_help)

    # -- session -----------------------------------------------------------------------

    def show_sign_in(self, windows: list[WindowInfo], preferred: int | None,
                     bound: int | None = None) -> None:
        """The sign-in page; ``bound``: the window this PC's hall token is bound to, the
        only one it may choose."""
        self.sign_in_page.set_windows(windows, preferred, bound)
        self.sign_in_page.reset()
        self.stack.setCurrentWidget(self.sign_in_page)
        self._update_actions()

    def _on_signed_in(self, clerk: Clerk, window: int, snapshot: WindowSnapshot) -> None:
        page = self.page()
        self.queue.attach(clerk.username, window, snapshot)
        self.clerk_label.setText(self.tr("{name} · {n} 号窗口").format(name=clerk.display_name, n=window))
        self.stack.setCurrentWidget(page)
        self._say(self.tr("签到成功，欢迎 {name}").format(name=clerk.display_name))
        self._update_actions()

    def _on_signed_out(self) -> None:
        self.queue.detach()
        self.clerk_label.clear()
        self.window_state_label.setText(self.tr("未签到"))
        if self.counter_page is not None:       # the window display says nothing stale
            self.counter_page.show_number(None)
            self.counter_page.show_display(" ", "idle")
            self.counter_page.state_banner.hide()
        self.sign_in_page.reset()
        self.stack.setCurrentWidget(self.sign_in_page)
        self._update_actions()

    def _on_unlocked(self) -> None:
        self.stack.setCurrentWidget(self.page())
        self._update_actions()

    def _on_locked(self, reason: str) -> None:
        who = self.session.clerk.display_name if self.session.clerk else ""
        self.lock_page.prepare(who, reason)
        self.stack.setCurrentWidget(self.lock_page)
        self._update_actions()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress):
            self.session.note_activity()
        return False

    # -- showing state -----------------------------------------------------------------

    def _on_hall_loaded(self, services: list[Service], windows: list[WindowInfo]) -> None:
        if self.queue.snapshot:
            self._show_snapshot(self.queue.snapshot)

    def _show_snapshot(self, snap: WindowSnapshot) -> None:
        page = self.page()
        ticket = snap.current
        if ticket is None:
            page.show_number(None)
            page.ticket_info.setText(self.tr("尚未呼叫") if not snap.held else self.tr("有挂起的号"))
            page.ticket_wait.clear()
        else:
            page.show_number(ticket.number)
            page.ticket_info.setText(self._describe(ticket))
            page.ticket_wait.setText(waited_text(ticket))
        paused = snap.state in ("paused", "manual")
        state_text = (self.tr("手工接待") if snap.state == "manual"
                      else self.tr("暂停服务") if paused else self.tr("服务中"))
        self.window_state_label.setText(state_text)
        self.window_state_label.setProperty("paused", "true" if paused else "false")
        self.lock_page.show_window_state(state_text, snap.state == "paused")
        self._show_link(snap)
        self._show_display(snap)
        page.show_help_calls(snap.help_calls)
        self.window_state_label.style().polish(self.window_state_label)
        if snap.link in ("offline", "refused"):     # keep the last counts seen; say they are stale
            page.waiting_total.setText(self.tr("大厅服务器中断：等候人数暂时无法更新"))
        else:
            page.waiting_model.set_counts(self.queue.services, snap.waiting)
            page.waiting_total.setText(self.tr("共 {n} 人等候").format(n=page.waiting_model.total()))
        page.fill_list(page.held_list, snap.held, self.queue.service_name)
        page.fill_list(page.no_show_list, snap.no_shows, self.queue.service_name)
        self._update_actions()

    def _show_display(self, snap: WindowSnapshot) -> None:
        """The window display (窗口屏) and the paused banner follow the window's state: after
        过号, 转移, 办结 or 暂停 nobody is sent to this window for a ticket it has let go."""
        page = self.page()
        ticket, window = snap.current, snap.window
        if ticket is not None and ticket.state is TicketState.CALLED:
            text = display_text(self.announcer.template, ticket.number, window)
            page.show_display(text, "call")
        elif ticket is not None:
            page.show_display(self.tr("{n} 号窗口 · 正在办理 {t}").format(n=window, t=ticket.number), "call")
        elif snap.state == "paused":
            page.show_display(self.tr("{n} 号窗口 · 暂停服务").format(n=window), "paused")
        else:
            page.show_display(self.tr("{n} 号窗口 · 请等候叫号").format(n=window), "idle")
        if snap.state == "paused":
            keys = self.actions_by_name["pause"].shortcut().toString()
            page.state_banner.setText(self.tr("暂停服务中 — 不叫号；按 {key} 恢复服务").format(key=keys))
            page.state_banner.setProperty("tone", "paused")
        elif snap.state == "manual":
            why = (self.tr("大厅服务器不认本机（令牌已停用或更换），请联系信息管理员")
                   if snap.link == "refused" else self.tr("大厅服务器不可用"))
            page.state_banner.setText(self.tr(
                "手工接待：{why}。申请人手中有号的，输入号码后按「指定呼叫」；"
                "无号来访不填号码直接按「指定呼叫」；办完按「办结」").format(why=why))
            page.state_banner.setProperty("tone", "manual")
        page.state_banner.setVisible(snap.state in ("paused", "manual"))
        page.state_banner.style().polish(page.state_banner)

    def _show_link(self, snap: WindowSnapshot) -> None:
        """Where the queue lives and whether it answers; manual mode stands out."""
        if not snap.link:
            text, style = self.tr("队列：{src}").format(src=self.queue.source_label), ""
        elif snap.link == "online" and snap.state != "manual":
            text, style = self.tr("队列：大厅服务器 · 已连接"), "color: #1e8449;"
        else:
            text = (self.tr("队列：大厅服务器中断 · 手工接待") if snap.link == "offline"
                    else self.tr("队列：大厅服务器不认本机（令牌已停用或更换）· 手工接待 · 请联系信息管理员")
                    if snap.link == "refused"
                    else self.tr("队列：大厅服务器 · 手工接待未办结"))
            style = "background: #c0392b; color: white; font-weight: bold; padding: 2px 8px;"
        if snap.pending:
            text += self.tr("（待补传 {n}）").format(n=snap.pending)
        self.aside_button.setText(self.tr("手工接待需处理 {n} 条").format(n=snap.aside))
        self.aside_button.setVisible(snap.aside > 0)
        self.source_label.setText(text)
        self.source_label.setStyleSheet(style)

    def open_manual_review(self) -> None:
        """The hand-recorded services the hall server refused: 修改 / 作废 each."""
        from .manual_review import ManualReviewDialog

        if self._manual_review is None:
            self._manual_review = ManualReviewDialog(self.queue, self)
            mark_like(self._manual_review, self)
        assert isinstance(self._manual_review, ManualReviewDialog)
        self._manual_review.open_and_load()

    def _on_called(self, ticket: Ticket) -> None:
        if ticket.id < 0:     # manual mode: the clerk receives the applicant by hand
            self._say(self.tr("手工接待 {n}：办完请按「办结」").format(n=ticket.number))
            return
        self._announce(ticket, self.tr("已呼叫 {n}"))

    def _on_link_changed(self, online: bool) -> None:
        snap = self.queue.snapshot
        if online:
            self._say(self.tr("大厅服务器已恢复连接，手工接待记录会自动补传"))
        elif snap is not None and snap.link == "refused":
            self._say(self.tr("大厅服务器不认本机的令牌（已停用或更换）：已转为手工接待，请联系信息管理员。"
                              "申请人手中有号的，输入号码后按「指定呼叫」"), error=True)
        else:
            self._say(self.tr("大厅服务器连接中断：已转为手工接待。请输入申请人手中的号码后按「指定呼叫」，"
                              "无号来访不填号码直接按「指定呼叫」"), error=True)

    def _describe(self, t: Ticket) -> str:
        if t.id < 0:
            return self.tr("手工接待 · {state}").format(state=self.tr(STATE_LABELS[t.state]))
        parts = [self.queue.service_name(t.service), self.tr(STATE_LABELS[t.state])]
        if t.appointment_time:
            parts.append(self.tr("预约 {time}").format(time=t.appointment_time))
        elif t.priority and t.reason:
            parts.append(self.tr("{label}（{reason}）").format(label=self.tr(t.priority.label),
                                                             reason=self.tr(t.reason)))
        elif t.priority:
            parts.append(self.tr(t.priority.label))
        if t.id_masked:
            parts.append(self.tr("刷卡取号 {masked}").format(masked=t.id_masked))
        if t.state is TicketState.CALLED:
            parts.append(self.tr("重呼 {k}/{n}").format(k=t.recalls, n=self.config["queue.recall_limit"]))
        return " · ".join(parts)

    def _update_actions(self) -> None:
        if self.counter_page is None:
            return
        on_counter = self.stack.currentWidget() is self.counter_page
        snap = self.queue.snapshot
        state = snap.current.state if snap and snap.current else None
        paused = bool(snap and snap.state == "paused")
        manual = bool(snap and snap.state == "manual")
        enabled = {
            "call_next": state is None and not paused and not manual,
            "call_specific": state is None and not paused,
            "recall": state is TicketState.CALLED,
            "no_show": state is TicketState.CALLED,
            "start": state is TicketState.CALLED,
            "finish": state is TicketState.SERVING,
            "transfer": state in (TicketState.CALLED, TicketState.SERVING) and not manual,
            "hold": not manual and (state is TicketState.SERVING
                                    or (state is None and bool(snap and snap.held))),
            "pause": state is None and not manual,
            "reactivate": not manual,
            "lock": True,
            "intake": True,
            "cases": True,
            "sync": True,
            "outbox": True,
            "supervisor": True,
        }
        for name, action in self.actions_by_name.items():
            action.setEnabled(on_counter and enabled[name])

    def why_not(self, name: str) -> str:
        """Why the action ``name`` cannot run now, in the clerk's words (for a key pressed
        where its button cannot be seen)."""
        if self.stack.currentWidget() is not self.counter_page:
            return self.tr("请先在窗口叫号界面签到或解锁")
        snap = self.queue.snapshot
        current = snap.current if snap else None
        if snap is not None and snap.state == "manual":
            return self.tr("大厅服务器未连接，正在手工接待")
        if snap is not None and snap.state == "paused" and name in ("call_next", "call_specific"):
            return self.tr("窗口已暂停，按 {key} 恢复").format(
                key=self.actions_by_name["pause"].shortcut().toString())
        if current is not None and name in ("call_next", "call_specific", "pause"):
            return self.tr("{n} 还在办理：请先办结、过号或转移").format(n=current.number)
        if name in ("recall", "no_show", "start"):
            return self.tr("没有已呼叫、待开始的号")
        if current is not None and current.state is TicketState.CALLED and name in ("finish", "hold"):
            return self.tr("{n} 还没有开始办理（{key}）").format(
                n=current.number, key=self.actions_by_name["start"].shortcut().toString())
        return self.tr("当前没有正在办理的号")

    def _say(self, message: str, error: bool = False) -> None:
        self.said.emit(message, error)
        self.message_label.setText(message)
        if bool(self.message_label.property("error")) != error:
            self.message_label.setProperty("error", error)
            self.message_label.style().polish(self.message_label)

    def _show_message_line(self, _index: int = 0) -> None:
        """The message line belongs to the counter page: the sign-in page says its own
        errors, and a locked screen shows nothing of the last applicant."""
        page = self.stack.currentWidget()
        self.message_label.setVisible(page is not None and page is self.counter_page)
        if page is self.lock_page:
            self._say("")

    def _tick(self) -> None:
        self.clock_label.setText(QDateTime.currentDateTime().toString("yyyy-MM-dd HH:mm:ss"))

    # -- announcement ------------------------------------------------------------------

    def _announce(self, ticket: Ticket, message: str) -> None:
        self._say(message.format(n=ticket.number))
        if self.queue.window is not None:
            self.announcer.announce(ticket.number, self.queue.window)

    def _on_no_show(self, ticket: Ticket, automatic: bool) -> None:
        if automatic:
            self._say(self.tr("{n} 已达重呼上限，自动过号").format(n=ticket.number))
        else:
            self._say(self.tr("{n} 已过号").format(n=ticket.number))

    def _flash(self, text: str) -> None:
        page = self.page()
        page.show_display(text, "call")
        self._flasher.flash(page.ticket_number)

    # -- action handlers ---------------------------------------------------------------

    def _do_transfer(self) -> None:
        """F6: choose where the ticket goes (never its own queue), Enter transfers."""
        ticket = self.queue.current
        if ticket is None:
            self._say(self.tr("当前没有正在呼叫或办理的号"), error=True)
            return
        from .transfer_chooser import TransferChooser

        if self._chooser is None:
            self._chooser = TransferChooser(self)
            mark_like(self._chooser, self)
            self._chooser.target_chosen.connect(self._transfer_to)
            self._chooser.finished.connect(lambda _r: self.activateWindow())   # keys come back here
        if not self._chooser.offer(ticket.number, ticket.service, self.queue.window,
                                   self.queue.services, self.queue.windows):
            self._say(self.tr("没有可以转去的业务或窗口"), error=True)
            return
        self._chooser.open()

    def _transfer_to(self, target: TransferTarget, raised: bool) -> None:
        self._transfer_label = target.label
        self.queue.transfer(target.service, target.window, raised)

    def _on_transferred(self, ticket: Ticket) -> None:
        where = self._transfer_label or (
            self.tr("{n} 号窗口").format(n=ticket.target_window) if ticket.target_window
            else self.queue.service_name(ticket.service))
        self._transfer_label = ""
        self._say(self.tr("{n} 已转到 {where}").format(n=ticket.number, where=where))

    def _do_hold(self) -> None:
        page = self.page()
        snap = self.queue.snapshot
        if snap and snap.current is None and snap.held:
            item = page.held_list.currentItem() or page.held_list.item(0)
            self.queue.return_held(int(item.data(Qt.ItemDataRole.UserRole)))
        else:
            self.queue.hold()

    def _do_pause(self) -> None:
        self.queue.toggle_pause()

    def _do_call_specific(self) -> None:
        page = self.page()
        snap = self.queue.snapshot
        by_hand = snap is not None and snap.link in ("offline", "refused")
        if not page.number_edit.text().strip() and not by_hand:
            self._ask_for_number(self.tr("请输入要呼叫的号码，再按 F9"))   # (by hand: a walk-in)
            return
        self.queue.call_specific(page.number_edit.text())
        page.number_edit.clear()

    def _do_reactivate(self) -> None:
        page = self.page()
        number = page.number_edit.text().strip()
        if not number and page.no_show_list.currentItem() is not None:
            number = page.no_show_list.currentItem().text().split()[0]
        if not number:
            self._ask_for_number(self.tr("请输入要激活的过号号码（或在过号列表中选中），再按 F10"))
            return
        self.queue.reactivate(number)
        page.number_edit.clear()

    def _ask_for_number(self, text: str) -> None:
        """F9 / F10 with no number: the cursor goes to 指定号码, so what the clerk types
        next lands there instead of nowhere."""
        self.page().number_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._say(text)

    def _do_intake(self) -> None:
        current = self.queue.current
        self.intake_requested.emit(current.number if current else "")

    def use_simulated_platform(self, name: str) -> None:
        """The platform is the bundled simulator (培训平台 / 演示平台): named so, never green."""
        self.platform_name = name
        if self._sync_status is not None:
            self.show_sync_status(self._sync_status)

    def _do_outbox(self) -> None:
        self.outbox_requested.emit()

    def _do_sync(self) -> None:
        self.sync_requested.emit()

    def show_sync_status(self, status: dict[str, Any]) -> None:
        """Always-visible platform state (在线 / 离线 / 平台异常) and the upload backlog.
        Green only for a real platform that answers; 未配置 is grey, the training or demo
        simulator blue."""
        self._sync_status = status
        names = {"online": self.tr("在线"), "offline": self.tr("离线"), "error": self.tr("平台异常"),
                 "not_configured": self.tr("未配置")}
        connection = status["connection"]
        text = self.tr("{platform}：{state} · 待上传 {n}").format(
            platform=self.platform_name, state=names.get(connection, self.tr("状态未知")),
            n=status["pending"])
        if status["attention"]:
            text += self.tr(" · 需处理 {n}").format(n=status["attention"])
        warn_s = float(self.config["sync.warn_after_minutes"]) * 60
        late = status.get("oldest_pending_s") is not None and status["oldest_pending_s"] > warn_s
        if late:
            text += self.tr(" · 有办件超过 {m} 分钟未上传").format(m=int(warn_s // 60))
        simulated = self.platform_name != self.tr("平台")
        colour = ("#c0392b" if late or status["attention"] or connection == "error"
                  else "#b9770e" if connection == "offline"
                  else "#7f8c8d" if connection == "not_configured"
                  else "#2874a6" if simulated
                  else "#1e8449" if connection == "online" else "#7f8c8d")
        self.sync_label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.sync_label.setText(text)
        self.sync_label.setToolTip(status.get("message") or "")

    def _do_cases(self) -> None:
        self.cases_requested.emit()

    def _do_supervisor(self) -> None:
        self.supervisor_requested.emit()

    def show_scan(self, code: str) -> None:
        """A ticket number scanned at the counter goes to the number field, ready for F9/F10."""
        page = self.page()
        page.number_edit.setText(code)
        self._say(self.tr("已扫描排队号 {n}，按 F9 呼叫或 F10 激活").format(n=code))

    def _do_lock(self) -> None:
        self.session.lock("manual")

    def closeEvent(self, event: QCloseEvent) -> None:
        _qapp().removeEventFilter(self)
        self.session.sign_out()
        super().closeEvent(event)
