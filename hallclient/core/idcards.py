"""What a second-generation ID card (二代证) holds, read out of the bytes a reader gives.

The card's chip keeps a 256-byte base message (基本信息) of fixed-width UCS-2LE fields and a
1024-byte encoded photo (WLT, which only the vendor's decoder turns into a picture). Three
cards share the reader and the 256 bytes, told apart by the card-type mark (证件类型标识)
at bytes 248-249:

- " " 居民身份证 — name 30, sex 2, nation 4, birth 16, address 70, number 36, authority 30,
  valid from 16, valid to 16 (or 长期), reserved 36 (bytes).
- "J" 港澳台居民居住证 — as the resident card, with the nation field empty and the reserved
  part holding the travel-permit number (通行证号码 18) and issue count (签发次数 4). The
  numbers follow GB 11643 with region 810000 (香港), 820000 (澳门), 830000 (台湾).
- "I" 外国人永久居留身份证 — English name 120, sex 2, number 30, nationality 6 (ISO 3166-1
  alpha-3), Chinese name 30, valid from 16, valid to 16, birth 16, version 4, authority code
  8, card type 2, reserved 6. Numbers: 15 characters (3 letters of nationality and 12
  digits, 2004 and 2017 editions) or, since the 2023 edition, 18 digits starting with 9
  with the GB 11643 check character.

Codes: sex GB/T 2261.1 (0 未知, 1 男, 2 女, 9 未说明); nation GB 3304 (01 汉 ... 56 基诺,
97 其他, 98 外国血统), printed on the card without 族.

Chips hold UCS-2 only: a rare character (生僻字) outside it comes back as a private-use
code point (U+E000-U+F8FF) or a stand-in such as "?" or "□". Such text is flagged for the
clerk, never taken silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import Enum

BASE_MESSAGE_SIZE = 256
PHOTO_SIZE = 1024
CARD_TYPE_OFFSET = 248

# GB 11643 check character (ISO 7064 MOD 11-2); kept here so core/idcards stands alone
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

SEXES = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}

NATIONS = dict(zip(
    [f"{n:02d}" for n in range(1, 57)],
    ("汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 "
     "东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 "
     "俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺").split(), strict=True))
NATIONS.update({"97": "其他", "98": "外国血统"})

# what a chip or a GBK driver gives in place of a character it cannot hold
SUBSTITUTES = frozenset("?？□■\ufffd〓")

PERMIT_PREFIXES = ("810000", "820000", "830000")


class CardType(str, Enum):
    """证件类型: the card on the reader."""

    RESIDENT = "居民身份证"
    PERMIT = "港澳台居民居住证"
    FOREIGN = "外国人永久居留身份证"


class CardFormatError(ValueError):
    """The reader's bytes are not a card this module knows (message in Chinese)."""


@dataclass(frozen=True)
class IdCardData:
    """One card as read: the printed fields, decoded; ``photo`` is a BMP file when the
    vendor's photo decoder is set, else None."""

    name: str            # 姓名 (a foreign card: the Chinese name, else the English one)
    sex: str             # 性别
    nation: str          # 民族 (a foreign card: nationality code, e.g. USA)
    birth: date          # 出生
    address: str         # 住址 ("" on a foreign card)
    id_number: str       # 公民身份号码 / 居住证号码 / 永久居留证号码
    authority: str       # 签发机关
    valid_from: date
    valid_to: date | None   # None = 长期
    photo: bytes | None = None
    card_type: CardType = CardType.RESIDENT
    english_name: str = ""          # foreign cards only

    @property
    def flagged(self) -> list[RareChar]:
        """Characters of the name and address the chip could not hold (see ``rare_chars``)."""
        return rare_chars(self.name, "姓名") + rare_chars(self.address, "住址")

    def expired(self, today: date) -> bool:
        return is_expired(self.valid_to, today)

    @property
    def number_problem(self) -> str:
        """Why the number read cannot be one of this card's type ("" when it can): a chip
        read wrongly, or a card not what it claims to be."""
        return number_problem(self.card_type, self.id_number)


@dataclass(frozen=True)
class RareChar:
    """A character that stands in for one the chip could not hold."""

    field: str      # 姓名 / 住址
    position: int   # 1-based, as a clerk counts
    char: str

    @property
    def described(self) -> str:
        code = f"U+{ord(self.char):04X}"
        return f"{self.field}第 {self.position} 个字（{code}）"


def rare_chars(text: str, field: str) -> list[RareChar]:
    """Private-use code points (U+E000-U+F8FF and the supplementary private planes) and
    stand-ins ("?", "□", U+FFFD ...) in ``text``."""
    return [RareChar(field, i, c) for i, c in enumerate(text, 1)
            if c in SUBSTITUTES or unicodedata.category(c) == "Co"]


def is_expired(valid_to: date | None, today: date) -> bool:
    """Past its last valid day (有效期已过); a card valid 长期 never is."""
    return valid_to is not None and valid_to < today


def sex_name(code: str) -> str:
    """GB/T 2261.1 code to its name; a name already (a termb driver gives 男) stays."""
    code = code.strip()
    return SEXES.get(code, code)


def nation_name(code: str) -> str:
    """GB 3304 code to the name printed on the card; a name already stays (without 族)."""
    code = code.strip()
    if code.isdigit():
        return NATIONS.get(code.zfill(2), code)
    return code.removesuffix("族") if len(code) > 2 else code


def card_date(text: str, field: str) -> date | None:
    """YYYYMMDD (or YYYY-MM-DD, YYYY.MM.DD) to a date; 长期 to None."""
    value = text.strip()
    if value == "长期":
        return None
    digits = re.sub(r"[-./年月日\s]", "", value)
    try:
        if len(digits) != 8 or not digits.isdigit():
            raise ValueError
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise CardFormatError(f"读卡器返回的{field}「{value}」不是日期，请重新读卡") from None


def _field(raw: bytes, start: int, size: int) -> str:
    """A fixed-width UCS-2LE field, padding (spaces, NULs) stripped."""
    return raw[start:start + size].decode("utf-16-le", errors="replace").strip(" \x00")


def card_type_mark(raw: bytes) -> str:
    return _field(raw, CARD_TYPE_OFFSET, 2)


def parse_base_message(raw: bytes, photo: bytes | None = None) -> IdCardData:
    """The 256-byte base message (SDT_ReadBaseMsg's pucCHMsg) as a card."""
    if len(raw) < BASE_MESSAGE_SIZE:
        raise CardFormatError(f"读卡器返回的身份证信息不完整（{len(raw)} 字节，应为 256 字节），请重新读卡")
    mark = card_type_mark(raw)
    if mark == "I":
        return _parse_foreign(raw, photo)
    if mark not in ("", "J"):
        raise CardFormatError(f"读卡器返回了不认识的证件类型「{mark}」，"
                              "请使用居民身份证、居住证或永久居留身份证")
    f = [_field(raw, start, size) for start, size in
         ((0, 30), (30, 2), (32, 4), (36, 16), (52, 70), (122, 36), (158, 30), (188, 16), (204, 16))]
    birth = _birth(f[3])
    card_type = CardType.PERMIT if mark == "J" or f[5].startswith(PERMIT_PREFIXES) else CardType.RESIDENT
    return IdCardData(name=f[0], sex=sex_name(f[1]), nation=nation_name(f[2]) if f[2] else "",
                      birth=birth, address=f[4], id_number=f[5].upper(), authority=f[6],
                      valid_from=_from_date(f[7]), valid_to=card_date(f[8], "有效期限"),
                      photo=photo, card_type=card_type)


def _birth(text: str) -> date:
    day = card_date(text, "出生日期")
    if day is None:
        raise CardFormatError("读卡器返回的出生日期为「长期」，请重新读卡")
    return day


def _from_date(text: str) -> date:
    day = card_date(text, "签发日期")
    if day is None:
        raise CardFormatError("读卡器返回的签发日期为「长期」，请重新读卡")
    return day


def _parse_foreign(raw: bytes, photo: bytes | None) -> IdCardData:
    """外国人永久居留身份证: its own layout (see the module's docstring)."""
    english, sex, number, nationality, chinese = (
        _field(raw, 0, 120), _field(raw, 120, 2), _field(raw, 122, 30), _field(raw, 152, 6),
        _field(raw, 158, 30))
    valid_from, valid_to, birth = _field(raw, 188, 16), _field(raw, 204, 16), _field(raw, 220, 16)
    born = _birth(birth)
    number = number.upper()
    authority = "国家移民管理局" if number.startswith("9") else "中华人民共和国公安部"
    return IdCardData(name=chinese or english, sex=sex_name(sex), nation=nationality, birth=born,
                      address="", id_number=number, authority=authority,
                      valid_from=_from_date(valid_from), valid_to=card_date(valid_to, "有效期限"),
                      photo=photo, card_type=CardType.FOREIGN, english_name=english)


def card_type_of_number(number: str) -> CardType:
    """The card a number belongs to, for drivers that give text and no type mark."""
    value = number.strip().upper()
    if re.fullmatch(r"[A-Z]{3}\d{12}", value) or (len(value) == 18 and value.startswith("9")):
        return CardType.FOREIGN
    if value.startswith(PERMIT_PREFIXES):
        return CardType.PERMIT
    return CardType.RESIDENT


def gb11643_check(body17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True)) % 11]


def number_problem(card_type: CardType, number: str) -> str:
    """Why ``number`` cannot be a number of ``card_type`` ("" when it can)."""
    value = number.strip().upper()
    if card_type is CardType.FOREIGN:
        if re.fullmatch(r"[A-Z]{3}\d{12}", value):
            return ""
        if re.fullmatch(r"9\d{16}[\dX]", value):
            return "" if gb11643_check(value[:17]) == value[17] else "永久居留身份证号码校验位不符"
        return "永久居留身份证号码应为 15 位（3 位字母国籍代码加 12 位数字）或以 9 开头的 18 位"
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return f"{card_type.value}号码应为 18 位，前 17 位为数字"
    if card_type is CardType.PERMIT and not value.startswith(PERMIT_PREFIXES):
        return "港澳台居民居住证号码应以 810000、820000 或 830000 开头"
    if gb11643_check(value[:17]) != value[17]:
        return f"{card_type.value}号码校验位不符"
    return ""
