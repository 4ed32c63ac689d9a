"""ID-card readers with the termb interface (CVR_*), as several vendors ship it.

A read is: CVR_InitComm(port), CVR_Authenticate() until a card answers (failing means no
card on the reader), CVR_Read_Content(4), then each field through its getter
(GetPeopleName(buf, &len) ...), and CVR_CloseComm(). Calls return 1 for success; text comes
in GBK (read here as GB 18030, its superset, so that a user-defined GBK code a driver uses
for a rare character arrives as a private-use code point and is flagged, not lost).
"""

from __future__ import annotations

import ctypes
import logging
import time

from hallclient.core.idcards import (
    CardFormatError,
    IdCardData,
    card_date,
    card_type_of_number,
    nation_name,
    sex_name,
)

from .idcard import NO_CARD, CardReaderError, ReadGuard, VendorLibrary, bounded_read, port_candidates

log = logging.getLogger(__name__)

OK = 1
READ_ALL = 4            # CVR_Read_Content's "active": the text and the photo
FIELD_BUFFER = 256
GETTERS = ("GetPeopleName", "GetPeopleSex", "GetPeopleNation", "GetPeopleBirthday", "GetPeopleAddress",
           "GetPeopleIDCode", "GetDepartment", "GetStartDate", "GetEndDate")


class CvrReader:
    """A reader driven through the termb library at ``library`` (see the module)."""

    description = "二代证读卡器（CVR 接口）"

    def __init__(self, library: str, port: str = "auto", timeout: float = 5.0) -> None:
        self.lib = VendorLibrary(library, "CVR")
        self.port = port
        self.timeout = timeout
        self._guard = ReadGuard()

    def read(self) -> IdCardData:
        self.lib.load()
        return self._guard.run(self._read, self.timeout)

    def _read(self) -> IdCardData:
        deadline = time.monotonic() + self.timeout
        self._open()
        close = self.lib.function("CVR_CloseComm", ctypes.c_int)
        try:
            authenticate = self.lib.function("CVR_Authenticate", ctypes.c_int)
            bounded_read(lambda: True if authenticate() == OK else None, deadline)
            content = self.lib.function("CVR_Read_Content", ctypes.c_int, ctypes.c_int)
            code = content(READ_ALL)
            if code != OK:
                raise CardReaderError(f"{NO_CARD}（读卡失败，代码 {code}：身份证可能在读卡时被移开，"
                                      "请放好后重新读卡）")
            fields = [self._text(name) for name in GETTERS]
        finally:
            close()
        return card_from_fields(fields)

    def _open(self) -> None:
        init = self.lib.function("CVR_InitComm", ctypes.c_int, ctypes.c_int)
        tried = port_candidates(self.port)
        for port in tried:
            if init(port) == OK:
                return
        where = "USB 1001-1016 和串口 1-4" if len(tried) > 1 else f"端口 {tried[0]}"
        raise CardReaderError(f"读卡器未连接：{where}都打不开。请检查读卡器的连线和电源，或设置 idcard.port")

    def _text(self, getter: str) -> str:
        fn = self.lib.function(getter, ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int))
        buf = ctypes.create_string_buffer(FIELD_BUFFER)
        size = ctypes.c_int(FIELD_BUFFER)
        if fn(buf, ctypes.byref(size)) != OK:
            raise CardReaderError(f"读取身份证信息失败（{getter}），请重新读卡")
        raw = buf.raw[:max(0, min(size.value, FIELD_BUFFER))].split(b"\0", 1)[0]
        return raw.decode("gb18030", errors="replace").strip()


def card_from_fields(fields: list[str]) -> IdCardData:
    """The getters' texts, in GETTERS order, as a card."""
    name, sex, nation, birth, address, number, authority, start, end = fields
    born, valid_from = card_date(birth, "出生日期"), card_date(start, "签发日期")
    if born is None or valid_from is None:
        raise CardFormatError("读卡器返回的出生日期或签发日期为「长期」，请重新读卡")
    return IdCardData(name=name, sex=sex_name(sex), nation=nation_name(nation), birth=born,
                      address=address, id_number=number.upper(), authority=authority,
                      valid_from=valid_from, valid_to=card_date(end, "有效期限"),
                      card_type=card_type_of_number(number))
