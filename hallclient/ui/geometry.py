"""Window sizes from the screen, and each window's place remembered (``state.ini``).

A window opens at a share of the screen's available geometry (the desktop less its
taskbar), so that it fits a 1366×768 laptop and grows with 1920×1080 and 4K screens; where
it was last — size, position, maximised — is kept per window in ``state.ini`` beside
``config.ini`` (user settings and window state kept apart) and restored on the next start,
always clamped onto a screen that exists now (a second monitor may be gone).

``fit_rect`` is the pure rule; ``WindowPlaces`` reads and writes the file (a few hundred
bytes, read once when a window is built and written when it closes).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSettings, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

FRAME_ALLOWANCE = QSize(16, 40)      # a window manager's title bar and borders, at most


def fit_rect(saved: QRect | None, screens: list[QRect], share: tuple[float, float],
             minimum: QSize | None = None) -> QRect:
    """Where a window goes: ``saved`` (its last place) moved and shrunk onto the screen it
    overlaps most, or — with nothing saved, or no screen under it now — ``share`` of the
    first screen's available geometry, centred. ``screens`` are available geometries."""
    if not screens:
        return saved if saved is not None else QRect(0, 0, 1024, 700)
    room = [s.adjusted(0, 0, -FRAME_ALLOWANCE.width(), -FRAME_ALLOWANCE.height()) for s in screens]

    def overlap(s: QRect) -> int:
        part = s.intersected(saved) if saved is not None else QRect()
        return part.width() * part.height() if not part.isEmpty() else 0

    if saved is not None and saved.isValid() and max(overlap(s) for s in screens) > 0:
        # a saved place is the client area the window had: kept as it was where it fits
        area = screens[max(range(len(screens)), key=lambda i: overlap(screens[i]))]
        size = saved.size()
        top_left = saved.topLeft()
    else:                   # a first start leaves room for the window manager's frame
        area = room[0]
        size = QSize(int(area.width() * share[0]), int(area.height() * share[1]))
        top_left = None
    if minimum is not None:           # never below what the layout needs, unless the screen is
        size = size.expandedTo(minimum)
    size = size.boundedTo(area.size())
    if top_left is None:
        top_left = area.center() - QPoint(size.width() // 2, size.height() // 2)
    x = min(max(top_left.x(), area.left()), area.right() - size.width() + 1)
    y = min(max(top_left.y(), area.top()), area.bottom() - size.height() + 1)
    return QRect(QPoint(x, y), size)


def available_screens() -> list[QRect]:
    """The available geometry of every screen, the primary first."""
    primary = QGuiApplication.primaryScreen()
    screens = QGuiApplication.screens()
    ordered = ([primary] if primary is not None else []) + [s for s in screens if s is not primary]
    return [s.availableGeometry() for s in ordered]


class WindowPlaces(QObject):
    """Each window's last place, by name, in ``state.ini``; ``path`` None keeps nothing
    (tests, the self-test)."""

    def __init__(self, path: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self._names: dict[QWidget, str] = {}
        self._shown: set[QWidget] = set()      # only a window that was on screen is remembered

    def _settings(self) -> QSettings | None:
        if self.path is None:
            return None
        return QSettings(str(self.path), QSettings.Format.IniFormat)

    def saved(self, name: str) -> tuple[QRect | None, bool]:
        settings = self._settings()
        if settings is None:
            return None, False
        rect = settings.value(f"{name}/geometry")
        maximised = str(settings.value(f"{name}/maximized", "false")).lower() == "true"
        return (rect if isinstance(rect, QRect) else None), maximised

    def place(self, widget: QWidget, name: str, share: tuple[float, float] = (0.9, 0.9)) -> bool:
        """Size and move ``widget`` (before it is shown) and remember it when it closes or
        hides. Returns whether it should open maximised."""
        rect, maximised = self.saved(name)
        minimum = widget.minimumSizeHint() if widget.layout() is not None else None
        widget.setGeometry(fit_rect(rect, available_screens(), share, minimum))
        if widget not in self._names:
            self._names[widget] = name
            widget.installEventFilter(self)
        return maximised

    def remember(self, widget: QWidget) -> None:
        name = self._names.get(widget)
        settings = self._settings()
        if name is None or settings is None or widget not in self._shown:
            return
        maximised = widget.isMaximized() or widget.isFullScreen()
        settings.setValue(f"{name}/maximized", "true" if maximised else "false")
        if not maximised:
            settings.setValue(f"{name}/geometry", widget.geometry())
        settings.sync()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(watched, QWidget):
            if event.type() == QEvent.Type.Show:
                self._shown.add(watched)
            elif event.type() in (QEvent.Type.Close, QEvent.Type.Hide):
                self.remember(watched)
        return False
