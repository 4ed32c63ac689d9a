"""The counter window (窗口叫号主界面): the clerk's screen all day."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hallclient.config import Config
from hallclient.core.accounts import Clerk
from hallclient.core.tickets import STATE_LABELS, Ticket, TicketState
from hallclient.devices.speech import Announcer
from hallclient.queue.base import WindowSnapshot
from hallclient.services.queue_service import QueueService
from hallclient.services.session import SessionService
from hallclient.store.hall_repo import Service, WindowInfo

from .models import WaitingModel
from .pages import LockPage, SignInPage

STYLE = """
QLabel#pageTitle { font-size: 26px; font-weight: bold; margin: 12px; }
QLabel#errorText { color: #c0392b; }
QLabel#ticketNumber { font-size: 96px; font-weight: bold; color: #1a5276; }
QLabel#ticketNumber[flash="true"] { color: #ffffff; background: #c0392b; }
QLabel#ticketInfo { font-size: 20px; }
QLabel#displayText { font-size: 18px; color: #b03a2e; border: 1px solid #d5d8dc;
                     background: #111; color: #f5b041; padding: 6px; font-family: monospace; }
QLabel#windowState { font-size: 16px; font-weight: bold; padding: 2px 10px; }
QLabel#windowState[paused="true"] { background: #f5b041; }
QToolButton { min-height: 54px; min-width: 120px; font-size: 15px; }
"""

ACTIONS: tuple[tuple[str, str, str], ...] = (
    # (name, label, config key of the shortcut)
    ("call_next", "呼叫下一位", "keys.call_next"),
    ("recall", "重呼", "keys.recall"),
    ("no_show", "过号", "keys.no_show"),
    ("start", "开始办理", "keys.start"),
    ("finish", "办结", "keys.finish"),
    ("transfer", "转移", "keys.transfer"),
    ("hold", "挂起/恢复", "keys.hold"),
    ("pause", "暂停/恢复服务", "keys.pause"),
    ("call_specific", "指定呼叫", "keys.call_specific"),
    ("reactivate", "激活过号", "keys.reactivate"),
    ("lock", "锁屏", "keys.lock"),
)


class CounterWindow(QMainWindow):
    def __init__(self, config: Config, session: SessionService, queue: QueueService,
                 announcer: Announcer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.session = session
        self.queue = queue
        self.announcer = announcer
        self.actions_by_name: dict[str, QAction] = {}
        self.setWindowTitle(self.tr("hallclient 窗口叫号 — {hall}").format(hall=config["hall.name"]))
        self.setStyleSheet(STYLE)
        self.resize(1180, 760)

        self.stack = QStackedWidget()
        self.sign_in_page = SignInPage(config["hall.name"])
        self.counter_page = self._build_counter_page()
        self.lock_page = LockPage()
        for page in (self.sign_in_page, self.counter_page, self.lock_page):
            self.stack.addWidget(page)
        self.setCentralWidget(self.stack)
        self._build_status_bar()
        self._flash_left = 0
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(250)
        self._flash_timer.timeout.connect(self._flash_step)
        self._connect()
        self._update_actions()
        QApplication.instance().installEventFilter(self)

    # -- construction ------------------------------------------------------------------

    def _build_counter_page(self) -> QWidget:
        page = QWidget()
        self.ticket_number = QLabel("—")
        self.ticket_number.setObjectName("ticketNumber")
        self.ticket_number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ticket_info = QLabel(self.tr("尚未呼叫"))
        self.ticket_info.setObjectName("ticketInfo")
        self.ticket_info.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display_text = QLabel(" ")
        self.display_text.setObjectName("displayText")
        self.display_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display_text.setToolTip(self.tr("窗口屏显示内容"))
        self.display_text.setFixedHeight(48)
        current = QGroupBox(self.tr("当前号码"))
        cur_layout = QVBoxLayout(current)
        cur_layout.addWidget(self.ticket_number)
        cur_layout.addWidget(self.ticket_info)
        cur_layout.addWidget(self.display_text)

        buttons = QGridLayout()
        for i, (name, label, key) in enumerate(ACTIONS):
            action = QAction(self.tr(label), self)
            action.setObjectName(name)
            shortcut = QKeySequence(str(self.config[key]))
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(getattr(self, f"_do_{name}"))
            self.addAction(action)
            self.actions_by_name[name] = action
            button = QToolButton()
            button.setDefaultAction(action)
            button.setText(f"{self.tr(label)}\n{shortcut.toString()}")
            button.setObjectName(f"button_{name}")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button, i // 6, i % 6)

        self.number_edit = QLineEdit()
        self.number_edit.setPlaceholderText(self.tr("号码，如 A023"))
        self.number_edit.setMaximumWidth(160)
        self.transfer_target = QComboBox()
        self.transfer_raise = QCheckBox(self.tr("优先（排到最前）"))
        tools = QHBoxLayout()
        tools.addWidget(QLabel(self.tr("指定号码：")))
        tools.addWidget(self.number_edit)
        tools.addSpacing(24)
        tools.addWidget(QLabel(self.tr("转移到：")))
        tools.addWidget(self.transfer_target, 1)
        tools.addWidget(self.transfer_raise)

        left = QVBoxLayout()
        left.addWidget(current, 1)
        left.addLayout(buttons)
        left.addLayout(tools)

        self.waiting_model = WaitingModel(self)
        self.waiting_view = QTableView()
        self.waiting_view.setModel(self.waiting_model)
        self.waiting_view.verticalHeader().hide()
        self.waiting_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.waiting_view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.waiting_total = QLabel()
        self.held_list = QListWidget()
        self.no_show_list = QListWidget()
        right = QVBoxLayout()
        right.addWidget(QLabel(self.tr("等候情况")))
        right.addWidget(self.waiting_view, 3)
        right.addWidget(self.waiting_total)
        right.addWidget(QLabel(self.tr("本窗口挂起（双击恢复）")))
        right.addWidget(self.held_list, 1)
        right.addWidget(QLabel(self.tr("过号（双击激活）")))
        right.addWidget(self.no_show_list, 1)

        layout = QHBoxLayout(page)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)
        return page

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.message_label = QLabel()
        self.clerk_label = QLabel()
        self.window_state_label = QLabel()
        self.window_state_label.setObjectName("windowState")
        self.source_label = QLabel(self.tr("队列：{src}").format(src=self.queue.source_label))
        self.clock_label = QLabel()
        bar.addWidget(self.message_label, 1)
        for w in (self.clerk_label, self.window_state_label, self.source_label, self.clock_label):
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
        s.unlocked.connect(lambda: self.stack.setCurrentWidget(self.counter_page))
        s.unlock_failed.connect(self.lock_page.show_error)
        self.lock_page.unlock_requested.connect(s.unlock)
        self.lock_page.sign_out_requested.connect(s.sign_out)
        q.hall_loaded.connect(self._on_hall_loaded)
        q.snapshot_changed.connect(self._show_snapshot)
        q.action_failed.connect(lambda m: self._say(m, error=True))
        q.ticket_called.connect(lambda t: self._announce(t, self.tr("已呼叫 {n}")))
        q.ticket_recalled.connect(lambda t: self._announce(t, self.tr("已重呼 {n}")))
        q.ticket_no_show.connect(self._on_no_show)
        q.ticket_reactivated.connect(lambda t: self._say(self.tr("{n} 已激活，重新等候").format(n=t.number)))
        q.ticket_started.connect(lambda t: self._say(self.tr("{n} 开始办理").format(n=t.number)))
        q.ticket_finished.connect(lambda t: self._say(self.tr("{n} 已办结").format(n=t.number)))
        q.ticket_transferred.connect(lambda t: self._say(self.tr("{n} 已转移").format(n=t.number)))
        q.ticket_held.connect(lambda t: self._say(self.tr("{n} 已挂起").format(n=t.number)))
        q.ticket_returned.connect(lambda t: self._say(self.tr("{n} 已恢复办理").format(n=t.number)))
        q.queue_empty.connect(lambda: self._say(self.tr("当前没有等候的号")))
        q.window_paused.connect(lambda: self._say(self.tr("已暂停服务")))
        q.window_resumed.connect(lambda: self._say(self.tr("已恢复服务")))
        self.announcer.flash_requested.connect(self._flash)
        self.held_list.itemDoubleClicked.connect(
            lambda item: q.return_held(int(item.data(Qt.ItemDataRole.UserRole))))
        self.no_show_list.itemDoubleClicked.connect(
            lambda item: q.reactivate(item.text().split()[0]))

    # -- session -----------------------------------------------------------------------

    def show_sign_in(self, windows: list[WindowInfo], preferred: int | None) -> None:
        self.sign_in_page.set_windows(windows, preferred)
        self.sign_in_page.reset()
        self.stack.setCurrentWidget(self.sign_in_page)
        self._update_actions()

    def _on_signed_in(self, clerk: Clerk, window: int, snapshot: WindowSnapshot) -> None:
        self.queue.attach(clerk.username, window, snapshot)
        self.clerk_label.setText(self.tr("{name} · {n} 号窗口").format(name=clerk.display_name, n=window))
        self.stack.setCurrentWidget(self.counter_page)
        self._say(self.tr("签到成功，欢迎 {name}").format(name=clerk.display_name))
        self._update_actions()

    def _on_signed_out(self) -> None:
        self.queue.detach()
        self.clerk_label.clear()
        self.window_state_label.setText(self.tr("未签到"))
        self.sign_in_page.reset()
        self.stack.setCurrentWidget(self.sign_in_page)
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
        self.transfer_target.clear()
        for s in services:
            self.transfer_target.addItem(self.tr("业务：{name}（{p}）").format(name=s.name, p=s.prefix),
                                         f"service:{s.code}")
        for w in windows:
            if w.number != self.queue.window:
                self.transfer_target.addItem(self.tr("窗口：{n} 号 {name}").format(n=w.number, name=w.name),
                                             f"window:{w.number}")
        if self.queue.snapshot:
            self._show_snapshot(self.queue.snapshot)

    def _show_snapshot(self, snap: WindowSnapshot) -> None:
        ticket = snap.current
        if ticket is None:
            self.ticket_number.setText("—")
            self.ticket_info.setText(self.tr("尚未呼叫") if not snap.held else self.tr("有挂起的号"))
        else:
            self.ticket_number.setText(ticket.number)
            self.ticket_info.setText(self._describe(ticket))
        paused = snap.state == "paused"
        self.window_state_label.setText(self.tr("暂停服务") if paused else self.tr("服务中"))
        self.window_state_label.setProperty("paused", "true" if paused else "false")
        self.window_state_label.style().polish(self.window_state_label)
        self.waiting_model.set_counts(self.queue.services, snap.waiting)
        self.waiting_total.setText(self.tr("共 {n} 人等候").format(n=self.waiting_model.total()))
        self._fill_list(self.held_list, snap.held)
        self._fill_list(self.no_show_list, snap.no_shows)
        self._update_actions()

    def _describe(self, t: Ticket) -> str:
        parts = [self.queue.service_name(t.service), self.tr(STATE_LABELS[t.state])]
        if t.priority:
            parts.append(self.tr(t.priority.label))
        if t.state is TicketState.CALLED:
            parts.append(self.tr("重呼 {k}/{n}").format(k=t.recalls, n=self.config["queue.recall_limit"]))
        return " · ".join(parts)

    def _fill_list(self, widget: QListWidget, tickets: tuple[Ticket, ...]) -> None:
        widget.clear()
        for t in tickets:
            item = QListWidgetItem(f"{t.number}  {self.queue.service_name(t.service)}")
            item.setData(Qt.ItemDataRole.UserRole, t.id)
            widget.addItem(item)

    def _update_actions(self) -> None:
        on_counter = self.stack.currentWidget() is self.counter_page
        snap = self.queue.snapshot
        state = snap.current.state if snap and snap.current else None
        paused = bool(snap and snap.state == "paused")
        enabled = {
            "call_next": state is None and not paused,
            "call_specific": state is None and not paused,
            "recall": state is TicketState.CALLED,
            "no_show": state is TicketState.CALLED,
            "start": state is TicketState.CALLED,
            "finish": state is TicketState.SERVING,
            "transfer": state in (TicketState.CALLED, TicketState.SERVING),
            "hold": state is TicketState.SERVING or (state is None and bool(snap and snap.held)),
            "pause": state is None,
            "reactivate": True,
            "lock": True,
        }
        for name, action in self.actions_by_name.items():
            action.setEnabled(on_counter and enabled[name])

    def _say(self, message: str, error: bool = False) -> None:
        self.message_label.setStyleSheet("color: #c0392b;" if error else "")
        self.message_label.setText(message)

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
        self.display_text.setText(text)
        self._flash_left = 8
        self._flash_timer.start()

    def _flash_step(self) -> None:
        self._flash_left -= 1
        on = self._flash_left % 2 == 1 and self._flash_left > 0
        self.ticket_number.setProperty("flash", "true" if on else "false")
        self.ticket_number.style().polish(self.ticket_number)
        if self._flash_left <= 0:
            self._flash_timer.stop()

    # -- action handlers ---------------------------------------------------------------

    def _do_call_next(self) -> None:
        self.queue.call_next()

    def _do_recall(self) -> None:
        self.queue.recall()

    def _do_no_show(self) -> None:
        self.queue.no_show()

    def _do_start(self) -> None:
        self.queue.start()

    def _do_finish(self) -> None:
        self.queue.finish()

    def _do_transfer(self) -> None:
        target = self.transfer_target.currentData()
        if target is None:
            self._say(self.tr("请选择转移目标"), error=True)
            return
        kind, _, value = str(target).partition(":")
        self.queue.transfer(value if kind == "service" else None,
                            int(value) if kind == "window" else None,
                            self.transfer_raise.isChecked())

    def _do_hold(self) -> None:
        snap = self.queue.snapshot
        if snap and snap.current is None and snap.held:
            item = self.held_list.currentItem() or self.held_list.item(0)
            self.queue.return_held(int(item.data(Qt.ItemDataRole.UserRole)))
        else:
            self.queue.hold()

    def _do_pause(self) -> None:
        self.queue.toggle_pause()

    def _do_call_specific(self) -> None:
        self.queue.call_specific(self.number_edit.text())
        self.number_edit.clear()

    def _do_reactivate(self) -> None:
        number = self.number_edit.text().strip()
        if not number and self.no_show_list.currentItem() is not None:
            number = self.no_show_list.currentItem().text().split()[0]
        self.queue.reactivate(number)
        self.number_edit.clear()

    def _do_lock(self) -> None:
        self.session.lock("manual")

    def closeEvent(self, event: Any) -> None:
        QApplication.instance().removeEventFilter(self)
        self.session.sign_out()
        super().closeEvent(event)
