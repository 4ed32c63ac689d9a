"""Step 5 of intake: the case number (办件编号), the query password, and where the notice and
the receipt were printed — or 通知书未保存 when a PDF could not be kept; 重新打印 and 打开 PDF
for the case just committed; offline, that the case is safe on this PC and waits for upload."""

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
        self.reprint_button = QPushButton(self.tr("重新打印(&R)"))
        self.open_button = QPushButton(self.tr("打开 PDF(&O)"))
        self.open_button.setEnabled(False)
        self.offline_label = QLabel()
        self.offline_label.setObjectName("offlineNote")
        self.offline_label.setWordWrap(True)
        self.offline_label.hide()
        self.new_button = QPushButton(self.tr("受理下一件"))
        self.connection = "not_configured"      # the platform, as the upload thread last saw it
        self.waiting = 0                        # cases on this PC not yet uploaded
        self.case_no = ""
        self.base = ""
        self.lines: dict[str, str] = {}         # notice kind -> where it went, or why not
        self.unsaved: set[str] = set()          # notice kinds not kept for this case
        row = QHBoxLayout()
        row.addWidget(self.unsaved_label)
        row.addWidget(self.reprint_button)
        row.addWidget(self.open_button)
        row.addStretch(1)
        v = QVBoxLayout(self)
        v.addWidget(self.case_number_label)
        v.addWidget(self.done_detail)
        v.addWidget(self.offline_label)
        v.addLayout(row)
        v.addStretch(1)
        v.addWidget(self.new_button)
        self._show_unsaved()

    def show_committed(self, done: CommittedCase) -> None:
        self.case_no = done.case_no
        self.unsaved.clear()
        self.lines = {}
        self._show_unsaved()
        self.open_button.setEnabled(False)
        self.case_number_label.setText(done.case_no)
        self.base = self.tr("{status}。查询密码 {pw}。").format(status=done.status.label,
                                                              pw=done.query_password)
        self.done_detail.setText(self.base + self.tr("正在打印通知书和回执…"))

    def show_connection(self, connection: str) -> None:
        """The platform's state ("online" / "offline" / "error" / "not_configured")."""
        self.connection = connection
        self._show_offline()

    def show_waiting(self, waiting: int) -> None:
        self.waiting = waiting
        self._show_offline()

    def _show_offline(self) -> None:
        offline = bool(self.case_no) and self.connection in ("offline", "not_configured")
        if offline:
            where = (self.tr("未设置省平台") if self.connection == "not_configured"
                     else self.tr("省平台暂时连不上"))
            self.offline_label.setText(self.tr(
                "{where}：办件已安全保存在本机，平台恢复后自动上传（本机待上传 {n} 件）。")
                .format(where=where, n=self.waiting))
        self.offline_label.setVisible(offline)

    def show_unsaved(self, kind: str, message: str) -> None:
        """A notice of this case could not be kept (e.g. the disk is full)."""
        self.unsaved.add(kind)
        self.lines[kind] = message
        self._show_unsaved()

    def show_printed(self, kind: str, printer: str) -> None:
        self.unsaved.discard(kind)
        if kind != "receipt":
            self.open_button.setEnabled(True)
        where = printer or self.tr("PDF")
        self.lines[kind] = self.tr("已输出{kind}到 {where}。").format(
            kind=self.tr(NAMES.get(kind, kind)), where=where)
        self._show_unsaved()

    def _show_unsaved(self) -> None:
        self.unsaved_label.setVisible(bool(self.unsaved))
        for button in (self.reprint_button, self.open_button):
            button.setVisible(bool(self.case_no))
        if self.case_no:
            self.done_detail.setText(self.base + " ".join(self.lines.values()))
        self._show_offline()


NAMES = {"accept": "受理通知书", "correction": "补正告知书", "refusal": "不予受理通知书",
         "receipt": "办件回执"}
