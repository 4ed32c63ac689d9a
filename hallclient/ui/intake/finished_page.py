"""Step 5 of intake: the case number (办件编号), the query password, and where the notice and
the receipt were printed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from hallclient.services.case_desk import CommittedCase


class FinishedPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case_number_label = QLabel()
        self.case_number_label.setObjectName("caseNumber")
        self.case_number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.done_detail = QLabel()
        self.done_detail.setWordWrap(True)
        self.new_button = QPushButton(self.tr("受理下一件"))
        v = QVBoxLayout(self)
        v.addWidget(self.case_number_label)
        v.addWidget(self.done_detail)
        v.addStretch(1)
        v.addWidget(self.new_button)

    def show_committed(self, done: CommittedCase) -> None:
        self.case_number_label.setText(done.case_no)
        self.done_detail.setText(self.tr("{status}。查询密码 {pw}。正在打印通知书和回执…").format(
            status=done.status.label, pw=done.query_password))

    def show_printed(self, kind: str, printer: str) -> None:
        where = printer or self.tr("PDF")
        self.done_detail.setText(self.done_detail.text().replace(self.tr("正在打印通知书和回执…"), "")
                                 + self.tr(" 已输出{kind}到 {where}。").format(kind=kind, where=where))
