"""Taking a ticket at the kiosk (取号), and printing it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from hallclient.core.hall import IssuedTicket, Service
from hallclient.core.tickets import PriorityClass

from .session import user_message

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from hallclient.documents.ticket import TicketPrint

    from .tasks import Runner


class KioskService(QObject):
    """Signals:
    services_loaded(list services)
    waiting_counted(dict waiting)  — tickets waiting per service code and priority class
    ticket_issued(IssuedTicket)
    issue_failed(str message)
    ticket_print_failed(str number, str message)
    """

    services_loaded = Signal(list)
    waiting_counted = Signal(dict)
    ticket_issued = Signal(object)
    issue_failed = Signal(str)
    ticket_print_failed = Signal(str, str)

    def __init__(self, runner: Runner, device: str = "kiosk", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.device = device
        self.services: list[Service] = []
        self._printer: TicketOutput | None = None
        self.hall_name = ""
        self._waiting_timer = QTimer(self)
        self._waiting_timer.setInterval(self.WAITING_MS)
        self._waiting_timer.timeout.connect(self.count_waiting)

    def print_tickets_on(self, printer: TicketOutput, hall_name: str) -> None:
        """Tickets issued from now on are printed on ``printer`` (取号票), headed ``hall_name``."""
        self._printer = printer
        self.hall_name = hall_name
        printer.print_failed.connect(self.ticket_print_failed)

    RETRY_MS = 5000
    WAITING_MS = 5000       # how often the waiting counts on the service buttons are read

    def load(self) -> None:
        """The service list; when the queue cannot be read (hall server away), say so and
        try again every few seconds."""
        def done(services: list[Service]) -> None:
            self.services = services
            self.services_loaded.emit(services)
            self.count_waiting()
            self._waiting_timer.start()

        def failed(exc: BaseException) -> None:
            self.issue_failed.emit(user_message(exc))
            QTimer.singleShot(self.RETRY_MS, self.load)

        self.runner.run_queue(lambda q: q.services(), done, failed)

    def count_waiting(self) -> None:
        """Read how many wait per service (``waiting_counted``); a failed read keeps the
        counts shown (the next one comes in a few seconds)."""
        def failed(exc: BaseException) -> None:
            log.info("kiosk: waiting counts not read (%s)", type(exc).__name__)

        self.runner.run_queue(lambda q: q.waiting_counts(), self.waiting_counted.emit, failed)

    def issue(self, service: str, priority: PriorityClass, appointment: str | None = None) -> None:
        """Take a ticket; once issued it is shown (``ticket_issued``), then printed. A 预约
        ticket needs the appointment's code or phone (``appointment``), checked against
        the day's appointments by the queue."""
        def done(issued: IssuedTicket) -> None:
            self.ticket_issued.emit(issued)
            self.print_ticket(issued)
            self.count_waiting()

        if priority is not PriorityClass.APPOINTMENT:
            appointment = None
        self.runner.run_queue(lambda q: q.issue(service, priority, self.device, appointment), done,
                              lambda exc: self.issue_failed.emit(self._for_applicant(exc)))

    def _for_applicant(self, exc: BaseException) -> str:
        from hallclient.queue.hall_link import HallUnavailableError

        if isinstance(exc, HallUnavailableError):     # the applicant needs what to do, not why
            return self.tr("暂时无法取号，请稍候再试，或到咨询台人工取号")
        return user_message(exc)

    def print_ticket(self, issued: IssuedTicket) -> None:
        if self._printer is None:
            return
        from hallclient.documents.ticket import TicketPrint

        t = issued.ticket
        issued_at = datetime.fromisoformat(t.issued_at).strftime("%Y-%m-%d %H:%M")
        priority = t.priority.label
        if issued.appointment_time:
            priority = self.tr("预约 {time}").format(time=issued.appointment_time)
        self._printer.print_ticket(TicketPrint(self.hall_name, t.number, issued.service_name,
                                               priority, issued.ahead, issued_at), t.day)


class TicketOutput(Protocol):
    """Where tickets go (devices.printer.TicketPrinter); print_failed(str number, str message)."""

    print_failed: SignalInstance

    def print_ticket(self, info: TicketPrint, day: str) -> object: ...
