"""The intake window (受理): five pages in a row — item, applicant, materials, decision,
done — with the step bar, back / next and one message line."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from hallclient.core.cases import CaseDraft
from hallclient.services.case_desk import CommittedCase
from hallclient.services.intake_service import IntakeService

from .applicant_page import ApplicantPage
from .decision_page import DecisionPage
from .finished_page import FinishedPage
from .item_page import ItemPage
from .materials_page import MaterialsPage

STEPS = ("1 选择事项", "2 申请人", "3 申请材料", "4 受理决定", "5 完成")
ITEM, APPLICANT, MATERIALS, DECISION, FINISHED = range(5)
SCANNED = {"ticket": "排队号", "case": "办件编号", "preapplication": "网上预申请码",
           "id_number": "身份证号", "material": "材料条码"}


class IntakeWindow(QWidget):
    """The ticket intake is for (排队号 and its service) heads every step and the title, so
    the clerk never records an applicant under another's number."""

    def __init__(self, intake: IntakeService, hall_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intake = intake
        self.printed: dict[str, str] = {}       # notice kind -> its PDF, for the case just committed
        # the ticket of the case just committed, while its finished page is up (else None)
        self._finished_ticket: str | None = None
        self.hall_name = hall_name
        self.setObjectName("intake")

        self.ticket_label = QLabel()
        self.ticket_label.setObjectName("ticketHeader")
        self.step_bar = QLabel()
        self.step_bar.setObjectName("stepBar")
        self.item_page = ItemPage(intake)
        self.applicant_page = ApplicantPage(intake)
        self.materials_page = MaterialsPage(intake)
        self.decision_page = DecisionPage(intake)
        self.finished_page = FinishedPage()
        self.stack = QStackedWidget()
        for page in (self.item_page, self.applicant_page, self.materials_page, self.decision_page,
                     self.finished_page):
            self.stack.addWidget(page)
        self.back_button = QPushButton(self.tr("上一步(&B)"))
        self.next_button = QPushButton(self.tr("下一步(&N)"))
        self.message = QLabel()
        self.message.setObjectName("problems")
        self.message.setWordWrap(True)
        nav = QHBoxLayout()
        nav.addWidget(self.message, 1)
        nav.addWidget(self.back_button)
        nav.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.ticket_label)
        layout.addWidget(self.step_bar)
        layout.addWidget(self.stack, 1)
        layout.addLayout(nav)
        self.back_button.clicked.connect(lambda: self.go(self.stack.currentIndex() - 1))
        self.next_button.clicked.connect(self._next)
        self._connect()
        self.show_ticket(*intake.for_ticket())
        self.go(ITEM)

    def _connect(self) -> None:
        i = self.intake
        for page in (self.applicant_page, self.materials_page):
            page.note_posted.connect(self.say)
        self.finished_page.new_button.clicked.connect(self.start_new)
        i.draft_started.connect(self._show_draft)
        i.card_failed.connect(self.say)
        i.material_failed.connect(lambda _code, m: self.say(m))
        i.material_changed.connect(self._material_fine)
        i.ticket_changed.connect(self.show_ticket)
        i.commit_failed.connect(lambda problems: self.say("；".join(problems)))
        i.case_committed.connect(self._on_committed)
        i.scan_routed.connect(self._on_scan)
        i.notice_printed.connect(self._on_printed)
        i.notice_failed.connect(self._on_print_failed)
        self.finished_page.reprint_button.clicked.connect(
            lambda: self.intake.reprint(self.finished_page.case_no))
        self.finished_page.open_button.clicked.connect(self.open_notice)
        i.uploads_counted.connect(self.finished_page.show_waiting)

    def show_sync_status(self, status: dict[str, Any]) -> None:
        """What the upload thread last said (SyncService.status_changed)."""
        self.finished_page.show_connection(str(status.get("connection", "")))

    def open_notice(self) -> None:
        """打开 PDF: the notice of the case just committed, in the desktop's PDF viewer."""
        pdf = next((path for kind, path in self.printed.items() if kind != "receipt"), "")
        if not pdf:
            self.say(self.tr("通知书还没有保存为 PDF"))
        elif not QDesktopServices.openUrl(QUrl.fromLocalFile(pdf)):
            self.say(self.tr("无法打开 {pdf}：本机没有可用的 PDF 阅读器").format(pdf=pdf))

    def go(self, index: int) -> None:
        index = max(ITEM, min(index, FINISHED))
        if ITEM < index < FINISHED and self.intake.draft is None:
            index = ITEM
        self.stack.setCurrentIndex(index)
        self.step_bar.setText("　›　".join(
            f"<b>{s}</b>" if n == index else s for n, s in enumerate(STEPS)))
        self.back_button.setEnabled(ITEM < index < FINISHED)
        self.next_button.setEnabled(index in (APPLICANT, MATERIALS))
        if index == ITEM:            # 受理下一件 / a new case: the pinyin typed goes to the search
            self.item_page.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        if index == APPLICANT:
            self.applicant_page.start()
        if index == MATERIALS:       # keyboard: arrows choose the row, Alt+I imports its file
            self.materials_page.material_table.setFocus()
        if index == DECISION:
            self.decision_page.prepare()

    def _next(self) -> None:
        if self.stack.currentIndex() == APPLICANT:
            self.applicant_page.store()
            problem = self.applicant_page.first_problem()
            if problem is not None:      # said at the field that causes it, the cursor there
                edit, message = problem
                self.say(message)
                edit.setFocus(Qt.FocusReason.OtherFocusReason)
                return
            self.message.clear()
        self.go(self.stack.currentIndex() + 1)

    def search_again(self) -> None:
        self.item_page.search_again()

    def start_new(self) -> None:
        self._finished_ticket = None
        self.intake.discard()
        self.item_page.search_edit.clear()
        self.message.clear()
        self.go(ITEM)
        self.intake.search("")

    def submit(self) -> None:
        """确认: the decision page's choice and fields go to the intake service."""
        self.decision_page.submit()

    def say(self, text: str, error: bool = True) -> None:
        self.message.setProperty("tone", "error" if error else "ok")
        self.message.style().polish(self.message)
        self.message.setText(text)

    def show_ticket(self, number: str, service: str) -> None:
        """「A005 · 社会保障」 above the steps and in the title; 「无排队号」 without one."""
        if number:
            shown = "　·　".join(part for part in (number, service) if part)
            title = self.tr("受理 · {ticket}").format(
                ticket=" · ".join(part for part in (number, service) if part))
        else:
            shown = self.tr("无排队号")
            title = self.tr("受理 · {hall}").format(hall=self.hall_name)
        self.ticket_label.setText(shown)
        self.ticket_label.setProperty("tone", "ticket" if number else "none")
        self.ticket_label.style().polish(self.ticket_label)
        self.setWindowTitle(title)
        if (number and self._finished_ticket is not None and number != self._finished_ticket
                and self.stack.currentIndex() == FINISHED):
            # the next applicant: a fresh step 1, not the last one's case and its password
            self.start_new()

    def _material_fine(self, _code: str) -> None:
        """A material's files or status changed as asked: an error on the message line is
        over (the material still refused keeps its own mark in the table)."""
        if self.message.property("tone") == "error":
            self.message.clear()
            self.message.setProperty("tone", "ok")

    def _show_draft(self, draft: CaseDraft) -> None:
        self._finished_ticket = None
        self.applicant_page.show_draft(draft)
        self.materials_page.refresh_camera()
        self.materials_page.fill()
        resuming = self.intake.resuming
        if resuming:
            self.say(self.tr("继续补正办件 {n}").format(n=resuming), error=False)
        else:
            self.message.clear()
        self.go(MATERIALS if resuming else APPLICANT)

    def _on_committed(self, done: CommittedCase, case: dict[str, Any]) -> None:
        self._finished_ticket = str(case.get("ticket") or "")
        self.printed.clear()
        self.finished_page.show_committed(done)
        self.message.clear()
        self.decision_page.clear_refusal()
        self.go(FINISHED)

    def _on_printed(self, kind: str, pdf: str, printer: str) -> None:
        self.printed[kind] = pdf
        had_unsaved = bool(self.finished_page.unsaved)
        self.finished_page.show_printed(kind, printer)
        if had_unsaved and not self.finished_page.unsaved:
            self.say(self.tr("通知书已重新打印并保存"), error=False)

    def _on_print_failed(self, kind: str, message: str) -> None:
        self.say(message)
        if kind and self.stack.currentIndex() == FINISHED:
            self.finished_page.show_unsaved(kind, message)

    def _on_scan(self, kind: str, code: str) -> None:
        self.say(self.tr("已扫描{what}：{code}").format(what=SCANNED.get(kind, kind), code=code),
                 error=False)
        if kind == "id_number":
            self.applicant_page.take_scanned_id(code)
        elif kind == "material" and self.intake.draft is not None:
            self.materials_page.note_scanned_code(code)
