"""The supervisor's report laid out on A4 pages (PDF or printer): the hall name and period in
the title, the charts as images, every table with its header repeated on each page it runs
onto and never left alone at a page foot, the figures' definitions as notes, a 值班长签字 /
日期 line at the end and 「第 N 页 共 M 页」 under every page.

Pages are planned first (each block knows its height), then painted, so the page count is
known when the first footer is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPen,
    QTextLayout,
)

from hallclient.reports.definitions import definition
from hallclient.reports.figures import Report

from .paper import draw_watermark

if TYPE_CHECKING:
    from PySide6.QtGui import QPagedPaintDevice

    from .pdftext import TextLayer
    from .report_tables import View

WRAP = int(Qt.TextFlag.TextWrapAnywhere)
LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter) | WRAP
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) | WRAP
CENTRE = int(Qt.AlignmentFlag.AlignCenter) | WRAP


@dataclass
class Block:
    height: float
    draw: Callable[[QPainter, float], None]        # painter, top y
    kind: str = ""                                  # title / header / row / note / sign


@dataclass
class Pages:
    width: float
    height: float
    pages: list[list[tuple[float, Block]]] = field(default_factory=lambda: [[]])
    y: float = 0.0

    def room(self) -> float:
        return self.height - self.y

    def new_page(self) -> None:
        self.pages.append([])
        self.y = 0.0

    def put(self, block: Block) -> None:
        if block.height > self.room() and self.y > 0:
            self.new_page()
        self.pages[-1].append((self.y, block))
        self.y += block.height


def _font(pt: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setFamilies(["Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei",
                      "SimSun"])
    font.setPointSizeF(pt)
    font.setBold(bold)
    return font


class Paper:
    """Measures and draws on one paint device."""

    def __init__(self, device: QPagedPaintDevice, width: float, layer: TextLayer | None = None) -> None:
        self.device, self.width = device, width
        self.layer = layer          # what each glyph drawn stands for (an exact text layer)
        self.body, self.head = _font(8.5), _font(8.5, True)
        self.small = _font(8)
        self.mm = device.logicalDpiY() / 25.4

    def note(self, text: str, font: QFont) -> None:
        """Tell the text layer what ``text`` in ``font`` is drawn with (the glyphs a
        QTextLayout shapes it into are the ones drawText draws)."""
        if self.layer is None or not text:
            return
        layout = QTextLayout(text, font, self.device)
        layout.beginLayout()
        line = layout.createLine()
        line.setLineWidth(1e7)
        layout.endLayout()
        self.layer.add_layout(layout)

    def metrics(self, font: QFont) -> QFontMetricsF:
        return QFontMetricsF(font, self.device)

    def text_height(self, text: str, font: QFont, width: float) -> float:
        rect = self.metrics(font).boundingRect(QRectF(0, 0, width, 1e6), WRAP, text)
        return rect.height()

    def paragraph(self, text: str, font: QFont, flags: int = LEFT, space: float = 0.0,
                  colour: str = "black", kind: str = "") -> Block:
        h = self.text_height(text, font, self.width) + space

        def draw(p: QPainter, y: float) -> None:
            p.setFont(font)
            p.setPen(QColor(colour))
            p.drawText(QRectF(0, y, self.width, h - space), flags, text)
            self.note(text, font)
        return Block(h, draw, kind)

    def gap(self, mm: float) -> Block:
        return Block(mm * self.mm, lambda _p, _y: None)

    def image(self, images: Sequence[QImage], height_mm: float) -> Block:
        """Images side by side across the width, scaled to fit."""
        h = height_mm * self.mm
        each = self.width / len(images)

        def draw(p: QPainter, y: float) -> None:
            for i, img in enumerate(images):
                ratio = min(each / img.width(), h / img.height())
                w, ih = img.width() * ratio, img.height() * ratio
                p.drawImage(QRectF(i * each + (each - w) / 2, y, w, ih), img)
        return Block(h, draw)

    # -- tables ------------------------------------------------------------------------

    def columns(self, view: View, texts: list[list[str]]) -> list[float]:
        pad = 2.4 * self.mm
        body, head = self.metrics(self.body), self.metrics(self.head)
        natural = []
        for c, header in enumerate(view.headers):
            widest = max([head.horizontalAdvance(header) / (2 if len(header) > 4 else 1)]
                         + [body.horizontalAdvance(row[c]) for row in texts if c < len(row)])
            natural.append(min(widest, self.width * 0.45) + pad)
        total = sum(natural)
        if total <= self.width:
            extra = (self.width - total) / len(natural)
            return [w + extra for w in natural]
        # too wide: narrow the widest columns first, keeping each at least a few characters
        floor = 4 * body.horizontalAdvance("中") + pad
        widths = natural[:]
        while sum(widths) > self.width + 0.5:
            top = max(widths)
            if top <= floor:
                break
            i = widths.index(top)
            widths[i] = max(floor, top - (sum(widths) - self.width))
        scale = self.width / sum(widths)
        return [w * scale for w in widths]

    def row(self, cells: list[str], widths: list[float], font: QFont, aligns: list[int],
            fill: str | None = None, kind: str = "row") -> Block:
        pad = 1.2 * self.mm
        h = max(self.text_height(t, font, w - 2 * pad) for t, w in zip(cells, widths, strict=False))
        h += 2 * pad

        def draw(p: QPainter, y: float) -> None:
            x = 0.0
            p.setFont(font)
            for text, w, align in zip(cells, widths, aligns, strict=False):
                cell = QRectF(x, y, w, h)
                if fill:
                    p.fillRect(cell, QColor(fill))
                p.setPen(QPen(QColor("#7f8c8d"), 0))
                p.drawRect(cell)
                p.setPen(QColor("black"))
                p.drawText(cell.adjusted(pad, pad, -pad, -pad), align, text)
                self.note(text, font)
                x += w
        return Block(h, draw, kind)


def plan(paper: Paper, height: float, tables: list[View], heading: str,
         charts: Sequence[QImage]) -> Pages:
    pages = Pages(paper.width, height)
    pages.put(paper.paragraph(heading, _font(15, True), CENTRE, space=3 * paper.mm))
    if charts:
        pages.put(paper.image(charts[:1], 68))
        pages.put(paper.gap(2))
        pages.put(paper.image(charts[1:], 62))
        pages.put(paper.gap(4))
    for view in tables:
        _table(paper, pages, view)
    _notes(paper, pages, tables)
    _signature(paper, pages)
    return pages


def _table(paper: Paper, pages: Pages, view: View) -> None:
    texts = view.texts()
    widths = paper.columns(view, texts)
    title = paper.paragraph(f"【{view.title}】", _font(10.5, True), space=1.2 * paper.mm,
                            kind="title")
    header = paper.row(view.headers, widths, paper.head, [CENTRE] * len(widths), "#dde6f0",
                       kind="header")
    aligns = [LEFT if isinstance(v, str) or v is None else RIGHT for v in
              (view.rows[0] if view.rows else [""] * len(widths))]
    rows = [paper.row(t, widths, paper.body, aligns) for t in texts] or [
        paper.row(["（无）"] + [""] * (len(widths) - 1), widths, paper.body,
                  [LEFT] * len(widths))]
    # the title, the header and the first row go together: never a header alone at a foot
    if title.height + header.height + rows[0].height + paper.gap(3).height > pages.room():
        pages.new_page()
    pages.put(paper.gap(3) if pages.y > 0 else paper.gap(0))
    pages.put(title)
    pages.put(header)
    for block in rows:
        if block.height > pages.room():
            pages.new_page()
            pages.put(paper.paragraph(f"【{view.title}】（续）", _font(9, True),
                                      space=1 * paper.mm, kind="title"))
            pages.put(header)
        pages.put(block)


def _notes(paper: Paper, pages: Pages, tables: list[View]) -> None:
    """说明: the definition of every figure in the tables, once, in order of appearance."""
    names: list[str] = []
    for view in tables:
        candidates = [str(r[0]) for r in view.rows] if view.title == "总览" else view.headers
        for name in candidates:
            if definition(name) and name not in names:
                names.append(name)
    if not names:
        return
    blocks = [paper.paragraph(f"{name}：{definition(name)}", paper.small, space=0.8 * paper.mm,
                              kind="note") for name in names]
    title = paper.paragraph("说明（各项指标的口径）", _font(10.5, True), space=1.2 * paper.mm,
                            kind="title")
    if title.height + blocks[0].height + 4 * paper.mm > pages.room():
        pages.new_page()
    pages.put(paper.gap(4) if pages.y > 0 else paper.gap(0))
    pages.put(title)
    for block in blocks:
        pages.put(block)


def _signature(paper: Paper, pages: Pages) -> None:
    mm = paper.mm
    h = 22 * mm

    def draw(p: QPainter, y: float) -> None:
        p.setFont(_font(11))
        p.setPen(QColor("black"))
        base = y + h - 6 * mm
        half = paper.width / 2
        for x, label, length in ((0.0, "值班长签字：", half - 40 * mm),
                                 (half + 10 * mm, "日期：", half - 30 * mm)):
            advance = paper.metrics(_font(11)).horizontalAdvance(label)
            p.drawText(QPointF(x, base), label)
            paper.note(label, _font(11))
            p.setPen(QPen(QColor("black"), 0.3 * mm))
            p.drawLine(QPointF(x + advance, base + 1 * mm),
                       QPointF(x + advance + length, base + 1 * mm))
            p.setPen(QColor("black"))
    if h > pages.room():
        pages.new_page()
    pages.put(Block(h, draw, "sign"))


def paint_report(device: QPagedPaintDevice, tables: list[View], heading: str,
                 charts: Sequence[QImage] = (), training: bool = False,
                 layer: TextLayer | None = None) -> int:
    """Lay out and paint the report on ``device`` (A4, 15 mm margins); the page count. A
    training report has 「培训样张 无效」 across every page; ``layer`` learns what every
    glyph drawn stands for."""
    layout = QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                         QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    device.setPageLayout(layout)
    rect = layout.paintRectPixels(device.logicalDpiX())
    paper = Paper(device, rect.width(), layer)
    footer = 8 * paper.mm
    pages = plan(paper, rect.height() - footer, tables, heading, charts)
    total = len(pages.pages)
    painter = QPainter(device)
    try:
        for n, page in enumerate(pages.pages, start=1):
            if n > 1:
                device.newPage()
            for y, block in page:
                block.draw(painter, y)
            if training:            # over the charts (opaque images), light enough to read through
                draw_watermark(painter, rect.width(), rect.height(), layer)
            painter.setFont(paper.small)
            painter.setPen(QColor("#333333"))
            page_line = f"第 {n} 页 共 {total} 页"
            painter.drawText(QRectF(0, rect.height() - footer * 0.8, rect.width(), footer * 0.8),
                             CENTRE, page_line)
            paper.note(page_line, paper.small)
    finally:
        painter.end()
    return total


def chart_images_for(report: Report | None) -> list[QImage]:
    """The charts of ``report`` for paper, or none when there is no report to draw."""
    if report is None:
        return []
    from .report_charts import chart_images

    return chart_images(report)

