"""The counter's keys in the clerk's other windows (受理, 办件查询, 待上传队列, 值班长日报).

A clerk with the intake window in front still presses F1, F5 or F12 out of habit; the keys
would otherwise do nothing there, with no word why. So they work from every clerk window:
the queue keys act on the counter and what happened (已呼叫 A006, or why not) shows for a
few seconds in the window the clerk is looking at; the keys that need the counter's own
screen (转移's chooser, 指定呼叫 and 激活过号 with their number field) bring the counter to
the front first; a key whose action cannot run now says so instead of nothing.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QLabel, QWidget

if TYPE_CHECKING:
    from .counter_window import CounterWindow

NEEDS_COUNTER = frozenset({"transfer", "call_specific", "reactivate"})
SHOWN_MS = 5000           # how long a result stays in the other window


class Toast(QLabel):
    """A short message across the foot of a window, gone after a few seconds."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("toast")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SHOWN_MS)
        self._timer.timeout.connect(self.hide)
        window.installEventFilter(self)

    def say(self, text: str, error: bool = False) -> None:
        if not text:
            return
        self.setText(text)
        self.setProperty("error", error)
        self.style().polish(self)
        self._place()
        self.show()
        self.raise_()
        self._timer.start()

    def _place(self) -> None:
        window = self.parentWidget()
        if window is None:
            return
        width = min(max(window.width() * 2 // 3, 200), window.width() - 20)
        height = self.heightForWidth(width) if self.hasHeightForWidth() else self.sizeHint().height()
        self.setGeometry((window.width() - width) // 2, window.height() - height - 40, width, height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False


class CounterKeys(QObject):
    """The counter's shortcuts in ``window``, except the ones named in ``skip`` (the key
    that opens this very window)."""

    def __init__(self, window: QWidget, counter: CounterWindow, skip: frozenset[str] = frozenset()) -> None:
        super().__init__(window)
        self.window = window
        self.counter = counter
        self.toast = Toast(window)
        self._watching = QTimer(self)         # the counter's messages shown here meanwhile
        self._watching.setSingleShot(True)
        self._watching.setInterval(SHOWN_MS)
        counter.page()                        # (its actions are made with the page)
        for name, action in counter.actions_by_name.items():
            if name in skip or action.shortcut().isEmpty():
                continue
            shortcut = QShortcut(action.shortcut(), window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(partial(self.press, name))
        counter.said.connect(self._counter_said)

    def press(self, name: str) -> None:
        action = self.counter.actions_by_name[name]
        label = action.text()
        if not action.isEnabled():
            self.toast.say(self.tr("「{label}」现在不能用（{why}）").format(
                label=label, why=self.counter.why_not(name)), error=True)
            return
        if name in NEEDS_COUNTER:
            self.counter.show()
            self.counter.raise_()
            self.counter.activateWindow()
        else:
            self._watching.start()
        action.trigger()

    def _counter_said(self, text: str, error: bool) -> None:
        if self._watching.isActive() and self.window.isVisible():
            self.toast.say(text, error)
