"""培训模式: every window of a training run is marked the same way, so that nobody takes
practice for the real thing: an orange banner across the top and 【培训】 before the title
(kept there when the window changes its title)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QBoxLayout, QFormLayout, QLabel, QMainWindow, QWidget

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
        elif isinstance(layout, QFormLayout):
            layout.insertRow(0, banner)
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
