"""The kiosk issues a ticket and prints it on 80 mm paper; the barcode reads back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPdfWriter
from PySide6.QtPdf import QPdfDocument

from hallclient.documents.barcode import code128_image, code128_modules
from hallclient.documents.ticket import TicketPrint, render_ticket

MM_PER_PT = 25.4 / 72


def decode_pdf(path: Path, dpi: int = 150) -> tuple[list[str], tuple[float, float]]:
    doc = QPdfDocument()
    assert doc.load(str(path)) == QPdfDocument.Error.None_
    assert doc.pageCount() == 1
    size_pt = doc.pagePointSize(0)
    image = doc.render(0, QSize(round(size_pt.width() / 72 * dpi),
                                round(size_pt.height() / 72 * dpi)))
    doc.close()
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    arr = np.frombuffer(gray.constBits(), dtype=np.uint8).reshape(
        gray.height(), gray.bytesPerLine())[:, : gray.width()]
    texts = [r.text for r in zxingcpp.read_barcodes(arr)
             if r.format == zxingcpp.BarcodeFormat.Code128]
    return texts, (size_pt.width() * MM_PER_PT, size_pt.height() * MM_PER_PT)


def test_code128_modules_match_the_standard():
    modules = code128_modules("A023")
    assert modules.startswith("11010010000")          # Start B
    assert modules.endswith("1100011101011")          # Stop pattern
    with pytest.raises(ValueError):
        code128_modules("甲001")
    assert code128_image("A023", module_px=2).width() == (len(modules) + 20) * 2


@pytest.mark.parametrize("number", ["A001", "B123", "F1000"])
def test_rendered_ticket_barcode_reads_back(qapp, tmp_path, number):
    path = tmp_path / "t.pdf"
    writer = QPdfWriter(str(path))
    writer.setResolution(300)
    render_ticket(TicketPrint("示范县政务服务中心", number, "综合受理", "普通", 3, "2026-11-27 09:00"),
                  writer)
    del writer
    texts, (width_mm, height_mm) = decode_pdf(path)
    assert texts == [number]
    assert abs(width_mm - 80) < 0.5 and height_mm < 100      # a receipt, never A4


def test_kiosk_issues_prints_and_the_barcode_decodes(qtbot, start_app):
    app = start_app(tickets=("ZH", "ZH"), config={"kiosk.printer": "pdf"},
                    argv=("kiosk", "--windowed"))
    kiosk = app.kiosk_window
    qtbot.addWidget(kiosk)
    qtbot.waitUntil(lambda: "ZH" in kiosk.service_buttons)
    assert set(kiosk.service_buttons) == {"ZH", "SC", "RS", "BDC", "GA", "ZX"}
    qtbot.mouseClick(kiosk.priority_buttons[__import__(
        "hallclient.core.tickets", fromlist=["PriorityClass"]).PriorityClass.GREEN],
        Qt.MouseButton.LeftButton)
    qtbot.mouseClick(kiosk.service_buttons["ZH"], Qt.MouseButton.LeftButton)
    assert "请工作人员协助选择绿色通道原因" in kiosk.message.text()   # 绿色通道 says why
    qtbot.mouseClick(kiosk.reason_buttons["残疾人"], Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(app.printer.ticket_printed, timeout=10000) as printed:
        qtbot.mouseClick(kiosk.service_buttons["ZH"], Qt.MouseButton.LeftButton)
    number, where = printed.args
    assert number == "A003"
    assert kiosk.issued_number.text() == "A003"
    assert "您前面还有 0 人" in kiosk.message.text()       # green channel: nobody ahead
    assert app.reader.rows("SELECT priority, state, reason FROM tickets WHERE number='A003'") == [
        (2, "waiting", "残疾人")]
    texts, (width_mm, _) = decode_pdf(Path(where))
    assert texts == ["A003"] and abs(width_mm - 80) < 0.5
    # the priority choice resets to normal for the next person
    assert kiosk.priority_buttons[0].isChecked()


def test_kiosk_says_so_when_the_printer_is_missing(qtbot, start_app):
    app = start_app(config={"kiosk.printer": "NoSuchPrinter"}, argv=("kiosk", "--windowed"))
    kiosk = app.kiosk_window
    qtbot.addWidget(kiosk)
    qtbot.waitUntil(lambda: "ZH" in kiosk.service_buttons)
    with qtbot.waitSignal(app.printer.print_failed, timeout=10000):
        qtbot.mouseClick(kiosk.service_buttons["SC"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "打印失败" in kiosk.message.text())
    assert "NoSuchPrinter" in kiosk.message.text()
    # the ticket itself is issued and kept; the clerk can call it
    assert app.reader.rows("SELECT state FROM tickets WHERE number='B001'") == [("waiting",)]


@pytest.mark.parametrize("training", [False, True])
def test_a_ticket_with_a_note_is_printed_whole(qapp, tmp_path, training):
    """The 绿色通道 reason (and a training heading) make the ticket longer: its roll is cut
    below the last line, never through it."""
    import subprocess
    import unicodedata

    path = tmp_path / "t.pdf"
    writer = QPdfWriter(str(path))
    writer.setResolution(300)
    render_ticket(TicketPrint("示范县政务服务中心", "A006", "综合受理", "绿色通道", 0,
                              "2026-11-27 09:00", note="优先原因：老年人"), writer, training=training)
    del writer
    texts, (_width_mm, height_mm) = decode_pdf(path)
    assert texts == ["A006"]
    shown = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                           text=True, check=True).stdout
    shown = unicodedata.normalize("NFKC", shown)      # (CJK radicals the font maps back)
    for line in ("优先原因：老年人", "请留意叫号，过号请到窗口激活"):
        assert unicodedata.normalize("NFKC", line) in shown
    assert 75 <= height_mm < 140
