"""Barcode scanners are USB keyboards (键盘楔): a burst of keys about 30 ms apart, then Enter.

The detector watches every key press in the application. Printable keys are held for at
most ``max_gap_ms``; if the next key comes sooner they join a burst, otherwise they are
handed on to the widget they were meant for. A burst of ``min_length`` or more keys ended
by Enter is a scan: it is reported and never reaches the focused widget. A person typing
(100 ms or more between keys) sees no difference.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def _is_password_field(widget: QObject) -> bool:
    from PySide6.QtWidgets import QLineEdit

    return isinstance(widget, QLineEdit) and widget.echoMode() != QLineEdit.EchoMode.Normal
_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


class BarcodeWedge(QObject):
    """Signals: scanned(str code)"""

    scanned = Signal(str)

    def __init__(self, max_gap_ms: int = 50, min_length: int = 4,
                 clock: Callable[[], float] = time.monotonic, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.max_gap = max_gap_ms / 1000.0
        self.min_length = min_length
        self.clock = clock
        self._held: list[tuple[QObject, QKeyEvent]] = []
        self._last = 0.0
        self._replaying = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max_gap_ms)
        self._timer.timeout.connect(self.flush)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._replaying:
            return False
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.FocusOut):
            self.flush()   # what was typed lands before the click or focus change acts
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            # shortcuts (F9 呼叫 ...) act on this event, before the key press: anything held
            # must reach its field first, as a keypad sends "A023" then F9 in one burst
            assert isinstance(event, QKeyEvent)
            if event.key() not in _ENTER and not (event.text() and event.text().isprintable()):
                self.flush()
            return False
        if event.type() != QEvent.Type.KeyPress:
            return False
        if _is_password_field(watched):
            self.flush()   # never hold, and never report, what goes into a password field
            return False
        key = event  # a QKeyEvent
        assert isinstance(key, QKeyEvent)
        now = self.clock()
        in_burst = bool(self._held) and now - self._last <= self.max_gap
        if key.key() in _ENTER:
            if in_burst and len(self._held) >= self.min_length:
                code = "".join(e.text() for _, e in self._held)
                self._held.clear()
                self._timer.stop()
                self.scanned.emit(code)
                return True
            self.flush()
            return False
        text = key.text()
        if text and text.isprintable() and not key.modifiers() & _MODIFIERS:
            if self._held and not in_burst:
                self.flush()
            copy = QKeyEvent(key.type(), key.key(), key.modifiers(), text, key.isAutoRepeat(),
                             key.count())
            self._held.append((watched, copy))
            self._last = now
            self._timer.start()
            return True
        self.flush()
        return False

    def flush(self) -> None:
        """Hand held keys on to their widgets (they were typed by a person)."""
        self._timer.stop()
        held, self._held = self._held, []
        self._replaying = True
        try:
            for receiver, event in held:
                QCoreApplication.sendEvent(receiver, event)
        finally:
            self._replaying = False
