"""A ticket taken by swiping the ID card (刷身份证取号): what the queue keeps of the card,
who gets the 绿色通道 without asking, and how a counter tells it is the same person.

The ticket keeps only what the counter needs: the number masked (110***********002X) and a
salted hash to compare a card read at the counter with. Never the name, the photo or the
whole number: the waiting list, the hall panel and every shared screen show tickets, and a
ticket names nobody.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date

from hallclient.core.validators import check_resident_id, id_birth_date, id_check_char

ELDER = "老年人"
# the 绿色通道 reasons a kiosk may give; all but ELDER need a member of staff to confirm
GREEN_REASONS = (ELDER, "残疾人", "军人依法优先", "消防救援人员优先", "孕妇", "怀抱婴幼儿",
                 "其他（工作人员确认）")
STAFF_REASONS = GREEN_REASONS[1:]
ELDER_LEGAL_AGE = 60        # 《老年人权益保障法》: a 老年人 is 60 or older; a hall may set more
_FOREIGN_2017 = re.compile(r"^[A-Z]{3}\d{12}$")     # 外国人永久居留身份证 (2017 版, 15 位)
_FOREIGN_2023 = re.compile(r"^9\d{16}[0-9X]$")      # 2023 版: 18 位, 首位 9


class SwipeError(ValueError):
    """A card swipe the queue cannot use; the message is for the applicant (Chinese)."""


@dataclass(frozen=True)
class CardSwipe:
    """What the kiosk passes on of a card it read: the number and the birth date (the
    queue keeps neither whole)."""

    id_number: str
    birth: date


def card_number(text: str) -> str:
    """The card's number if it is one of a 居民身份证, 港澳台居民居住证 or 外国人永久居留身份证
    (check digit included); SwipeError otherwise."""
    value = text.strip().upper()
    if _FOREIGN_2017.match(value):
        return value
    if _FOREIGN_2023.match(value):
        if id_check_char(value[:17]) != value[17]:
            raise SwipeError("证件号码校验位不符，请重新刷卡")
        return value
    check = check_resident_id(value)
    if not check.ok:
        raise SwipeError("身份证读出的号码不对（" + check.message + "），请重新刷卡或人工取号")
    return value


def age_on(birth: date, day: date) -> int:
    """Full years (周岁) on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def birth_matches(number: str, birth: date) -> bool:
    """A resident or 2023-version foreigner number carries the birth date: it must agree
    with the one the kiosk sent (a 2017-version foreigner number carries it as YYMMDD)."""
    if len(number) == 18:
        try:
            return id_birth_date(number) == birth
        except ValueError:
            return False
    return number[5:11] == birth.strftime("%y%m%d")


def mask(number: str) -> str:
    """**************002X: the last four only, for the counter (with more, the rest of a
    number is quickly guessed: region codes and birth dates are few)."""
    return "*" * (len(number) - 4) + number[-4:]


# an ID number has little to guess (a region, a birth date, three digits): the check that
# travels with the ticket is a slow hash, so that trying every number costs years, not seconds
CHECK_ROUNDS = 200_000


def ticket_check(number: str, salt: str | None = None) -> str:
    """``salt$hash``: a counter reading a card compares it with ``same_person``."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", number.encode(), salt.encode(), CHECK_ROUNDS)
    return f"{salt}${digest.hex()[:32]}"


def same_person(check: str, number: str) -> bool:
    """Whether the card read now (``number``) is the one the ticket was taken with."""
    salt, _, digest = check.partition("$")
    if not salt or not digest:
        return False
    return hmac.compare_digest(ticket_check(number.strip().upper(), salt), check)


def card_key_hash(key: bytes, number: str) -> str:
    """An appointment's card, as the queue stores it: keyed and slow, so the table of a
    day's appointments does not give its numbers back to whoever copies the file."""
    return hashlib.pbkdf2_hmac("sha256", number.strip().upper().encode(), key,
                               CHECK_ROUNDS // 4).hex()


@dataclass(frozen=True)
class PreparedCard:
    """A swiped card checked and hashed, ready for the queue's write (the slow hashes are
    made before it, off the thread that writes): its number, birth date, the ticket's check
    and the appointments' keyed hash ("" while no appointment was stored with a card)."""

    number: str
    birth: date
    check: str
    card_hash: str


def prepare(swipe: CardSwipe, key: bytes | None) -> PreparedCard:
    """SwipeError (for the applicant) when the card's number or birth date is not right."""
    number = card_number(swipe.id_number)
    if not birth_matches(number, swipe.birth):
        raise SwipeError("身份证读出的出生日期与号码不符，请重新刷卡或人工取号")
    return PreparedCard(number, swipe.birth, ticket_check(number),
                        card_key_hash(key, number) if key is not None else "")


def green_reason(reason: str, birth: date | None, today: date) -> str:
    """The reason a 绿色通道 ticket is given, checked: one of GREEN_REASONS, and 老年人 only
    with a card (its ``birth``) of someone at least ELDER_LEGAL_AGE; none ("") for a ticket given by a
    member of staff without one (the counter's own, older kiosks). SwipeError otherwise."""
    if not reason:
        return ""
    if reason not in GREEN_REASONS:
        raise SwipeError("绿色通道请选择原因（老年人、残疾人、军人依法优先等）")
    if reason == ELDER:
        if birth is None:
            raise SwipeError("老年人绿色通道请刷身份证取号")
        if age_on(birth, today) < ELDER_LEGAL_AGE:
            raise SwipeError(f"未满 {ELDER_LEGAL_AGE} 周岁，不能按老年人绿色通道取号")
    return reason
