"""How ESC/POS bytes reach a driverless ticket printer (``kiosk.escpos_target``):

- ``tcp://192.168.1.50:9100`` — a network printer's raw port (9100 when none is written);
- ``serial:/dev/ttyS0`` or ``serial:COM3`` — a serial printer (pyserial), ``kiosk.escpos_baud``;
- ``usb:/dev/usb/lp0`` — a USB printer-class device as Linux's usblp driver offers it. On
  Windows a USB printer is reached only through its spooler (a raw job to a shared printer
  via win32), which this link does not do: use ``kiosk.printer_kind = qt`` with the
  printer's Windows driver there, or a network or serial printer;
- ``file:/path`` — the byte stream appended to a file (tests, diagnosis, a virtual printer).

Every send is bounded by ``kiosk.escpos_timeout_seconds``. These links only write: a
printer out of paper that still takes the bytes (a network printer's buffer does) is not
noticed here; a usblp device that stops taking them is reported after the timeout.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import stat
import time

from hallclient.core.escpos_target import KEY, RAW_PORT, EscposTarget, parse_target

log = logging.getLogger(__name__)

__all__ = ["EscposTarget", "PrinterLinkError", "parse_target", "send"]


class PrinterLinkError(RuntimeError):
    """The bytes did not reach the printer; the message says why and what to check, in Chinese."""


def send(target: EscposTarget, data: bytes, timeout: float, baud: int = 9600) -> None:
    """Write ``data`` to the printer within ``timeout`` seconds, or PrinterLinkError."""
    if target.kind == "tcp":
        _send_tcp(target, data, timeout)
    elif target.kind == "serial":
        _send_serial(target, data, timeout, baud)
    elif target.kind == "usb":
        _send_device(target, data, timeout)
    else:
        _append_file(target, data)


def _send_tcp(target: EscposTarget, data: bytes, timeout: float) -> None:
    where = f"{target.address}:{target.port}"
    try:
        with socket.create_connection((target.address, target.port), timeout=timeout) as sock:
            sock.sendall(data)      # the timeout bounds the whole send (Python >= 3.5)
    except TimeoutError:
        raise PrinterLinkError(f"取号票打印机 {where} 在 {timeout:g} 秒内没有应答：请检查打印机是否"
                               f"开机、联网，IP 地址是否为 {KEY} 所写") from None
    except ConnectionRefusedError:
        raise PrinterLinkError(f"取号票打印机 {where} 拒绝连接：端口不对（网口打印机一般为 "
                               f"{RAW_PORT}），或打印机正忙于别的任务") from None
    except socket.gaierror:
        raise PrinterLinkError(f"找不到取号票打印机的地址 {target.address}：请检查 {KEY}") from None
    except OSError as exc:
        raise PrinterLinkError(f"连不上取号票打印机 {where}（{_reason(exc)}）：请检查网线、"
                               "打印机电源和 IP 地址") from None


def _send_serial(target: EscposTarget, data: bytes, timeout: float, baud: int) -> None:
    import serial  # pyserial: only a kiosk with a serial printer loads it

    try:
        with serial.Serial(target.address, baudrate=baud, timeout=timeout,
                           write_timeout=timeout) as link:
            link.write(data)
            link.flush()
    except serial.SerialTimeoutException:
        raise PrinterLinkError(f"串口 {target.address} 的打印机在 {timeout:g} 秒内没有收下数据：请检查"
                               "打印机是否开机、缺纸或开盖") from None
    except serial.SerialException as exc:
        raise PrinterLinkError(f"打不开串口 {target.address}（{_port_reason(exc)}）：请检查 {KEY} 所写的"
                               "串口名、串口线，以及本机用户能否使用串口（Linux 上为 dialout 组）") from None


def _send_device(target: EscposTarget, data: bytes, timeout: float) -> None:
    """A printer-class device (usblp): opened without blocking, so that a printer that has
    stopped taking data (paper out, offline) is reported after ``timeout``, not waited on
    for ever."""
    import select

    try:
        fd = os.open(target.address, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as exc:
        raise PrinterLinkError(_device_unusable(target.address, exc)) from None
    try:
        kind = os.fstat(fd).st_mode
        if not (stat.S_ISCHR(kind) or stat.S_ISFIFO(kind)):    # a file would be overwritten
            raise PrinterLinkError(f"{target.address} 不是打印机设备（应为 /dev/usb/lp0 这样的设备）："
                                   f"请检查 {KEY}")
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PrinterLinkError(f"USB 打印机 {target.address} 在 {timeout:g} 秒内没有收下数据："
                                       "请检查是否缺纸、开盖或脱机")
            _, ready, _ = select.select([], [fd], [], left)
            if not ready:
                continue
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                time.sleep(0.05)
            except OSError as exc:
                raise PrinterLinkError(_device_unusable(target.address, exc)) from None
    finally:
        os.close(fd)


def _device_unusable(path: str, exc: OSError | ValueError) -> str:
    if not isinstance(exc, OSError):
        return f"USB 打印机地址 {path!r} 无效：请检查 {KEY}"
    if exc.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return f"找不到 USB 打印机 {path}：请检查 USB 线和打印机电源（{KEY}）"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"没有权限使用 USB 打印机 {path}：请把运行取号机的用户加入 lp 组"
    if exc.errno == errno.ENOSPC:
        return f"USB 打印机 {path} 缺纸：请装入热敏纸"
    return f"USB 打印机 {path} 无法使用（{_reason(exc)}）"


def _append_file(target: EscposTarget, data: bytes) -> None:
    """Appended to a regular file; anything else (a pipe nobody reads, a device) is refused
    at once rather than waited on."""
    try:
        fd = os.open(target.address, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                     | getattr(os, "O_NONBLOCK", 0), 0o644)
    except ValueError:
        raise PrinterLinkError(f"文件路径无效：请检查 {KEY}") from None
    except OSError as exc:
        raise PrinterLinkError(f"无法写入 {target.address}（{_reason(exc)}）：请检查 {KEY} 所写的"
                               "文件路径及其文件夹") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PrinterLinkError(f"{target.address} 不是普通文件：请检查 {KEY}")
        with os.fdopen(fd, "ab", closefd=False) as stream:
            stream.write(data)
    except OSError as exc:
        raise PrinterLinkError(f"无法写入 {target.address}（{_reason(exc)}）：请检查 {KEY} 所写的"
                               "文件路径及其文件夹") from None
    finally:
        os.close(fd)


def _port_reason(exc: OSError) -> str:
    """pyserial's own message is English and long; the common causes in a few words."""
    known = {errno.ENOENT: "本机没有这个串口", errno.ENODEV: "本机没有这个串口",
             errno.EACCES: "没有权限", errno.EPERM: "没有权限", errno.EBUSY: "串口被其他程序占用"}
    if exc.errno in known:
        return known[exc.errno]
    return _reason(exc)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
