"""The 80 mm queue ticket (取号票) printed by the kiosk."""

from __future__ import annotations

import html
from dataclasses import dataclass
from string import Template

from PySide6.QtCore import QMarginsF, QSizeF, QUrl
from PySide6.QtGui import QPagedPaintDevice, QPageLayout, QPageSize, QPainter, QTextDocument

from hallclient import resources

from .barcode import fitted_code128
from .paper import draw_watermark, training_heading
from .pdftext import TextLayer

MM_PER_INCH = 25.4
MIN_MODULE_MM = 0.33
TICKET_MIN_MM = 75.0        # a ticket's length on its roll, longer when its lines need it


@dataclass(frozen=True)
class TicketPrint:
    hall: str
    number: str
    service: str
    priority: str
    ahead: int
    issued_at: str   # already formatted for people
    # one line under the class: why it is 绿色通道, or the appointment's time ("预约 09:30")
    note: str = ""


NOTE_HTML = '<p align="center" style="font-size: 10pt; font-weight: bold; margin: 0;">{}</p>'


def ticket_html(info: TicketPrint, barcode_width_px: int, barcode_height_px: int) -> str:
    template = Template(resources.path("templates", "ticket.html").read_text(encoding="utf-8"))
    esc = {k: html.escape(str(v)) for k, v in info.__dict__.items()}
    # no note, no paragraph: an empty one would still push the barcode down
    esc["note"] = NOTE_HTML.format(esc["note"]) if info.note.strip() else ""
    return template.substitute(esc, barcode_width=barcode_width_px,
                               barcode_height=barcode_height_px)


def page_size(width_mm: float, height_mm: float = 75.0) -> QPageSize:
    """A receipt-sized page: never A4, so a thermal printer cuts a ticket, not a sheet."""
    return QPageSize(QSizeF(width_mm, height_mm), QPageSize.Unit.Millimeter, "hallclient-ticket")


def render_ticket(info: TicketPrint, device: QPagedPaintDevice, width_mm: float = 80.0,
                  training: bool = False, layer: TextLayer | None = None) -> None:
    """Lay the ticket out on ``device`` (a QPrinter or QPdfWriter) as one receipt page; a
    training ticket says so at its head and under a diagonal 「培训样张 无效」. ``layer``
    learns the text drawn (for the PDF's text layer)."""
    dpi = device.logicalDpiX()
    printable_mm = width_mm - 6
    width_px = printable_mm / MM_PER_INCH * dpi
    # modules of about 0.33 mm: readable by hand scanners and 203-dpi thermal heads
    image = fitted_code128(info.number, dpi, width_px, int(12 / MM_PER_INCH * dpi), MIN_MODULE_MM)
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(device)  # point sizes at the device's resolution
    doc.setDocumentMargin(0)
    doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl("barcode:ticket"), image)
    # fonts are in points, so lay out at the device's resolution; first on an endless roll,
    # to learn how long this ticket is (a note line, a training heading make it longer)
    doc.setPageSize(QSizeF(width_px, 100_000))
    # <img> sizes are CSS pixels (1/96 inch), scaled by the layout to the device
    css = 96.0 / dpi
    doc.setHtml(training_heading(
        ticket_html(info, round(image.width() * css), round(image.height() * css)), "取号票",
        training))
    content_mm = doc.documentLayout().documentSize().height() / dpi * MM_PER_INCH
    height_mm = max(TICKET_MIN_MM, content_mm + 6 + 2)       # margins, and a little air
    layout = QPageLayout(page_size(width_mm, height_mm), QPageLayout.Orientation.Portrait,
                         QMarginsF(3, 3, 3, 3), QPageLayout.Unit.Millimeter)
    device.setPageLayout(layout)
    doc.setPageSize(QSizeF(width_px, layout.paintRectPixels(int(dpi)).height()))
    painter = QPainter(device)
    try:
        if training:
            draw_watermark(painter, width_px, doc.pageSize().height(), layer)
        doc.drawContents(painter)
    finally:
        painter.end()
    if layer is not None:
        layer.add_document(doc)
