"""The ticket kiosk (取号机): big touch buttons, read top to bottom: first the priority
class (普通 / 绿色通道 / 预约, toggle buttons), for 预约 the appointment's code or phone on
an on-screen keypad, then the service (each button says how many are waiting)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.hall import IssuedTicket, Service
from hallclient.core.tickets import PRIORITY_LABELS, PriorityClass
from hallclient.services.kiosk_service import KioskService

PRIORITY_HINTS = {
    PriorityClass.NORMAL: "一般取号",
    PriorityClass.GREEN: "老年人、残疾人、孕妇等",
    PriorityClass.APPOINTMENT: "凭预约码或手机号",
}


class KioskWindow(QWidget):
    RESET_MS = 8000
    SETTLE_MS = 1500         # after a ticket, before the service buttons take the next tap
    COLUMNS = 3

    def __init__(self, hall_name: str, kiosk: KioskService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kiosk")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle(self.tr("取号机 · {hall}").format(hall=hall_name))
        self.hall_name = hall_name
        self.kiosk = kiosk
        self.services: list[Service] = []
        self.waiting: dict[str, dict[int, int]] = {}
        self.service_buttons: dict[str, QPushButton] = {}
        title = QLabel(self.tr("{hall} · 自助取号").format(hall=hall_name))
        title.setObjectName("kioskTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid = QGridLayout()
        self.grid.setSpacing(12)
        self.issued_number = QLabel(" ")
        self.issued_number.setObjectName("issuedNumber")
        self.issued_number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel(self.tr("请先选择取号类别，再点击办理的业务"))
        self.message.setObjectName("kioskMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self._step(self.tr("① 取号类别")))
        layout.addLayout(self._priority_row())
        layout.addWidget(self._appointment_box())
        layout.addWidget(self._step(self.tr("② 请点击办理的业务")))
        layout.addLayout(self.grid, 3)
        layout.addWidget(self.issued_number, 1)
        layout.addWidget(self.message)
        self._reset = QTimer(self)
        self._reset.setSingleShot(True)
        self._reset.setInterval(self.RESET_MS)
        self._reset.timeout.connect(self._clear)
        kiosk.services_loaded.connect(self._show_services)
        kiosk.waiting_counted.connect(self._show_waiting)
        kiosk.ticket_issued.connect(self._on_issued)
        kiosk.issue_failed.connect(self._on_failed)
        kiosk.ticket_print_failed.connect(lambda _n, m: self._on_failed(m))

    # -- building ------------------------------------------------------------------------

    @staticmethod
    def _step(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("kioskStep")
        return label

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
        for cls, b in self.priority_buttons.items():
            mark = "✓ " if b.isChecked() else ""
            b.setText(mark + self.tr(PRIORITY_LABELS[cls]) + "\n" + self.tr(PRIORITY_HINTS[cls]))

    def _appointment_box(self) -> QWidget:
        """预约: the code or phone, typed on the keypad (or a keyboard)."""
        self.appointment_box = QWidget()
        self.appointment_box.setObjectName("appointmentBox")
        box = QHBoxLayout(self.appointment_box)
        left = QVBoxLayout()
        prompt = QLabel(self.tr("请输入预约码，或预约时登记的手机号："))
        prompt.setObjectName("kioskPrompt")
        prompt.setWordWrap(True)            # the kiosk's width is the screen's, whatever it is
        self.appointment_edit = QLineEdit()
        self.appointment_edit.setObjectName("appointmentEdit")
        self.appointment_edit.setMaxLength(20)
        self.appointment_edit.setPlaceholderText(self.tr("预约码或手机号"))
        left.addWidget(prompt)
        left.addWidget(self.appointment_edit)
        keypad = QGridLayout()
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "删除", "清除"]
        self.keypad_buttons: dict[str, QPushButton] = {}
        for i, key in enumerate(keys):
            b = QPushButton(self.tr(key))
            b.setProperty("class", "key")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, k=key: self._key(k))
            keypad.addWidget(b, i // 4, i % 4)      # 3 rows of 4: fits a narrow screen
            self.keypad_buttons[key] = b
        box.addLayout(left, 1)
        box.addLayout(keypad, 1)
        self.appointment_box.setVisible(False)
        return self.appointment_box

    # -- what the applicant does ---------------------------------------------------------

    def chosen_priority(self) -> PriorityClass:
        return PriorityClass(self.priority_group.checkedId())

    def _priority_toggled(self, _id: int, checked: bool) -> None:
        if not checked:
            return
        self._mark_priorities()
        appointment = self.chosen_priority() is PriorityClass.APPOINTMENT
        self.appointment_box.setVisible(appointment)
        if appointment:
            self.appointment_edit.setFocus()
            self._say(self.tr("请输入预约码或手机号，再点击预约的业务"))
        else:
            self.appointment_edit.clear()
            self._say(self.tr("请点击办理的业务"))

    def _key(self, key: str) -> None:
        if key == "清除":
            self.appointment_edit.clear()
        elif key == "删除":
            self.appointment_edit.backspace()
        else:
            self.appointment_edit.insert(key)
        self.appointment_edit.setFocus()

    def take(self, service: str) -> None:
        cls = self.chosen_priority()
        appointment = None
        if cls is PriorityClass.APPOINTMENT:
            appointment = self.appointment_edit.text().strip()
            if not appointment:
                self._say(self.tr("预约取号请先输入预约码或预约时登记的手机号"), error=True)
                self.appointment_edit.setFocus()
                return
        for b in self.service_buttons.values():
            b.setEnabled(False)
        self._say(self.tr("正在出票，请稍候…"))
        self.kiosk.issue(service, cls, appointment)

    # -- what the kiosk shows ------------------------------------------------------------

    def _show_services(self, services: list[Service]) -> None:
        for b in self.service_buttons.values():
            self.grid.removeWidget(b)
            b.deleteLater()
        self.service_buttons.clear()
        self.services = services
        if not services:
            self._say(self.tr("尚未配置业务，请联系工作人员"), error=True)
        for i, s in enumerate(services):
            b = QPushButton()
            b.setProperty("class", "service")
            b.setObjectName(f"service_{s.code}")
            b.clicked.connect(lambda _=False, code=s.code: self.take(code))
            self.grid.addWidget(b, i // self.COLUMNS, i % self.COLUMNS)
            self.service_buttons[s.code] = b
        self._label_services()

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
        self.priority_buttons[PriorityClass.NORMAL].setChecked(True)    # for the next person
        self.issued_number.setText(t.number)
        booked = (self.tr("预约 {time} · ").format(time=issued.appointment_time)
                  if issued.appointment_time
                  else self.tr("{label} · ").format(label=self.tr(PRIORITY_LABELS[t.priority]))
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

    def _enable(self) -> None:
        for b in self.service_buttons.values():
            b.setEnabled(True)

    def _next_person(self, _id: int) -> None:
        if self._reset.isActive():        # a number is still shown: it was the last person's
            self._clear()

    def _clear(self) -> None:
        self._reset.stop()
        self.issued_number.setText(" ")
        self._say(self.tr("请先选择取号类别，再点击办理的业务"))
