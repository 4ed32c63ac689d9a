"""The case list (办件查询): today's and past cases, personal data masked."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QEvent, QModelIndex, QObject, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.cases import STATUS_LABELS, CaseStatus
from hallclient.core.validators import mask_id, mask_mobile
from hallclient.services.case_list_service import CaseListService

if TYPE_CHECKING:
    from hallclient.services.intake_service import IntakeService

from .models import Index, ReadOnlyTableModel
from .outbox_view import STATES as UPLOAD_STATES


class CaseListModel(ReadOnlyTableModel):
    HEADERS = ("办件编号", "取号", "事项", "申请人", "证件号码", "手机", "状态", "受理时间", "窗口", "通知书")
    ITEM, NOTICES = 2, 9
    UNSAVED = "通知书未保存"

    @property
    def cases(self) -> list[dict[str, Any]]:
        return self._rows

    def set_cases(self, cases: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(cases)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self._valid(index):
            return None
        c = self._rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return c["case_no"]
        unsaved = bool(c.get("notices_unsaved"))
        if role == Qt.ItemDataRole.ForegroundRole and unsaved and index.column() == self.NOTICES:
            return QColor("#b00020")
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == self.ITEM:
            return c["item_name"]            # (a long item name is elided in its column)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        notices = self.UNSAVED if unsaved else ("已保存" if "notices_unsaved" in c else "")
        return (
            c["case_no"], c.get("ticket") or "—", c["item_name"], c["applicant_name"],
            mask_id(c["id_number"]), mask_mobile(c["mobile"]), STATUS_LABELS[CaseStatus(c["status"])],
            c["received_at"][:16].replace("T", " "), str(c["window"] or ""), notices,
        )[index.column()]

    def unsaved(self, row: int) -> bool:
        return 0 <= row < len(self._rows) and bool(self._rows[row].get("notices_unsaved"))


MATERIAL_STATUS = {"kept": "已收取（电子件）", "original_verified": "原件已核验",
                   "original_returned": "已收原件（已核验并退还）",
                   "paper_copy": "纸质复印件", "missing": "未提供", "not_applicable": "不适用"}


def case_detail_html(case: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(m['name'])}</td><td>{e(MATERIAL_STATUS[m['status']])}</td>"
        f"<td>{sum(1 for a in case['attachments'] if a['material_code'] == m['code'])}</td></tr>"
        for m in case["materials"])
    uploads = "、".join(f"第 {o['version']} 版 {UPLOAD_STATES.get(o['state'], '状态未知')}"
                       for o in case["outbox"]) or "—"
    return (
        f"<h3>{e(case['case_no'])}　{e(STATUS_LABELS[CaseStatus(case['status'])])}</h3>"
        f"<p>{e(case['item_name'])}<br>申请人：{e(case['applicant_name'])}　"
        f"证件：{e(mask_id(case['id_number']))}　手机：{e(mask_mobile(case['mobile']))}<br>"
        f"{'收件' if case.get('decision', 'accept') != 'accept' else '受理'}："
        f"{e(case['received_at'][:16].replace('T', ' '))}　窗口 {case['window'] or ''}　"
        f"经办人 {e(case.get('clerk_name') or case['clerk'] or '')}　"
        + (f"补正期限：{e(case['correction_due'])}" if case.get("correction_due")
           else f"承诺办结：{e(case['promised_date'] or '—')}") + "<br>"
        f"上传：{e(uploads)}</p>"
        f"<table border='1' cellspacing='0' cellpadding='3'><tr><th>材料</th><th>收取情况</th>"
        f"<th>电子件</th></tr>{rows}</table>"
    )


class CaseListWindow(QWidget):
    def __init__(self, service: CaseListService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setWindowTitle(self.tr("办件查询"))
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("办件编号、取号号码、申请人姓名或证件号码"))
        self.status_box = QComboBox()
        self.status_box.addItem(self.tr("全部状态"), None)
        for status in (CaseStatus.ACCEPTED, CaseStatus.CORRECTION_STARTED, CaseStatus.REFUSED):
            self.status_box.addItem(self.tr(status.label), int(status))
        today = QDate.currentDate()
        self.from_edit, self.to_edit = QDateEdit(today.addDays(-30)), QDateEdit(today)
        for d in (self.from_edit, self.to_edit):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.search_button = QPushButton(self.tr("查询"))
        self.reprint_button = QPushButton(self.tr("补打通知书"))
        self.reprint_button.setToolTip(self.tr("重新打印并保存所选办件的通知书和回执（未保存的、或申请人遗失的）"))
        self.reprint_button.setVisible(service.can_reprint)
        self.reprint_button.setEnabled(False)
        self.open_button = QPushButton(self.tr("打开通知书"))
        self.open_button.setToolTip(self.tr("用本机的 PDF 阅读器打开所选办件保存的通知书"))
        self.open_button.setVisible(service.notices_dir is not None)
        self.open_button.setEnabled(False)
        self.count_label = QLabel()
        self.model = CaseListModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for column in range(self.model.columnCount()):   # numbers and dates whole, never cut
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CaseListModel.ITEM, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().hide()
        self.detail = QTextBrowser()
        bar = QHBoxLayout()
        for w in (self.search_edit, self.status_box, QLabel(self.tr("从")), self.from_edit,
                  QLabel(self.tr("到")), self.to_edit, self.search_button, self.reprint_button,
                  self.open_button):
            bar.addWidget(w)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.count_label)
        layout.addWidget(split, 1)
        self.search_button.clicked.connect(self.search)
        self.search_edit.returnPressed.connect(self.search)
        self.table.doubleClicked.connect(self._open)
        self.table.activated.connect(self._open)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _old: self._chosen(current.row()))
        self._reprinting = self._after_search = ""
        self.search_edit.installEventFilter(self)       # Down: into the results
        self.reprint_button.clicked.connect(self.reprint)
        self.open_button.clicked.connect(self.open_notice)
        service.cases_found.connect(self._show)
        service.case_opened.connect(lambda case: self.detail.setHtml(case_detail_html(case)))
        service.search_failed.connect(self.count_label.setText)

    def search(self, _checked: bool = False, by_clerk: bool = True) -> None:
        if by_clerk:
            self._after_search = ""
        self.service.search(self.search_edit.text(), self.status_box.currentData(),
                            self.from_edit.date().toString("yyyy-MM-dd"),
                            self.to_edit.date().toString("yyyy-MM-dd"))

    def follow_notices(self, intake: IntakeService) -> None:
        """A notice printed (a 补打 done) refreshes the list; a failure is said here."""
        intake.notice_printed.connect(self._notice_printed)
        intake.notice_failed.connect(self._notice_failed)

    def _notice_printed(self, *_args: object) -> None:
        if self.isVisible():
            if self._reprinting:
                self._after_search = self.tr("已补打 {n} 的通知书和回执，并已保存").format(
                    n=self._reprinting)
            self.search(by_clerk=False)

    def _notice_failed(self, _kind: str, message: str) -> None:
        if self.isVisible():
            self.count_label.setText(message)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.search_edit and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down
                and self.model.rowCount() > 0):
            self.table.setFocus(Qt.FocusReason.TabFocusReason)
            if not self.table.currentIndex().isValid():
                self.table.setCurrentIndex(self.model.index(0, 0))
            return True
        return super().eventFilter(watched, event)

    def _chosen(self, row: int) -> None:
        valid = 0 <= row < self.model.rowCount()
        if valid:                       # its details as soon as it is chosen, not only on Enter
            self.service.open(self.model.cases[row]["case_no"])
        self.reprint_button.setEnabled(valid)
        self.open_button.setEnabled(valid and bool(self.saved_notices(row)))

    def saved_notices(self, row: int) -> list[Path]:
        """The selected case's notices kept whole in the notices folder (the notice first,
        then the receipt)."""
        if not 0 <= row < self.model.rowCount():
            return []
        return self.service.saved_notices(self.model.cases[row])

    def open_notice(self) -> None:
        """打开通知书: the saved PDF in the desktop's own viewer (to read it out, or print
        a copy on another printer)."""
        found = self.saved_notices(self.table.currentIndex().row())
        if found and not QDesktopServices.openUrl(QUrl.fromLocalFile(str(found[0]))):
            self.count_label.setText(self.tr("无法打开 {path}：本机没有可用的 PDF 阅读器").format(
                path=found[0]))

    def reprint(self) -> None:
        """补打: the selected case's notices are printed (and kept) again — a notice not
        saved, or a receipt the applicant lost."""
        row = self.table.currentIndex().row()
        if not 0 <= row < self.model.rowCount():
            return
        case_no = str(self.model.data(self.model.index(row, 0), Qt.ItemDataRole.UserRole))
        self.reprint_button.setEnabled(False)
        self._reprinting = case_no
        self.service.reprint(case_no)
        self.count_label.setText(self.tr("正在补打 {n} 的通知书…").format(n=case_no))

    def _show(self, cases: list[dict[str, Any]]) -> None:
        row = self.table.currentIndex().row()      # the case chosen stays chosen (a 补打 done)
        chosen = self._reprinting or (self.model.cases[row]["case_no"]
                                      if 0 <= row < self.model.rowCount() else "")
        self.reprint_button.setEnabled(False)
        self.model.set_cases(cases)
        self.count_label.setText(self.tr("共 {n} 件").format(n=len(cases)) +
                                 (self.tr("（仅显示最近 100 件，请缩小范围）") if len(cases) >= 100 else "")
                                 + (f"　{self._after_search}" if self._after_search else ""))
        self._reprinting = ""           # (the note stays until the clerk searches again)
        for row, case in enumerate(cases):          # the case just reprinted stays chosen
            if chosen and case["case_no"] == chosen:
                self.table.setCurrentIndex(self.model.index(row, 0))

    def _open(self, index: QModelIndex) -> None:
        self.service.open(str(self.model.data(self.model.index(index.row(), 0),
                                              Qt.ItemDataRole.UserRole)))
