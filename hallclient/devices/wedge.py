"""Barcode scanners are USB keyboards (键盘楔): a burst of keys a few ms apart, then Enter.

USB HID scanners send a key every few milliseconds (typically 1-8 ms: one key per USB poll);
a fast typist rarely goes under about 40 ms between keys and key-repeat is about 30 ms.
The gap that still counts as a scan (``scanner.wedge_max_gap_ms``, 20 ms by default) sits
between the two, so fast typing — in a file dialog or anywhere else — is never a scan.

The detector watches every key press in the application, but only where a scan can be meant:
in the windows it serves (the counter and intake windows, see ``serve``), and there never in a
password field or a free-text field (multi-line text, or a line edit marked with
``mark_free_text``). Keys typed anywhere else — a file dialog, a message box, the evaluator,
any other top-level window — pass untouched.

Where it watches, printable keys are held for at most ``max_gap_ms``; if the next key comes
sooner they join a burst, otherwise they are handed on to the widget they were meant for. A
burst of ``min_length`` or more keys ended by Enter is a scan: it is reported and never
reaches the focused widget. Gaps are measured on the events' own timestamps (when the key was
pressed, as the window system says) where there are any, so a busy GUI thread that reads a
person's keys late does not make them look like a burst.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
# a scanner presses Shift for every capital letter (X of an ID number, the letters of a case
# number): Shift alone is part of the burst, never the end of one
_SHIFTS = (Qt.Key.Key_Shift, Qt.Key.Key_CapsLock)
_FREE_TEXT = "barcodeWedgeOff"      # a widget property: True = typing only, never a scan

DEFAULT_MAX_GAP_MS = 20


def mark_free_text(widget: QWidget) -> None:
    """A field only a person types into (a comment, a reason): the wedge leaves it alone."""
    widget.setProperty(_FREE_TEXT, True)


def _typing_only(widget: QWidget) -> bool:
    """Password and free-text fields: never held, never reported as a scan."""
    if isinstance(widget, QLineEdit) and widget.echoMode() != QLineEdit.EchoMode.Normal:
        return True
    if isinstance(widget, (QTextEdit, QPlainTextEdit, QAbstractSpinBox)):
        return True
    return bool(widget.property(_FREE_TEXT))


class BarcodeWedge(QObject):
    """Signals: scanned(str code)"""

    scanned = Signal(str)

    def __init__(self, max_gap_ms: int = DEFAULT_MAX_GAP_MS, min_length: int = 4,
                 clock: Callable[[], float] = time.monotonic, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.max_gap = max_gap_ms / 1000.0
        self.min_length = min_length
        self.clock = clock
        self._served: weakref.WeakSet[QWidget] = weakref.WeakSet()
        self._held: list[tuple[QObject, QKeyEvent]] = []
        self._last = 0.0
        self._replaying = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max_gap_ms)
        self._timer.timeout.connect(self.flush)

    def serve(self, window: QWidget) -> None:
        """Scans are taken in this top-level window (and nowhere it does not serve)."""
        self._served.add(window.window())

    def serves(self, widget: QWidget | None) -> bool:
        """Keys for this widget may be a scan: it is in a served window, no other window is
        modal, and it is not a password or free-text field."""
        if widget is None or widget.window() not in self._served:
            return False
        modal = QApplication.activeModalWidget()
        if modal is not None and modal not in self._served:
            return False
        return not _typing_only(widget)

    def _target(self, watched: QObject) -> QWidget | None:
        # under a window system a key first reaches the window (a QWindow), then its focus widget
        return watched if isinstance(watched, QWidget) else QApplication.focusWidget()

    def _when(self, key: QKeyEvent) -> float:
        stamp = key.timestamp()
        return stamp / 1000.0 if stamp else self.clock()

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
            if (event.key() not in _ENTER and event.key() not in _SHIFTS
                    and not (event.text() and event.text().isprintable())):
                self.flush()
            return False
        if event.type() != QEvent.Type.KeyPress:
            return False
        if not self.serves(self._target(watched)):
            self.flush()   # a dialog, another window, a password or free-text field: typing
            return False
        key = event  # a QKeyEvent
        assert isinstance(key, QKeyEvent)
        if key.key() in _SHIFTS:
            return False                 # the capital that follows is part of the same burst
        now = self._when(key)
        in_burst = bool(self._held) and 0 <= now - self._last <= self.max_gap
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
