"""Taking a ticket at the kiosk (取号), and printing it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from hallclient.core.hall import IssuedTicket, Service
from hallclient.core.tickets import PriorityClass

from .session import user_message

if TYPE_CHECKING:
    from hallclient.documents.ticket import TicketPrint

    from .tasks import Runner


class KioskService(QObject):
    """Signals:
    services_loaded(list services)
    ticket_issued(IssuedTicket)
    issue_failed(str message)
    ticket_print_failed(str number, str message)
    """

    services_loaded = Signal(list)
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

    def print_tickets_on(self, printer: TicketOutput, hall_name: str) -> None:
        """Tickets issued from now on are printed on ``printer`` (取号票), headed ``hall_name``."""
        self._printer = printer
        self.hall_name = hall_name
        printer.print_failed.connect(self.ticket_print_failed)

    RETRY_MS = 5000

    def load(self) -> None:
        """The service list; when the queue cannot be read (hall server away), say so and
        try again every few seconds."""
        def done(services: list[Service]) -> None:
            self.services = services
            self.services_loaded.emit(services)

        def failed(exc: BaseException) -> None:
            self.issue_failed.emit(user_message(exc))
            QTimer.singleShot(self.RETRY_MS, self.load)

        self.runner.run_queue(lambda q: q.services(), done, failed)

    def issue(self, service: str, priority: PriorityClass) -> None:
        """Take a ticket; once issued it is shown (``ticket_issued``), then printed."""
        def done(issued: IssuedTicket) -> None:
            self.ticket_issued.emit(issued)
            self.print_ticket(issued)

        self.runner.run_queue(lambda q: q.issue(service, priority, self.device), done,
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
        self._printer.print_ticket(TicketPrint(self.hall_name, t.number, issued.service_name,
                                               t.priority.label, issued.ahead, issued_at), t.day)


class TicketOutput(Protocol):
    """Where tickets go (devices.printer.TicketPrinter); print_failed(str number, str message)."""

    print_failed: SignalInstance

    def print_ticket(self, info: TicketPrint, day: str) -> object: ...
