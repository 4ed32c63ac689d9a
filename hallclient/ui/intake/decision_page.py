"""Step 4 of intake: the decision (行政许可法 第三十二条) — 受理, 补正 (one-time notice of
every missing material) or 不予受理 with reason and agency — and how the result is delivered."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from hallclient.core.cases import REPEAT_REASON_NEEDED, Decision, MaterialDraft
from hallclient.services.intake_service import DecisionDetails, IntakeService


class DecisionPage(QWidget):
    def __init__(self, intake: IntakeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intake = intake
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
        # 补正: what exactly is missing or wrong with each material, for the 补正告知书
        self.reasons_box = QWidget()
        self.reasons_form = QFormLayout(self.reasons_box)
        self.reasons_form.setContentsMargins(0, 0, 0, 0)
        self.reason_edits: dict[str, QLineEdit] = {}
        self.repeat_edit = QLineEdit()
        self.repeat_edit.setPlaceholderText(self.tr("已一次性告知过：写明为什么还要再次补正（报值班长）"))
        self.repeat_hint = QLabel()
        self.repeat_hint.setProperty("class", "hint")
        self.reason_edit, self.agency_edit = QLineEdit(), QLineEdit()
        self.delivery_box = QComboBox()
        self.delivery_box.addItem(self.tr("窗口领取"), "window")
        self.delivery_box.addItem(self.tr("邮寄送达"), "post")
        self.post_name_edit, self.post_phone_edit, self.post_address_edit = (
            QLineEdit(), QLineEdit(), QLineEdit())
        # typed by a person only: the barcode wedge never takes keys here as a scan
        for edit in (self.reason_edit, self.agency_edit, self.post_address_edit, self.repeat_edit):
            edit.setProperty("barcodeWedgeOff", True)
        self.submit_button = QPushButton(self.tr("确认并打印通知书(&S)"))
        form = self._form = QFormLayout(self)
        form.addRow(self.tr("决定"), row)
        form.addRow(self.tr("缺少的必要材料"), self.missing_label)
        form.addRow(self.tr("补正说明"), self.reasons_box)
        form.addRow(self.tr("再次补正理由"), self.repeat_edit)
        form.addRow("", self.repeat_hint)
        form.addRow(self.tr("不予受理理由"), self.reason_edit)
        form.addRow(self.tr("应向何机关申请"), self.agency_edit)
        form.addRow(self.tr("送达方式"), self.delivery_box)
        form.addRow(self.tr("收件人"), self.post_name_edit)
        form.addRow(self.tr("收件人手机"), self.post_phone_edit)
        form.addRow(self.tr("邮寄地址"), self.post_address_edit)
        form.addRow("", self.submit_button)
        self.submit_button.clicked.connect(self.submit)
        self.repeat_edit.textChanged.connect(self._repeat_typed)
        intake.commit_failed.connect(self._commit_failed)
        for b in self.decision_buttons.values():
            b.toggled.connect(self._show_fields)
        self.delivery_box.currentIndexChanged.connect(self._show_fields)

    def _show_fields(self, *_: object) -> None:
        """Show the refusal fields only for 不予受理 and the postal ones only for 邮寄."""
        refusing = self.decision_buttons[Decision.REFUSE].isChecked()
        correcting = self.decision_buttons[Decision.CORRECT].isChecked()
        repeating = correcting and self.intake.draft is not None and self.intake.draft.reopened_correction
        posting = self.delivery_box.currentData() == "post" and not refusing
        for widget, show in ((self.reason_edit, refusing), (self.agency_edit, refusing),
                             (self.reasons_box, correcting and bool(self.reason_edits)),
                             (self.repeat_edit, repeating), (self.repeat_hint, repeating),
                             (self.post_name_edit, posting), (self.post_phone_edit, posting),
                             (self.post_address_edit, posting)):
            self._form.setRowVisible(widget, show)

    def prepare(self) -> None:
        """On entering the page: list what is missing and propose 补正 if anything is."""
        draft = self.intake.draft
        if draft is None:
            return
        missing = draft.missing()
        self.missing_label.setText("、".join(m.name for m in missing) or self.tr("无，材料齐全"))
        self._reason_rows(missing)
        self.repeat_edit.setText(draft.repeat_reason)
        self.repeat_hint.clear()
        default = Decision.CORRECT if missing else Decision.ACCEPT
        self.decision_buttons[default].setChecked(True)
        self._show_fields()

    def _reason_rows(self, missing: list[MaterialDraft]) -> None:
        """One line per missing material for its 补正 reason, filled with what it has."""
        while self.reasons_form.rowCount():
            self.reasons_form.removeRow(0)
        self.reason_edits = {}
        for m in missing:
            edit = QLineEdit(m.correction_reason)
            edit.setProperty("barcodeWedgeOff", True)
            edit.setPlaceholderText(self.tr("缺什么、哪里不符合要求（打印在补正告知书上）"))
            self.reasons_form.addRow(m.name, edit)
            self.reason_edits[m.code] = edit
            # kept in the draft as typed: a step back to the materials and here again loses nothing
            edit.textChanged.connect(lambda text, code=m.code: self.intake.set_correction_reason(code, text))

    def _repeat_typed(self, text: str) -> None:
        self.repeat_hint.clear()
        self.intake.set_repeat_reason(text)

    def _commit_failed(self, problems: list[str]) -> None:
        """再次补正 without a reason: said under its field, the cursor there."""
        if REPEAT_REASON_NEEDED in problems and self.repeat_edit.isVisible():
            self.repeat_hint.setText(REPEAT_REASON_NEEDED)
            self.repeat_edit.setFocus()

    def chosen_decision(self) -> Decision:
        return next(d for d, b in self.decision_buttons.items() if b.isChecked())

    def details(self) -> DecisionDetails:
        return DecisionDetails(
            refusal_reason=self.reason_edit.text(), refusal_agency=self.agency_edit.text(),
            delivery=str(self.delivery_box.currentData()), post_recipient=self.post_name_edit.text(),
            post_phone=self.post_phone_edit.text(), post_address=self.post_address_edit.text(),
            repeat_reason=self.repeat_edit.text(),
            correction_reasons={code: e.text().strip() for code, e in self.reason_edits.items()}
            if self.decision_buttons[Decision.CORRECT].isChecked() else {})

    def submit(self) -> None:
        if self.intake.draft is not None:
            self.intake.decide(self.chosen_decision(), self.details())

    def clear_refusal(self) -> None:
        for edit in (self.reason_edit, self.agency_edit):
            edit.clear()
