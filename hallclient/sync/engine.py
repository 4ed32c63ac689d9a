"""The outbox engine (待上传队列): gets every committed case onto the platform exactly once.

- A case is sent with its Idempotency-Key (``uid:version``), so a resend after a lost
  response, a crash or a kill -9 never makes a second case; its blobs go first, each resumed
  from the offset the platform reports and skipped when the platform already has it.
- Each request of a case is retried a few times inside one attempt (short jittered pauses),
  so a lossy link costs a resend of one request, not of the whole case; blob progress is
  kept across tries and attempts (the platform's offset): a try asks the platform how much
  it holds only when that is unknown (a resent row, or a request whose answer was lost),
  not after an answer that refused a chunk. A row backs off only when the
  platform says so (Retry-After, then exactly that long) or after ``GRACE`` whole-case
  failures in a row (full jitter, capped).
- A case the platform keeps answering "in progress" for ``IN_PROGRESS_LIMIT`` goes to 需处理
  with that reason instead of being resent for ever.
- A rejected row goes to 需处理 with the platform's field errors; the rows behind it go on.
- Only the newest version of a case is sent; older pending versions are superseded.
- Each row's outcome is committed locally right after the platform answered.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from hallclient.core.catalog import CatalogRefusedError, check_catalog, hold_reason
from hallclient.core.evaluation import NATIONAL_CODES, Level
from hallclient.platform.client import (
    AuthError,
    BlobUpload,
    InProgressError,
    OfflineError,
    PlatformClient,
    RejectedError,
    TransientError,
)
from hallclient.store import (
    appointment_repo,
    case_repo,
    catalog_repo,
    log_repo,
    meta,
    outbox_repo,
)
from hallclient.store.appointment_repo import PlatformDay
from hallclient.store.attachments import AttachmentStore
from hallclient.store.db import Database

from .mapping import case_body

log = logging.getLogger(__name__)

TRIES = 5                                     # each request of a case, inside one attempt
GRACE = 2                                     # whole-case failures resent at once
IN_PROGRESS_LIMIT = timedelta(minutes=10)     # "in progress" for longer: 需处理
STUCK = ("平台持续答复“正在处理同一请求”已超过 10 分钟，未能确认是否收到："
         "请联系省平台核实该办件，再点 立即重试")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Backoff:
    """Full jitter (a uniform wait in [0, min(cap, base * 2^attempt)])."""

    base_s: float = 2.0
    cap_s: float = 600.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.cap_s, self.base_s * (2 ** min(attempt, 30))))


PAUSE = Backoff(base_s=0.005, cap_s=0.5)      # between tries of one request inside an attempt


@dataclass
class SyncReport:
    done: int = 0
    retried: int = 0
    attention: int = 0
    superseded: int = 0
    bytes_sent: int = 0
    auth_failed: bool = False
    offline: bool = False          # the platform could not be reached
    errors: list[str] = field(default_factory=list)

    @property
    def touched(self) -> int:
        return self.done + self.retried + self.attention + self.superseded


ACCEPT_HINT = ("请先与省平台核实；确认平台确实如此后，运行 hallclient admin sync-now --accept-catalog"
               " 采用这份目录")


def catalog_refusal_text(reason: str, held: bool) -> str:
    """A refused or held-back platform catalog, in words for the counter and the admin."""
    if held:
        return f"平台发来的事项目录暂不采用：{reason}。{ACCEPT_HINT}"
    return f"平台发来的事项目录无法使用：{reason}。整份未采用，请联系省平台更正"


class LocalProblemError(RejectedError):
    """Something on this PC stops the upload (a lost attachment file ...)."""


class OutboxEngine:
    def __init__(self, db: Database, attachments: AttachmentStore, client: PlatformClient, *,
                 clock: Callable[[], datetime] = utc_now, rng: random.Random | None = None,
                 backoff: Backoff = Backoff(), pause: Backoff = PAUSE, tries: int = TRIES,
                 sleep: Callable[[float], None] = time.sleep,
                 on_sending: Callable[[int | None], None] | None = None,
                 appointments: bool = False,
                 today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.appointments = appointments      # this PC's own queue takes the platform's 预约
        self.today = today
        self._appointments_at = -math.inf
        self.attachments = attachments
        self.client = client
        self.clock = clock
        self.rng = rng or random.Random()
        self.backoff = backoff
        self.pause = pause
        self.tries = max(1, tries)
        self.sleep = sleep
        self.on_sending = on_sending          # told which outbox row is in flight (上传中)
        self._items: dict[str, Any] = {}

    def _stamp(self, after_s: float = 0.0) -> str:
        return (self.clock() + timedelta(seconds=after_s)).isoformat(timespec="milliseconds")

    def run_once(self, limit: int = 50) -> SyncReport:
        report = SyncReport()
        self._items = {}         # catalog items read in this run
        for row in outbox_repo.due(self.db.conn, self._stamp(), limit):
            if self._superseded(row):
                report.superseded += 1
                continue
            if not self._attempt(row, report):
                break            # credentials refused: every row would fail the same way
        return report

    def _attempt(self, row: dict[str, Any], report: SyncReport) -> bool:
        """Send one row and record its outcome; False when the run should stop."""
        if self.on_sending is not None:
            self.on_sending(row["id"])
        try:
            report.bytes_sent += self._send(row)
        except AuthError as exc:
            report.auth_failed = True
            report.errors.append(exc.message)
            return False
        except InProgressError as exc:
            report.errors.append(exc.message)
            now = self._stamp()
            with self.db.write() as conn:
                since = outbox_repo.mark_in_progress(
                    conn, row["id"], self._stamp(exc.retry_after or 1.0), exc.message, now)
                stuck = self.clock() - datetime.fromisoformat(since) >= IN_PROGRESS_LIMIT
                if stuck:
                    outbox_repo.mark_attention(conn, row["id"], STUCK)
                    log_repo.append(conn, at=now, action="upload_stuck",
                                    detail={"outbox": row["id"], "kind": row["kind"],
                                            "since": since})
            if stuck:
                report.attention += 1
                report.errors.append(STUCK)
            else:
                report.retried += 1
        except TransientError as exc:
            report.offline = report.offline or isinstance(exc, OfflineError)
            report.errors.append(exc.message)
            failures = row["attempts"] + 1
            if exc.retry_after is not None:          # the platform said how long
                wait = exc.retry_after
            elif failures < GRACE:
                wait = 0.0
            else:
                wait = self.backoff.delay(failures - GRACE, self.rng)
            with self.db.write() as conn:
                outbox_repo.mark_retry(conn, row["id"], self._stamp(wait), exc.message)
            report.retried += 1
        except RejectedError as exc:
            detail = exc.message + (
                " " + json.dumps(exc.fields, ensure_ascii=False) if exc.fields else "")
            with self.db.write() as conn:
                outbox_repo.mark_attention(conn, row["id"], detail)
                log_repo.append(conn, at=self._stamp(), action="upload_rejected",
                                detail={"outbox": row["id"], "kind": row["kind"]})
            report.attention += 1
            report.errors.append(exc.message)
        else:
            with self.db.write() as conn:
                outbox_repo.mark_done(conn, row["id"])
                if row["kind"] == "case_upsert":   # the platform now has this version
                    report.superseded += outbox_repo.supersede_older(
                        conn, row["case_id"], row["version"])
            report.done += 1
        finally:
            if self.on_sending is not None:
                self.on_sending(None)
        return True

    def _superseded(self, row: dict[str, Any]) -> bool:
        if row["kind"] != "case_upsert":
            return False
        newest = outbox_repo.newest_version(self.db.conn, row["case_id"])
        if row["version"] >= newest:
            return False
        with self.db.write() as conn:
            outbox_repo.supersede_older(conn, row["case_id"], newest)
        return True

    def _send(self, row: dict[str, Any]) -> int:
        kind = row["kind"]
        if kind == "case_upsert":
            return self._send_case(row)
        if kind == "evaluation":
            self._send_evaluation(row)
            return 0
        if kind == "preapplication_lookup":
            code = row["idempotency_key"].split(":pre:", 1)[1]
            if self.client.preapplication(code) is None:
                raise RejectedError(f"网上预申请 {code} 在平台上不存在，请与申请人核对")
            return 0
        raise LocalProblemError(f"未知的上传类型 {kind}")

    def _send_case(self, row: dict[str, Any]) -> int:
        conn = self.db.conn
        case = case_repo.get_case_by_id(conn, row["case_id"])
        if case is None:
            raise LocalProblemError("本地找不到该办件")
        sent = 0
        for a in case["attachments"]:
            path = self.attachments.path(a["sha256"])
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise LocalProblemError(f"本地附件 {a['original_name']} 丢失，请重新扫描后重传") from exc
            sent += self._retrying(self._blob_sender(a["sha256"], data, row["attempts"] > 0))
        impl = case["impl_code"]
        if impl not in self._items:
            self._items[impl] = catalog_repo.get(conn, impl)
        body = case_body(case, self._items[impl])

        def upsert(_: int) -> Any:
            return self.client.upsert_case(case["uid"], body, row["idempotency_key"])

        self._retrying(upsert)
        return sent

    def _blob_sender(self, sha256: str, data: bytes, resent: bool) -> Callable[[int], int]:
        # a resent row asks the platform how much it holds; inside the attempt the upload keeps
        # its place, and asks again only after a request whose answer was lost
        upload = BlobUpload(sha256, data, offset=None if resent else 0)

        def send(_: int) -> int:
            return self.client.send_blob(upload)
        return send

    def _retrying(self, call: Callable[[int], Any]) -> Any:
        """``call(tries so far)``, tried again on a transient failure — at once the first time
        the connection was cut, else after a short jittered pause — unless the platform said
        when to come back (that backs the row off)."""
        for tried in range(self.tries):
            try:
                return call(tried)
            except TransientError as exc:
                if exc.retry_after is not None or tried + 1 >= self.tries:
                    raise
                if tried or not isinstance(exc, OfflineError):   # a cut connection: at once
                    self.sleep(self.pause.delay(tried, self.rng))
        raise AssertionError("unreachable")

    def _send_evaluation(self, row: dict[str, Any]) -> None:
        ev = case_repo.get_evaluation(self.db.conn, row["evaluation_id"])
        if ev is None:
            raise LocalProblemError("本地找不到该评价")
        self.client.put_evaluation(ev["uid"], {
            "case_no": ev["case_no"], "level": NATIONAL_CODES[Level(ev["level"])],
            "reasons": json.loads(ev["reasons"]), "comment": ev["comment"],
            "channel": ev["channel"], "at": ev["at"]})

    def status(self) -> dict[str, Any]:
        """Backlog figures for the status bar and ``admin status``."""
        conn = self.db.conn
        counts = outbox_repo.counts(conn)
        oldest = outbox_repo.oldest_pending(conn)
        age = None
        if oldest:
            age = (self.clock() - datetime.fromisoformat(oldest)).total_seconds()
        return {"pending": counts.get("pending", 0), "attention": counts.get("needs_attention", 0),
                "done": counts.get("done", 0), "oldest_pending_s": age}

    def refresh_catalog(self, accept: bool = False) -> bool:
        """Download the catalog when it changed (ETag); True when the local copy was replaced.

        The whole catalog is checked before any of it is used; a malformed one, or (unless
        ``accept``: an admin said so) one that is empty or would retire more than half of the
        active items, raises CatalogRefusedError and the local copy stays as it was. The
        refusal is kept (``catalog_repo.refusal``) and logged once per catalog."""
        result = self.client.catalog(catalog_repo.etag(self.db.conn))
        if not result.changed:
            if catalog_repo.refusal(self.db.conn):      # the platform went back to ours
                with self.db.write() as conn:
                    catalog_repo.set_refusal(conn, None)
            return False
        body = result.body
        version = body.get("version") if isinstance(body, dict) else None
        try:
            checked = check_catalog(body)
            held = hold_reason({i.impl_code for i in checked.items},
                               catalog_repo.active_codes(self.db.conn))
            if held and not accept:
                raise CatalogRefusedError(held, held=True)
        except CatalogRefusedError as exc:
            self._refused(exc, result.etag, version)
            raise
        known = catalog_repo.known_keys(self.db.conn)
        prepared = catalog_repo.prepare_items(checked.items, known)   # outside the transaction
        with self.db.write() as conn:
            retired = len(catalog_repo.active_codes(conn) - {i.impl_code for i in checked.items})
            catalog_repo.import_prepared(conn, prepared, checked.version)
            catalog_repo.set_etag(conn, result.etag or "")
            catalog_repo.set_refusal(conn, None)
            if held:                    # taken only because an admin said so: on record
                log_repo.append(conn, at=self._stamp(), action="catalog_accepted",
                                detail={"version": checked.version, "items": len(prepared),
                                        "retired": retired, "reason": held})
        return True

    def _refused(self, exc: CatalogRefusedError, etag: str | None, version: Any) -> None:
        """Keep and log a refusal; the same catalog refused again each cycle is logged once."""
        before = catalog_repo.refusal(self.db.conn) or {}
        at = self._stamp()
        noted = {"at": at, "reason": exc.reason, "held": exc.held,
                 "etag": etag if isinstance(etag, str) else None,
                 "version": version[:64] if isinstance(version, str) else None}
        if (before.get("reason"), before.get("etag")) == (noted["reason"], noted["etag"]):
            return                      # the same catalog refused again: said already
        with self.db.write() as conn:
            catalog_repo.set_refusal(conn, noted)
            log_repo.append(conn, at=at, action="catalog_refused",
                            detail={"held": exc.held, "version": noted["version"],
                                    "reason": exc.reason[:500]})
        log.warning("platform catalog %s (version %s): %s",
                    "held back" if exc.held else "refused", noted["version"], exc.reason)

    APPOINTMENTS_EVERY_S = 300.0       # the day's list asked for again every five minutes

    def pull_appointments(self, force: bool = False) -> PlatformDay | None:
        """Today's appointments from the platform's booking system into this PC's queue
        (a township centre's own queue; a hall server pulls its own): the whole day's list
        replaces the platform's earlier one, an appointment already used keeps its ticket.
        None when not due (or this PC takes no appointments)."""
        if not self.appointments:
            return None
        now = time.monotonic()
        if not force and now - self._appointments_at < self.APPOINTMENTS_EVERY_S:
            return None
        day = self.today()
        listed = self.client.appointments(day)
        result = appointment_repo.apply_platform_day(self.db, day.isoformat(), listed)
        self._appointments_at = now
        if result.unknown:
            log.warning("platform appointments for services this hall lacks: %s", result.unknown)
        return result

    def pull_changes(self) -> int:
        """Platform-side status changes (办结 ...) flow back into local cases."""
        cursor = int(meta.get(self.db.conn, "changes_cursor") or 0)
        changes, new_cursor = self.client.changes(cursor)
        applied = 0
        with self.db.write() as conn:
            for change in changes:
                if case_repo.set_status(conn, change["case_no"], int(change["status"]), self._stamp()):
                    applied += 1
            meta.put(conn, "changes_cursor", str(new_cursor))
        return applied
