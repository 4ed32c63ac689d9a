"""A status-bar label that gives way: at its full width where there is room, shortened
with … where there is not (a half-width counter beside the kiosk, a 1366 screen), never
drawn over its neighbours; the whole text is in its tooltip then. ``text()`` is always the
whole text."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QHelpEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QToolTip, QWidget

MIN_CHARS = 6           # what it shows at least: 「队列：大厅…」


class ElidingLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._full_hint = QSize()
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        super().setText(text)
        self._full_hint = super().sizeHint()
        self.updateGeometry()
        self._elide()

    def text(self) -> str:
        return self._full

    def is_elided(self) -> bool:
        return super().text() != self._full

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._full_hint)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        overhead = self._full_hint.width() - self.fontMetrics().horizontalAdvance(self._full)
        shortest = self.fontMetrics().horizontalAdvance(self._full[:MIN_CHARS] + "…") + max(overhead, 0)
        return QSize(min(shortest, self._full_hint.width()), self._full_hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            super().setText(self._full)
            self._full_hint = super().sizeHint()
            self.updateGeometry()
            self._elide()

    def _elide(self) -> None:
        if self.width() >= self._full_hint.width():
            shown = self._full
        else:
            overhead = max(self._full_hint.width() - self.fontMetrics().horizontalAdvance(self._full), 0)
            shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                                  max(self.width() - overhead, 0))
        if shown != super().text():
            super().setText(shown)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.is_elided() and isinstance(event, QHelpEvent):
            tip = "\n".join(t for t in (self._full, self.toolTip()) if t)
            QToolTip.showText(event.globalPos(), tip, self)
            return True
        return super().event(event)
