"""Second-generation ID-card readers (二代证读卡器).

Vendors ship a DLL/.so with either the termb API (CVR_InitComm, CVR_Authenticate,
CVR_Read_Content) or the sdtapi API (SDT_OpenPort, SDT_ReadBaseMsg). Both block, so reads
run on the device lane. ``SimulatedReader`` stands in for demos, training and tests;
``idcard_sdt.SdtReader`` and ``idcard_cvr.CvrReader`` drive the vendors' libraries through
ctypes. What the card's bytes mean is ``core.idcards``.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Protocol, TypeVar

from hallclient.core.idcards import CardFormatError, CardType, IdCardData
from hallclient.devices import DeviceError

__all__ = ["DEMO_CARDS", "CardReaderError", "CardType", "IdCardData", "IdCardReader", "NoCardError",
           "SimulatedReader",
           "VendorLibrary", "bounded_read", "port_candidates"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class CardReaderError(DeviceError):
    """Why no card was read (读卡器未连接 / 请将身份证放在读卡器上 ...)."""


class NoCardError(CardReaderError):
    """No card on the reader (yet): a kiosk waiting for one asks again."""

    def __init__(self, message: str = "请将身份证放在读卡器上") -> None:
        super().__init__(message)


class IdCardReader(Protocol):
    description: str

    def read(self) -> IdCardData: ...


DEMO_CARDS = (
    IdCardData("王𠮷", "女", "汉", date(1949, 12, 31), "北京市朝阳区示范路 1 号", "11010519491231002X",
               "北京市公安局朝阳分局", date(2015, 3, 1), None),
    IdCardData("李䶮", "男", "汉", date(1880, 1, 1), "广东省示范县人民路 8 号", "440524188001010014",
               "示范县公安局", date(2020, 6, 1), date(2040, 6, 1)),
    # and one of working age, for a plain 刷身份证取号 in the demo
    IdCardData("陈晓明", "男", "汉", date(1988, 6, 15), "北京市海淀区示范街 6 号", "110108198806150031",
               "北京市公安局海淀分局", date(2018, 6, 1), date(2038, 6, 1)),
)


class SimulatedReader:
    """Returns the given cards in turn; ``fail_with`` makes the next read fail."""

    description = "模拟读卡器"

    def __init__(self, cards: Sequence[IdCardData] = DEMO_CARDS) -> None:
        self.cards = list(cards)
        self.reads = 0
        self.fail_with: str | None = None

    def read(self) -> IdCardData:
        if self.fail_with is not None:
            message, self.fail_with = self.fail_with, None
            raise CardReaderError(message)
        if not self.cards:
            raise NoCardError()
        card = self.cards[self.reads % len(self.cards)]
        self.reads += 1
        return card


NO_CARD = "请将身份证放在读卡器上"
USB_PORTS = tuple(range(1001, 1017))
SERIAL_PORTS = tuple(range(1, 17))
AUTO_PORTS = USB_PORTS + SERIAL_PORTS[:4]


def port_candidates(port: str) -> tuple[int, ...]:
    """The ports to try: "auto" is USB 1001-1016 then serial 1-4; else the one given."""
    return AUTO_PORTS if port.strip().lower() in ("", "auto") else (int(port),)


class VendorLibrary:
    """A vendor's driver library, loaded on first use (so a missing one is a message at read
    time, never a failed start): stdcall (WinDLL) on Windows, cdecl (CDLL) elsewhere."""

    def __init__(self, path: str, family: str) -> None:
        self.path = path
        self.family = family       # SDT / CVR, for the messages
        self._lib: ctypes.CDLL | None = None

    def load(self) -> ctypes.CDLL:
        if self._lib is None:
            if not self.path.strip():
                raise CardReaderError(f"未设置读卡器驱动库（idcard.library），请填写厂商提供的 {self.family} "
                                      "接口驱动文件路径（.so 或 .dll）")
            loader = getattr(ctypes, "WinDLL") if sys.platform == "win32" else ctypes.CDLL  # noqa: B009
            try:
                self._lib = loader(self.path)
            except OSError as exc:
                raise CardReaderError(f"无法加载读卡器驱动库 {self.path}（{exc}）。请检查 idcard.library "
                                      "设置，并安装读卡器厂商的驱动") from None
        return self._lib

    def function(self, name: str, restype: object, *argtypes: object) -> Callable[..., int]:
        """``name`` of the library with its C signature; a library without it is the wrong
        driver family, said so."""
        lib = self.load()
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise CardReaderError(f"驱动库 {self.path} 中没有 {name} 函数：它不是 {self.family} 接口的驱动，"
                                  "请检查 idcard.driver 与 idcard.library 设置") from None
        fn.restype = restype
        fn.argtypes = list(argtypes)
        return fn  # type: ignore[no-any-return]

    def has(self, name: str) -> bool:
        return hasattr(self.load(), name)


class _Call:
    """One read running on its own thread: its result or its exception, once done."""

    def __init__(self, fn: Callable[[], IdCardData]) -> None:
        self.result: IdCardData | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(fn,), name="idcard-read", daemon=True)

    def _run(self, fn: Callable[[], IdCardData]) -> None:
        try:
            self.result = fn()
        except BaseException as exc:  # handed to the waiting lane, raised there
            self.error = exc


GRACE = 0.5     # beyond the timeout, for the read's own "no card" answer to arrive first


class ReadGuard:
    """Bounds a read in time: vendor calls block and cannot be interrupted, so they run on
    a helper thread and the device lane waits at most the timeout. A driver still stuck in
    its call keeps the reader busy (said so) until it returns."""

    def __init__(self) -> None:
        self._running: _Call | None = None

    def run(self, fn: Callable[[], IdCardData], timeout: float) -> IdCardData:
        if self._running is not None and self._running.thread.is_alive():
            raise CardReaderError("读卡器上一次读卡还没有结束（驱动无响应），请稍候再试，或重新插拔读卡器")
        call = self._running = _Call(fn)
        call.thread.start()
        call.thread.join(timeout + GRACE)
        if call.thread.is_alive():
            log.warning("card read still running after %.1f s", timeout)
            raise CardReaderError(f"读卡超时（{timeout:g} 秒内没有读完），请将身份证放稳后重试")
        self._running = None
        if call.error is not None:
            if isinstance(call.error, CardFormatError):
                raise CardReaderError(str(call.error)) from call.error
            raise call.error
        assert call.result is not None
        return call.result


def bounded_read(attempt: Callable[[], T | None], deadline: float, pause: float = 0.1) -> T:
    """Try ``attempt`` until it gives something or ``deadline`` (time.monotonic) passes:
    a card laid on the reader a moment after the clerk pressed 读身份证 is still read."""
    while True:
        found = attempt()
        if found is not None:
            return found
        if time.monotonic() + pause >= deadline:
            raise NoCardError(NO_CARD)
        time.sleep(pause)
