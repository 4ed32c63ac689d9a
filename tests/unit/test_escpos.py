"""The ticket as ESC/POS bytes, read back by a strict parser as a printer would read it, and
the printer addresses that ``kiosk.escpos_target`` accepts."""

from __future__ import annotations

import pytest

from hallclient.config import Config, ConfigError
from hallclient.core.escpos_target import EscposTarget, parse_target
from hallclient.devices.escpos import Paper, code128, ticket_bytes
from hallclient.devices.escpos_printer import EscposTicketPrinter
from hallclient.devices.printer import TicketPrinter, TicketPrinterChoice, make_ticket_printer
from hallclient.documents.ticket import TicketPrint, ticket_html
from tests.escpos_parser import EscposError, commands, tickets

HALL = "示范县政务服务中心"


def ticket(number: str = "A023", note: str = "", hall: str = HALL) -> TicketPrint:
    return TicketPrint(hall, number, "综合受理", "绿色通道", 4, "2026-11-27 09:05", note)


def test_a_ticket_reads_back_as_the_printer_prints_it():
    (t,) = tickets(ticket_bytes(ticket(note="军人优先")))
    assert t.commands[0].name == "init" and t.chinese
    assert t.text.split("\n") == [HALL, "综合受理", "A023", "绿色通道", "军人优先", "您前面还有 4 人等候",
                                  "2026-11-27 09:05", "请留意叫号，过号请到窗口激活"]
    number = t.line_with("A023")
    assert number.size == 0x33 and number.bold and number.align == 1
    assert t.line_with("军人优先").bold and t.line_with("综合受理").size == 0
    assert not t.line_with("等候").bold
    (barcode,) = t.barcodes
    assert (barcode.system, barcode.data, barcode.hri) == (73, "A023", 2)
    assert barcode.height == 96 and barcode.width == 3       # 12 mm, 0.375 mm modules at 203 dpi
    assert t.ends_with_cut and t.commands[-1].args[0] == 66


def test_without_a_note_there_is_no_empty_line_for_it():
    (t,) = tickets(ticket_bytes(ticket()))
    assert t.text.split("\n")[3:5] == ["绿色通道", "您前面还有 4 人等候"]


def test_the_barcode_command_carries_the_code_set_and_its_length():
    data = code128("A{1", Paper())
    (*_, command) = commands(data)
    assert command.name == "barcode" and command.data == b"{BA{{1"
    assert data.endswith(b"\x1dk\x49\x06{BA{{1")       # GS k 73, n counts the prefix too
    (t,) = tickets(b"\x1b@" + data)
    assert t.barcodes[0].data == "A{1"


def test_a_long_number_on_58_mm_paper_gets_narrower_modules():
    (t,) = tickets(ticket_bytes(ticket("BDC1234567"), Paper(58)))
    assert t.barcodes[0].width == 2
    (t,) = tickets(ticket_bytes(ticket("BDC1234567"), Paper(80)))
    assert t.barcodes[0].width == 3


@pytest.mark.parametrize("number", ["A０23", "甲001", "", "A\x1b1"])
def test_a_number_code128_cannot_carry_is_refused(number):
    with pytest.raises(ValueError, match="Code128"):
        code128(number, Paper())


def test_control_characters_in_text_never_reach_the_printer_as_commands():
    """An ESC @ or GS V inside a hall name would reset or cut mid-ticket."""
    (t,) = tickets(ticket_bytes(ticket(hall="大厅\x1b@\x1dV\x00A\r\n二楼", note="\u2028预约\t09:30")))
    assert t.line_with("大厅").text == "大厅 @ V A  二楼"
    assert t.line_with("预约").text == " 预约 09:30"
    assert [c.name for c in t.commands].count("init") == 1
    assert [c.name for c in t.commands].count("cut") == 1


def test_gb18030_carries_every_character_and_a_lone_surrogate_becomes_a_question_mark():
    """𠮷 (outside GBK) is four bytes in GB18030 and comes back whole; a lone surrogate is
    no character at all and cannot be encoded by any codec."""
    data = ticket_bytes(ticket(hall="𠮷城€大厅", note="\ud800"))
    assert "𠮷".encode("gb18030") in data and len("𠮷".encode("gb18030")) == 4
    (t,) = tickets(data)
    assert t.lines[0].text == "𠮷城€大厅"
    assert t.line_with("?").text == "?"


def test_the_parser_refuses_what_a_printer_would_choke_on():
    with pytest.raises(EscposError, match="unknown command"):
        tickets(b"\x1b@\x1bZ\x00")
    with pytest.raises(EscposError, match="cut short"):
        tickets(b"\x1b@\x1dk\x49\x09{BA1")
    with pytest.raises(EscposError, match="control byte"):
        tickets(b"\x1b@ab\x07\n")
    with pytest.raises(EscposError, match="before any ESC @"):
        tickets(b"ab\n\x1b@")
    with pytest.raises(EscposError, match="not GB18030"):
        tickets(b"\x1b@\x81\x30\n")


@pytest.mark.parametrize("text, target", [
    ("tcp://192.168.1.50:9100", EscposTarget("tcp", "192.168.1.50", 9100)),
    ("tcp://printer.hall.local", EscposTarget("tcp", "printer.hall.local", 9100)),
    ("TCP://[::1]:47100", EscposTarget("tcp", "::1", 47100)),
    ("serial:/dev/ttyS0", EscposTarget("serial", "/dev/ttyS0")),
    ("serial:COM3", EscposTarget("serial", "COM3")),
    ("usb:/dev/usb/lp0", EscposTarget("usb", "/dev/usb/lp0")),
    ("file:/var/tmp/tickets.bin", EscposTarget("file", "/var/tmp/tickets.bin")),
    ("file:///var/tmp/tickets.bin", EscposTarget("file", "/var/tmp/tickets.bin")),
    ("file:C:\\tickets\\stream.bin", EscposTarget("file", "C:\\tickets\\stream.bin")),
])
def test_printer_addresses(text, target):
    assert parse_target(text, windows=False) == target
    assert parse_target(str(target), windows=False) == target


@pytest.mark.parametrize("text", ["192.168.1.50:9100", "lpt1", "tcp://", "tcp://host:0",
                                  "tcp://host:70000", "tcp://host:9100/x", "tcp://my host:9100",
                                  "serial:", "usb:", "file: /tmp/x", "http://192.168.1.50"])
def test_what_is_no_printer_address(text):
    with pytest.raises(ValueError, match="应写成|后应写"):
        parse_target(text, windows=False)


def test_a_usb_device_is_refused_on_windows_with_what_to_do_instead():
    with pytest.raises(ValueError, match="kiosk.printer_kind 设为 qt"):
        parse_target("usb:/dev/usb/lp0", windows=True)
    assert parse_target("serial:COM3", windows=True) == EscposTarget("serial", "COM3")


def test_escpos_without_an_address_is_named_as_a_gap():
    gaps = Config(values={"kiosk.printer_kind": "escpos"}).gaps()
    assert any("kiosk.escpos_target" in g for g in gaps)
    assert Config(values={"kiosk.printer_kind": "escpos",
                          "kiosk.escpos_target": "tcp://10.1.1.9"}).gaps() == []


def test_a_bad_address_in_config_is_refused_in_chinese():
    with pytest.raises(ConfigError, match="kiosk.escpos_target 的值「lpt1」无效：应写成 tcp://"):
        Config(values={"kiosk.escpos_target": "lpt1"})


def choice(**kw) -> TicketPrinterChoice:
    return TicketPrinterChoice(**{"kind": "escpos", "escpos_target": "tcp://127.0.0.1:47101", **kw})


def test_the_kiosk_printer_follows_the_kind(qtbot, tmp_path):
    printers = [
        make_ticket_printer(choice(), tmp_path),
        make_ticket_printer(choice(kind="qt"), tmp_path),
        make_ticket_printer(choice(), tmp_path, training=True),    # training paper, never the real one
        make_ticket_printer(choice(printer="pdf"), tmp_path),       # self-test, demo: no paper
    ]
    try:
        escpos, *others = printers
        assert isinstance(escpos, EscposTicketPrinter)
        assert escpos.target == EscposTarget("tcp", "127.0.0.1", 47101)
        assert all(type(p) is TicketPrinter for p in others)
        assert others[1].training and others[1].printer_name == "pdf"
        assert others[2].printer_name == "pdf"
    finally:
        for p in printers:
            p.close()


def test_the_qt_ticket_shows_the_note_only_when_there_is_one():
    assert "预约 09:30" in ticket_html(ticket(note="预约 09:30"), 100, 40)
    assert ticket_html(ticket(note="<b>&</b>"), 100, 40).count("&lt;b&gt;&amp;&lt;/b&gt;") == 1
    assert "font-weight: bold; margin: 0;" not in ticket_html(ticket(), 100, 40)
