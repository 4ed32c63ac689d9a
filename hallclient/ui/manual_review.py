"""手工接待需处理: services recorded by hand that the hall server refused for good. Each
waits here, without holding up the others, until the clerk corrects its number (修改, sent
again) or withdraws it (作废, with a reason; both go into the log)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.hall import WALK_IN
from hallclient.services.queue_service import QueueService

from .models import Index, ReadOnlyTableModel

ManualService = Any       # store.manual_repo.ManualService (ui/ does not import the store)


def _time(text: str | None) -> str:
    return (text or "")[:19].replace("T", " ")


class AsideModel(ReadOnlyTableModel):
    HEADERS = ("号码", "窗口", "开始办理", "办结", "大厅服务器不接受的原因")

    def set_rows(self, rows: list[ManualService]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, index: int) -> ManualService:
        found: ManualService = self._rows[index]
        return found

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self._valid(index) or role != Qt.ItemDataRole.DisplayRole:
            return None
        r: ManualService = self._rows[index.row()]
        return (r.ticket or WALK_IN, str(r.window), _time(r.started_at), _time(r.finished_at),
                r.refusal or "")[index.column()]


class ManualReviewDialog(QDialog):
    def __init__(self, queue: QueueService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.setWindowTitle(self.tr("手工接待需处理"))
        self.resize(900, 360)
        self.model = AsideModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.note = QLabel(self.tr(
            "大厅服务器不接受下面的手工接待记录。其他记录照常补传，叫号不受影响。"
            "核对申请人手中的号码后按「修改号码」重新补传；确实记错的按「作废」并写明原因（两者都记入操作日志）。"))
        self.note.setWordWrap(True)
        self.amend_button = QPushButton(self.tr("修改号码…"))
        self.void_button = QPushButton(self.tr("作废…"))
        close = QPushButton(self.tr("关闭"))
        self.amend_button.clicked.connect(self.amend)
        self.void_button.clicked.connect(self.void)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        for b in (self.amend_button, self.void_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        queue.manual_aside_loaded.connect(self.show_rows)

    def open_and_load(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
        self.queue.load_manual_aside()

    def show_rows(self, rows: list[ManualService]) -> None:
        self.model.set_rows(rows)
        if rows:
            self.table.selectRow(0)
        for b in (self.amend_button, self.void_button):
            b.setEnabled(bool(rows))

    def _selected(self) -> ManualService | None:
        picked = self.table.selectionModel().selectedRows()
        return self.model.row(picked[0].row()) if picked else None

    def amend(self) -> None:
        row = self._selected()
        if row is None:
            return
        number, ok = QInputDialog.getText(
            self, self.tr("修改号码"), self.tr("申请人手中的号码（无号来访留空）："),
            text=row.ticket or "")
        if ok:
            self.queue.amend_manual(row.id, number)

    def void(self) -> None:
        row = self._selected()
        if row is None:
            return
        reason, ok = QInputDialog.getText(self, self.tr("作废手工接待记录"),
                                          self.tr("作废原因（记入操作日志）："))
        if ok and reason.strip():
            self.queue.void_manual(row.id, reason)
