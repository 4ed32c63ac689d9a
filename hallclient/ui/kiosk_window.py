"""The ticket kiosk (取号机): big touch buttons per service and priority class."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.hall import IssuedTicket, Service
from hallclient.core.tickets import PRIORITY_LABELS, PriorityClass
from hallclient.services.kiosk_service import KioskService


class KioskWindow(QWidget):
    RESET_MS = 8000

    def __init__(self, hall_name: str, kiosk: KioskService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kiosk")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle(self.tr("取号机 · {hall}").format(hall=hall_name))
        self.resize(1024, 768)
        self.hall_name = hall_name
        self.kiosk = kiosk
        self.service_buttons: dict[str, QPushButton] = {}
        title = QLabel(self.tr("{hall} · 请选择办理业务").format(hall=hall_name))
        title.setObjectName("kioskTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid = QGridLayout()
        self.priority_group = QButtonGroup(self)
        self.priority_buttons: dict[PriorityClass, QPushButton] = {}
        priorities = QHBoxLayout()
        for cls in (PriorityClass.NORMAL, PriorityClass.GREEN, PriorityClass.APPOINTMENT):
            b = QPushButton(self.tr(PRIORITY_LABELS[cls]))
            b.setProperty("class", "priority")
            b.setCheckable(True)
            self.priority_group.addButton(b, int(cls))
            self.priority_buttons[cls] = b
            priorities.addWidget(b)
        self.priority_buttons[PriorityClass.NORMAL].setChecked(True)
        hint = QLabel(self.tr("绿色通道：老年人、残疾人、孕妇、军人等"))
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.issued_number = QLabel(" ")
        self.issued_number.setObjectName("issuedNumber")
        self.issued_number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel(self.tr("请点击业务按钮取号"))
        self.message.setObjectName("kioskMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(self.grid, 3)
        layout.addLayout(priorities)
        layout.addWidget(hint)
        layout.addWidget(self.issued_number, 2)
        layout.addWidget(self.message)
        self._reset = QTimer(self)
        self._reset.setSingleShot(True)
        self._reset.setInterval(self.RESET_MS)
        self._reset.timeout.connect(self._clear)
        kiosk.services_loaded.connect(self._show_services)
        kiosk.ticket_issued.connect(self._on_issued)
        kiosk.issue_failed.connect(self._on_failed)
        kiosk.ticket_print_failed.connect(lambda _n, m: self._on_failed(m))

    def _show_services(self, services: list[Service]) -> None:
        for b in self.service_buttons.values():
            self.grid.removeWidget(b)
            b.deleteLater()
        self.service_buttons.clear()
        if not services:
            self.message.setText(self.tr("尚未配置业务，请联系工作人员"))
        for i, s in enumerate(services):
            b = QPushButton(f"{s.name}\n{s.prefix}")
            b.setProperty("class", "service")
            b.setObjectName(f"service_{s.code}")
            b.clicked.connect(lambda _=False, code=s.code: self.take(code))
            self.grid.addWidget(b, i // 3, i % 3)
            self.service_buttons[s.code] = b

    def take(self, service: str) -> None:
        cls = PriorityClass(self.priority_group.checkedId())
        for b in self.service_buttons.values():
            b.setEnabled(False)
        self.message.setText(self.tr("正在出票，请稍候…"))
        self.kiosk.issue(service, cls)

    def _on_issued(self, issued: IssuedTicket) -> None:
        t = issued.ticket
        self.issued_number.setText(t.number)
        self.message.setText(self.tr("{service} · 您前面还有 {n} 人，请取票并留意叫号").format(
            service=issued.service_name, n=issued.ahead))
        self._enable()
        self.priority_buttons[PriorityClass.NORMAL].setChecked(True)
        self._reset.start()

    def _on_failed(self, message: str) -> None:
        self.message.setText(message)
        self._enable()

    def _enable(self) -> None:
        for b in self.service_buttons.values():
            b.setEnabled(True)

    def _clear(self) -> None:
        self.issued_number.setText(" ")
        self.message.setText(self.tr("请点击业务按钮取号"))
