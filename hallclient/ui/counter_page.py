"""The counter page: current ticket, queue buttons, waiting counts, held and no-show lists.

Built after the window's first paint (see CounterWindow.ensure_counter_page) so that the
sign-in page appears without waiting for these widget classes to load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
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
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

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
    ("pause", "暂停/恢复服务", "keys.pause"),
    ("call_specific", "指定呼叫", "keys.call_specific"),
    ("reactivate", "激活过号", "keys.reactivate"),
    ("lock", "锁屏", "keys.lock"),
    ("intake", "受理", "keys.intake"),
    ("cases", "办件查询", "keys.cases"),
    ("sync", "立即同步", "keys.sync"),
    ("outbox", "待上传队列", "keys.outbox"),
    ("supervisor", "值班长日报", "keys.supervisor"),
)


class CounterPage(QWidget):
    def __init__(self, window: CounterWindow) -> None:
        super().__init__(window)
        self.actions_by_name: dict[str, QAction] = {}
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
            action = QAction(self.tr(label), window)
            action.setObjectName(name)
            shortcut = QKeySequence(str(window.config[key]))
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            # the button shows the action's icon text: the label and its keypad key
            action.setIconText(f"{self.tr(label)}\n{shortcut.toString()}")
            self.actions_by_name[name] = action
            button = QToolButton()
            button.setDefaultAction(action)
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

        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)


    def fill_list(self, widget: QListWidget, tickets: tuple[Ticket, ...],
                  service_name: Callable[[str], str]) -> None:
        widget.clear()
        for t in tickets:
            item = QListWidgetItem(f"{t.number}  {service_name(t.service)}")
            item.setData(Qt.ItemDataRole.UserRole, t.id)
            widget.addItem(item)
