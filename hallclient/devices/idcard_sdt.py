"""ID-card readers with the Ministry of Public Security style sdtapi interface (SDT_*).

A read is: open the port, find the card (SDT_StartFindIDCard), select it
(SDT_SelectIDCard), read the base message and the photo (SDT_ReadBaseMsg), close the port.
Every call returns 0x90 for success (finding a card: 0x9F); 0x80 / 0x81 mean no card
on the reader. The photo is WLT-encoded: only the vendor's decoder (libwlt2bmp's
``unpack``) makes a picture of it, so without one the card has no photo.
"""

from __future__ import annotations

import ctypes
import logging
import time

from hallclient.core.idcards import BASE_MESSAGE_SIZE, PHOTO_SIZE, IdCardData, parse_base_message

from .idcard import NO_CARD, CardReaderError, ReadGuard, VendorLibrary, bounded_read, port_candidates

log = logging.getLogger(__name__)

OK, FOUND = 0x90, 0x9F
NO_CARD_CODES = frozenset({0x80, 0x81})
CODE_MEANINGS = {
    0x01: "端口打开失败", 0x02: "端口未打开", 0x05: "无法获得该读卡器",
    0x10: "校验和错", 0x11: "长度错", 0x21: "命令错误", 0x23: "越权操作", 0x24: "无法识别的错误",
    0x31: "卡认证读卡器失败", 0x32: "读卡器认证卡失败", 0x33: "信息验证错误", 0x40: "无法识别的卡类型",
    0x41: "读卡操作失败（身份证被移开或没有放稳）", 0x47: "取随机数失败", 0x60: "安全模块自检失败",
    0x66: "安全模块未经授权",
}
BMP_SIZE = 38862        # libwlt2bmp: 102 x 126 pixels, 24-bit, with its 54-byte header
_BYTE_P = ctypes.POINTER(ctypes.c_ubyte)
_UINT_P = ctypes.POINTER(ctypes.c_uint)


def code_message(code: int, doing: str) -> str:
    """A reader's return code as the clerk reads it (the code kept for the vendor's support)."""
    meaning = CODE_MEANINGS.get(code, "未知错误")
    return f"{doing}失败：{meaning}（读卡器返回代码 0x{code:02X}），请重试；仍不行请联系信息管理员"


class SdtReader:
    """A reader driven through the sdtapi library at ``library`` (see the module)."""

    description = "二代证读卡器（SDT 接口）"

    def __init__(self, library: str, port: str = "auto", photo_decoder: str = "",
                 timeout: float = 5.0) -> None:
        self.lib = VendorLibrary(library, "SDT")
        self.decoder = VendorLibrary(photo_decoder, "照片解码") if photo_decoder else None
        self.port = port
        self.timeout = timeout
        self._guard = ReadGuard()

    def read(self) -> IdCardData:
        self.lib.load()         # a missing library is said at once, not as a timeout
        return self._guard.run(self._read, self.timeout)

    def _read(self) -> IdCardData:
        deadline = time.monotonic() + self.timeout
        port = self._open()
        close = self.lib.function("SDT_ClosePort", ctypes.c_int, ctypes.c_int)
        try:
            bounded_read(lambda: self._find(port), deadline)
            text, photo = self._read_base(port)
        finally:
            close(port)
        return parse_base_message(text, self._decode(photo))

    def _open(self) -> int:
        open_port = self.lib.function("SDT_OpenPort", ctypes.c_int, ctypes.c_int)
        tried = port_candidates(self.port)
        for port in tried:
            if open_port(port) == OK:
                return port
        where = "USB 1001-1016 和串口 1-4" if len(tried) > 1 else f"端口 {tried[0]}"
        raise CardReaderError(f"读卡器未连接：{where}都打不开。请检查读卡器的连线和电源，或设置 idcard.port")

    def _find(self, port: int) -> bool | None:
        """True once a card is found and selected; None while there is none yet."""
        buf = (ctypes.c_ubyte * 8)()
        find = self.lib.function("SDT_StartFindIDCard", ctypes.c_int, ctypes.c_int, _BYTE_P, ctypes.c_int)
        code = find(port, buf, 0)
        if code in NO_CARD_CODES:
            return None
        if code not in (OK, FOUND):
            raise CardReaderError(code_message(code, "找卡"))
        select = self.lib.function("SDT_SelectIDCard", ctypes.c_int, ctypes.c_int, _BYTE_P, ctypes.c_int)
        code = select(port, buf, 0)
        if code in NO_CARD_CODES:
            return None
        if code != OK:
            raise CardReaderError(code_message(code, "选卡"))
        return True

    def _read_base(self, port: int) -> tuple[bytes, bytes]:
        read = self.lib.function("SDT_ReadBaseMsg", ctypes.c_int, ctypes.c_int, _BYTE_P, _UINT_P,
                                 _BYTE_P, _UINT_P, ctypes.c_int)
        text, photo = (ctypes.c_ubyte * BASE_MESSAGE_SIZE)(), (ctypes.c_ubyte * PHOTO_SIZE)()
        text_len, photo_len = ctypes.c_uint(0), ctypes.c_uint(0)
        code = read(port, text, ctypes.byref(text_len), photo, ctypes.byref(photo_len), 0)
        if code in NO_CARD_CODES:
            raise CardReaderError(f"{NO_CARD}（读卡时身份证被移开了，请放好后重新读卡）")
        if code != OK:
            raise CardReaderError(code_message(code, "读卡"))
        if text_len.value < BASE_MESSAGE_SIZE:
            raise CardReaderError(f"读卡器只返回了 {text_len.value} 字节的身份证信息，请将身份证放稳后重试")
        return bytes(text), bytes(photo)[:min(photo_len.value, PHOTO_SIZE)]

    def _decode(self, wlt: bytes) -> bytes | None:
        """The photo as a BMP file, when a decoder is set and it manages; else None (the
        card is still read: the photo is a convenience, the text is the record)."""
        if self.decoder is None or len(wlt) != PHOTO_SIZE:
            return None
        try:
            unpack = self.decoder.function("unpack", ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
                                           ctypes.c_int)
        except CardReaderError as exc:
            log.warning("photo decoder unusable: %s", exc)
            return None
        out = ctypes.create_string_buffer(BMP_SIZE)
        if unpack(wlt, out, 0) != 1 or out.raw[:2] != b"BM":
            log.warning("photo decoder could not decode the card's photo")
            return None
        return out.raw
