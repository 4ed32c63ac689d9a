"""The evaluator (评价器) for the applicant: five big buttons, reasons for a bad rating.

Shown on the second screen (the applicant-facing one) when the PC has two.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
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
        # the applicant's screen must never take the keyboard from the clerk's window
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.setWindowFlag(Qt.WindowType.WindowDoesNotAcceptFocus, True)
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.setInterval(self.THANKS_MS)
        self._hide_timer.timeout.connect(self.hide)
        self.setWindowTitle(self.tr("请您评价"))
        self.resize(1000, 640)
        self.title = QLabel(self.tr("请对本次服务进行评价"))
        self.title.setObjectName("evalTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.level_buttons: dict[Level, QPushButton] = {}
        levels = QHBoxLayout()
        for level in Level:
            b = QPushButton(self.tr(level.label))
            b.setProperty("class", "level")
            b.setCheckable(True)
            b.setAutoExclusive(True)
            b.clicked.connect(partial(self._chosen, level))
            self.level_buttons[level] = b
            levels.addWidget(b)
        self.reasons_box = QWidget()
        grid = QGridLayout(self.reasons_box)
        self.reason_checks: dict[str, QCheckBox] = {}
        for i, reason in enumerate(BAD_REASONS):
            c = QCheckBox(self.tr(reason))
            self.reason_checks[reason] = c
            grid.addWidget(c, i // 3, i % 3)
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText(self.tr("请写下具体情况，我们会在规定时间内整改并回复"))
        self.comment.setMaximumHeight(120)
        self.submit_button = QPushButton(self.tr("提交评价"))
        self.submit_button.setMinimumHeight(60)
        self.message = QLabel()
        self.message.setObjectName("evalMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(levels)
        layout.addWidget(self.reasons_box)
        layout.addWidget(self.comment)
        layout.addWidget(self.submit_button)
        layout.addWidget(self.message)
        self.submit_button.clicked.connect(self.submit)
        service.evaluation_requested.connect(self.ask)
        service.evaluated.connect(self._thanks)
        service.evaluation_failed.connect(self.message.setText)
        self._reset()

    def ask(self, case_no: str, ticket: str) -> None:
        self._reset()
        what = case_no or ticket
        self.title.setText(self.tr("请对本次服务进行评价") + (f"（{what}）" if what else ""))
        self._hide_timer.stop()
        clerk_window = QApplication.activeWindow()
        self.show()
        # some platforms activate new windows regardless of the flags above
        if clerk_window is not None and clerk_window is not self:
            clerk_window.activateWindow()

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
        self.reasons_box.setVisible(False)
        self.comment.setVisible(False)
        self._hide_timer.start()
