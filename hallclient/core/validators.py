"""Validators for what clerks type (or a reader gives): each returns a Check with a
normalised value or a Chinese message saying what is wrong.

- Resident identity number, GB 11643-1999: 6-digit administrative division code
  (province 11-82), birth date YYYYMMDD, 3-digit sequence (odd = male), check character
  by ISO 7064 MOD 11-2. The same number is on the residence permits of Hong Kong and Macao
  residents (港澳居民居住证, region code 810000 / 820000) and of Taiwan residents
  (台湾居民居住证, 830000), as issued since 2018.

Typed text is first brought to its plain form (Unicode NFKC: full-width ０-９ and Ｘ become
0-9 and X); a digit of any other script (Arabic-Indic ٣, Devanagari ३ ...) is refused by
name rather than read as a number.
- Unified social credit code, GB 32100-2015: 18 characters from the 31-character set
  0-9 A-H J-N P-R T U W-Y, check character 31 - (sum mod 31) with weights 3^i mod 31.
- Mobile number: 1[3-9] and 9 more digits, optional +86 / 86.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

# GB 11643: weights 2^(17-i) mod 11 for positions 1..17, check = "10X98765432"[sum % 11]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# GB/T 2260 province-level codes (the first two digits)
PROVINCES = frozenset({
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
})
# residence permits (居住证) of Hong Kong, Macao and Taiwan residents: the whole region code
PERMIT_REGIONS = {"810000": "港澳居民居住证", "820000": "港澳居民居住证", "830000": "台湾居民居住证"}
PERMIT_PROVINCES = frozenset({81, 82, 83})

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# first character: registration authority (登记管理部门); 1 机构编制 5 民政 9 工商 Y 其他 ...
USCC_AUTHORITIES = frozenset("123456789ANY")

_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-]")


@dataclass(frozen=True)
class Check:
    ok: bool
    value: str = ""        # normalised input (upper case, no spaces) when ok
    message: str = ""      # what is wrong, in Chinese, when not ok


def _fail(message: str) -> Check:
    return Check(False, "", message)


def plain(text: str | None) -> str:
    """What was typed in its plain form: NFKC (full-width letters and digits become ASCII),
    no spaces or hyphens, upper case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).upper()


def foreign_digits(value: str) -> str:
    """The digits of other scripts in ``value`` (after NFKC), e.g. "٣٤" — "" when none."""
    return "".join(dict.fromkeys(c for c in value if c.isdigit() and not c.isascii()))


def _foreign_digit_message(what: str, digits: str) -> str:
    return (f"{what}中有其他文字的数字 {'、'.join(digits)}，只能用 0-9"
            "（全角数字会自动转换），请用普通数字重新输入")


def id_document(value: str) -> str:
    """The kind of document a valid 18-character number belongs to."""
    return PERMIT_REGIONS.get(value[:6], "居民身份证")


def id_check_char(body17: str) -> str:
    total = sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def check_resident_id(text: str, today: date | None = None) -> Check:
    value = plain(text)
    if not value:
        return _fail("请输入身份证号码")
    odd = foreign_digits(value)
    if odd:
        return _fail(_foreign_digit_message("身份证号码", odd))
    if len(value) == 15 and value.isdigit():
        return _fail("15 位一代身份证已停止使用，请使用 18 位二代身份证号码")
    if len(value) != 18:
        return _fail(f"身份证号码应为 18 位，现在是 {len(value)} 位")
    if not (value[:17].isascii() and value[:17].isdigit()) or value[17] not in "0123456789X":
        return _fail("身份证号码前 17 位必须是数字，最后一位是数字或 X")
    if int(value[:2]) not in PROVINCES:
        return _fail(f"身份证号码的地区码 {value[:6]} 不存在")
    if int(value[:2]) in PERMIT_PROVINCES and value[:6] not in PERMIT_REGIONS:
        return _fail(f"身份证号码的地区码 {value[:6]} 不存在（港澳台居民居住证号码以 810000、"
                     "820000 或 830000 开头）")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _fail(f"身份证号码中的出生日期 {value[6:14]} 不是有效日期")
    today = today or date.today()
    if born > today or born.year < 1880:
        return _fail(f"身份证号码中的出生日期 {value[6:14]} 不合理")
    if id_check_char(value[:17]) != value[17]:
        return _fail("身份证号码校验位不符，请核对是否输错")
    return Check(True, value)


def id_birth_date(value: str) -> date:
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def id_is_male(value: str) -> bool:
    return int(value[16]) % 2 == 1


def uscc_check_char(body17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def check_uscc(text: str) -> Check:
    value = plain(text)
    if not value:
        return _fail("请输入统一社会信用代码")
    odd = foreign_digits(value)
    if odd:
        return _fail(_foreign_digit_message("统一社会信用代码", odd))
    if len(value) != 18:
        return _fail(f"统一社会信用代码应为 18 位，现在是 {len(value)} 位")
    bad = sorted({c for c in value if c not in USCC_CHARS})
    if bad:
        return _fail(f"统一社会信用代码不能含有字符 {'、'.join(bad)}（不使用 I、O、Z、S、V）")
    if value[0] not in USCC_AUTHORITIES:
        return _fail(f"统一社会信用代码首位登记管理部门代码 {value[0]} 无效")
    if not value[2:8].isdigit():
        return _fail("统一社会信用代码第 3-8 位应为行政区划代码（数字）")
    if uscc_check_char(value[:17]) != value[17]:
        return _fail("统一社会信用代码校验位不符，请核对是否输错")
    return Check(True, value)


def check_mobile(text: str) -> Check:
    value = plain(text)
    if not value:
        return _fail("请输入手机号码")
    odd = foreign_digits(value)
    if odd:
        return _fail(_foreign_digit_message("手机号码", odd))
    match = _MOBILE.match(value)
    if match is None:
        return _fail("手机号码应为 11 位，以 13-19 开头")
    return Check(True, match.group(1))


def mask_id(value: str) -> str:
    """110105********002X — what lists and logs show."""
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_mobile(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) == 11 else "*" * len(value)


def platform_url(base_url: str) -> str:
    """The provincial platform's address without a trailing slash: https everywhere, plain
    http only to this machine (the simulator, training mode); ValueError otherwise. The
    platform client applies it when it starts and ``admin config`` before it saves."""
    parts = urlsplit(base_url)
    if parts.scheme == "https":
        return base_url.rstrip("/")
    if parts.scheme == "http":
        host = parts.hostname or ""
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return base_url.rstrip("/")
    raise ValueError(f"平台地址必须使用 https（只有本机模拟器可以用 http）：{base_url}")


# What free text on a case (names, addresses, reasons) may be: within the platform's field
# lengths, and nothing that prints otherwise than it reads — no control characters, no
# bidirectional overrides or isolates (王\u202e明小 prints as 王小明), no private-use code
# points (a rare character an ID-card chip could not hold), no lone surrogates.
TEXT_LIMITS = {"applicant_name": 200, "legal_rep": 50, "agent_name": 50, "address": 300,
               "reason": 200, "agency": 100, "post_recipient": 50, "post_address": 300}
_JOINERS = frozenset("\u200c\u200d")     # (zero-width (non-)joiners inside emoji sequences)
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def check_text(text: str, label: str, limit: int) -> Check:
    """``text`` as typed into a case's field called ``label`` (in Chinese), at most
    ``limit`` characters; ok with the text stripped, else why not."""
    value = text.strip()
    if len(value) > limit:
        return _fail(f"{label}最多 {limit} 个字，现在是 {len(value)} 个字")
    for ch in value:
        kind = unicodedata.category(ch)
        if ch in _BIDI_CONTROLS:
            return _fail(f"{label}含有改变文字方向的控制字符（会使打印出的内容与录入的不同），请重新输入")
        if kind in ("Cc", "Zl", "Zp", "Cs", "Cn") or (kind == "Cf" and ch not in _JOINERS):
            return _fail(f"{label}含有控制字符或看不见的字符（U+{ord(ch):04X}），请重新输入")
        if kind == "Co":
            return _fail(f"{label}含有无法显示的专用区字符（U+{ord(ch):04X}），请改为正确的汉字")
    return Check(True, value, "")
