"""A driverless ticket printer's address (``kiosk.escpos_target``), read: the rule that the
config check and the printer link (devices.escpos_link) both apply.

- ``tcp://192.168.1.50:9100`` — a network printer's raw port (9100 when none is written);
- ``serial:/dev/ttyS0`` or ``serial:COM3`` — a serial printer;
- ``usb:/dev/usb/lp0`` — a USB printer-class device (Linux's usblp; not on Windows, where a
  USB printer is reached only through the spooler);
- ``file:/path`` — the byte stream appended to a file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

RAW_PORT = 9100
KINDS = ("tcp", "serial", "usb", "file")
EXAMPLES = "tcp://192.168.1.50:9100、serial:/dev/ttyS0、serial:COM3、usb:/dev/usb/lp0 或 file:/路径"
KEY = "kiosk.escpos_target"


@dataclass(frozen=True)
class EscposTarget:
    """Where the printer is: ``kind`` is one of KINDS; ``address`` a host, a port name or a
    path; ``port`` the TCP port."""

    kind: str
    address: str
    port: int = 0

    def __str__(self) -> str:
        if self.kind == "tcp":
            host = f"[{self.address}]" if ":" in self.address else self.address
            return f"tcp://{host}:{self.port}"
        return f"{self.kind}:{self.address}"


def parse_target(text: str, windows: bool = sys.platform == "win32") -> EscposTarget:
    """``kiosk.escpos_target`` read; ValueError (in Chinese, with examples) when it is none."""
    text = text.strip()
    kind, colon, rest = text.partition(":")
    kind = kind.lower()
    if not colon or kind not in KINDS:
        raise ValueError(f"应写成 {EXAMPLES}")
    if kind == "tcp":
        return _tcp_target(text)
    if rest.startswith("///"):          # file:///tmp/x, the URL spelling of a path
        rest = rest[2:]
    if not rest or rest != rest.strip():
        raise ValueError(f"{kind}: 后应写设备或文件的路径，如 {EXAMPLES}")
    if kind == "usb" and windows:
        raise ValueError("Windows 上不能直接写 USB 打印机：请把 kiosk.printer_kind 设为 qt 并安装"
                         "打印机的 Windows 驱动，或改用网口（tcp://）、串口（serial:）打印机")
    return EscposTarget(kind, rest)


def _tcp_target(text: str) -> EscposTarget:
    parts = urlsplit(text)
    try:
        port = RAW_PORT if parts.port is None else parts.port
    except ValueError:
        port = 0
    if (not parts.hostname or not 0 < port < 65536 or parts.path not in ("", "/")
            or parts.query or parts.fragment or parts.username or any(c.isspace() for c in text)):
        raise ValueError("网口打印机应写成 tcp://地址:端口，如 tcp://192.168.1.50:9100")
    return EscposTarget("tcp", parts.hostname, port)
