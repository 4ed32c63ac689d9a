"""The counter page: current ticket, queue buttons, waiting counts, held and no-show lists.

Built after the window's first paint (see CounterWindow.ensure_counter_page) so that the
sign-in page appears without waiting for these widget classes to load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.hall import HelpCall
from hallclient.core.tickets import Ticket

from .models import WaitingModel

if TYPE_CHECKING:
    from .counter_window import CounterWindow

ACTIONS: tuple[tuple[str, str, str], ...] = (
    # (name, label, config key of the shortcut)
    ("call_next", "呼叫下一位", "keys.call_next"),
    ("recall", "重呼", "keys.recall"),
    ("no_show", "过号", "keys.no_show"),
    ("start", "开始办理", "keys.start"),
    ("finish", "办结", "keys.finish"),
    ("transfer", "转移", "keys.transfer"),
    ("hold", "挂起/恢复", "keys.hold"),
    ("pause", "暂停/恢复", "keys.pause"),
    ("call_specific", "指定呼叫", "keys.call_specific"),
    ("reactivate", "激活过号", "keys.reactivate"),
    ("lock", "锁屏", "keys.lock"),
    ("intake", "受理", "keys.intake"),
    ("cases", "办件查询", "keys.cases"),
    ("sync", "立即同步", "keys.sync"),
    ("outbox", "待上传队列", "keys.outbox"),
    ("supervisor", "值班长日报", "keys.supervisor"),
)


GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # the buttons in groups, so that they do not all look alike; 呼叫下一位 leads
    ("叫号", ("recall", "no_show", "call_specific", "reactivate")),
    ("办理", ("start", "finish", "transfer", "hold")),
    ("窗口", ("pause", "lock")),
    ("其他", ("intake", "cases", "outbox", "sync", "supervisor")),
)


log = logging.getLogger(__name__)


class CounterPage(QWidget):
    """Signals: held_chosen(int ticket id) to take back, no_show_chosen(str number) to
    activate: a double click or Enter on the lists."""

    held_chosen = Signal(int)
    no_show_chosen = Signal(str)
    help_answered = Signal(int)       # the kiosk call (its seq) this clerk goes to

    def __init__(self, window: CounterWindow) -> None:
        super().__init__(window)
        self.actions_by_name: dict[str, QAction] = {}
        self.state_banner = QLabel()          # 暂停服务 / 手工接待: impossible to miss
        self.state_banner.setObjectName("stateBanner")
        self.state_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state_banner.setWordWrap(True)
        self.state_banner.hide()
        # a kiosk's 请工作人员协助: on every counter until one clerk goes
        self.help_banner = QWidget()
        self.help_banner.setObjectName("helpBanner")
        self.help_banner.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        help_row = QHBoxLayout(self.help_banner)
        help_row.setContentsMargins(8, 4, 8, 4)
        self.help_text = QLabel()
        self.help_text.setObjectName("helpText")
        self.help_text.setTextFormat(Qt.TextFormat.PlainText)    # a kiosk's words, never markup
        self.help_text.setWordWrap(True)
        self.help_answer = QPushButton(self.tr("我去协助"))
        self.help_answer.setObjectName("helpAnswer")
        self.help_answer.clicked.connect(self._answer_help)
        help_row.addWidget(self.help_text, 1)
        help_row.addWidget(self.help_answer)
        self.help_banner.hide()
        self._help_calls: tuple[HelpCall, ...] = ()
        self.ticket_number = QLabel()
        self.ticket_number.setObjectName("ticketNumber")
        self.ticket_number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ticket_info = QLabel(self.tr("尚未呼叫"))
        self.ticket_info.setObjectName("ticketInfo")
        self.ticket_info.setTextFormat(Qt.TextFormat.PlainText)
        self.ticket_info.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ticket_info.setWordWrap(True)
        self.ticket_wait = QLabel()           # 已等候 12 分钟: how long the applicant waited
        self.ticket_wait.setObjectName("ticketWait")
        self.ticket_wait.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display_text = QLabel(" ")
        self.display_text.setObjectName("displayText")
        self.display_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display_text.setToolTip(self.tr("窗口屏显示内容"))
        self.show_number(None)
        current = QGroupBox(self.tr("当前号码"))
        cur_layout = QVBoxLayout(current)
        cur_layout.addWidget(self.ticket_number, 1)
        cur_layout.addWidget(self.ticket_info)
        cur_layout.addWidget(self.ticket_wait)
        cur_layout.addWidget(QLabel(self.tr("窗口屏：")))
        cur_layout.addWidget(self.display_text)

        for name, label, key in ACTIONS:
            action = QAction(self.tr(label), window)
            action.setObjectName(name)
            shortcut = QKeySequence(str(window.config[key]))
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            # the button shows the action's icon text: the label and its keypad key
            action.setIconText(f"{self.tr(label)}\n{shortcut.toString()}")
            self.actions_by_name[name] = action
        self.buttons: dict[str, QToolButton] = {}
        primary = self._button("call_next")
        primary.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        groups = QGridLayout()
        groups.addWidget(primary, 0, 0, 2, 1)
        places = {"叫号": (0, 1, 1, 2), "办理": (1, 1, 1, 2), "窗口": (2, 0, 1, 1), "其他": (2, 1, 1, 2)}
        for i, (title, names) in enumerate(GROUPS):
            box = QGroupBox(self.tr(title))
            box.setObjectName(f"group_{i}")
            row = QHBoxLayout(box)
            row.setContentsMargins(4, 2, 4, 4)
            for name in names:
                row.addWidget(self._button(name))
            groups.addWidget(box, *places[title])
        groups.setColumnStretch(0, 2)
        groups.setColumnStretch(1, 3)
        groups.setColumnStretch(2, 3)

        self.number_edit = QLineEdit()
        self.number_edit.setPlaceholderText(self.tr("号码，如 A023"))
        self.number_edit.setMaximumWidth(200)
        tools = QHBoxLayout()
        tools.addWidget(QLabel(self.tr("指定号码（F9 呼叫 / F10 激活）：")))
        tools.addWidget(self.number_edit)
        tools.addStretch(1)

        left = QVBoxLayout()
        left.addWidget(self.state_banner)
        left.addWidget(self.help_banner)
        left.addWidget(current, 1)
        left.addLayout(groups)
        left.addLayout(tools)

        self.waiting_model = WaitingModel(self)
        self.waiting_view = QTableView()
        self.waiting_view.setModel(self.waiting_model)
        self.waiting_view.verticalHeader().hide()
        header = self.waiting_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):      # narrow columns as wide as their contents, names get the rest
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.waiting_view.setWordWrap(True)     # a long name wraps, whole, in a taller row
        self.waiting_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.waiting_view.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.waiting_view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.waiting_view.setTabKeyNavigation(False)    # one Tab stop, not a trap cell by cell
        self.waiting_total = QLabel()
        self.held_list = QListWidget()
        self.no_show_list = QListWidget()
        right = QVBoxLayout()
        right.addWidget(QLabel(self.tr("等候情况")))
        right.addWidget(self.waiting_view, 3)
        right.addWidget(self.waiting_total)
        for widget in (self.held_list, self.no_show_list):
            widget.itemDoubleClicked.connect(self._chosen)
            widget.installEventFilter(self)       # Enter as well as a double click
        right.addWidget(self._list_label(self.tr("本窗口挂起(&H)（双击或回车恢复）"), self.held_list))
        right.addWidget(self.held_list, 1)
        right.addWidget(self._list_label(self.tr("过号(&G)（双击或回车激活）"), self.no_show_list))
        right.addWidget(self.no_show_list, 1)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

    @staticmethod
    def _list_label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        label.setWordWrap(True)         # (a narrow counter: the label wraps, the window fits)
        return label

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (isinstance(watched, QListWidget) and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            item = watched.currentItem()
            if item is not None:
                self._chosen(item)
                return True
        return super().eventFilter(watched, event)

    def _chosen(self, item: QListWidgetItem) -> None:
        if item.listWidget() is self.held_list:
            self.held_chosen.emit(int(item.data(Qt.ItemDataRole.UserRole)))
        else:
            self.no_show_chosen.emit(item.text().split()[0])

    def _button(self, name: str) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(self.actions_by_name[name])
        button.setObjectName(f"button_{name}")
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.buttons[name] = button
        return button

    def show_help_calls(self, calls: tuple[HelpCall, ...]) -> None:
        """Kiosks asking for staff (the oldest first), or nothing."""
        self._help_calls = calls
        if not calls:
            self.help_banner.hide()
            return
        first = calls[0]
        where = first.place or (first.device if first.device != "kiosk" else "")
        text = (self.tr("取号机（{where}）").format(where=where) if where else self.tr("取号机")) + \
            self.tr("{time} 请求工作人员协助").format(time=first.at[11:16])
        if len(calls) > 1:
            text += self.tr("（另有 {n} 处）").format(n=len(calls) - 1)
        self.help_text.setText(text)
        self.help_banner.show()

    def _answer_help(self) -> None:
        if self._help_calls:
            self.help_answered.emit(self._help_calls[0].seq)

    def show_number(self, number: str | None) -> None:
        """The big number; none called shows a quiet 未叫号, not a bold bar."""
        self.ticket_number.setText(self.tr("未叫号") if number is None else number)
        self.ticket_number.setProperty("empty", "true" if number is None else "false")
        self.ticket_number.style().polish(self.ticket_number)

    def is_empty(self) -> bool:
        return bool(self.ticket_number.property("empty") == "true")

    def show_display(self, text: str, tone: str) -> None:
        """What the window's own display (窗口屏) shows: the call, 暂停服务 or idle; logged
        when it changes, as a real LED display's content would be, so support (and the
        end-to-end tests) can tell what it said."""
        if text != self.display_text.text():
            log.info("window display: %s", text.strip() or "(blank)")
        self.display_text.setText(text)
        self.display_text.setProperty("tone", tone)
        self.display_text.style().polish(self.display_text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Sizes from the screen: the big number follows the window's height."""
        super().resizeEvent(event)
        height = max(event.size().height(), 1)
        number_px = max(48, min(220, height // 7))
        empty_px = number_px // 2
        self.ticket_number.setStyleSheet(
            f"QLabel#ticketNumber {{ font-size: {number_px}px; }}"
            f" QLabel#ticketNumber[empty=\"true\"] {{ font-size: {empty_px}px; }}")
        strip_px = max(16, min(48, height // 30))
        self.display_text.setStyleSheet(f"font-size: {strip_px}px;")
        # the buttons grow with the window, never past what their rows have room for
        button_px = max(13, min(28, height // 48, event.size().width() // 72))
        for name, button in self.buttons.items():
            size = button_px + 8 if name == "call_next" else button_px
            button.setStyleSheet(f"font-size: {size}px;")

    def fill_list(self, widget: QListWidget, tickets: tuple[Ticket, ...],
                  service_name: Callable[[str], str]) -> None:
        widget.clear()
        for t in tickets:
            item = QListWidgetItem(f"{t.number}  {service_name(t.service)}")
            item.setData(Qt.ItemDataRole.UserRole, t.id)
            widget.addItem(item)
