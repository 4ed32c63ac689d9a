"""Render the application icon to the PNG sizes desktops look up (hicolor theme)."""

from __future__ import annotations

import sys
from pathlib import Path

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path, out: Path) -> list[Path]:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (keeps Qt alive)
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"not a valid SVG: {svg}")
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        target = out / f"{size}x{size}" / "hallclient.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target)):
            raise SystemExit(f"could not write {target}")
        written.append(target)
    return written


def write_ico(pngs: list[Path], target: Path) -> None:
    """A Windows .ico holding PNG images (Vista and later read PNG entries), 256 px at most."""
    import struct

    images = []
    for png in pngs:
        data = png.read_bytes()
        width, height = struct.unpack(">II", data[16:24])     # the IHDR chunk
        if width <= 256:
            images.append((width, height, data))
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for width, height, data in images:
        entries += struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(data),
                               offset + len(blobs))
        blobs += data
    target.write_bytes(header + entries + blobs)


if __name__ == "__main__":
    written = render(Path(sys.argv[1]), Path(sys.argv[2]))
    write_ico(written, Path(sys.argv[2]) / "hallclient.ico")
    for path in written:
        print(path)
