"""办件查询 (progress query): what an applicant may learn of a case at the kiosk, in plain
words, and the rules that keep everyone else from learning it.

The applicant gives the case number (办件编号, the Code128 barcode on the receipt or notice)
and the 6-digit query password (查询密码) printed beside it. Nothing is shown without the
right password, and a wrong password answers exactly as an unknown case number does, so the
kiosk never tells whether a case exists. After ``max_failures`` wrong answers in a row the
case number is locked for ``lock_minutes`` (unknown numbers too, for the same reason).

The record published to the hall server is minimal: no applicant name, ID number or phone,
and the password only as a salted, slow hash (a 6-digit password is guessable from any
fast hash; the lockout is what really guards it, the hash keeps it off the server's disk).
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import Enum
from functools import cache

from .cases import CaseStatus

CASE_NO = re.compile(r"^[0-9A-Z]{6,50}$")      # 办件编号 as case_number() makes them (an..50)
PASSWORD = re.compile(r"^[0-9]{6}$")


class Handover(str, Enum):
    """How the result reaches the applicant, once the clerk records it."""

    NONE = ""
    READY = "ready"      # 待领取: the result waits at the pick-up place
    POSTED = "posted"    # 已邮寄: sent by courier, with a waybill number


@dataclass(frozen=True)
class MissingItem:
    """A material the 补正告知书 asked for, and what exactly is wrong or missing."""

    name: str
    reason: str = ""


@dataclass(frozen=True)
class ProgressRecord:
    """What the kiosk may show of one case (never who the applicant is)."""

    case_no: str
    status: int
    promised_date: str | None = None
    missing: tuple[MissingItem, ...] = ()
    handover: Handover = Handover.NONE
    waybill: str = ""
    pickup_place: str = ""


@dataclass(frozen=True)
class ProgressWords:
    """The answer as the applicant reads it: a headline (已受理 ...) and lines below it."""

    case_no: str
    headline: str
    lines: tuple[str, ...]


def _day(text: str | None) -> str:
    if not text:
        return ""
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return text
    return f"{day.year}年{day.month}月{day.day}日"


def progress_words(record: ProgressRecord) -> ProgressWords:
    """The case's state in plain words (已受理 / 需补正 / 已办结 / 待领取 / 已邮寄 / 不予受理)."""
    headline, lines = _words(record)
    return ProgressWords(record.case_no, headline, tuple(lines))


def _words(r: ProgressRecord) -> tuple[str, list[str]]:
    status = r.status
    ended = status in (CaseStatus.REFUSED, CaseStatus.WITHDRAWN, CaseStatus.REVOKED)
    if r.handover is Handover.POSTED and not ended:
        return "已邮寄", ["办理结果已通过快递寄出", f"快递单号：{r.waybill or '请咨询窗口'}"]
    if r.handover is Handover.READY and not ended:
        return "待领取", ["办理结果已可领取", f"取件地点：{r.pickup_place or '请咨询窗口'}",
                         "领取时请带好身份证件和受理通知书"]
    if status == CaseStatus.CORRECTION_STARTED:
        lines = ["材料需要补正，请补齐以下材料后到窗口办理："]
        lines += [f"· {m.name}" + (f"：{m.reason}" if m.reason else "") for m in r.missing]
        return "需补正", lines
    if status in (CaseStatus.DONE_APPROVED, CaseStatus.DONE_REJECTED):
        return "已办结", ["办理已完成，结果请按受理通知书上的方式领取，或咨询窗口"]
    if status == CaseStatus.REFUSED:
        return "不予受理", ["详见不予受理通知书，如有疑问请咨询窗口工作人员"]
    if status == CaseStatus.WITHDRAWN:
        return "已撤回", ["该办件已撤回"]
    if status == CaseStatus.REVOKED:
        return "已撤销", ["该办件已撤销"]
    lines = ["办理中"]
    if r.promised_date:
        lines.append(f"承诺办结日期：{_day(r.promised_date)}")
    return "已受理", lines


# -- what was typed or scanned -------------------------------------------------------------

def normalise_case_no(text: str) -> str:
    """A typed or scanned case number as stored: full-width forms folded, upper case, no
    spaces."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def valid_case_no(text: str) -> bool:
    return bool(CASE_NO.match(text))


def valid_password(text: str) -> bool:
    return bool(PASSWORD.match(text))


# -- the password ---------------------------------------------------------------------------

HASH_SCHEME = "pbkdf2-sha256"
HASH_ROUNDS = 20_000      # some ms per check: a whole backlog publishes in seconds
MAX_ROUNDS = 200_000      # a stored hash asking for more is refused (no query made to wait)


def _pbkdf2(password: str, salt: bytes, rounds: int) -> bytes:
    import hashlib  # OpenSSL loads with the first check, not with the kiosk's first frame

    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, rounds)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_query_password(password: str, *, salt: bytes | None = None,
                        rounds: int = HASH_ROUNDS) -> str:
    """``pbkdf2-sha256$rounds$salt$hash`` (PBKDF2, RFC 8018) for the hall server."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    return f"{HASH_SCHEME}${rounds}${_b64(salt)}${_b64(_pbkdf2(password, salt, rounds))}"


@cache
def _dummy_hash() -> str:
    """A stored hash to check against when there is no case: the same work, the same time."""
    return hash_query_password("000000", salt=bytes(16))


def password_matches_hash(password: str, stored: str | None) -> bool:
    """Constant-time check of ``password`` against a stored hash; ``None`` (no such case)
    costs the same and is never a match."""
    target = stored or _dummy_hash()
    try:
        scheme, rounds, salt, digest = target.split("$")
        if scheme != HASH_SCHEME or not 1 <= int(rounds) <= MAX_ROUNDS:
            raise ValueError(scheme)
        expected = base64.b64decode(digest, validate=True)
        actual = _pbkdf2(password, base64.b64decode(salt, validate=True), int(rounds))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected) and stored is not None


def password_matches(password: str, stored: str | None) -> bool:
    """Constant-time comparison with the password kept in the clear on this PC (the notice
    prints it again on a reprint); ``None`` (no such case) is compared too, never a match."""
    same = hmac.compare_digest(password.encode("utf-8"), (stored or "\x00" * 6).encode("utf-8"))
    return same and stored is not None


# -- wrong answers and the lockout -------------------------------------------------------------

@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_minutes: float = 30.0

    @property
    def lock(self) -> timedelta:
        return timedelta(minutes=self.lock_minutes)


@dataclass(frozen=True)
class Attempts:
    """Wrong passwords given for one case number in a row, and until when it is locked."""

    failures: int = 0
    last_at: str | None = None
    locked_until: str | None = None


class Verdict(str, Enum):
    SHOWN = "shown"
    REFUSED = "refused"      # unknown case number or wrong password: one answer for both
    LOCKED = "locked"


@dataclass(frozen=True)
class QueryAnswer:
    """What a query gets: the record (SHOWN only), how many tries are left (REFUSED) or
    until when the case number is locked (LOCKED)."""

    verdict: Verdict
    record: ProgressRecord | None = None
    tries_left: int = 0
    locked_until: str | None = None


def locked_until(attempts: Attempts, now: datetime) -> str | None:
    """The end of a lockout still running, else None."""
    if attempts.locked_until and datetime.fromisoformat(attempts.locked_until) > now:
        return attempts.locked_until
    return None


def after_failure(attempts: Attempts, now: datetime, policy: LockoutPolicy) -> Attempts:
    """One more wrong password. Failures older than a lockout's length are forgotten, and
    the ``max_failures``-th in a row locks the case number."""
    failures = attempts.failures
    if attempts.last_at and now - datetime.fromisoformat(attempts.last_at) > policy.lock:
        failures = 0
    if locked_until(attempts, now) is None and attempts.locked_until:
        failures = 0                       # a lockout ran out: a fresh set of tries
    failures += 1
    stamp = now.isoformat(timespec="seconds")
    if failures >= policy.max_failures:
        return Attempts(0, stamp, (now + policy.lock).isoformat(timespec="seconds"))
    return replace(attempts, failures=failures, last_at=stamp, locked_until=None)


def judge(attempts: Attempts, record: ProgressRecord | None, matched: bool, now: datetime,
          policy: LockoutPolicy) -> tuple[QueryAnswer, Attempts | None]:
    """The answer to a query whose password check said ``matched``, and the attempts to
    keep (None: forget them, the right password was given). A locked number answers
    LOCKED whatever the password."""
    until = locked_until(attempts, now)
    if until is not None:
        return QueryAnswer(Verdict.LOCKED, locked_until=until), attempts
    if matched and record is not None:
        return QueryAnswer(Verdict.SHOWN, record), None
    kept = after_failure(attempts, now, policy)
    if kept.locked_until:
        return QueryAnswer(Verdict.LOCKED, locked_until=kept.locked_until), kept
    return QueryAnswer(Verdict.REFUSED, tries_left=policy.max_failures - kept.failures), kept


def refusal_words(answer: QueryAnswer) -> str:
    """What the applicant reads when nothing is shown (the same for an unknown case)."""
    if answer.verdict is Verdict.LOCKED:
        until = answer.locked_until or ""
        clock = until[11:16] if len(until) >= 16 else until
        return (f"查询密码错误次数过多，该办件已暂停查询，请于 {clock} 后再试，"
                "或到咨询台人工查询")
    return f"办件编号或查询密码不正确，请核对受理通知书（还可再试 {answer.tries_left} 次）"
