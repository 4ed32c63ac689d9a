"""Taking a ticket at the kiosk (取号), and printing it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from hallclient.core.appointments import Appointment
from hallclient.core.hall import HelpCall, IssuedTicket, Service
from hallclient.core.swipe import CardSwipe, age_on
from hallclient.core.tickets import PriorityClass

from .lanes import DEVICE
from .session import user_message

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from hallclient.documents.ticket import TicketPrint

    from .tasks import Runner


@dataclass(frozen=True)
class KioskCard:
    """A card swiped at the kiosk, as far as taking a ticket needs it: the number and birth
    date go to the queue (which keeps them masked and hashed), nothing else leaves the
    reader; ``appointment``: today's, booked with this card, if any."""

    swipe: CardSwipe
    age: int
    appointment: Appointment | None = None


class KioskService(QObject):
    """Signals:
    card_read(KioskCard) / card_failed(str message) — 刷身份证取号
    help_sent(HelpCall) / help_failed(str message) — 请工作人员协助
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
    card_read = Signal(object)
    card_failed = Signal(str)
    help_sent = Signal(object)
    help_failed = Signal(str)

    CARD_POLL_MS = 700          # a reader asked again this often while the kiosk waits for a card

    def __init__(self, runner: Runner, device: str = "kiosk", parent: QObject | None = None,
                 *, place: str = "", card_wait_s: float = 20.0) -> None:
        super().__init__(parent)
        self.runner = runner
        self.device = device
        self.place = place
        self.card_wait_s = card_wait_s
        self._card_deadline = 0.0
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

    def issue(self, service: str, priority: PriorityClass, appointment: str | None = None,
              swipe: CardSwipe | None = None, reason: str = "") -> None:
        """Take a ticket; once issued it is shown (``ticket_issued``), then printed. A 预约
        ticket needs the appointment's code or phone (``appointment``) or the card it was
        booked with (``swipe``), checked against the day's appointments by the queue; a
        绿色通道 ticket its reason."""
        def done(issued: IssuedTicket) -> None:
            self.ticket_issued.emit(issued)
            self.print_ticket(issued)
            self.count_waiting()

        if priority is not PriorityClass.APPOINTMENT:
            appointment = None
        if priority is not PriorityClass.GREEN:
            reason = ""
        self.runner.run_queue(
            lambda q: q.issue(service, priority, self.device, appointment, swipe=swipe,
                              reason=reason),
            done, lambda exc: self.issue_failed.emit(self._for_applicant(exc)))

    # -- 刷身份证取号 ----------------------------------------------------------------------

    def read_card(self) -> None:
        """Wait for a card on the reader (``card_wait_s``), read it on the device lane, then
        look up today's appointment booked with it: ``card_read`` or ``card_failed``."""
        self._card_deadline = time.monotonic() + self.card_wait_s
        self._read_once()

    def stop_reading(self) -> None:
        self._card_deadline = 0.0

    @property
    def reading(self) -> bool:
        return time.monotonic() < self._card_deadline

    def _read_once(self) -> None:
        from hallclient.devices.idcard import IdCardData, NoCardError

        def read(card: IdCardData) -> None:
            if not self.reading:
                return                      # given up (or reset) meanwhile
            self._card_deadline = 0.0
            swipe = CardSwipe(card.id_number, card.birth)
            age = age_on(card.birth, date.today())
            self.runner.run_queue(
                lambda q: q.card_appointment(swipe),
                lambda found: self.card_read.emit(KioskCard(swipe, age, found)),
                lambda exc: self.card_failed.emit(self._for_applicant(exc)))

        def failed(exc: BaseException) -> None:
            if not self.reading:
                return
            if isinstance(exc, NoCardError):
                QTimer.singleShot(self.CARD_POLL_MS, self._read_once)
                return
            self._card_deadline = 0.0
            self.card_failed.emit(user_message(exc))

        if not self.reading:
            self.card_failed.emit(self.tr("没有读到身份证：请把身份证平放在读卡区，再点“刷身份证取号”"))
            return
        self.runner.run(DEVICE, lambda ctx: ctx.card_reader.read(), read, failed)

    # -- 请工作人员协助 --------------------------------------------------------------------

    def call_help(self) -> None:
        self.runner.run_queue(lambda q: q.call_help(self.device, self.place),
                              self._help_sent,
                              lambda exc: self.help_failed.emit(self._for_applicant(exc)))

    def _help_sent(self, call: HelpCall) -> None:
        self.help_sent.emit(call)

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
        note = self.tr("优先原因：{reason}").format(reason=t.reason) if t.reason else ""
        if issued.appointment_time:
            priority = self.tr("预约 {time}").format(time=issued.appointment_time)
        self._printer.print_ticket(TicketPrint(self.hall_name, t.number, issued.service_name,
                                               priority, issued.ahead, issued_at, note=note), t.day)


class TicketOutput(Protocol):
    """Where tickets go (devices.printer.TicketPrinter); print_failed(str number, str message)."""

    print_failed: SignalInstance

    def print_ticket(self, info: TicketPrint, day: str) -> object: ...
