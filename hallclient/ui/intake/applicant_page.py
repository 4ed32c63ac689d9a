"""Step 2 of intake: the applicant (申请人), typed in, read off the ID card or scanned;
ID numbers and mobile numbers are checked as they are typed."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from hallclient.core.cases import RARE_CHARS_UNCONFIRMED, Applicant, CaseDraft
from hallclient.core.clock import local_now
from hallclient.core.idcards import RareChar
from hallclient.core.validators import TEXT_LIMITS, check_mobile, check_resident_id, check_text, check_uscc
from hallclient.services.intake_service import IntakeService


class ReadCard(Protocol):
    """What the ID-card reader gave (居民身份证, 居住证, 永久居留身份证)."""

    name: str
    id_number: str
    address: str
    valid_to: date | None

    @property
    def flagged(self) -> list[RareChar]: ...

    @property
    def number_problem(self) -> str: ...

    def expired(self, today: date) -> bool: ...


def _hint() -> QLabel:
    label = QLabel()
    label.setProperty("class", "hint")
    return label


class ApplicantPage(QWidget):
    """Signals: note_posted(str text, bool error) — for the window's message line"""

    note_posted = Signal(str, bool)

    def __init__(self, intake: IntakeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intake = intake
        self.item_title = QLabel()
        self.kind_box = QComboBox()
        self.kind_box.addItem(self.tr("自然人"), "person")
        self.kind_box.addItem(self.tr("法人或其他组织"), "company")
        self.name_edit, self.id_edit, self.rep_edit = QLineEdit(), QLineEdit(), QLineEdit()
        self.mobile_edit, self.address_edit = QLineEdit(), QLineEdit()
        self.agent_name_edit, self.agent_id_edit = QLineEdit(), QLineEdit()
        self.id_hint, self.mobile_hint = _hint(), _hint()
        self.name_hint, self.rep_hint, self.agent_hint = _hint(), _hint(), _hint()
        # typed by a person only: the barcode wedge never takes keys here as a scan
        self.address_edit.setProperty("barcodeWedgeOff", True)
        self.card_button = QPushButton(self.tr("读身份证"))
        form = self._form = QFormLayout(self)
        form.addRow(self.tr("事项"), self.item_title)
        form.addRow(self.tr("申请人类型"), self.kind_box)
        form.addRow(self.tr("申请人名称"), self.name_edit)
        form.addRow("", self.name_hint)
        # what the card itself says is wrong: 生僻字 the chip could not hold, 有效期已过
        self.card_hint = _hint()
        self.card_hint.setWordWrap(True)
        self.confirm_button = QPushButton(self.tr("确认姓名"))
        self.confirm_button.setToolTip(self.tr("已对照身份证，姓名和住址中的生僻字已改为正确的汉字"))
        card_row = QHBoxLayout()
        card_row.addWidget(self.card_hint, 1)
        card_row.addWidget(self.confirm_button)
        form.addRow("", card_row)
        id_row = QHBoxLayout()
        id_row.addWidget(self.id_edit, 1)
        id_row.addWidget(self.card_button)
        form.addRow(self.tr("证件号码"), id_row)
        form.addRow("", self.id_hint)
        form.addRow(self.tr("法定代表人"), self.rep_edit)
        form.addRow("", self.rep_hint)
        form.addRow(self.tr("手机号码"), self.mobile_edit)
        form.addRow("", self.mobile_hint)
        form.addRow(self.tr("通讯地址"), self.address_edit)
        self.address_hint = _hint()
        form.addRow("", self.address_hint)
        form.addRow(self.tr("代理人姓名"), self.agent_name_edit)
        form.addRow(self.tr("代理人身份证号"), self.agent_id_edit)
        form.addRow("", self.agent_hint)
        self.card_button.clicked.connect(intake.read_card)
        self.confirm_button.clicked.connect(self._confirm_card_text)
        self.confirm_button.hide()
        intake.card_confirmed.connect(self._card_confirmed)
        intake.card_confirm_refused.connect(self.card_hint.setText)
        self.id_edit.textChanged.connect(self._check_id)
        self.mobile_edit.textChanged.connect(self._check_mobile)
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self.name_edit.textChanged.connect(lambda _: self.name_hint.clear())
        self.rep_edit.textChanged.connect(lambda _: self.rep_hint.clear())
        for edit in (self.agent_name_edit, self.agent_id_edit):
            edit.textChanged.connect(lambda _: self.agent_hint.clear())
        self._kind_changed()
        intake.card_read.connect(self._on_card)

    def show_draft(self, draft: CaseDraft) -> None:
        self.item_title.setText(f"{draft.item.name}（{draft.item.department}，"
                                f"{draft.item.case_type.label}）")
        a = draft.applicant
        self.kind_box.setCurrentIndex(self.kind_box.findData(a.kind or draft.item.applicant_kind))
        if not a.name:
            self.kind_box.setCurrentIndex(self.kind_box.findData(draft.item.applicant_kind))
        for hint in (self.name_hint, self.id_hint, self.rep_hint, self.mobile_hint, self.agent_hint,
                     self.address_hint, self.card_hint):
            hint.clear()
        self.confirm_button.setVisible(draft.card_text_unconfirmed)
        if draft.card_text_unconfirmed:
            self.card_hint.setText(RARE_CHARS_UNCONFIRMED)
        for edit, value in ((self.name_edit, a.name), (self.id_edit, a.id_number),
                            (self.rep_edit, a.legal_rep), (self.mobile_edit, a.mobile),
                            (self.address_edit, a.address), (self.agent_name_edit, a.agent_name),
                            (self.agent_id_edit, a.agent_id_number)):
            edit.setText(value)

    def _kind_changed(self, *_: object) -> None:
        """法定代表人 only for a company: hidden (and so out of the Tab order) for a person."""
        company = self.kind_box.currentData() == "company"
        self._form.setRowVisible(self.rep_edit, company)
        self._form.setRowVisible(self.rep_hint, company)
        self._check_id(self.id_edit.text())

    def first_problem(self) -> tuple[QWidget, str] | None:
        """The first field that stops 下一步, with why (shown under it); None when all is
        well. Every field's hint is refreshed, so each wrong field says so at once."""
        a = self.applicant()
        found: list[tuple[QWidget, QLabel, str]] = []
        for field, hint, text, label, limit in (
                (self.name_edit, self.name_hint, a.name, "申请人名称", TEXT_LIMITS["applicant_name"]),
                (self.rep_edit, self.rep_hint, a.legal_rep, "法定代表人", TEXT_LIMITS["legal_rep"]),
                (self.address_edit, self.address_hint, a.address or "", "通讯地址", TEXT_LIMITS["address"]),
                (self.agent_name_edit, self.agent_hint, a.agent_name, "代理人姓名",
                 TEXT_LIMITS["agent_name"])):
            text_ok = check_text(text, self.tr(label), limit)
            if not text_ok.ok:
                found.append((field, hint, text_ok.message))
        if not a.name.strip():
            found.append((self.name_edit, self.name_hint, self.tr("请填写申请人名称")))
        if self.intake.card_text_unconfirmed:
            found.append((self.name_edit, self.name_hint, RARE_CHARS_UNCONFIRMED))
        person = a.kind == "person"
        checked = check_resident_id(a.id_number) if person else check_uscc(a.id_number)
        if not checked.ok:
            found.append((self.id_edit, self.id_hint, checked.message))
        if not person and not a.legal_rep.strip():
            found.append((self.rep_edit, self.rep_hint, self.tr("请填写法定代表人")))
        mobile = check_mobile(a.mobile)
        if not mobile.ok:
            found.append((self.mobile_edit, self.mobile_hint, mobile.message))
        if a.agent_name.strip() or a.agent_id_number.strip():
            agent = check_resident_id(a.agent_id_number)
            if not a.agent_name.strip():
                found.append((self.agent_name_edit, self.agent_hint, self.tr("请填写代理人姓名")))
            elif not agent.ok:
                found.append((self.agent_id_edit, self.agent_hint,
                              self.tr("代理人{problem}").format(problem=agent.message)))
        for _edit, hint, message in found:
            hint.setText(message)
        if not found:
            return None
        edit, _hint_label, message = found[0]
        return edit, message

    def start(self) -> None:
        """A new case: typing starts in 申请人名称."""
        self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def applicant(self) -> Applicant:
        """The applicant as the form shows it now."""
        return Applicant(
            kind=str(self.kind_box.currentData()), name=self.name_edit.text(),
            id_number=self.id_edit.text().strip().upper(), legal_rep=self.rep_edit.text(),
            mobile=self.mobile_edit.text().strip(), address=self.address_edit.text(),
            agent_name=self.agent_name_edit.text(), agent_id_number=self.agent_id_edit.text())

    def store(self) -> None:
        self.intake.set_applicant(self.applicant())

    def take_scanned_id(self, code: str) -> None:
        self.id_edit.setText(code.upper())

    def _on_card(self, card: ReadCard) -> None:
        self.kind_box.setCurrentIndex(self.kind_box.findData("person"))
        self.name_edit.setText(card.name)
        self.id_edit.setText(card.id_number)
        self.address_edit.setText(card.address)
        notes = []
        flagged = card.flagged
        if flagged:
            where = "、".join(r.described for r in flagged)
            notes.append(self.tr("{where}是读卡器读不出的生僻字：请对照证件输入正确的汉字，再点「确认姓名」")
                         .format(where=where))
        if card.expired(local_now().date()) and card.valid_to is not None:
            notes.append(self.tr("证件有效期已过（有效期至 {day}），请申请人出示有效证件")
                         .format(day=card.valid_to.isoformat()))
        if card.number_problem:
            notes.append(self.tr("读出的证件号码有误（{problem}），请重新读卡或核对证件")
                         .format(problem=card.number_problem))
        self.card_hint.setText("\n".join(notes))
        self.confirm_button.setVisible(bool(flagged))
        if notes:
            self.note_posted.emit(self.tr("已读取身份证，请核对：{note}").format(note=notes[0]), True)
        else:
            self.note_posted.emit(self.tr("已读取身份证：{name}").format(name=card.name), False)

    def _confirm_card_text(self) -> None:
        self.store()
        self.intake.confirm_card_text(self.name_edit.text(), self.address_edit.text())

    def _card_confirmed(self, name: str) -> None:
        self.confirm_button.hide()
        self.card_hint.clear()
        self.name_hint.clear()
        self.note_posted.emit(self.tr("已确认申请人姓名：{name}").format(name=name), False)

    def _check_id(self, text: str) -> None:
        if not text.strip():
            self.id_hint.clear()
            return
        person = self.kind_box.currentData() == "person"
        result = check_resident_id(text) if person else check_uscc(text)
        self.id_hint.setText("" if result.ok else result.message)

    def _check_mobile(self, text: str) -> None:
        result = check_mobile(text)
        self.mobile_hint.setText("" if not text.strip() or result.ok else result.message)
