"""Second-generation ID-card readers (二代证读卡器).

Vendors ship a DLL/.so with either the termb API (CVR_InitComm, CVR_Authenticate,
CVR_Read_Content) or the sdtapi API (SDT_OpenPort, SDT_ReadBaseMsg). Both block, so reads
run on the device lane. ``SimulatedReader`` stands in for demos, training and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from hallclient.devices import DeviceError


class CardReaderError(DeviceError):
    """Why no card was read (读卡器未连接 / 请将身份证放在读卡器上 ...)."""


class NoCardError(CardReaderError):
    """No card on the reader (yet): a kiosk waiting for one asks again."""

    def __init__(self, message: str = "请将身份证放在读卡器上") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class IdCardData:
    name: str            # 姓名
    sex: str             # 性别
    nation: str          # 民族
    birth: date          # 出生
    address: str         # 住址
    id_number: str       # 公民身份号码
    authority: str       # 签发机关
    valid_from: date
    valid_to: date | None   # None = 长期
    photo: bytes | None = None


class IdCardReader(Protocol):
    description: str

    def read(self) -> IdCardData: ...


DEMO_CARDS = (
    IdCardData("王𠮷", "女", "汉", date(1949, 12, 31), "北京市朝阳区示范路 1 号", "11010519491231002X",
               "北京市公安局朝阳分局", date(2015, 3, 1), None),
    IdCardData("李䶮", "男", "汉", date(1880, 1, 1), "广东省示范县人民路 8 号", "440524188001010014",
               "示范县公安局", date(2020, 6, 1), date(2040, 6, 1)),
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
