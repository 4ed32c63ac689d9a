"""The kiosk's ticket printer without a system driver (``kiosk.printer_kind = escpos``): the
ticket encoded as ESC/POS and written to a network, serial or USB printer (devices.escpos_link).

Encoding and writing run on the printer's own worker thread, one ticket after the other in
the order taken: a printer that does not answer holds up only its own queue, never the
kiosk's screen."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal

from hallclient.documents.ticket import TicketPrint

from .escpos import Paper, ticket_bytes
from .escpos_link import EscposTarget, PrinterLinkError, send

log = logging.getLogger(__name__)


class EscposTicketPrinter(QObject):
    """取号票 on a driverless ESC/POS printer.

    Signals: ticket_printed(str number, str where), print_failed(str number, str message)
    """

    ticket_printed = Signal(str, str)
    print_failed = Signal(str, str)

    def __init__(self, target: EscposTarget | None, baud: int = 9600, timeout_seconds: float = 5.0,
                 width_mm: float = 80.0, parent: QObject | None = None, problem: str = "") -> None:
        """``target`` None: the address in config.ini is not usable, and ``problem`` says
        why; every ticket then fails with it."""
        super().__init__(parent)
        self.target = target
        self.problem = problem
        self.baud = baud
        self.timeout_seconds = timeout_seconds
        self.paper = Paper(width_mm)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="escpos-printer")

    def print_ticket(self, info: TicketPrint, day: str) -> Future[str]:
        """Queue the ticket for printing; ``ticket_printed`` or ``print_failed`` follows.
        ``day`` is part of the interface (the PDF printer names files by it); a stream of
        bytes has no name."""
        future = self._executor.submit(self._print, info)
        future.add_done_callback(lambda f: self._report(info.number, f))
        return future

    def _print(self, info: TicketPrint) -> str:
        if self.target is None:
            raise PrinterLinkError(self.problem or "没有设置取号票打印机地址 kiosk.escpos_target")
        send(self.target, ticket_bytes(info, self.paper), self.timeout_seconds, self.baud)
        return str(self.target)

    def _report(self, number: str, future: Future[str]) -> None:
        error = future.exception()
        if error is None:
            self.ticket_printed.emit(number, future.result())
        elif isinstance(error, PrinterLinkError):
            log.warning("ticket %s not printed: %s", number, error)
            self.print_failed.emit(number, str(error))
        else:
            log.error("ticket print failed", exc_info=error)
            self.print_failed.emit(number, f"取号票打印失败：{error}")

    def close(self) -> None:
        self._executor.shutdown(wait=True)
