"""The outbox view (待上传队列): what is waiting, what the platform refused and why."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.validators import mask_mobile
from hallclient.services.outbox_service import OutboxService

from .models import Index, ReadOnlyTableModel

STATES = {"pending": "待上传", "done": "已上传", "needs_attention": "需处理", "superseded": "已被新版本取代"}
KINDS = {"case_upsert": "办件", "evaluation": "好差评", "preapplication_lookup": "预申请查询"}


class OutboxModel(ReadOnlyTableModel):
    HEADERS = ("类型", "办件编号", "申请人", "状态", "尝试", "下次尝试", "原因")
    in_flight: int | None = None

    def set_in_flight(self, row_id: int | None) -> None:
        """The row being uploaded right now reads 上传中."""
        self.in_flight = row_id
        if self._rows:
            self.dataChanged.emit(self.index(0, 3), self.index(len(self._rows) - 1, 3))

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, index: int) -> dict[str, Any]:
        return dict(self._rows[index])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self._valid(index):
            return None
        r = self._rows[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and r["state"] == "needs_attention":
            return QColor(Qt.GlobalColor.darkRed)     # a colour, not the enum: views need a QColor
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        next_try = (r["next_try_at"] or "")[:19].replace("T", " ") if r["state"] == "pending" else ""
        state = "上传中" if r["id"] == self.in_flight else STATES.get(r["state"], r["state"])
        kind = self.tr(KINDS.get(r["kind"], r["kind"]))
        if r["kind"] == "case_upsert":
            kind += self.tr("（第 {v} 版）").format(v=r["version"])
        return (
            kind,
            r["case_no"] or "", r["applicant_name"] or "", self.tr(state),
            str(r["attempts"]), next_try or ("立即" if r["state"] == "pending" else ""),
            (r["last_error"] or "")[:120],
        )[index.column()]


class OutboxView(QWidget):
    def __init__(self, service: OutboxService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setWindowTitle(self.tr("待上传队列"))
        self.model = OutboxModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for column in range(6):            # case numbers and states whole, never cut
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)     # the reason: the rest
        self.table.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.retry_button = QPushButton(self.tr("立即重试"))
        self.name_edit, self.id_edit, self.mobile_edit, self.address_edit = (
            QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit())
        self.resend_button = QPushButton(self.tr("修改后重传"))
        self.message = QLabel()
        form = QFormLayout()
        form.addRow(self.tr("申请人名称"), self.name_edit)
        form.addRow(self.tr("证件号码"), self.id_edit)
        form.addRow(self.tr("手机号码"), self.mobile_edit)
        form.addRow(self.tr("通讯地址"), self.address_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.resend_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reason)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.table.clicked.connect(self._select)
        self.retry_button.clicked.connect(self._retry)
        self.resend_button.clicked.connect(self._resend)
        service.rows_loaded.connect(self.model.set_rows)
        service.action_failed.connect(self.message.setText)
        service.resend_queued.connect(self._queued)
        self._selected: dict[str, Any] | None = None
        for w in (self.name_edit, self.id_edit, self.mobile_edit, self.address_edit,
                  self.resend_button, self.retry_button):
            w.setEnabled(False)            # until a row that can be retried or fixed is chosen

    def _queued(self, case_no: str) -> None:
        self.message.setText(self.tr("已排队重传 {n}").format(n=case_no) if case_no
                             else self.tr("已排队重试"))

    def _select(self, index: QModelIndex) -> None:
        row = self.model.row(index.row())
        self._selected = row
        self.reason.setText(self.tr("原因：") + (row["last_error"] or "—"))
        self.name_edit.setText(row["applicant_name"] or "")
        self.id_edit.setText(row["id_number"] or "")
        self.mobile_edit.setText(row["mobile"] or "")
        self.mobile_edit.setToolTip(mask_mobile(row["mobile"] or ""))
        self.address_edit.setText(row["address"] or "")
        editable = row["kind"] == "case_upsert" and row["state"] == "needs_attention"
        for w in (self.name_edit, self.id_edit, self.mobile_edit, self.address_edit, self.resend_button):
            w.setEnabled(editable)
        self.retry_button.setEnabled(row["state"] in ("pending", "needs_attention"))

    def _retry(self) -> None:
        if self._selected is not None:
            self.service.retry_now(int(self._selected["id"]))

    def _resend(self) -> None:
        row = self._selected
        if row is None or not row["case_no"]:
            return
        changes = {}
        for key, edit in (("applicant_name", self.name_edit), ("id_number", self.id_edit),
                          ("mobile", self.mobile_edit), ("address", self.address_edit)):
            if edit.text().strip() != (row[key] or ""):
                changes[key] = edit.text()
        if not changes:
            self.message.setText(self.tr("请先修改被平台拒收的内容"))
            return
        self.service.fix_and_resend(row["case_no"], changes)
