"""What every PDF the program writes has in common: Qt's PDF writer with an exact text
layer (pdftext), and in 培训模式 paper that cannot pass as real — a diagonal
「培训样张 无效」 on every page, 培训 in the title, the printed heading and the file name."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPagedPaintDevice,
    QPainter,
    QPdfWriter,
    QTextLayout,
    QTextOption,
)

from hallclient.store.durable import PaperError

from .pdftext import TextLayer, correct

WATERMARK = "培训样张 无效"
TRAINING_TITLE = "【培训】"
TRAINING_FILE = "培训-"
_WATERMARK_FONT = "Noto Sans CJK SC"

log = logging.getLogger(__name__)


NO_CHINESE_FONT = ("本机没有可用的中文字体，打印件无法排版。Windows 请检查 C:\\Windows\\Fonts 中的"
                   "宋体或微软雅黑；UOS / 麒麟请安装 fonts-noto-cjk")


def require_chinese_font() -> None:
    """PaperError unless Qt has a font that writes Simplified Chinese. Without one every
    character prints as a box; with no font at all (Qt's offscreen platform on Windows looks
    for fonts only where QT_QPA_FONTDIR says) laying out text crashes the whole process."""
    if not QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese):
        raise PaperError(NO_CHINESE_FONT)


def training_title(title: str, training: bool) -> str:
    return TRAINING_TITLE + title if training and not title.startswith(TRAINING_TITLE) else title


def training_path(path: Path, training: bool) -> Path:
    """``培训-<name>`` beside ``path`` for a training document (never a real one's name)."""
    if not training or path.name.startswith(TRAINING_FILE):
        return path
    return path.with_name(TRAINING_FILE + path.name)


def training_heading(page_html: str, what: str, training: bool) -> str:
    """The page's HTML with a first line 「【培训】<what> · 培训样张 无效」 (for paper whose
    own heading is not a title, such as the receipt and the ticket)."""
    if not training:
        return page_html
    line = (f'<p align="center" style="font-weight: bold; color: #b00000; margin: 0;">'
            f"{TRAINING_TITLE}{what} · {WATERMARK}</p>")
    body = re.search(r"<body[^>]*>", page_html)
    at = body.end() if body else 0
    return page_html[:at] + line + page_html[at:]


def draw_watermark(painter: QPainter, width: float, height: float,
                   layer: TextLayer | None = None) -> None:
    """「培训样张 无效」 across the page from lower left to upper right, light enough to
    read the page (and scan its barcode) through."""
    diagonal = math.hypot(width, height)
    font = QFont(_WATERMARK_FONT)
    font.setBold(True)
    # about 60 % of the diagonal wide (6 ideographs and a space), clear of the corners
    font.setPixelSize(max(8, int(diagonal * 0.6 / 6.5)))
    layout = QTextLayout(WATERMARK, font, painter.device())
    layout.setTextOption(QTextOption(Qt.AlignmentFlag.AlignCenter))
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(diagonal)
    layout.endLayout()
    painter.save()
    painter.translate(width / 2, height / 2)
    painter.rotate(-math.degrees(math.atan2(height, width)))
    painter.setPen(QColor(200, 0, 0, 56))
    layout.draw(painter, QPointF(-diagonal / 2, -line.height() / 2))
    painter.restore()
    if layer is not None:
        layer.add_layout(layout)


def write_pdf_file(path: Path, title: str, resolution: int,
                   draw: Callable[[QPagedPaintDevice, TextLayer], None]) -> None:
    """A PDF at ``path`` drawn by ``draw(writer, layer)``, whose text layer is then made
    exact from what ``draw`` put in ``layer``."""
    require_chinese_font()
    writer = QPdfWriter(str(path))
    writer.setResolution(resolution)
    writer.setTitle(title)
    writer.setCreator("hallclient")
    layer = TextLayer()
    draw(writer, layer)
    del writer                          # closes the file
    try:
        if not path.read_bytes().rstrip().endswith(b"%%EOF"):
            raise ValueError(f"{path.name}: the PDF writer has not finished the file")
        correct(path, layer)
    except OSError:
        raise                           # a full disk: the caller says so and keeps nothing
    except Exception:                   # a PDF shape not foreseen: Qt's own text layer stays
        log.exception("pdf text layer left as Qt wrote it")
