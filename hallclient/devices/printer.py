"""Ticket printer (取号票打印): a receipt printer, or PDF files when configured or when
the PC has no printer. Rendering runs on its own thread; the GUI only gets the result."""

from __future__ import annotations

import logging
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from hallclient.documents.paper import (
    require_chinese_font,
    training_path,
    training_title,
    write_pdf_file,
)
from hallclient.documents.ticket import TicketPrint, render_ticket
from hallclient.store.durable import PaperError, write_durably

if TYPE_CHECKING:
    from hallclient.documents.notices import NoticeContext

    from .escpos_printer import EscposTicketPrinter

log = logging.getLogger(__name__)


def printer_for(printer_name: str, training_printer: str, training: bool) -> str:
    """The printer a run prints on: in 培训模式 only the one an admin named for training
    (``*.training_printer``), else none ("pdf": PDF files only), never the counter's own."""
    if training:
        return training_printer or "pdf"
    return printer_name


def find_printer(wanted: str, installed: list[str], windows: bool) -> str | None:
    """The installed printer ``wanted`` names, as the system spells it: the very name, or on
    Windows (whose printer names ignore case: ``\\\\printsrv\\1号窗口`` is
    ``\\\\PRINTSRV\\1号窗口``) the same name in other case; None when none is."""
    if wanted in installed:
        return wanted
    if windows:
        return next((name for name in installed if name.casefold() == wanted.casefold()), None)
    return None


def printer_missing(wanted: str, installed: list[str], key: str) -> str:
    """"Printer not found", in Chinese, naming it exactly (in 「」: a Windows printer's name
    has spaces, parentheses and backslashes) and the printers there are."""
    there = ("本机的打印机：" + "、".join(f"「{name}」" for name in installed) if installed
             else "本机没有安装打印机")
    return (f"找不到打印机「{wanted}」（{there}）：请在 config.ini 的 {key} 中写打印机的完整名称，"
            f"或运行 hallclient admin config --set \"{key}=打印机名称\"")


def _installed_printers() -> list[str]:
    from PySide6.QtPrintSupport import QPrinterInfo

    return [p.printerName() for p in QPrinterInfo.availablePrinters()]


class TicketPrinter(QObject):
    """Signals: ticket_printed(str number, str where), print_failed(str number, str message)"""

    ticket_printed = Signal(str, str)
    print_failed = Signal(str, str)

    def __init__(self, printer_name: str, pdf_dir: Path, width_mm: float = 80.0,
                 parent: QObject | None = None, training: bool = False) -> None:
        super().__init__(parent)
        self.printer_name = printer_name
        self.pdf_dir = pdf_dir
        self.width_mm = width_mm
        self.training = training        # tickets marked as training paper
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="printer")

    def print_ticket(self, info: TicketPrint, day: str) -> Future[str]:
        future = self._executor.submit(self._print, info, day)
        future.add_done_callback(lambda f: self._report(info.number, f))
        return future

    def _report(self, number: str, future: Future[str]) -> None:
        error = future.exception()
        if error is None:
            self.ticket_printed.emit(number, future.result())
        else:
            log.error("ticket print failed", exc_info=error)
            self.print_failed.emit(number, str(error) if isinstance(error, PaperError)
                                   else f"取号票打印失败：{error}")

    def _print(self, info: TicketPrint, day: str) -> str:
        from PySide6.QtPrintSupport import QPrinter

        use_pdf = self.printer_name == "pdf"
        name = self.printer_name
        if not use_pdf:
            names = _installed_printers()
            if name:
                name = find_printer(name, names, sys.platform == "win32") or ""
                if not name:
                    key = "kiosk.training_printer" if self.training else "kiosk.printer"
                    raise RuntimeError(printer_missing(self.printer_name, names, key))
            if not names:
                log.info("no printer installed; ticket goes to PDF")
                use_pdf = True
        if use_pdf:
            def produce(tmp: Path) -> None:
                write_pdf_file(tmp, training_title(f"取号票 {info.number}", self.training), 1200,
                               lambda pdf, layer: render_ticket(info, pdf, self.width_mm,
                                                                self.training, layer))

            path = training_path(self.pdf_dir / f"{day}-{info.number}.pdf", self.training)
            return str(write_durably(path, produce, "取号票"))
        require_chinese_font()
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if name:
            printer.setPrinterName(name)
        target = printer.printerName()     # a name, not a path: \\SRV\窗口 would gain a "\"
        printer.setFullPage(False)
        printer.setDocName(training_title(f"取号票 {info.number}", self.training))
        render_ticket(info, printer, self.width_mm, self.training)
        return target

    def close(self) -> None:
        self._executor.shutdown(wait=True)


@dataclass(frozen=True)
class TicketPrinterChoice:
    """What ``kiosk.*`` says about the ticket printer (see config.OPTIONS)."""

    kind: str                       # kiosk.printer_kind: qt (system driver / PDF) or escpos
    printer: str = ""               # kiosk.printer
    training_printer: str = ""      # kiosk.training_printer
    width_mm: float = 80.0          # kiosk.ticket_width_mm
    escpos_target: str = ""         # kiosk.escpos_target
    escpos_baud: int = 9600         # kiosk.escpos_baud
    escpos_timeout_seconds: float = 5.0


def make_ticket_printer(choice: TicketPrinterChoice, pdf_dir: Path, training: bool = False,
                        parent: QObject | None = None) -> TicketPrinter | EscposTicketPrinter:
    """The kiosk's ticket printer. ESC/POS only for real tickets: 培训模式 prints as it always
    does (the training printer, else PDF with the training mark), and ``kiosk.printer = pdf``
    (which the self-test and the demo set: never paper) keeps tickets as PDF files too."""
    if choice.kind == "escpos" and not training and choice.printer != "pdf":
        from hallclient.core.escpos_target import parse_target

        from .escpos_printer import EscposTicketPrinter

        try:
            target = parse_target(choice.escpos_target)
        except ValueError as exc:
            # the kiosk still gives out numbers (on screen); each print says what to fix
            return EscposTicketPrinter(None, parent=parent, problem=(
                f"取号票打印机地址 kiosk.escpos_target「{choice.escpos_target}」无效：{exc}"))
        return EscposTicketPrinter(target, choice.escpos_baud, choice.escpos_timeout_seconds,
                                   choice.width_mm, parent)
    return TicketPrinter(printer_for(choice.printer, choice.training_printer, training), pdf_dir,
                         choice.width_mm, parent, training=training)


class NoticePrinter(QObject):
    """Notices (A4) and receipts (80 mm): always kept as a PDF in ``pdf_dir`` (the record of
    what was handed over), and sent to the printer unless the printer is "pdf" or absent.

    Signals: notice_printed(str kind, str pdf_path, str printer), print_failed(str kind, str message)
    """

    notice_printed = Signal(str, str, str)
    print_failed = Signal(str, str)

    def __init__(self, printer_name: str, pdf_dir: Path, parent: QObject | None = None,
                 training: bool = False) -> None:
        super().__init__(parent)
        self.printer_name = printer_name
        self.pdf_dir = pdf_dir
        self.training = training        # notices marked as training paper
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notice-printer")

    def print_notice(self, kind: str, ctx: NoticeContext) -> Future[tuple[str, str]]:
        future = self._executor.submit(self._print, kind, ctx)

        def report(f: Future[tuple[str, str]]) -> None:
            error = f.exception()
            if error is None:
                self.notice_printed.emit(kind, *f.result())
            else:
                log.error("notice print failed", exc_info=error)
                self.print_failed.emit(kind, str(error) if isinstance(error, PaperError)
                                       else f"通知书打印失败：{error}")

        future.add_done_callback(report)
        return future

    def _print(self, kind: str, ctx: NoticeContext) -> tuple[str, str]:
        from PySide6.QtPrintSupport import QPrinter

        from hallclient.documents.notices import notice_path, render, title_of, visit_of, write_pdf

        case_no = ctx.case["case_no"]
        pdf = write_pdf(kind, ctx, notice_path(self.pdf_dir, case_no, kind, visit=visit_of(ctx.case)),
                        self.training)
        if self.printer_name == "pdf":
            return str(pdf), ""
        names = _installed_printers()
        name = self.printer_name and find_printer(self.printer_name, names, sys.platform == "win32")
        if self.printer_name and not name:
            key = "notice.training_printer" if self.training else "notice.printer"
            raise RuntimeError(f"{printer_missing(self.printer_name, names, key)}。PDF 已保存在 {pdf}")
        if not names:
            return str(pdf), ""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if name:
            printer.setPrinterName(name)
        printer.setDocName(training_title(f"{title_of(kind)} {case_no}", self.training))
        render(kind, ctx, printer, self.training)
        return str(pdf), printer.printerName()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
