"""The evaluator (评价器) for the applicant: five big buttons, reasons for a bad rating.

Shown on the second screen (the applicant-facing one) when the PC has two. It appears
without taking the keyboard from the clerk's window, and its buttons never take it either;
only when the applicant touches the comment box does it take the keyboard, and it gives it
back to the clerk's window once the rating is in (or the window goes).
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.evaluation import BAD_REASONS, Level
from hallclient.services.evaluation_service import EvaluationService


class EvaluatorWindow(QWidget):
    THANKS_MS = 4000

    def __init__(self, service: EvaluationService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setObjectName("evaluator")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # appearing never takes the keyboard from the clerk's window (the comment box does,
        # when touched: see _focus_comment)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.setWindowFlag(Qt.WindowType.WindowDoesNotAcceptFocus, True)
        self._clerk_window: QWidget | None = None
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.setInterval(self.THANKS_MS)
        self._hide_timer.timeout.connect(self.hide)
        self.setWindowTitle(self.tr("请您评价"))
        self.title = QLabel(self.tr("请对本次服务进行评价"))
        self.title.setObjectName("evalTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.level_buttons: dict[Level, QPushButton] = {}
        self.levels_box = QWidget()
        levels = QHBoxLayout(self.levels_box)
        levels.setContentsMargins(0, 0, 0, 0)
        for level in Level:
            b = QPushButton(self.tr(level.label))
            b.setProperty("class", "level")
            b.setObjectName(f"level_{level.name.lower()}")
            b.setCheckable(True)
            b.setAutoExclusive(True)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            b.clicked.connect(partial(self._chosen, level))
            self.level_buttons[level] = b
            levels.addWidget(b)
        self.reasons_box = QWidget()
        grid = QGridLayout(self.reasons_box)
        self.reason_checks: dict[str, QPushButton] = {}     # toggle buttons, big enough to touch
        for i, reason in enumerate(BAD_REASONS):
            c = QPushButton(self.tr(reason))
            c.setProperty("class", "reason")
            c.setCheckable(True)
            c.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            c.toggled.connect(lambda on, b=c, r=reason: b.setText(("✓ " if on else "") + self.tr(r)))
            self.reason_checks[reason] = c
            grid.addWidget(c, i // 3, i % 3)
        self.comment = QPlainTextEdit()
        self.comment.setObjectName("evalComment")
        self.comment.setPlaceholderText(self.tr("请写下具体情况，我们会在规定时间内整改并回复（点此输入）"))
        self.comment.setMaximumHeight(120)
        self.comment.viewport().installEventFilter(self)
        self.submit_button = QPushButton(self.tr("提交评价"))
        self.submit_button.setObjectName("evalSubmit")
        self.submit_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.submit_button.setMinimumHeight(60)
        self.message = QLabel()
        self.message.setObjectName("evalMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.levels_box)
        layout.addWidget(self.reasons_box)
        layout.addWidget(self.comment)
        layout.addWidget(self.submit_button)
        layout.addWidget(self.message)
        self.submit_button.clicked.connect(self.submit)
        # a keyboard at the evaluator (or a screen reader's): Ctrl+Enter submits from anywhere
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self).activated.connect(self.submit)
        service.evaluation_requested.connect(self.ask)
        service.evaluated.connect(self._thanks)
        service.evaluation_failed.connect(self.message.setText)
        self._reset()

    def ask(self, case_no: str, ticket: str) -> None:
        """Ask the applicant of ``ticket`` (the title names the short ticket number, never
        the long case number: it is on the applicant's receipt)."""
        self._reset()
        self.title.setText(self.tr("请对本次服务进行评价")
                           + (self.tr("（{ticket} 号）").format(ticket=ticket) if ticket else ""))
        self._hide_timer.stop()
        clerk_window = QApplication.activeWindow()
        if clerk_window is not None and clerk_window is not self:
            self._clerk_window = clerk_window
        self.show()
        # some platforms activate new windows regardless of the attribute above
        self._give_back_keyboard()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.comment.viewport() and event.type() == QEvent.Type.MouseButtonPress:
            self._focus_comment()
        return super().eventFilter(watched, event)

    def _focus_comment(self) -> None:
        """The applicant touched the comment box: the keyboard is theirs until they submit."""
        active = QApplication.activeWindow()
        if active is not None and active is not self:
            self._clerk_window = active
        self._accept_keyboard(True)
        self.activateWindow()
        self.comment.setFocus(Qt.FocusReason.MouseFocusReason)

    def _accept_keyboard(self, accept: bool) -> None:
        """Whether the window may take the keyboard: only while the applicant types."""
        handle = self.windowHandle()
        if handle is not None:
            handle.setFlag(Qt.WindowType.WindowDoesNotAcceptFocus, not accept)

    def _give_back_keyboard(self) -> None:
        self._accept_keyboard(False)
        clerk = self._clerk_window
        if clerk is not None and clerk.isVisible():
            clerk.activateWindow()

    def hideEvent(self, event: QHideEvent) -> None:
        if self.isActiveWindow():
            self._give_back_keyboard()
        super().hideEvent(event)

    def _reset(self) -> None:
        for b in self.level_buttons.values():
            b.setAutoExclusive(False)
            b.setChecked(False)
            b.setAutoExclusive(True)
        for c in self.reason_checks.values():
            c.setChecked(False)
        self.comment.clear()
        self.message.clear()
        self.reasons_box.setVisible(False)
        self.comment.setVisible(False)
        self.levels_box.setVisible(True)
        self.submit_button.setVisible(True)

    def _chosen(self, level: Level, _checked: bool = False) -> None:
        self.reasons_box.setVisible(level.is_bad)
        self.comment.setVisible(level.is_bad)
        self.message.clear()

    def chosen_level(self) -> Level | None:
        return next((lv for lv, b in self.level_buttons.items() if b.isChecked()), None)

    def submit(self) -> None:
        level = self.chosen_level()
        bad = bool(level and level.is_bad)
        reasons = [r for r, c in self.reason_checks.items() if c.isChecked()] if bad else []
        text = self.comment.toPlainText() if bad else ""
        self.service.submit(level, reasons, text)

    def _thanks(self, _result: object) -> None:
        self.title.setText(self.tr("感谢您的评价！"))
        self.message.clear()            # an earlier "please choose a reason" is answered
        for part in (self.levels_box, self.reasons_box, self.comment, self.submit_button):
            part.setVisible(False)
        self._give_back_keyboard()
        self._hide_timer.start()
