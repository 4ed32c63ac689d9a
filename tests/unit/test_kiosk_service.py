"""The kiosk service issues a ticket and prints it (取号票); the kiosk window only shows."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from hallclient.core.tickets import PriorityClass
from hallclient.services.context import DbContext
from hallclient.services.kiosk_service import KioskService
from hallclient.services.tasks import InlineRunner


class PrinterStandIn(QObject):
    """What the kiosk asked to print, in order, among what the kiosk said."""

    print_failed = Signal(str, str)

    def __init__(self, said: list) -> None:
        super().__init__()
        self.said = said

    def print_ticket(self, info, day: str) -> None:
        self.said.append(("printed", info, day))


def kiosk(db, queue, clock, said: list) -> tuple[KioskService, PrinterStandIn]:
    service = KioskService(InlineRunner(db=DbContext(db=db, clock=clock, queue=queue)))
    service.ticket_issued.connect(lambda issued: said.append(("issued", issued.ticket.number)))
    service.issue_failed.connect(lambda message: said.append(("failed", message)))
    service.ticket_print_failed.connect(lambda number, message: said.append(("unprinted", number, message)))
    return service, PrinterStandIn(said)


def test_an_issued_ticket_is_shown_then_printed_with_the_hall_and_the_time(qapp, db, queue, clock):
    said: list = []
    service, printer = kiosk(db, queue, clock, said)
    service.print_tickets_on(printer, "城关区政务服务中心")
    service.issue("ZH", PriorityClass.GREEN)
    assert [s[0] for s in said] == ["issued", "printed"]
    _, info, day = said[1]
    number = said[0][1]
    assert (info.hall, info.number, info.ahead, info.issued_at) == (
        "城关区政务服务中心", number, 0, "2026-11-27 09:00")
    assert info.service == next(s.name for s in queue.services() if s.code == "ZH")
    assert info.priority == PriorityClass.GREEN.label and day == "2026-11-27"


def test_a_printer_failure_reaches_the_kiosk_with_the_ticket_number(qapp, db, queue, clock):
    said: list = []
    service, printer = kiosk(db, queue, clock, said)
    service.print_tickets_on(printer, "城关区政务服务中心")
    printer.print_failed.emit("A001", "取号票打印失败：找不到打印机 P1")
    assert said == [("unprinted", "A001", "取号票打印失败：找不到打印机 P1")]


def test_without_a_printer_a_ticket_is_still_issued(qapp, db, queue, clock):
    said: list = []
    service, _printer = kiosk(db, queue, clock, said)
    service.issue("ZH", PriorityClass.NORMAL)
    assert [s[0] for s in said] == ["issued"]
