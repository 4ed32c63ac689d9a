"""A call on screen blinks: the ``flash`` style property of a label, on and off a few times."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget


class Flasher(QObject):
    def __init__(self, parent: QObject, interval_ms: int = 250, steps: int = 8) -> None:
        super().__init__(parent)
        self.steps = steps
        self._left = 0
        self._widget: QWidget | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._step)

    def flash(self, widget: QWidget) -> None:
        self._widget = widget
        self._left = self.steps
        self._timer.start()

    def _step(self) -> None:
        widget = self._widget
        if widget is None:
            self._timer.stop()
            return
        self._left -= 1
        on = self._left % 2 == 1 and self._left > 0
        widget.setProperty("flash", "true" if on else "false")
        widget.style().polish(widget)
        if self._left <= 0:
            self._timer.stop()
