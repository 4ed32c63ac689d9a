"""The ticket kiosk (取号机): big touch buttons, read top to bottom.

- 刷身份证取号: the applicant lays the ID card on the reader; an appointment booked with the
  card for today gives its 预约 ticket at once, an applicant of the 绿色通道 age gets it
  without asking (and the large-type 长辈模式), anyone else then taps the service.
- Or by buttons: first the priority class (普通 / 绿色通道 / 预约, toggles); 绿色通道 for
  any other reason (残疾人, 军人依法优先 …) is chosen with a member of staff (their code,
  when the hall sets one); 预约 by the appointment's code or phone on a keypad; then the
  service (each button says how many are waiting).
- 长辈模式 (适老化, GB/T 37668): large type, high contrast, bigger buttons, prompts
  spoken; 请工作人员协助 shows on every counter until a clerk goes.

Nothing of the card is shown here: the kiosk is a public screen.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.hall import HelpCall, IssuedTicket, Service
from hallclient.core.swipe import ELDER, STAFF_REASONS
from hallclient.core.tickets import PRIORITY_LABELS, PriorityClass
from hallclient.services.kiosk_service import KioskCard, KioskService

PRIORITY_HINTS = {
    PriorityClass.NORMAL: "一般取号",
    PriorityClass.GREEN: "残疾人、军人等",
    PriorityClass.APPOINTMENT: "凭预约码或手机号",
}
START_TEXT = "请刷身份证取号，或先选择取号类别，再点击办理的业务"


class KioskWindow(QWidget):
    RESET_MS = 8000
    IDLE_MS = 45_000         # untouched this long: the last person's input leaves the screen
    CARD_KEEP_MS = 30_000    # a swiped card is forgotten when no service is tapped by then
    HELP_PAUSE_MS = 60_000   # one call for staff a minute is enough
    SETTLE_MS = 1500         # after a ticket, before the service buttons take the next tap
    COLUMNS = 3
    ELDER_COLUMNS = 3       # two rows of big buttons still fit a 768-high screen

    def __init__(self, hall_name: str, kiosk: KioskService, parent: QWidget | None = None, *,
                 green_age: int = 65, staff_code: str = "", elder: bool = False,
                 speak: Callable[[str], None] | None = None,
                 progress_page: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kiosk")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle(self.tr("取号机 · {hall}").format(hall=hall_name))
        self.hall_name = hall_name
        self.kiosk = kiosk
        self.green_age = green_age
        self.staff_code = staff_code
        self.elder_default = elder
        self.speak = speak
        self.card: KioskCard | None = None
        self._staff_failures = 0
        self._staff_paused_until = 0.0
        self.services: list[Service] = []
        self.waiting: dict[str, dict[int, int]] = {}
        self.service_buttons: dict[str, QPushButton] = {}
        self.title = title = QLabel(self.tr("{hall} · 自助取号").format(hall=hall_name))
        title.setObjectName("kioskTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid = QGridLayout()
        self.grid.setSpacing(12)
        self.issued_number = QLabel(" ")
        self.issued_number.setObjectName("issuedNumber")
        self.issued_number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.issued_number.hide()         # its room goes to the keypads until a number is out
        self.message = QLabel(self.tr(START_TEXT))
        self.message.setObjectName("kioskMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)   # the queue's words, never markup
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.ticket_page = QWidget()
        self.progress_page = progress_page
        self.stack = QStackedWidget()
        self.stack.addWidget(self.ticket_page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        layout = QVBoxLayout(self.ticket_page)
        layout.addWidget(title)
        layout.addLayout(self._actions_row())
        self.steps = [self._step(self.tr("① 取号类别")), self._step(self.tr("② 请点击办理的业务"))]
        layout.addWidget(self.steps[0])
        layout.addLayout(self._priority_row())
        layout.addWidget(self._appointment_box())
        layout.addWidget(self._green_box())
        layout.addWidget(self.steps[1])
        layout.addLayout(self.grid, 3)
        layout.addWidget(self.issued_number, 1)
        layout.addWidget(self.message)
        self._reset = QTimer(self)
        self._reset.setSingleShot(True)
        self._reset.setInterval(self.RESET_MS)
        self._reset.timeout.connect(self._clear)
        self._forget_card = QTimer(self)
        self._forget_card.setSingleShot(True)
        self._forget_card.setInterval(self.CARD_KEEP_MS)
        self._forget_card.timeout.connect(self._card_timed_out)
        self._help_pause = QTimer(self)       # (owned: it goes with the window)
        self._help_pause.setSingleShot(True)
        self._help_pause.setInterval(self.HELP_PAUSE_MS)
        self._help_pause.timeout.connect(lambda: self.help_button.setEnabled(True))
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(self.IDLE_MS)
        self._idle.timeout.connect(self._idle_out)
        qapp = QApplication.instance()
        if qapp is not None:              # every touch on this window, whichever widget
            qapp.installEventFilter(self)
        kiosk.services_loaded.connect(self._show_services)
        kiosk.waiting_counted.connect(self._show_waiting)
        kiosk.ticket_issued.connect(self._on_issued)
        kiosk.issue_failed.connect(self._on_failed)
        kiosk.ticket_print_failed.connect(lambda _n, m: self._on_failed(m))
        kiosk.card_read.connect(self._on_card)
        kiosk.card_failed.connect(self._on_card_failed)
        kiosk.help_sent.connect(self._on_help_sent)
        kiosk.help_failed.connect(self._on_help_failed)
        self.set_elder(elder)

    # -- building ------------------------------------------------------------------------

    @staticmethod
    def _step(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("kioskStep")
        return label

    def _actions_row(self) -> QHBoxLayout:
        """刷身份证取号 first and widest; 长辈模式 and 请工作人员协助 beside it (more buttons,
        e.g. 办件查询, are added to ``actions_row``)."""
        self.actions_row = QHBoxLayout()
        self.actions_row.setSpacing(12)
        self.swipe_button = self._action_button("swipeButton", self.tr("刷身份证取号"),
                                                self.start_swipe)
        self.elder_button = self._action_button("elderButton", self.tr("长辈模式\n大字 · 语音"),
                                                self._elder_tapped)
        self.elder_button.setCheckable(True)
        self.help_button = self._action_button("helpButton", self.tr("请工作人员\n协助"),
                                               self.kiosk.call_help)
        self.actions_row.addWidget(self.swipe_button, 2)
        if self.progress_page is not None:
            self.progress_button = self._action_button(
                "progressButton", self.tr("办件查询\n扫受理回执条码"), self.show_progress)
            self.actions_row.addWidget(self.progress_button, 1)
            self.stack.addWidget(self.progress_page)
            self.progress_page.back_requested.connect(self.show_tickets)  # type: ignore[attr-defined]
        self.actions_row.addWidget(self.elder_button, 1)
        self.actions_row.addWidget(self.help_button, 1)
        return self.actions_row

    # -- 办件查询 -------------------------------------------------------------------------

    def show_progress(self) -> None:
        if self.progress_page is None:
            return
        elder = self.elder
        self._clear()
        self.set_elder(elder)             # large type goes on to the query
        self.stack.setCurrentWidget(self.progress_page)
        self._speak(self.tr("请扫描受理回执上的条码，或输入办件编号"))

    def show_tickets(self) -> None:
        self.stack.setCurrentWidget(self.ticket_page)

    def take_scan(self, code: str) -> None:
        """A barcode at the kiosk is a receipt or notice: its case's progress is asked."""
        if self.progress_page is None:
            return
        if self.stack.currentWidget() is not self.progress_page:
            self.show_progress()
        self.progress_page.take_scan(code)  # type: ignore[attr-defined]

    @staticmethod
    def _action_button(name: str, text: str, slot: Callable[[], None]) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        b.setProperty("class", "action")
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setAccessibleName(text.replace("\n", " "))
        b.clicked.connect(lambda _=False: slot())
        return b

    def _priority_row(self) -> QHBoxLayout:
        self.priority_group = QButtonGroup(self)
        self.priority_group.setExclusive(True)
        self.priority_buttons: dict[PriorityClass, QPushButton] = {}
        row = QHBoxLayout()
        row.setSpacing(12)
        for cls in (PriorityClass.NORMAL, PriorityClass.GREEN, PriorityClass.APPOINTMENT):
            b = QPushButton()
            b.setProperty("class", "priority")
            b.setObjectName(f"priority_{cls.name.lower()}")
            b.setCheckable(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)       # the keypad's field keeps the focus
            b.setAccessibleName(self.tr(PRIORITY_LABELS[cls]))
            self.priority_group.addButton(b, int(cls))
            self.priority_buttons[cls] = b
            row.addWidget(b, 1)
        self.priority_buttons[PriorityClass.NORMAL].setChecked(True)
        self._mark_priorities()
        self.priority_group.idToggled.connect(self._priority_toggled)
        # the next person's first touch: the last person's number is no longer theirs
        self.priority_group.idClicked.connect(self._next_person)
        return row

    def _mark_priorities(self) -> None:
        """The chosen class says so in words too (✓), not by its colour alone."""
        elder_card = self._elder_card()
        for cls, b in self.priority_buttons.items():
            mark = "✓ " if b.isChecked() else ""
            hint = (self.tr("年满 {age} 周岁").format(age=self.green_age)
                    if cls is PriorityClass.GREEN and elder_card else self.tr(PRIORITY_HINTS[cls]))
            b.setText(mark + self.tr(PRIORITY_LABELS[cls]) + "\n" + hint)

    def _keypad(self, edit: QLineEdit, name: str) -> tuple[QGridLayout, dict[str, QPushButton]]:
        keypad = QGridLayout()
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "删除", "清除"]
        buttons: dict[str, QPushButton] = {}
        for i, key in enumerate(keys):
            b = QPushButton(self.tr(key))
            b.setProperty("class", "key")
            b.setObjectName(f"{name}_{i}")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, k=key: self._key(edit, k))
            keypad.addWidget(b, i // 4, i % 4)      # 3 rows of 4: fits a narrow screen
            buttons[key] = b
        return keypad, buttons

    def _appointment_box(self) -> QWidget:
        """预约: the code or phone, typed on the keypad (or a keyboard)."""
        self.appointment_box = QWidget()
        self.appointment_box.setObjectName("appointmentBox")
        box = QHBoxLayout(self.appointment_box)
        left = QVBoxLayout()
        prompt = QLabel(self.tr("请输入预约码，或预约时登记的手机号（预约时登记了身份证的，直接刷身份证）："))
        prompt.setObjectName("kioskPrompt")
        prompt.setWordWrap(True)            # the kiosk's width is the screen's, whatever it is
        self.appointment_edit = QLineEdit()
        self.appointment_edit.setObjectName("appointmentEdit")
        self.appointment_edit.setMaxLength(20)
        self.appointment_edit.setPlaceholderText(self.tr("预约码或手机号"))
        left.addWidget(prompt)
        left.addWidget(self.appointment_edit)
        box.addLayout(left, 1)
        keypad, self.keypad_buttons = self._keypad(self.appointment_edit, "appointmentKey")
        box.addLayout(keypad, 1)
        self.appointment_box.setVisible(False)
        return self.appointment_box

    def _green_box(self) -> QWidget:
        """绿色通道 for a reason other than age: chosen with a member of staff (their code,
        when the hall sets one)."""
        self.green_box = QWidget()
        self.green_box.setObjectName("greenBox")
        box = QHBoxLayout(self.green_box)
        left = QVBoxLayout()
        prompt = QLabel(self.tr("请工作人员协助选择原因（年满 {age} 周岁的请直接刷身份证）：")
                        .format(age=self.green_age))
        prompt.setObjectName("kioskPrompt")
        prompt.setWordWrap(True)
        left.addWidget(prompt)
        reasons = QGridLayout()
        self.reason_group = QButtonGroup(self)
        self.reason_group.setExclusive(True)
        self.reason_buttons: dict[str, QPushButton] = {}
        for i, reason in enumerate(STAFF_REASONS):
            b = QPushButton(self.tr(reason))
            b.setProperty("class", "reason")
            b.setCheckable(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.reason_group.addButton(b, i)
            self.reason_buttons[reason] = b
            reasons.addWidget(b, i // 3, i % 3)
        left.addLayout(reasons)
        self.staff_edit = QLineEdit()
        self.staff_edit.setObjectName("staffEdit")
        self.staff_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.staff_edit.setMaxLength(8)
        self.staff_edit.setPlaceholderText(self.tr("工作人员码"))
        left.addWidget(self.staff_edit)
        box.addLayout(left, 1)
        self.staff_keypad = QWidget()
        staff_keys, self.staff_keypad_buttons = self._keypad(self.staff_edit, "staffKey")
        self.staff_keypad.setLayout(staff_keys)
        box.addWidget(self.staff_keypad, 1)
        self.staff_edit.setVisible(bool(self.staff_code))
        self.staff_keypad.setVisible(bool(self.staff_code))
        self.green_box.setVisible(False)
        return self.green_box

    # -- 长辈模式 -------------------------------------------------------------------------

    @property
    def elder(self) -> bool:
        return bool(self.property("elder"))

    def set_elder(self, on: bool) -> None:
        """Large type and high contrast (the style sheet's ``#kiosk[elder="true"]``), bigger
        buttons, prompts spoken."""
        self.elder_button.setChecked(on)
        if self.elder == on and self.property("elder") is not None:
            return
        self.setProperty("elder", on)
        for w in (self, *self.findChildren(QWidget)):
            w.style().unpolish(w)
            w.style().polish(w)
        self._lay_out_services()
        if on:
            self._speak(self.message.text())

    def _elder_tapped(self) -> None:
        wanted = self.elder_button.isChecked()
        if self._reset.isActive():        # the last person's number: this is the next person
            self._clear()
        self.set_elder(wanted)

    def _speak(self, text: str) -> None:
        if self.speak is not None and self.elder:
            self.speak(text)

    # -- what the applicant does ---------------------------------------------------------

    def chosen_priority(self) -> PriorityClass:
        return PriorityClass(self.priority_group.checkedId())

    def _elder_card(self) -> bool:
        return self.card is not None and self.card.age >= self.green_age

    def _priority_toggled(self, _id: int, checked: bool) -> None:
        if not checked:
            return
        self._mark_priorities()
        cls = self.chosen_priority()
        appointment = cls is PriorityClass.APPOINTMENT
        self.appointment_box.setVisible(appointment)
        self.green_box.setVisible(cls is PriorityClass.GREEN and not self._elder_card())
        # a keypad open: the heading and the step labels give it their room (768-high screens)
        keypad = self.appointment_box.isVisibleTo(self) or self.green_box.isVisibleTo(self)
        for label in (self.title, *self.steps):
            label.setVisible(not keypad)
        if appointment:
            self.appointment_edit.setFocus()
            self._say(self.tr("请输入预约码或手机号，再点击预约的业务"))
        else:
            self.appointment_edit.clear()
            if cls is PriorityClass.GREEN and not self._elder_card():
                self._say(self.tr("请工作人员协助选择绿色通道原因，再点击办理的业务"))
            else:
                self._say(self.tr("请点击办理的业务"))

    def _key(self, edit: QLineEdit, key: str) -> None:
        if key == "清除":
            edit.clear()
        elif key == "删除":
            edit.backspace()
        else:
            edit.insert(key)
        edit.setFocus()

    def start_swipe(self) -> None:
        """刷身份证取号: wait for the card on the reader."""
        if self._reset.isActive():
            self._clear()
        self.swipe_button.setEnabled(False)
        self._say(self.tr("请将身份证平放在读卡区，不要移动…"))
        self.kiosk.read_card()

    def _on_card(self, card: KioskCard) -> None:
        self.swipe_button.setEnabled(True)
        self.card = card
        self._forget_card.start()
        if card.appointment is not None:
            self._say(self.tr("已找到您今天 {time} 的预约，正在出票…").format(
                time=card.appointment.at_time))
            self._disable_services()
            self.kiosk.issue(card.appointment.service, PriorityClass.APPOINTMENT,
                             swipe=card.swipe)
            return
        if self._elder_card():
            self.set_elder(True)
            self.priority_buttons[PriorityClass.GREEN].setChecked(True)
            self._mark_priorities()
            self.green_box.setVisible(False)
            self._say(self.tr("您已年满 {age} 周岁，已为您开通绿色通道。请点击办理的业务")
                      .format(age=self.green_age))
        else:
            self.priority_buttons[PriorityClass.NORMAL].setChecked(True)
            self._mark_priorities()
            self._say(self.tr("已读取身份证。请点击办理的业务"))

    def _on_card_failed(self, message: str) -> None:
        self.swipe_button.setEnabled(True)
        self._say(message, error=True)

    def _card_timed_out(self) -> None:
        if self.card is not None:
            self._forget()
            self._say(self.tr(START_TEXT))

    def _forget(self) -> None:
        self.card = None
        self._forget_card.stop()
        self.kiosk.stop_reading()
        self.swipe_button.setEnabled(True)
        self._mark_priorities()

    def take(self, service: str) -> None:
        cls = self.chosen_priority()
        appointment = None
        reason = ""
        if cls is PriorityClass.APPOINTMENT:
            appointment = self.appointment_edit.text().strip() or None
            if appointment is None and self.card is None:
                self._say(self.tr("预约取号请先输入预约码或预约时登记的手机号"), error=True)
                self.appointment_edit.setFocus()
                return
        if cls is PriorityClass.GREEN:
            if self._elder_card():
                reason = ELDER
            else:
                checked = self.reason_group.checkedButton()
                if checked is None:
                    self._say(self.tr("请工作人员协助选择绿色通道原因"), error=True)
                    return
                if self.staff_code and not self._staff_code_right():
                    return
                reason = next(r for r, b in self.reason_buttons.items() if b is checked)
        self._disable_services()
        self._say(self.tr("正在出票，请稍候…"))
        swipe = self.card.swipe if self.card is not None else None
        self.kiosk.issue(service, cls, appointment, swipe=swipe, reason=reason)

    STAFF_TRIES = 5
    STAFF_PAUSE_S = 300.0

    def _staff_code_right(self) -> bool:
        """The staff code typed: right, or said wrong; five wrong in a row pause it for five
        minutes (the code is four to eight digits: not to be guessed at the kiosk)."""
        now = time.monotonic()
        if now < self._staff_paused_until:
            self.staff_edit.clear()
            self._say(self.tr("工作人员码错误次数过多，请 {m} 分钟后再试").format(
                m=max(1, round((self._staff_paused_until - now) / 60))), error=True)
            return False
        if hmac.compare_digest(self.staff_edit.text().encode(), self.staff_code.encode()):
            self._staff_failures = 0
            return True
        self.staff_edit.clear()
        self._staff_failures += 1
        if self._staff_failures >= self.STAFF_TRIES:
            self._staff_failures = 0
            self._staff_paused_until = now + self.STAFF_PAUSE_S
        self._say(self.tr("工作人员码不对：请工作人员输入"), error=True)
        return False

    # -- 请工作人员协助 --------------------------------------------------------------------

    def _on_help_sent(self, call: HelpCall) -> None:
        self.help_button.setEnabled(False)
        self._help_pause.start()
        if call.staffed:
            self._say(self.tr("已通知工作人员，请在取号机旁稍候，工作人员马上过来"))
        else:                             # no window signed in: nobody would see the call
            self._say(self.tr("现在没有窗口在岗，请到咨询台或服务台找工作人员"), error=True)

    def _on_help_failed(self, message: str) -> None:
        self._say(self.tr("暂时无法通知工作人员，请到咨询台求助（{why}）").format(why=message),
                  error=True)

    # -- what the kiosk shows ------------------------------------------------------------

    def _show_services(self, services: list[Service]) -> None:
        for b in self.service_buttons.values():
            self.grid.removeWidget(b)
            b.deleteLater()
        self.service_buttons.clear()
        self.services = services
        if not services:
            self._say(self.tr("尚未配置业务，请联系工作人员"), error=True)
        for s in services:
            b = QPushButton()
            b.setProperty("class", "service")
            b.setObjectName(f"service_{s.code}")
            b.clicked.connect(lambda _=False, code=s.code: self.take(code))
            self.service_buttons[s.code] = b
        self._lay_out_services()
        self._label_services()

    def _lay_out_services(self) -> None:
        columns = self.ELDER_COLUMNS if self.elder else self.COLUMNS
        for i, s in enumerate(self.services):
            b = self.service_buttons.get(s.code)
            if b is not None:
                self.grid.removeWidget(b)
                self.grid.addWidget(b, i // columns, i % columns)

    def _show_waiting(self, waiting: dict[str, dict[int, int]]) -> None:
        self.waiting = waiting
        self._label_services()

    def waiting_for(self, service: str) -> int:
        return sum(self.waiting.get(service, {}).values())

    def _label_services(self) -> None:
        for s in self.services:
            b = self.service_buttons.get(s.code)
            if b is None:
                continue
            n = self.waiting_for(s.code)
            count = self.tr("等候 {n} 人").format(n=n) if n else self.tr("无人等候")
            b.setText(f"{s.name}\n{s.prefix} · {count}")
            b.setAccessibleName(f"{s.name}，{count}")

    def _on_issued(self, issued: IssuedTicket) -> None:
        t = issued.ticket
        self._forget()
        self.priority_buttons[PriorityClass.NORMAL].setChecked(True)    # for the next person
        self._uncheck_reasons()
        self.staff_edit.clear()
        self.issued_number.setText(t.number)
        self.issued_number.show()
        label = self.tr(PRIORITY_LABELS[t.priority])
        if t.reason:
            label = self.tr("{label}（{reason}）").format(label=label, reason=self.tr(t.reason))
        booked = (self.tr("预约 {time} · ").format(time=issued.appointment_time)
                  if issued.appointment_time
                  else self.tr("{label} · ").format(label=label)
                  if t.priority is PriorityClass.GREEN else "")
        self._say(booked + self.tr("{service} · 您前面还有 {n} 人，请取票并留意叫号").format(
            service=issued.service_name, n=issued.ahead))
        # a second tap of the same finger (or an impatient one) is not a second ticket: the
        # buttons come back once the ticket has had time to print
        QTimer.singleShot(self.SETTLE_MS, self._enable)
        self._reset.start()

    def _on_failed(self, message: str) -> None:
        self._say(message, error=True)
        self._enable()

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        if bool(self.message.property("error")) != error:
            self.message.setProperty("error", error)
            self.message.style().unpolish(self.message)
            self.message.style().polish(self.message)
        self._speak(text)

    def _disable_services(self) -> None:
        for b in self.service_buttons.values():
            b.setEnabled(False)

    def _enable(self) -> None:
        for b in self.service_buttons.values():
            b.setEnabled(True)

    def _next_person(self, _id: int) -> None:
        if self._reset.isActive():        # a number is still shown: it was the last person's
            self._clear()

    def _clear(self) -> None:
        self._reset.stop()
        self._forget()
        self.issued_number.setText(" ")
        self.issued_number.hide()
        self.set_elder(self.elder_default)
        self._say(self.tr(START_TEXT))

    # -- nobody at the kiosk --------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress,
                            QEvent.Type.TouchBegin) and isinstance(watched, QWidget) \
                and watched.window() is self:
            self._idle.start()
        return False

    def _idle_out(self) -> None:
        """Nobody has touched the kiosk for IDLE_MS: what the last person typed or chose (a
        phone number, a staff code, a reason, their card) leaves the public screen, and the
        kiosk is back at its start."""
        self._clear()
        self.priority_buttons[PriorityClass.NORMAL].setChecked(True)
        self.appointment_edit.clear()
        self.staff_edit.clear()
        self._uncheck_reasons()
        self.show_tickets()

    def _uncheck_reasons(self) -> None:
        self.reason_group.setExclusive(False)
        for b in self.reason_buttons.values():
            b.setChecked(False)
        self.reason_group.setExclusive(True)
