"""The sign-in and lock pages of the counter window."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.hall import WindowInfo


class SignInPage(QWidget):
    """签到: username, password and the window this clerk sits at.

    Signals: sign_in_requested(str username, str password, int window)
    """

    sign_in_requested = Signal(str, str, int)

    def __init__(self, hall_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("{hall} · 窗口签到").format(hall=hall_name))
        self.title.setObjectName("pageTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.username = QLineEdit()
        self.username.setPlaceholderText(self.tr("工号/用户名"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.window_box = QComboBox()
        self.button = QPushButton(self.tr("签到"))
        self.button.setDefault(True)
        self.message = QLabel()
        self.message.setObjectName("errorText")
        form = QFormLayout()
        form.addRow(self.tr("用户名"), self.username)
        form.addRow(self.tr("密码"), self.password)
        form.addRow(self.tr("窗口"), self.window_box)
        box = QWidget()
        box.setMaximumWidth(420)
        inner = QVBoxLayout(box)
        inner.addWidget(self.title)
        inner.addLayout(form)
        inner.addWidget(self.button)
        inner.addWidget(self.message)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)

    def set_windows(self, windows: list[WindowInfo], preferred: int | None,
                    bound: int | None = None) -> None:
        """The windows to choose from; a PC bound to one window (its hall device token)
        offers that one only."""
        self.window_box.clear()
        if bound is not None and any(w.number == bound for w in windows):
            windows = [w for w in windows if w.number == bound]
            preferred = bound
        for w in windows:
            label = self.tr("{n} 号窗口 {name}").format(n=w.number, name=w.name)
            self.window_box.addItem(label, w.number)
            if w.number == preferred:
                self.window_box.setCurrentIndex(self.window_box.count() - 1)
        self.window_box.setEnabled(bound is None)
        self.window_box.setToolTip(self.tr("本机的大厅服务器设备令牌只能用于 {n} 号窗口").format(n=bound)
                                   if bound is not None else "")

    def show_error(self, message: str) -> None:
        self.message.setText(message)
        self.button.setEnabled(True)
        self.password.selectAll()
        self.password.setFocus()

    def _submit(self) -> None:
        window = self.window_box.currentData()
        if window is None:
            self.show_error(self.tr("没有可选的窗口，请管理员先导入大厅配置"))
            return
        self.message.clear()
        self.button.setEnabled(False)
        self.sign_in_requested.emit(self.username.text(), self.password.text(), int(window))

    def reset(self) -> None:
        self.password.clear()
        self.button.setEnabled(True)


class LockPage(QWidget):
    """锁屏: hides the counter until the clerk's password is entered.

    Signals: unlock_requested(str password), sign_out_requested()
    """

    unlock_requested = Signal(str)
    sign_out_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("已锁定"))
        self.title.setObjectName("pageTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.who = QLabel()
        self.who.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.window_state = QLabel()           # 服务中 / 暂停服务: the window's own state
        self.window_state.setObjectName("lockState")
        self.window_state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("输入密码解锁"))
        self.unlock_button = QPushButton(self.tr("解锁"))
        self.sign_out_button = QPushButton(self.tr("签退（换人）"))
        self.message = QLabel()
        self.message.setObjectName("errorText")
        box = QWidget()
        box.setMaximumWidth(420)
        inner = QVBoxLayout(box)
        for w in (self.title, self.who, self.window_state, self.password, self.unlock_button,
                  self.sign_out_button, self.message):
            inner.addWidget(w)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.unlock_button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.sign_out_button.clicked.connect(self.sign_out_requested)

    def prepare(self, who: str, reason: str) -> None:
        why = self.tr("长时间无操作，已自动锁定") if reason == "idle" else self.tr("已锁定")
        self.title.setText(why)
        self.who.setText(who)
        self.password.clear()
        self.message.clear()
        self.password.setFocus()

    def show_error(self, message: str) -> None:
        self.message.setText(message)
        self.password.clear()           # a wrong password is not left for the next try
        self.password.setFocus()

    def show_window_state(self, text: str, paused: bool) -> None:
        """The window's state as it is now (暂停服务 stands out), kept current while locked."""
        self.window_state.setText(text)
        self.window_state.setProperty("paused", "true" if paused else "false")
        self.window_state.style().polish(self.window_state)

    def _submit(self) -> None:
        self.unlock_requested.emit(self.password.text())
