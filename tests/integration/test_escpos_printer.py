"""Tickets printed as ESC/POS on printers that are really there: a raw-port listener on
loopback (47100-47199) standing in for a network printer, a pseudo-terminal for a serial
one, a FIFO for a USB printer-class device, and a file; each stream read back by the
strict parser. Then the kiosk itself, taking a ticket with printer_kind = escpos."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest
from PySide6.QtCore import Qt

from hallclient.core.escpos_target import EscposTarget, parse_target
from hallclient.devices.escpos import ticket_bytes
from hallclient.devices.escpos_link import PrinterLinkError, send
from hallclient.devices.escpos_printer import EscposTicketPrinter
from hallclient.devices.printer import TicketPrinterChoice, make_ticket_printer
from hallclient.documents.ticket import TicketPrint
from tests.escpos_parser import tickets

PORTS = range(47100, 47200)
HALL = "示范县政务服务中心"


def ticket(number: str, note: str = "") -> TicketPrint:
    return TicketPrint(HALL, number, "不动产登记", "普通", 2, "2026-11-27 09:05", note)


class RawPortPrinter:
    """A network printer's raw port: takes each connection's bytes until the sender closes
    (``reads=False``: accepts and then never reads, like a printer that has stopped)."""

    def __init__(self, reads: bool = True) -> None:
        self.reads = reads
        self.received: list[bytes] = []
        self.held: list[socket.socket] = []
        self.server = bind_in_range()
        self.server.listen(8)
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            if not self.reads:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                self.held.append(conn)
                continue
            with conn:
                conn.settimeout(5)
                chunks = []
                while chunk := conn.recv(4096):
                    chunks.append(chunk)
                self.received.append(b"".join(chunks))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for conn in self.held:
            conn.close()
        self.server.close()


def bind_in_range() -> socket.socket:
    for port in PORTS:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", port))
            return sock
        except OSError:
            sock.close()
    pytest.fail("no free port in 47100-47199")


@pytest.fixture
def network_printer():
    printer = RawPortPrinter()
    yield printer
    printer.close()


@pytest.fixture
def make_printer():
    made: list[EscposTicketPrinter] = []

    def make(target: str, timeout: float = 3.0) -> EscposTicketPrinter:
        printer = EscposTicketPrinter(parse_target(target), timeout_seconds=timeout)
        made.append(printer)
        return printer

    yield make
    for printer in made:
        printer.close()


def test_tickets_reach_a_network_printer_in_the_order_taken(qtbot, network_printer, make_printer):
    target = f"tcp://127.0.0.1:{network_printer.port}"
    printer = make_printer(target)
    printed: list[tuple[str, str]] = []
    printer.ticket_printed.connect(lambda number, where: printed.append((number, where)))
    printer.print_ticket(ticket("C007", note="预约 09:30"), "2026-11-27")
    printer.print_ticket(ticket("C008"), "2026-11-27")
    qtbot.waitUntil(lambda: len(printed) == 2, timeout=10000)
    assert printed == [("C007", target), ("C008", target)]
    qtbot.waitUntil(lambda: len(network_printer.received) == 2)
    first, second = (tickets(stream) for stream in network_printer.received)
    (t,) = first
    assert t.commands[0].name == "init" and t.ends_with_cut
    for part in (HALL, "C007", "不动产登记", "预约 09:30", "您前面还有 2 人等候"):
        assert part in t.text
    assert [b.data for b in t.barcodes] == ["C007"]
    assert [b.data for b in second[0].barcodes] == ["C008"] and "预约" not in second[0].text


def test_a_file_printer_keeps_the_whole_stream(qtbot, tmp_path, make_printer):
    stream = tmp_path / "printer" / "stream.bin"
    stream.parent.mkdir()
    printer = make_printer(f"file:{stream}")
    for number in ("A001", "A002"):
        with qtbot.waitSignal(printer.ticket_printed, timeout=10000) as printed:
            printer.print_ticket(ticket(number), "2026-11-27")
        assert printed.args == [number, f"file:{stream}"]
    printed_tickets = tickets(stream.read_bytes())
    assert [t.barcodes[0].data for t in printed_tickets] == ["A001", "A002"]
    assert all(t.ends_with_cut and "A00" in t.text for t in printed_tickets)


def test_a_printer_that_refuses_the_connection_is_named_in_chinese(qtbot, make_printer):
    closed = bind_in_range()          # a port of ours with nobody listening on it
    port = closed.getsockname()[1]
    try:
        printer = make_printer(f"tcp://127.0.0.1:{port}")
        with qtbot.waitSignal(printer.print_failed, timeout=10000) as failed:
            printer.print_ticket(ticket("A001"), "2026-11-27")
    finally:
        closed.close()
    number, message = failed.args
    assert number == "A001"
    assert f"127.0.0.1:{port} 拒绝连接" in message and "9100" in message


def test_a_network_printer_that_stops_reading_times_out():
    """A printer that took the connection but reads nothing (jammed, paper out with a full
    buffer): the send gives up after the timeout instead of hanging the printer thread."""
    silent = RawPortPrinter(reads=False)
    try:
        started = time.monotonic()
        with pytest.raises(PrinterLinkError, match="在 0.5 秒内没有应答"):
            send(EscposTarget("tcp", "127.0.0.1", silent.port), b"\x1b@" + bytes(32 << 20), 0.5)
        assert time.monotonic() - started < 5
    finally:
        silent.close()


@pytest.fixture
def full_device(tmp_path):
    """A FIFO standing in for /dev/usb/lp0 of a printer that has stopped taking data: its
    reader is there but reads nothing, and the pipe is full."""
    path = tmp_path / "lp0"
    os.mkfifo(path)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    try:
        while True:
            os.write(writer, bytes(65536))
    except BlockingIOError:
        pass
    yield path
    os.close(writer)
    os.close(reader)


def test_a_usb_printer_that_takes_nothing_fails_later_and_never_holds_the_caller(
        qtbot, full_device, make_printer):
    printer = make_printer(f"usb:{full_device}", timeout=0.5)
    with qtbot.waitSignal(printer.print_failed, timeout=10000) as failed:
        started = time.monotonic()
        printer.print_ticket(ticket("B004"), "2026-11-27")
        assert time.monotonic() - started < 0.2        # the kiosk's screen goes on at once
    assert failed.args[0] == "B004"
    assert "在 0.5 秒内没有收下数据" in failed.args[1] and "缺纸" in failed.args[1]


def test_a_usb_device_that_reads_takes_the_ticket(tmp_path):
    path = tmp_path / "lp0"
    os.mkfifo(path)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        send(EscposTarget("usb", str(path)), ticket_bytes(ticket("B005")), 2)
        data = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert tickets(data)[0].barcodes[0].data == "B005"


def test_a_usb_printer_that_is_not_there(tmp_path):
    with pytest.raises(PrinterLinkError, match="找不到 USB 打印机 .*lp9：请检查 USB 线"):
        send(EscposTarget("usb", str(tmp_path / "lp9")), b"\x1b@", 1)


def test_a_serial_printer_gets_the_same_bytes():
    """A pseudo-terminal stands in for the serial port; the printer's end reads the bytes."""
    printer_end, port_end = os.openpty()
    data = ticket_bytes(ticket("D010", note="老年人优先"))
    try:
        send(EscposTarget("serial", os.ttyname(port_end)), data, 2, baud=19200)
        got = b""
        while len(got) < len(data):
            got += os.read(printer_end, 1 << 16)
    finally:
        os.close(port_end)
        os.close(printer_end)
    assert got == data
    (t,) = tickets(got)
    assert "老年人优先" in t.text and t.barcodes[0].data == "D010"


def test_a_serial_port_that_does_not_exist(tmp_path):
    with pytest.raises(PrinterLinkError, match="打不开串口 .*ttyS99（本机没有这个串口）"):
        send(EscposTarget("serial", str(tmp_path / "ttyS99")), b"\x1b@", 1)


def test_an_unusable_address_fails_each_ticket_with_what_to_fix(qtbot, tmp_path):
    printer = make_ticket_printer(TicketPrinterChoice("escpos", escpos_target="lpt1"), tmp_path)
    try:
        with qtbot.waitSignal(printer.print_failed, timeout=10000) as failed:
            printer.print_ticket(ticket("A001"), "2026-11-27")
    finally:
        printer.close()
    assert "kiosk.escpos_target「lpt1」无效" in failed.args[1]


def test_the_kiosk_prints_on_an_escpos_printer(qtbot, tmp_path, demo_hall, network_printer):
    from hallclient.app import main
    from hallclient.core.tickets import PriorityClass
    from tests.gui.conftest import seed

    data_dir = tmp_path / "data"
    seed(data_dir, demo_hall, ["ZH", "ZH"], {
        "kiosk.printer_kind": "escpos", "kiosk.escpos_target": f"tcp://127.0.0.1:{network_printer.port}",
        "kiosk.escpos_timeout_seconds": "3"})
    app = main(["--data-dir", str(data_dir), "kiosk", "--windowed"])
    try:
        kiosk = app.kiosk_window
        qtbot.addWidget(kiosk)
        qtbot.waitUntil(lambda: "ZH" in kiosk.service_buttons)
        assert isinstance(app.printer, EscposTicketPrinter)
        qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.GREEN], Qt.MouseButton.LeftButton)
        qtbot.mouseClick(kiosk.reason_buttons["孕妇"], Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(app.printer.ticket_printed, timeout=10000) as printed:
            qtbot.mouseClick(kiosk.service_buttons["ZH"], Qt.MouseButton.LeftButton)
        assert printed.args[0] == "A003"
        qtbot.waitUntil(lambda: len(network_printer.received) == 1)
        (t,) = tickets(network_printer.received[0])
        assert t.barcodes[0].data == "A003" and "A003" in t.text and t.ends_with_cut
        assert "您前面还有 0 人等候" in t.text and "优先原因：孕妇" in t.text
    finally:
        app.close()


def test_the_kiosk_keeps_issuing_when_the_escpos_printer_is_away(qtbot, tmp_path, demo_hall):
    from hallclient.app import main
    from tests.gui.conftest import seed

    closed = bind_in_range()
    port = closed.getsockname()[1]
    data_dir = tmp_path / "data"
    seed(data_dir, demo_hall, [], {"kiosk.printer_kind": "escpos",
                                   "kiosk.escpos_target": f"tcp://127.0.0.1:{port}"})
    app = main(["--data-dir", str(data_dir), "kiosk", "--windowed"])
    try:
        kiosk = app.kiosk_window
        qtbot.addWidget(kiosk)
        qtbot.waitUntil(lambda: "SC" in kiosk.service_buttons)
        with qtbot.waitSignal(app.kiosk.ticket_print_failed, timeout=10000) as failed:
            qtbot.mouseClick(kiosk.service_buttons["SC"], Qt.MouseButton.LeftButton)
        assert "拒绝连接" in failed.args[1]
        assert kiosk.issued_number.text() == failed.args[0]     # the number is still shown
    finally:
        app.close()
        closed.close()


def test_a_file_address_may_be_written_as_a_url(tmp_path):
    stream = tmp_path / "s.bin"
    send(parse_target(f"file://{stream}"), b"\x1b@x\n", 1)
    assert stream.read_bytes() == b"\x1b@x\n"


def test_odd_targets_are_refused_at_once_and_nothing_is_overwritten(tmp_path):
    """usb: on a regular file would overwrite it; file: on a pipe nobody reads would wait for
    ever; a path with a NUL cannot be opened: each is said, at once."""
    kept = tmp_path / "hosts"
    kept.write_bytes(b"127.0.0.1 localhost\n")
    with pytest.raises(PrinterLinkError, match="不是打印机设备"):
        send(parse_target(f"usb:{kept}"), b"\x1b@ticket", 2)
    assert kept.read_bytes() == b"127.0.0.1 localhost\n"
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    said: list[BaseException] = []

    def to_pipe() -> None:
        try:
            send(parse_target(f"file:{pipe}"), b"\x1b@ticket", 2)
        except PrinterLinkError as exc:
            said.append(exc)

    sender = threading.Thread(target=to_pipe, daemon=True)
    sender.start()
    sender.join(30)                    # (a sender waiting on the pipe would never come back)
    assert not sender.is_alive() and len(said) == 1
    with pytest.raises(PrinterLinkError, match="无效"):
        send(EscposTarget("file", "bad\x00name"), b"\x1b@", 2)
