"""Windows printers have names such as ``\\\\PRINTSRV\\1号窗口 激光打印机`` or ``HP LaserJet Pro
M404 (副本 1)``: named in config.ini (saved again by Notepad as GBK), they reach the printer
lookup as written, and a printer that is not there is named exactly, with what to do."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from hallclient.app import main
from hallclient.config import CONFIG_FILE
from hallclient.core.cases import Decision
from hallclient.devices.printer import NoticePrinter

from .conftest import seed
from .test_notices import committed, desk  # noqa: F401 - the fixture

NETWORK_PRINTER = "\\\\PRINTSRV\\1号窗口 激光打印机"
COPY_PRINTER = "HP LaserJet Pro M404 (副本 1)"


def test_the_kiosk_names_a_missing_network_printer_exactly(qtbot, tmp_path, demo_hall):
    data_dir = tmp_path / "data"
    seed(data_dir, demo_hall, [], {"kiosk.printer": NETWORK_PRINTER})
    config = data_dir / CONFIG_FILE
    config.write_bytes(config.read_text(encoding="utf-8").encode("gbk"))    # Notepad's 「ANSI」
    app = main(["--data-dir", str(data_dir), "kiosk", "--windowed"])
    try:
        assert app.printer.printer_name == NETWORK_PRINTER
        qtbot.addWidget(app.kiosk_window)
        qtbot.waitUntil(lambda: "SC" in app.kiosk_window.service_buttons)
        with qtbot.waitSignal(app.printer.print_failed, timeout=10000) as failed:
            qtbot.mouseClick(app.kiosk_window.service_buttons["SC"], Qt.MouseButton.LeftButton)
        message = failed.args[1]
        assert f"找不到打印机「{NETWORK_PRINTER}」" in message, message
        assert '--set "kiosk.printer=' in message
    finally:
        app.close()


def test_a_notice_for_a_missing_printer_names_it_and_keeps_the_pdf(qtbot, desk, tmp_path):  # noqa: F811
    ctx = committed(desk, "个体工商户登记（设立登记）", Decision.ACCEPT)
    printer = NoticePrinter(COPY_PRINTER, tmp_path / "notices")
    try:
        with qtbot.waitSignal(printer.print_failed, timeout=20000) as failed:
            printer.print_notice("accept", ctx)
    finally:
        printer.close()
    message = failed.args[1]
    assert f"找不到打印机「{COPY_PRINTER}」" in message and "notice.printer" in message
    kept = tmp_path / "notices" / f"{ctx.case['case_no']}-accept.pdf"
    assert kept.is_file() and str(kept) in message


@pytest.mark.parametrize("wanted, windows, found", [
    (NETWORK_PRINTER, False, NETWORK_PRINTER),
    ("\\\\printsrv\\1号窗口 激光打印机", True, NETWORK_PRINTER),     # Windows ignores case
    ("\\\\printsrv\\1号窗口 激光打印机", False, None),               # CUPS does not
    ("HP LaserJet Pro M404 (副本 2)", True, None),
    ("HP LaserJet Pro M404", True, None),                        # never a mere beginning
])
def test_a_printer_is_found_by_its_whole_name(wanted, windows, found):
    from hallclient.devices.printer import find_printer

    assert find_printer(wanted, [NETWORK_PRINTER, COPY_PRINTER], windows) == found
