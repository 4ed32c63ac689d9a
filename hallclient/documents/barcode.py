"""Code128 barcodes drawn as crisp modules (python-barcode encodes, we paint)."""

from __future__ import annotations

import math

import barcode
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter

QUIET_MODULES = 10  # ISO/IEC 15417 asks for at least 10 modules of quiet zone


def code128_modules(text: str) -> str:
    """The bar pattern as '1' (bar) and '0' (space) modules, start to stop."""
    if not text or not text.isascii():
        raise ValueError("Code128 只能编码 ASCII 字符")
    return str(barcode.get("code128", text).build()[0])


def fitted_code128(text: str, dpi: float, max_width_px: float, height_px: int,
                   ideal_mm: float = 0.33, min_mm: float = 0.19) -> QImage:
    """A barcode with modules as close to ``ideal_mm`` as the space allows (never below
    ``min_mm``, the smallest X-dimension readers and 203-dpi thermal heads handle well)."""
    modules = len(code128_modules(text)) + 2 * QUIET_MODULES
    ideal = max(1, math.ceil(ideal_mm / 25.4 * dpi))
    fitting = int(max_width_px // modules)
    module_px = max(min(ideal, fitting), max(1, math.ceil(min_mm / 25.4 * dpi)))
    return code128_image(text, module_px=module_px, height_px=height_px)


def code128_image(text: str, module_px: int = 3, height_px: int = 90) -> QImage:
    modules = code128_modules(text)
    width = (len(modules) + 2 * QUIET_MODULES) * module_px
    image = QImage(width, height_px, QImage.Format.Format_Grayscale8)
    image.fill(QColor(Qt.GlobalColor.white))
    painter = QPainter(image)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(Qt.GlobalColor.black))
    x = QUIET_MODULES * module_px
    for bit in modules:
        if bit == "1":
            painter.drawRect(x, 0, module_px, height_px)
        x += module_px
    painter.end()
    return image
