"""Taking a ticket at the kiosk (取号)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from hallclient.core.hall import IssuedTicket, Service
from hallclient.core.tickets import PriorityClass

from .session import user_message

if TYPE_CHECKING:
    from .tasks import Runner


class KioskService(QObject):
    """Signals:
    services_loaded(list services)
    ticket_issued(IssuedTicket)
    issue_failed(str message)
    """

    services_loaded = Signal(list)
    ticket_issued = Signal(object)
    issue_failed = Signal(str)

    def __init__(self, runner: Runner, device: str = "kiosk", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.device = device
        self.services: list[Service] = []

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
        def done(issued: IssuedTicket) -> None:
            self.ticket_issued.emit(issued)

        self.runner.run_queue(lambda q: q.issue(service, priority, self.device), done,
                              lambda exc: self.issue_failed.emit(self._for_applicant(exc)))

    def _for_applicant(self, exc: BaseException) -> str:
        from hallclient.queue.hall_link import HallUnavailableError

        if isinstance(exc, HallUnavailableError):     # the applicant needs what to do, not why
            return self.tr("暂时无法取号，请稍候再试，或到咨询台人工取号")
        return user_message(exc)
