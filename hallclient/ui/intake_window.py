"""The intake window (受理): item, applicant, materials, decision, done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.cases import CaseDraft, Decision, MaterialStatus
from hallclient.core.catalog import Requirement
from hallclient.core.validators import check_mobile, check_resident_id, check_uscc
from hallclient.devices.camera import DocumentCamera, camera_names
from hallclient.devices.printer import NoticePrinter
from hallclient.documents.notices import NoticeContext
from hallclient.services.intake_service import IntakeService

STATUS_CHOICES = (
    (MaterialStatus.MISSING, "未提供"),
    (MaterialStatus.KEPT, "已收取（电子件）"),
    (MaterialStatus.ORIGINAL_VERIFIED, "原件已核验，不留存"),
    (MaterialStatus.PAPER_COPY, "已收纸质复印件"),
    (MaterialStatus.NOT_APPLICABLE, "不适用"),
)
STEPS = ("1 选择事项", "2 申请人", "3 申请材料", "4 受理决定", "5 完成")
STYLE = """
QLabel#stepBar { font-size: 16px; padding: 6px; background: #eaf2f8; }
QLabel.hint { color: #c0392b; }
QLabel#caseNumber { font-size: 28px; font-weight: bold; color: #1a5276; }
QLabel#problems { color: #c0392b; }
"""


def _hint() -> QLabel:
    label = QLabel()
    label.setProperty("class", "hint")
    label.setStyleSheet("color: #c0392b;")
    return label


class IntakeWindow(QWidget):
    def __init__(self, intake: IntakeService, printer: NoticePrinter, hall_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intake = intake
        self.printer = printer
        self.hall_name = hall_name
        self.current_ticket = ""
        self.printed: dict[str, str] = {}
        self.setWindowTitle(self.tr("受理 — {hall}").format(hall=hall_name))
        self.setStyleSheet(STYLE)
        self.resize(1000, 700)
        self.step_bar = QLabel()
        self.step_bar.setObjectName("stepBar")
        self.stack = QStackedWidget()
        for build in (self._item_page, self._applicant_page, self._materials_page,
                      self._decision_page, self._done_page):
            self.stack.addWidget(build())
        self.back_button = QPushButton(self.tr("上一步"))
        self.next_button = QPushButton(self.tr("下一步"))
        self.message = QLabel()
        self.message.setObjectName("problems")
        self.message.setWordWrap(True)
        nav = QHBoxLayout()
        nav.addWidget(self.message, 1)
        nav.addWidget(self.back_button)
        nav.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.step_bar)
        layout.addWidget(self.stack, 1)
        layout.addLayout(nav)
        self.back_button.clicked.connect(lambda: self.go(self.stack.currentIndex() - 1))
        self.next_button.clicked.connect(self._next)
        self._connect()
        self.go(0)

    # -- pages ---------------------------------------------------------------------------

    def _item_page(self) -> QWidget:
        page = QWidget()
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("输入事项名称、编码或拼音首字母，如 gtgsh"))
        self.item_list = QListWidget()
        v = QVBoxLayout(page)
        v.addWidget(self.search_edit)
        v.addWidget(self.item_list)
        self.search_edit.textChanged.connect(self.intake.search)
        self.item_list.itemActivated.connect(lambda _: self._choose())
        self.item_list.itemDoubleClicked.connect(lambda _: self._choose())
        return page

    def _applicant_page(self) -> QWidget:
        page = QWidget()
        self.item_title = QLabel()
        self.kind_box = QComboBox()
        self.kind_box.addItem(self.tr("自然人"), "person")
        self.kind_box.addItem(self.tr("法人或其他组织"), "company")
        self.name_edit, self.id_edit, self.rep_edit = QLineEdit(), QLineEdit(), QLineEdit()
        self.mobile_edit, self.address_edit = QLineEdit(), QLineEdit()
        self.agent_name_edit, self.agent_id_edit = QLineEdit(), QLineEdit()
        self.id_hint, self.mobile_hint = _hint(), _hint()
        self.card_button = QPushButton(self.tr("读身份证"))
        form = QFormLayout()
        form.addRow(self.tr("事项"), self.item_title)
        form.addRow(self.tr("申请人类型"), self.kind_box)
        form.addRow(self.tr("申请人名称"), self.name_edit)
        id_row = QHBoxLayout()
        id_row.addWidget(self.id_edit, 1)
        id_row.addWidget(self.card_button)
        form.addRow(self.tr("证件号码"), id_row)
        form.addRow("", self.id_hint)
        form.addRow(self.tr("法定代表人"), self.rep_edit)
        form.addRow(self.tr("手机号码"), self.mobile_edit)
        form.addRow("", self.mobile_hint)
        form.addRow(self.tr("通讯地址"), self.address_edit)
        form.addRow(self.tr("代理人姓名"), self.agent_name_edit)
        form.addRow(self.tr("代理人身份证号"), self.agent_id_edit)
        page.setLayout(form)
        self.card_button.clicked.connect(self.intake.read_card)
        self.id_edit.textChanged.connect(self._check_id)
        self.mobile_edit.textChanged.connect(self._check_mobile)
        self.kind_box.currentIndexChanged.connect(lambda _: self._check_id(self.id_edit.text()))
        return page

    def _materials_page(self) -> QWidget:
        page = QWidget()
        self.material_table = QTableWidget(0, 5)
        self.material_table.setHorizontalHeaderLabels(
            [self.tr("材料"), self.tr("要求"), self.tr("形式/份数"), self.tr("收取情况"), self.tr("电子件")])
        self.material_table.horizontalHeader().setStretchLastSection(True)
        self.material_table.setColumnWidth(0, 330)
        self.material_table.setColumnWidth(2, 130)
        self.material_table.setColumnWidth(3, 190)
        self.import_button = QPushButton(self.tr("导入文件（JPG/PNG/PDF）…"))
        self.scan_button = QPushButton(self.tr("扫描仪扫描"))
        self.camera_button = QPushButton(self.tr("高拍仪拍照"))
        self.camera: DocumentCamera | None = None
        self.standard_label = QLabel()
        self.standard_label.setWordWrap(True)
        v = QVBoxLayout(page)
        v.addWidget(self.material_table, 1)
        v.addWidget(self.standard_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.scan_button)
        buttons.addWidget(self.camera_button)
        v.addLayout(buttons)
        self.camera_button.clicked.connect(self.photograph_current_row)
        self.import_button.clicked.connect(self._import_dialog)
        self.scan_button.clicked.connect(self.scan_current_row)
        self.material_table.currentCellChanged.connect(lambda r, *_: self._show_standard(r))
        return page

    def _decision_page(self) -> QWidget:
        page = QWidget()
        self.decision_group = QButtonGroup(self)
        self.decision_buttons: dict[Decision, QRadioButton] = {}
        row = QHBoxLayout()
        for decision, label in ((Decision.ACCEPT, "受理"), (Decision.CORRECT, "补正（一次性告知）"),
                                (Decision.REFUSE, "不予受理")):
            b = QRadioButton(self.tr(label))
            self.decision_group.addButton(b)
            self.decision_buttons[decision] = b
            row.addWidget(b)
        self.missing_label = QLabel()
        self.missing_label.setWordWrap(True)
        self.reason_edit, self.agency_edit = QLineEdit(), QLineEdit()
        self.delivery_box = QComboBox()
        self.delivery_box.addItem(self.tr("窗口领取"), "window")
        self.delivery_box.addItem(self.tr("邮寄送达"), "post")
        self.post_name_edit, self.post_phone_edit, self.post_address_edit = (
            QLineEdit(), QLineEdit(), QLineEdit())
        self.submit_button = QPushButton(self.tr("确认并打印通知书"))
        form = QFormLayout()
        form.addRow(self.tr("决定"), row)
        form.addRow(self.tr("缺少的必要材料"), self.missing_label)
        form.addRow(self.tr("不予受理理由"), self.reason_edit)
        form.addRow(self.tr("应向何机关申请"), self.agency_edit)
        form.addRow(self.tr("送达方式"), self.delivery_box)
        form.addRow(self.tr("收件人"), self.post_name_edit)
        form.addRow(self.tr("收件人手机"), self.post_phone_edit)
        form.addRow(self.tr("邮寄地址"), self.post_address_edit)
        form.addRow("", self.submit_button)
        page.setLayout(form)
        self.submit_button.clicked.connect(self.submit)
        self._decision_form = form
        for b in self.decision_buttons.values():
            b.toggled.connect(self._decision_fields)
        self.delivery_box.currentIndexChanged.connect(self._decision_fields)
        return page

    def _decision_fields(self, *_: object) -> None:
        """Show the refusal fields only for 不予受理 and the postal ones only for 邮寄."""
        refusing = self.decision_buttons[Decision.REFUSE].isChecked()
        posting = self.delivery_box.currentData() == "post" and not refusing
        for widget, show in ((self.reason_edit, refusing), (self.agency_edit, refusing),
                             (self.post_name_edit, posting), (self.post_phone_edit, posting),
                             (self.post_address_edit, posting)):
            self._decision_form.setRowVisible(widget, show)

    def _done_page(self) -> QWidget:
        page = QWidget()
        self.case_number_label = QLabel()
        self.case_number_label.setObjectName("caseNumber")
        self.case_number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.done_detail = QLabel()
        self.done_detail.setWordWrap(True)
        self.new_button = QPushButton(self.tr("受理下一件"))
        v = QVBoxLayout(page)
        v.addWidget(self.case_number_label)
        v.addWidget(self.done_detail)
        v.addStretch(1)
        v.addWidget(self.new_button)
        self.new_button.clicked.connect(self.start_new)
        return page

    # -- wiring --------------------------------------------------------------------------

    def _connect(self) -> None:
        i = self.intake
        i.items_found.connect(self._show_items)
        i.draft_started.connect(self._show_draft)
        i.card_read.connect(self._on_card)
        i.card_failed.connect(self._say)
        i.material_changed.connect(lambda _: self._fill_materials())
        i.material_failed.connect(lambda _code, m: self._say(m))
        i.commit_failed.connect(lambda problems: self._say("；".join(problems)))
        i.case_committed.connect(self._on_committed)
        i.scan_routed.connect(self._on_scan)
        self.printer.notice_printed.connect(self._on_printed)
        self.printer.print_failed.connect(lambda _k, m: self._say(m))

    def go(self, index: int) -> None:
        index = max(0, min(index, self.stack.count() - 1))
        if index >= 1 and self.intake.draft is None and index < 4:
            index = 0
        self.stack.setCurrentIndex(index)
        self.step_bar.setText("　›　".join(
            f"<b>{s}</b>" if n == index else s for n, s in enumerate(STEPS)))
        self.back_button.setEnabled(0 < index < 4)
        self.next_button.setEnabled(index in (1, 2))
        if index == 3:
            self._prepare_decision()

    def _next(self) -> None:
        if self.stack.currentIndex() == 1:
            self._store_applicant()
        self.go(self.stack.currentIndex() + 1)

    def start_new(self) -> None:
        self.intake.draft = None
        self.search_edit.clear()
        self.message.clear()
        self.go(0)
        self.intake.search("")

    def _say(self, text: str, error: bool = True) -> None:
        self.message.setStyleSheet("" if error else "color: #1e8449;")
        self.message.setText(text)

    # -- item ----------------------------------------------------------------------------

    def _show_items(self, items: list[Any]) -> None:
        self.item_list.clear()
        for s in items:
            entry = QListWidgetItem(f"{s.name}　—　{s.department}")
            entry.setData(Qt.ItemDataRole.UserRole, s.impl_code)
            self.item_list.addItem(entry)
        if items:
            self.item_list.setCurrentRow(0)

    def _choose(self) -> None:
        entry = self.item_list.currentItem()
        if entry is not None:
            self.intake.choose(str(entry.data(Qt.ItemDataRole.UserRole)), self.current_ticket)

    def _show_draft(self, draft: CaseDraft) -> None:
        self.item_title.setText(f"{draft.item.name}（{draft.item.department}，"
                                f"{draft.item.case_type.label}）")
        a = draft.applicant
        self.kind_box.setCurrentIndex(self.kind_box.findData(a.kind or draft.item.applicant_kind))
        if not a.name:
            self.kind_box.setCurrentIndex(self.kind_box.findData(draft.item.applicant_kind))
        for edit, value in ((self.name_edit, a.name), (self.id_edit, a.id_number),
                            (self.rep_edit, a.legal_rep), (self.mobile_edit, a.mobile),
                            (self.address_edit, a.address), (self.agent_name_edit, a.agent_name),
                            (self.agent_id_edit, a.agent_id_number)):
            edit.setText(value)
        self.refresh_camera()
        self._fill_materials()
        self.message.setText(self.tr("继续补正办件 {n}").format(n=self.intake.resuming)
                             if self.intake.resuming else "")
        self.go(2 if self.intake.resuming else 1)

    # -- applicant -----------------------------------------------------------------------

    def _on_card(self, card: Any) -> None:
        self.kind_box.setCurrentIndex(self.kind_box.findData("person"))
        self.name_edit.setText(card.name)
        self.id_edit.setText(card.id_number)
        self.address_edit.setText(card.address)
        self._say(self.tr("已读取身份证：{name}").format(name=card.name), error=False)

    def _check_id(self, text: str) -> None:
        if not text.strip():
            self.id_hint.clear()
            return
        person = self.kind_box.currentData() == "person"
        result = check_resident_id(text) if person else check_uscc(text)
        self.id_hint.setText("" if result.ok else result.message)

    def _check_mobile(self, text: str) -> None:
        self.mobile_hint.setText("" if not text.strip() or check_mobile(text).ok
                                 else check_mobile(text).message)

    def _store_applicant(self) -> None:
        draft = self.intake.draft
        if draft is None:
            return
        a = draft.applicant
        a.kind = str(self.kind_box.currentData())
        a.name, a.id_number = self.name_edit.text(), self.id_edit.text().strip().upper()
        a.legal_rep, a.mobile = self.rep_edit.text(), self.mobile_edit.text().strip()
        a.address = self.address_edit.text()
        a.agent_name, a.agent_id_number = self.agent_name_edit.text(), self.agent_id_edit.text()

    # -- materials -----------------------------------------------------------------------

    def _fill_materials(self) -> None:
        draft = self.intake.draft
        if draft is None:
            return
        row_now = max(self.material_table.currentRow(), 0)
        self.material_table.setRowCount(len(draft.materials))
        for row, m in enumerate(draft.materials):
            name = m.name + (f"（{m.condition}）" if m.condition else "")
            need = self.tr("必要") if m.requirement is Requirement.REQUIRED else self.tr("情形")
            for col, text in ((0, name), (1, need), (2, f"{m.form.label} × {m.expected_count}"),
                              (4, str(len(m.files)))):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.material_table.setItem(row, col, item)
            box = QComboBox()
            for status, label in STATUS_CHOICES:
                box.addItem(self.tr(label), status.value)
            box.setCurrentIndex(box.findData(m.status.value))
            box.currentIndexChanged.connect(
                lambda _i, code=m.code, b=box: self.intake.set_status(code, MaterialStatus(b.currentData())))
            self.material_table.setCellWidget(row, 3, box)
        self.material_table.setCurrentCell(min(row_now, len(draft.materials) - 1), 0)

    def _show_standard(self, row: int) -> None:
        draft = self.intake.draft
        if draft is not None and 0 <= row < len(draft.materials):
            self.standard_label.setText(self.tr("要求：") + (draft.materials[row].standard or "—"))

    def import_files_for_row(self, row: int, paths: list[Path]) -> None:
        draft = self.intake.draft
        if draft is not None and 0 <= row < len(draft.materials):
            self.intake.import_files(draft.materials[row].code, paths)

    def refresh_camera(self) -> None:
        """Enable 高拍仪拍照 only when a camera is connected."""
        names = camera_names()
        self.camera_button.setEnabled(bool(names))
        self.camera_button.setToolTip(names[0] if names else self.tr("未检测到高拍仪"))

    def ensure_camera(self) -> DocumentCamera:
        if self.camera is None:
            self.camera = DocumentCamera(parent=self)
            self.camera.image_captured.connect(self._on_photo)
            self.camera.camera_failed.connect(self._say)
        return self.camera

    def photograph_current_row(self) -> None:
        self._photo_row = self.material_table.currentRow()
        self.ensure_camera().capture()

    def _on_photo(self, image: Any) -> None:
        draft = self.intake.draft
        row = getattr(self, "_photo_row", self.material_table.currentRow())
        if draft is not None and 0 <= row < len(draft.materials):
            self.intake.add_camera_image(draft.materials[row].code, image)

    def scan_current_row(self) -> None:
        draft = self.intake.draft
        row = self.material_table.currentRow()
        if draft is not None and 0 <= row < len(draft.materials):
            self._say(self.tr("正在扫描「{n}」…").format(n=draft.materials[row].name), error=False)
            self.intake.scan_material(draft.materials[row].code)

    def _import_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("选择材料文件"), "",
                                                self.tr("材料 (*.jpg *.jpeg *.png *.pdf)"))
        if files:
            self.import_files_for_row(self.material_table.currentRow(), [Path(f) for f in files])

    # -- decision ------------------------------------------------------------------------

    def _prepare_decision(self) -> None:
        draft = self.intake.draft
        if draft is None:
            return
        missing = draft.missing()
        self.missing_label.setText("、".join(m.name for m in missing) or self.tr("无，材料齐全"))
        default = Decision.CORRECT if missing else Decision.ACCEPT
        self.decision_buttons[default].setChecked(True)

    def chosen_decision(self) -> Decision:
        return next(d for d, b in self.decision_buttons.items() if b.isChecked())

    def submit(self) -> None:
        draft = self.intake.draft
        if draft is None:
            return
        draft.refusal_reason, draft.refusal_agency = self.reason_edit.text(), self.agency_edit.text()
        draft.delivery = str(self.delivery_box.currentData())
        draft.post_recipient = self.post_name_edit.text()
        draft.post_phone = self.post_phone_edit.text()
        draft.post_address = self.post_address_edit.text()
        self._item_for_notice = draft.item
        self.intake.commit(self.chosen_decision())

    def _on_committed(self, done: Any, case: dict[str, Any]) -> None:
        kind = {3: "accept", 6: "correction", 5: "refusal"}[int(done.status)]
        ctx = NoticeContext(self.hall_name, case, self._item_for_notice)
        self.printed.clear()
        self.printer.print_notice(kind, ctx)
        self.printer.print_notice("receipt", ctx)
        self.case_number_label.setText(done.case_no)
        self.done_detail.setText(self.tr("{status}。查询密码 {pw}。正在打印通知书和回执…").format(
            status=done.status.label, pw=done.query_password))
        self.message.clear()
        for edit in (self.reason_edit, self.agency_edit):
            edit.clear()
        self.go(4)

    def _on_printed(self, kind: str, pdf: str, printer: str) -> None:
        self.printed[kind] = pdf
        where = printer or self.tr("PDF")
        self.done_detail.setText(self.done_detail.text().replace(self.tr("正在打印通知书和回执…"), "")
                                 + self.tr(" 已输出{kind}到 {where}。").format(kind=kind, where=where))

    def _on_scan(self, kind: str, code: str) -> None:
        labels = {"ticket": "排队号", "case": "办件编号", "preapplication": "网上预申请码",
                  "id_number": "身份证号", "material": "材料条码"}
        self._say(self.tr("已扫描{what}：{code}").format(what=labels.get(kind, kind), code=code),
                  error=False)
        if kind == "id_number":
            self.id_edit.setText(code.upper())
        draft = self.intake.draft
        row = self.material_table.currentRow()
        if kind == "material" and draft is not None and 0 <= row < len(draft.materials):
            self.intake.note_material_code(draft.materials[row].code, code)
            self._say(self.tr("已记录「{m}」上的条码：{code}").format(
                m=draft.materials[row].name, code=code), error=False)
