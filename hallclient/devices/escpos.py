"""The queue ticket (取号票) as raw ESC/POS bytes, for a thermal printer that has no system
driver: a network printer on port 9100, a serial one, or a USB printer-class device.

Our own encoder rather than python-escpos: a ticket needs a dozen commands (init, Chinese
mode, alignment, size, bold, the printer's own Code128, feed and cut), while that library
brings Pillow, qrcode, pyusb and more into the kiosk's install for features we never use.

Text is GB18030 (国家标准 GB 18030, which printers sold in China carry as their Chinese
font). Python's codec encodes every Unicode character except lone surrogates; characters
outside GBK become four-byte sequences, which a printer with only a GBK font prints as
garbage, so they are logged. Control characters in text are replaced: an ESC inside a hall
name or a note would otherwise be taken as a command by the printer.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

from hallclient.documents.ticket import TicketPrint

log = logging.getLogger(__name__)

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"

INIT = ESC + b"@"                 # ESC @: reset modes, clear the buffer
CHINESE_ON = FS + b"&"            # FS &: two-byte (Kanji / 汉字) character mode
ALIGN_LEFT, ALIGN_CENTER = 0, 1
CODE128 = 73                      # GS k m=73: Code128, data carries its own code set prefix
HRI_BELOW = 2                     # GS H 2: the human-readable number under the bars
PARTIAL_CUT = 66                  # GS V 66 n: feed to the cutter (+n) and cut, leaving a hinge
ENCODING = "gb18030"

# GS ! n: high nibble = width multiple - 1, low nibble = height multiple - 1
NORMAL_SIZE = 0x00
NUMBER_SIZE = 0x33                # the ticket number four times wide and high


@dataclass(frozen=True)
class Paper:
    """What a roll of ``width_mm`` offers at 203 dpi (8 dots per mm): the printable dots
    (72 mm on 80 mm paper, 48 mm on 58 mm paper)."""

    width_mm: float = 80.0

    @property
    def dots(self) -> int:
        return 576 if self.width_mm >= 70 else 384


def align(how: int) -> bytes:
    return ESC + b"a" + bytes([how])


def bold(on: bool) -> bytes:
    return ESC + b"E" + bytes([1 if on else 0])


def size(n: int) -> bytes:
    return GS + b"!" + bytes([n])


def feed(lines: int) -> bytes:
    """ESC d n: print what is buffered and feed ``lines`` lines."""
    return ESC + b"d" + bytes([lines])


def cut(extra_feed: int = 0) -> bytes:
    return GS + b"V" + bytes([PARTIAL_CUT, extra_feed])


def printable(text: str) -> str:
    """``text`` with every control or line-separator character as a space: one line of
    words, never a command byte."""
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)


def encode_text(text: str) -> bytes:
    """One line's text as GB18030; a lone surrogate (not a character) becomes "?"."""
    clean = printable(text)
    data = clean.encode(ENCODING, errors="replace")
    if any(len(c.encode(ENCODING, errors="replace")) == 4 for c in clean):
        log.info("ticket text has characters outside GBK; a printer with a GBK-only font "
                 "prints them wrongly")
    return data


def line(text: str) -> bytes:
    return encode_text(text) + LF


def code128(data: str, paper: Paper) -> bytes:
    """The printer draws the barcode itself (GS k 73), code set B, with the number printed
    under it; modules of 3 dots (0.375 mm) unless the paper is too narrow for them."""
    if not data or not all(" " <= c <= "~" for c in data):
        raise ValueError("Code128 B 只能编码可见 ASCII 字符")
    payload = b"{B" + data.replace("{", "{{").encode("ascii")
    if len(payload) > 255:
        raise ValueError("条码内容过长")
    modules = 11 * (len(data) + 2) + 13 + 20       # start, data, check, stop, quiet zones
    width = 3 if modules * 3 <= paper.dots else 2
    return (GS + b"h" + bytes([96])                # 12 mm high, as on the Qt ticket
            + GS + b"w" + bytes([width])
            + GS + b"H" + bytes([HRI_BELOW])
            + GS + b"f" + bytes([0])               # HRI in font A
            + GS + b"k" + bytes([CODE128, len(payload)]) + payload)


def ticket_bytes(info: TicketPrint, paper: Paper | None = None) -> bytes:
    """The whole ticket, laid out as the Qt ticket is (hall, service, big number, class,
    note, people ahead, barcode, time, reminder), ending with a cut."""
    paper = paper or Paper()
    out = [INIT, CHINESE_ON, align(ALIGN_CENTER),
           bold(True), line(info.hall), bold(False),
           line(info.service),
           size(NUMBER_SIZE), bold(True), line(info.number), bold(False), size(NORMAL_SIZE),
           line(info.priority)]
    if info.note.strip():
        out += [bold(True), line(info.note), bold(False)]
    out += [line(f"您前面还有 {info.ahead} 人等候"), feed(1),
            code128(info.number, paper),
            line(info.issued_at),
            line("请留意叫号，过号请到窗口激活"),
            align(ALIGN_LEFT), feed(3), cut()]
    return b"".join(out)
