"""Step 5 of intake: the case number (办件编号), the query password, and where the notice and
the receipt were printed — or 通知书未保存 with 重新打印 when a PDF could not be kept."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hallclient.services.case_desk import CommittedCase


class FinishedPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case_number_label = QLabel()
        self.case_number_label.setObjectName("caseNumber")
        self.case_number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.done_detail = QLabel()
        self.done_detail.setWordWrap(True)
        self.unsaved_label = QLabel(self.tr("通知书未保存"))
        self.unsaved_label.setObjectName("problems")
        self.unsaved_label.setProperty("tone", "error")
        self.unsaved_label.setStyleSheet("font-weight: bold;")
        self.reprint_button = QPushButton(self.tr("重新打印通知书"))
        self.new_button = QPushButton(self.tr("受理下一件"))
        self.case_no = ""
        self.base = ""
        self.lines: dict[str, str] = {}         # notice kind -> where it went, or why not
        self.unsaved: set[str] = set()          # notice kinds not kept for this case
        row = QHBoxLayout()
        row.addWidget(self.unsaved_label)
        row.addWidget(self.reprint_button)
        row.addStretch(1)
        v = QVBoxLayout(self)
        v.addWidget(self.case_number_label)
        v.addWidget(self.done_detail)
        v.addLayout(row)
        v.addStretch(1)
        v.addWidget(self.new_button)
        self._show_unsaved()

    def show_committed(self, done: CommittedCase) -> None:
        self.case_no = done.case_no
        self.unsaved.clear()
        self.lines = {}
        self._show_unsaved()
        self.case_number_label.setText(done.case_no)
        self.base = self.tr("{status}。查询密码 {pw}。").format(status=done.status.label,
                                                              pw=done.query_password)
        self.done_detail.setText(self.base + self.tr("正在打印通知书和回执…"))

    def show_unsaved(self, kind: str, message: str) -> None:
        """A notice of this case could not be kept (e.g. the disk is full)."""
        self.unsaved.add(kind)
        self.lines[kind] = message
        self._show_unsaved()

    def show_printed(self, kind: str, printer: str) -> None:
        self.unsaved.discard(kind)
        where = printer or self.tr("PDF")
        self.lines[kind] = self.tr("已输出{kind}到 {where}。").format(
            kind=self.tr(NAMES.get(kind, kind)), where=where)
        self._show_unsaved()

    def _show_unsaved(self) -> None:
        self.unsaved_label.setVisible(bool(self.unsaved))
        self.reprint_button.setVisible(bool(self.unsaved))
        if self.case_no:
            self.done_detail.setText(self.base + " ".join(self.lines.values()))


NAMES = {"accept": "受理通知书", "correction": "补正告知书", "refusal": "不予受理通知书",
         "receipt": "办件回执"}
