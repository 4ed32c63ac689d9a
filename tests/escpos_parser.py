"""Reads an ESC/POS byte stream back the way a receipt printer would, for tests: the commands
in order, and per ticket (each starts with ESC @) the printed lines with the modes they were
printed in, the barcodes with their data, and whether it ends with a cut.

Strict on purpose: an unknown command, a control byte the printer would not expect, a
command cut short or text that is not GB18030 raises EscposError, so a stray byte in the
encoder's output fails the test that reads it."""

from __future__ import annotations

from dataclasses import dataclass, field

ENCODING = "gb18030"
ESC, GS, FS, LF = 0x1B, 0x1D, 0x1C, 0x0A

# (prefix, command byte) -> (name, number of one-byte arguments)
FIXED = {
    (ESC, ord("@")): ("init", 0),
    (ESC, ord("a")): ("align", 1),
    (ESC, ord("E")): ("bold", 1),
    (ESC, ord("d")): ("feed", 1),
    (ESC, ord("!")): ("mode", 1),
    (GS, ord("!")): ("size", 1),
    (GS, ord("h")): ("barcode_height", 1),
    (GS, ord("w")): ("barcode_width", 1),
    (GS, ord("H")): ("hri_position", 1),
    (GS, ord("f")): ("hri_font", 1),
    (FS, ord("&")): ("chinese_on", 0),
    (FS, ord(".")): ("chinese_off", 0),
}


class EscposError(ValueError):
    pass


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[int, ...] = ()
    data: bytes = b""
    offset: int = 0


@dataclass(frozen=True)
class Line:
    text: str
    align: int
    bold: bool
    size: int


@dataclass(frozen=True)
class Barcode:
    system: int
    data: str
    height: int
    width: int
    hri: int


@dataclass
class Ticket:
    commands: list[Command] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    barcodes: list[Barcode] = field(default_factory=list)
    chinese: bool = False

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def ends_with_cut(self) -> bool:
        return bool(self.commands) and self.commands[-1].name == "cut"

    def line_with(self, part: str) -> Line:
        found = [line for line in self.lines if part in line.text]
        if len(found) != 1:
            raise AssertionError(f"{part!r} on {len(found)} lines: {self.lines}")
        return found[0]


def commands(stream: bytes) -> list[Command]:
    """The stream as commands; text runs come as ``Command("text", data=...)``."""
    out: list[Command] = []
    i = 0
    while i < len(stream):
        b = stream[i]
        if b == LF:
            out.append(Command("lf", offset=i))
            i += 1
        elif b >= 0x20:
            j = i
            while j < len(stream) and stream[j] >= 0x20:
                j += 1
            out.append(Command("text", data=stream[i:j], offset=i))
            i = j
        elif b in (ESC, GS, FS):
            command, i = _command(stream, i)
            out.append(command)
        else:
            raise EscposError(f"unexpected control byte 0x{b:02x} at {i}")
    return out


def _need(stream: bytes, end: int, what: str, at: int) -> None:
    if end > len(stream):
        raise EscposError(f"{what} at {at} cut short")


def _command(stream: bytes, i: int) -> tuple[Command, int]:
    _need(stream, i + 2, "command", i)
    prefix, code = stream[i], stream[i + 1]
    if (prefix, code) in FIXED:
        name, count = FIXED[(prefix, code)]
        _need(stream, i + 2 + count, name, i)
        return Command(name, tuple(stream[i + 2:i + 2 + count]), offset=i), i + 2 + count
    if (prefix, code) == (GS, ord("V")):
        _need(stream, i + 3, "cut", i)
        m = stream[i + 2]
        if m in (0, 1, 48, 49):
            return Command("cut", (m,), offset=i), i + 3
        if m in (65, 66):
            _need(stream, i + 4, "cut", i)
            return Command("cut", (m, stream[i + 3]), offset=i), i + 4
        raise EscposError(f"GS V with m={m} at {i}")
    if (prefix, code) == (GS, ord("k")):
        return _barcode(stream, i)
    raise EscposError(f"unknown command 0x{prefix:02x} {code!r} at {i}")


def _barcode(stream: bytes, i: int) -> tuple[Command, int]:
    _need(stream, i + 3, "GS k", i)
    m = stream[i + 2]
    if m <= 6:                                   # function A: NUL-terminated
        end = stream.find(b"\0", i + 3)
        if end < 0:
            raise EscposError(f"GS k at {i} without its NUL")
        return Command("barcode", (m,), stream[i + 3:end], offset=i), end + 1
    if 65 <= m <= 79:                            # function B: length first
        _need(stream, i + 4, "GS k", i)
        n = stream[i + 3]
        _need(stream, i + 4 + n, "GS k data", i)
        return Command("barcode", (m,), stream[i + 4:i + 4 + n], offset=i), i + 4 + n
    raise EscposError(f"GS k with m={m} at {i}")


def code128_text(data: bytes) -> str:
    """What a GS k 73 barcode encodes: its data after the code set prefixes ({A {B {C, with
    {{ for a brace itself)."""
    if data[:1] != b"{" or data[1:2] not in (b"A", b"B", b"C"):
        raise EscposError(f"Code128 data without a code set prefix: {data!r}")
    out, code_set, i = [], "", 0
    while i < len(data):
        if data[i:i + 1] == b"{":
            nxt = data[i + 1:i + 2]
            if nxt == b"{":
                out.append("{")
            elif nxt in (b"A", b"B", b"C"):
                code_set = nxt.decode()
            else:
                raise EscposError(f"Code128 function {nxt!r} not expected on a ticket")
            i += 2
        elif code_set == "C":
            if data[i] > 99:
                raise EscposError(f"code set C value {data[i]}")
            out.append(f"{data[i]:02d}")
            i += 1
        else:
            out.append(chr(data[i]))
            i += 1
    return "".join(out)


def tickets(stream: bytes) -> list[Ticket]:
    """The stream cut into tickets at each ESC @; bytes before the first one are an error."""
    found: list[Ticket] = []
    for command in commands(stream):
        if command.name == "init":
            found.append(Ticket())
        elif not found:
            raise EscposError(f"{command.name} at {command.offset} before any ESC @")
        found[-1].commands.append(command)
    for ticket in found:
        _read(ticket)
    return found


def _read(ticket: Ticket) -> None:
    """Replay the modes as the printer keeps them, and collect lines and barcodes."""
    modes = {"align": 0, "bold": False, "size": 0, "barcode_height": 162, "barcode_width": 3,
             "hri_position": 0}
    pending: list[bytes] = []
    line_modes: dict[str, int | bool] = {}
    for c in ticket.commands:
        if c.name == "text":
            if not pending:
                line_modes = dict(modes)
            pending.append(c.data)
        elif c.name == "lf" or c.name == "feed":
            if pending:
                ticket.lines.append(_line(b"".join(pending), line_modes))
                pending = []
        elif c.name == "barcode":
            if pending:
                raise EscposError(f"barcode at {c.offset} not at the start of a line")
            data = code128_text(c.data) if c.args[0] == 73 else c.data.decode("ascii")
            ticket.barcodes.append(Barcode(c.args[0], data, int(modes["barcode_height"]),
                                           int(modes["barcode_width"]), int(modes["hri_position"])))
        elif c.name == "chinese_on":
            ticket.chinese = True
        elif c.name == "chinese_off":
            ticket.chinese = False
        elif c.name in modes:
            modes[c.name] = bool(c.args[0] & 1) if c.name == "bold" else c.args[0]
    if pending:
        raise EscposError("text left unprinted at the end of the ticket")


def _line(data: bytes, modes: dict[str, int | bool]) -> Line:
    try:
        text = data.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise EscposError(f"text is not GB18030: {data!r}") from exc
    return Line(text, int(modes["align"]), bool(modes["bold"]), int(modes["size"]))
