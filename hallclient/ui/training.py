"""培训模式: every window of a training run is marked the same way, so that nobody takes
practice for the real thing: an orange banner across the top and 【培训】 before the title
(kept there when the window changes its title)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QBoxLayout, QFormLayout, QGridLayout, QLabel, QMainWindow, QWidget

TITLE_MARK = "【培训】"
CLERK_TEXT = "培训模式 — 本窗口的数据只用于练习，不会上报省平台"
PUBLIC_TEXT = "培训模式 — 仅供练习，不是真实办事"


def _tr(text: str) -> str:
    return QCoreApplication.translate("training", text)


class _KeepTitleMark(QObject):
    """Puts 【培训】 back before a title the window sets later."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowTitleChange and isinstance(watched, QWidget):
            title = watched.windowTitle()
            if not title.startswith(TITLE_MARK):
                watched.setWindowTitle(TITLE_MARK + title)
        return False


def _insert_above(grid: QGridLayout, banner: QLabel) -> None:
    """The banner as a new first row across ``grid``: every cell moves one row down."""
    columns = max(grid.columnCount(), 1)
    # (PySide6's stubs type getItemPosition's four ints as "object")
    places: list[tuple[int, int, int, int]] = [
        grid.getItemPosition(i) for i in range(grid.count())]     # type: ignore[misc]
    stretches = [grid.rowStretch(r) for r in range(grid.rowCount())]
    taken = [grid.takeAt(0) for _ in places]        # (held here until the grid owns them again)
    for item, (row, column, rows, span) in zip(taken, places, strict=True):
        widget, inner = (item.widget(), item.layout()) if item is not None else (None, None)
        if widget is not None:
            grid.addWidget(widget, row + 1, column, rows, span)
        elif inner is not None:
            grid.addLayout(inner, row + 1, column, rows, span)
        elif item is not None:
            grid.addItem(item, row + 1, column, rows, span)
    for row, stretch in enumerate(stretches):
        grid.setRowStretch(row + 1, stretch)
    grid.setRowStretch(0, 0)
    grid.addWidget(banner, 0, 0, 1, columns)


def mark_training(window: QWidget, public: bool = False) -> QLabel:
    """Mark ``window`` as a training window (``public``: one applicants see: kiosk, panel,
    evaluator); the banner, also kept as ``window.training_banner``. Marking twice is
    harmless."""
    existing = getattr(window, "training_banner", None)
    if isinstance(existing, QLabel):
        return existing
    banner = QLabel(_tr(PUBLIC_TEXT if public else CLERK_TEXT))
    banner.setObjectName("trainingBanner")
    banner.setWordWrap(True)
    if isinstance(window, QMainWindow):
        window.setMenuWidget(banner)
    else:
        layout = window.layout()
        if isinstance(layout, QBoxLayout):
            layout.insertWidget(0, banner)
        elif isinstance(layout, QFormLayout):       # (sign-in boxes)
            layout.insertRow(0, banner)
        elif isinstance(layout, QGridLayout):       # (Qt's own dialogs: the file dialog)
            _insert_above(layout, banner)
        else:                           # no box layout: the banner floats across the top
            banner.setParent(window)
            banner.setGeometry(0, 0, window.width(), banner.sizeHint().height())
            banner.raise_()
    banner.show()           # (a shown window would show it only later)
    window.setProperty("training", True)
    keeper = _KeepTitleMark(window)
    window.installEventFilter(keeper)
    window.setWindowTitle(TITLE_MARK + window.windowTitle())    # (the filter leaves it be)
    window.training_banner = banner     # type: ignore[attr-defined]
    return banner


def mark_like(dialog: QWidget, owner: QWidget | None) -> None:
    """A dialog opened from a training window (转移, 手工接待需处理, sign-in boxes) is
    marked too: a window alone on screen must say it is practice."""
    if owner is not None and owner.window().property("training"):
        mark_training(dialog)
