"""Material files checked whole before they are kept (材料文件检查).

A file is read only if it is a regular file, and never past the size limit
(``store.attachments.read_regular_file``); then its content is parsed as the type it claims
to be: an image is decoded, a PDF's structure is loaded and its pages counted. A file whose
first and last bytes look like a JPEG or a PDF with anything else in between is refused by
name. All of this runs on the device lane; only the storing of checked bytes is db work.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt

from hallclient.store.attachments import MAX_BYTES, AttachmentError, read_regular_file, sniff

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

IMAGE_FORMATS = {"image/jpeg": b"jpeg", "image/png": b"png"}


def read_material(path: Path, max_bytes: int = MAX_BYTES) -> tuple[bytes, str]:
    """The bytes of a material file and their type, or AttachmentError saying why not."""
    data = read_regular_file(path, max_bytes)
    return data, check_material(data, path.name)


def check_material(data: bytes, name: str) -> str:
    """The type of ``data`` once the whole of it has been parsed as that type."""
    mime = sniff(data, name)
    if mime in IMAGE_FORMATS:
        if not _decodes(data, IMAGE_FORMATS[mime]):
            kind = "JPEG" if mime == "image/jpeg" else "PNG"
            raise AttachmentError(f"{name} 的内容已损坏，无法作为 {kind} 图片打开，请重新扫描或导入")
    elif mime == "application/pdf":
        problem = _pdf_problem(data)
        if problem:
            raise AttachmentError(f"{name} {problem}，请重新导入")
    return mime


def _buffer(data: bytes) -> QBuffer:
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    return buffer


def _decodes(data: bytes, fmt: bytes) -> bool:
    from PySide6.QtGui import QImageReader

    buffer = _buffer(data)
    reader = QImageReader(buffer, QByteArray(fmt))
    reader.setDecideFormatFromContent(False)
    image = reader.read()
    buffer.close()
    return not image.isNull() and image.width() > 0 and image.height() > 0


def _pdf_problem(data: bytes) -> str:
    """"" for a PDF whose structure loads with at least one page; else why not, in Chinese."""
    from PySide6.QtPdf import QPdfDocument

    buffer = _buffer(data)
    document = QPdfDocument()
    try:
        document.load(buffer)
        error = document.error()
        if error == QPdfDocument.Error.IncorrectPassword:
            return "有密码保护，无法查看其内容"
        if error != QPdfDocument.Error.None_ or document.pageCount() < 1:
            return "的内容已损坏，不是完整的 PDF 文件（结构无法解析）"
        return ""
    finally:
        document.close()
        buffer.close()


def preview_image(data: bytes, longest: int = 1200) -> QImage:
    """A material's picture to look at (预览): the image itself, or the first page of a PDF,
    no larger than ``longest`` pixels on its long side. Runs off the GUI thread; a file that
    does not render gives a null image."""
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImage  # noqa: F811  (at run time)
    from PySide6.QtPdf import QPdfDocument

    if not data.startswith(b"%PDF"):
        image = QImage.fromData(data)
        if image.isNull():
            return image
        if max(image.width(), image.height()) > longest:
            image = image.scaled(QSize(longest, longest), Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        return image
    buffer = _buffer(data)
    document = QPdfDocument()
    try:
        document.load(buffer)
        if document.error() != QPdfDocument.Error.None_ or document.pageCount() < 1:
            return QImage()
        size = document.pagePointSize(0)
        scale = longest / max(size.width(), size.height(), 1.0)
        return document.render(0, QSize(max(1, int(size.width() * scale)),
                                        max(1, int(size.height() * scale))))
    finally:
        document.close()
        buffer.close()
