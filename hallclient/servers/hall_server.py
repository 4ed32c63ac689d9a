"""hall_server: one queue for every window in the hall (大厅服务器).

It runs the same queue core as LocalQueue, on its own SQLite file, behind a FastAPI app
with an OpenAPI document (``/openapi.json``). Semantics:
- every request names a device by ``Authorization: Bearer <token>``; a device is a counter
  (optionally bound to one window), a kiosk (issues tickets) or a panel (reads);
- every queue action runs on one writer thread, one transaction with a compare-and-set on
  the ticket's state, so two windows can never get the same ticket however fast they click;
- every change is appended to the server's hash-chained event log in the same transaction,
  and the events pushed to subscribers (``GET /events``, server-sent events) are read back
  from that log — so no path that changes the queue can forget to notify, and a subscriber
  that reconnects with ``Last-Event-ID`` gets exactly what it missed, even across a
  server restart;
- counters that served by hand while the server was away send those services once each
  (``POST /windows/{n}/manual``, idempotent by uid); counters push their own event logs
  (``POST /logs``), chain-checked, for the supervisor's whole-hall view.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as FrameworkError

from hallclient.config import CONFIG_FILE, Config, progress_policy, queue_rules
from hallclient.core import eventlog
from hallclient.core.clock import Clock, local_now
from hallclient.core.progress import LockoutPolicy, ProgressRecord, QueryAnswer, judge
from hallclient.core.tickets import QueueError
from hallclient.queue.local import LocalQueue
from hallclient.store import appointment_repo, hall_repo, log_repo, progress_repo
from hallclient.store.appointment_repo import PlatformDay
from hallclient.store.db import DB_FILE, Database, StoreError, connect
from hallclient.store.hall_repo import HallConfigError
from hallclient.store.worker import Worker
from hallclient.wire import HALL_API
from hallclient.wire.hall import DeviceKind, LogEntryIn, ProgressRecordIn, ProgressWire

from . import hall_events, hall_routes, hall_store
from .guard import SLOW, read_body, replay_body
from .hall_devices import Device, add_device, find_device
from .hall_events import Broker, Event

log = logging.getLogger(__name__)

REPLAY_LIMIT = 5000
CHECKPOINT_EVERY_S = 2.0
SLOW_WRITE_MS = 100          # a write that took longer is logged (disk or lock trouble)


# -- the writer thread ----------------------------------------------------------------------

class Core:
    """Lives on one of the server's threads (the writer, or the reader): the database, the
    queue, and how far the event log has been published."""

    def __init__(self, db: Database, queue: LocalQueue) -> None:
        self.db = db
        self.queue = queue
        self.published = log_repo.last_seq(db.conn)
        self.waiting_now: dict[str, dict[int, int]] | None = None   # read by this job already

    def head(self) -> int:
        return log_repo.last_seq(self.db.conn)

    def registered(self, device_id: str) -> bool:
        return hall_store.registered(self.db.conn, device_id)

    def new_events(self) -> list[Event]:
        """Log entries written since the last call, as events (with waiting counts)."""
        waiting, self.waiting_now = self.waiting_now, None
        entries = log_repo.entries(self.db.conn, self.published)
        if not entries:
            return []
        self.published = entries[-1]["seq"]
        return hall_events.encode(entries, waiting if waiting is not None
                                  else self.queue.waiting_counts())

    def replay(self, since: int) -> list[Event] | None:
        """Events after ``since`` for a reconnecting subscriber; None when that is too far
        back (the subscriber then gets the whole state instead)."""
        if since > self.head():
            return None             # a log restored from a backup: start over
        entries = log_repo.entries(self.db.conn, since, REPLAY_LIMIT + 1)
        if len(entries) > REPLAY_LIMIT:
            return None
        return hall_events.encode(entries, self.queue.waiting_counts()) if entries else []

    def store_pushed_log(self, entries: list[LogEntryIn], received_at: str, by: Device) -> int:
        """Keep a counter's log entries: one log (its ``device`` field: the log's id, made by
        the counter's database), chain-checked, belonging to the registered device that
        first pushed it, every entry about a window that device may work at."""
        if not entries:
            raise QueueError("没有日志条目")
        log_id = entries[0].device
        if any(e.device != log_id for e in entries):
            raise QueueError("一批日志只能来自一台设备")
        if by.window is not None and any(
                e.window != by.window and (e.window is not None or e.action in REPORTED)
                for e in entries):
            raise ForbiddenError(f"本机只登记了 {by.window} 号窗口，不能推送其他窗口的日志")
        with self.db.write() as conn:
            owner = hall_store.log_owner(conn, log_id)
            if owner is None:
                hall_store.claim_log(conn, log_id, by.device_id, received_at)
            elif owner != by.device_id:
                raise ForbiddenError("这份日志属于另一台设备，本机不能推送")
            last_seq, last_hash = hall_store.pushed_head(conn, log_id) or (0, eventlog.GENESIS)
            for e in entries:
                fields = e.model_dump()
                if eventlog.entry_hash(e.prev_hash, fields) != e.hash:
                    raise QueueError(f"日志第 {e.seq} 条的哈希与内容不符（日志被改动）")
                if e.seq <= last_seq:
                    if hall_store.pushed_hash(conn, log_id, e.seq) != e.hash:
                        raise QueueError(f"日志第 {e.seq} 条与已收到的不一致（日志被改动）")
                    continue
                if e.seq != last_seq + 1 or e.prev_hash != last_hash:
                    raise QueueError(f"日志第 {e.seq} 条接不上已收到的第 {last_seq} 条")
                hall_store.keep_pushed(conn, fields, received_at)
                last_seq, last_hash = e.seq, e.hash
        return last_seq


    def store_progress(self, records: list[ProgressRecordIn], by: Device,
                       at: str) -> tuple[int, list[str]]:
        """Keep the progress records a counter published: (how many kept, the case numbers
        refused). A case first published by another device is not this one's to change;
        it is refused alone, so the rest of the batch (and the counter's later ones) still
        get through."""
        refused: list[str] = []
        with self.db.write() as conn:
            for r in records:
                key = r.case_no.upper()         # as the kiosk's keypad types it
                owner = hall_store.progress_owner(conn, key)
                if owner is not None and owner != by.device_id:
                    refused.append(r.case_no)
                    continue
                shown = ProgressWire.model_validate(r.model_dump(exclude={"password_hash"}))
                hall_store.keep_progress(conn, key, by.device_id, shown.model_dump_json(),
                                         r.password_hash, at)
        if refused:
            log.warning("hall server: device %s may not change the progress of %d case(s)",
                        by.device_id, len(refused))
        return len(records) - len(refused), refused

    def judge_progress(self, case_no: str, found: ProgressRecord | None, matched: bool,
                       now: datetime, policy: LockoutPolicy) -> QueryAnswer:
        """The answer to a query whose password was checked already (off this thread), by
        the attempts kept for the number at this moment."""
        with self.db.write() as conn:
            kept = progress_repo.attempts(conn, case_no)
            answer, keep = judge(kept, found, matched, now, policy)
            if keep != kept:
                progress_repo.keep_attempts(conn, case_no, keep)
            if keep is not None and keep.failures == 1:
                progress_repo.forget_old_attempts(conn, (now - timedelta(days=1)).isoformat())
        return answer


# what the supervisor's report counts from pushed logs: a counter bound to a window must
# say that window on these (no entry "of no window" decides a case or rates a clerk)
REPORTED = frozenset({"intake_accept", "intake_correct", "intake_refuse", "correction_ended",
                      "correction_repeat", "rating"})


class ForbiddenError(Exception):
    """What this device may not do (403), whatever the request says."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the app --------------------------------------------------------------------------------

class HallServer:
    """The FastAPI app and its writer thread (``asgi`` is what uvicorn serves)."""

    def __init__(self, data_dir: Path, clock: Clock = local_now,
                 config: Config | None = None) -> None:
        self.data_dir = data_dir
        config = config or Config(data_dir / CONFIG_FILE)
        rules = queue_rules(config)
        self.progress_policy = progress_policy(config)      # 办件查询's lockout
        self.worker: Worker[Core] = Worker(
            lambda: self._open_core(rules, clock), lambda core: core.db.close(), "hall-writer")
        self.worker.opened.result(timeout=30)
        # reads (snapshots, the hall state, replays) on a second connection: WAL readers
        # neither wait for the writer nor hold it up
        self.reader: Worker[Core] = Worker(
            lambda: self._open_core(rules, clock), lambda core: core.db.close(), "hall-reader")
        self.reader.opened.result(timeout=30)
        # long reads (a month's records, a reconnecting stream's replay) on a third: one
        # device asking for many of them never holds up the windows' snapshots
        self.slow_reader: Worker[Core] = Worker(
            lambda: self._open_core(rules, clock), lambda core: core.db.close(), "hall-slow-reader")
        self.slow_reader.opened.result(timeout=30)
        # every request's token, looked up in the registry as it is now, on a connection of
        # its own: never behind a long read (a month's records) or a write
        self.registry: Worker[Database] = Worker(
            lambda: hall_store.open_server_db(data_dir), lambda db: db.close(), "hall-registry")
        self.registry.opened.result(timeout=30)
        # the writer never checkpoints (a checkpoint's flush would hold every window up);
        # a thread of its own does, a little at a time, beside the writer
        self.worker.submit(lambda core: hall_store.stop_autocheckpoint(core.db.conn))
        self._stop_checkpoints = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoints, name="hall-checkpoint",
                                              daemon=True)
        self._checkpointer.start()
        self.broker = Broker()
        self.bodies_reading: dict[str, int] = {}   # device -> request bodies being received now
        self.clock = clock
        self._queries: dict[str, collections.deque[float]] = {}   # device -> its queries' times
        self.asgi = self._build()
        # the day's 预约 from the platform's booking system, when this hall server has the
        # platform's address and a device secret (hallclient --data-dir … admin set-device)
        self._stop_appointments = threading.Event()
        self._platform_settings = (config["platform.url"], config["platform.device_id"],
                                   config["platform.ca_bundle"])
        self._appointments: threading.Thread | None = None
        if config["platform.url"] and config["platform.device_id"] and not [
                p for p in config.problems if "platform." in p]:
            self._appointments = threading.Thread(target=self._pull_appointments_every,
                                                  name="hall-appointments", daemon=True)
            self._appointments.start()

    APPOINTMENTS_EVERY_S = 300.0
    QUERIES_PER_MINUTE = 20      # 办件查询 from one device: a person takes longer than 3 s each

    def query_allowed(self, device_id: str) -> bool:
        """Whether ``device_id`` may ask for one more case's progress now: a kiosk (or a
        stolen token) trying numbers and passwords by the thousand is slowed to a person's
        pace, whatever numbers it tries (the per-number lockout counts each number alone)."""
        now = time.monotonic()
        asked = self._queries.setdefault(device_id, collections.deque())
        while asked and now - asked[0] > 60.0:
            asked.popleft()
        if len(asked) >= self.QUERIES_PER_MINUTE:
            return False
        asked.append(now)
        return True

    def pull_appointments(self) -> PlatformDay:
        """Today's appointments from the platform into the hall's queue (the platform's
        whole list for the day; one used keeps its ticket). PlatformError, or ValueError
        when no device secret is stored."""
        from hallclient.platform.client import PlatformClient
        from hallclient.secrets import read_secret

        url, device_id, ca = self._platform_settings
        secret = read_secret(self.data_dir)
        if not secret:
            raise ValueError("大厅服务器没有省平台的设备密钥：运行 hallclient --data-dir 数据目录"
                             " admin set-device 设备标识")
        client = PlatformClient(url, device_id, secret, ca_bundle=ca or None)
        try:
            day = self.clock().date()
            listed = client.appointments(day)
        finally:
            client.close()

        def key(core: Core) -> bytes:
            with core.db.write() as conn:
                return appointment_repo.card_key(conn)

        # the slow card hashes here, on this thread: the writer serves the windows meanwhile
        hashes = appointment_repo.card_hashes(self.worker.submit(key).result(timeout=60), listed)

        def apply(core: Core) -> PlatformDay:
            with core.db.write() as conn:
                services = {sv.code for sv in hall_repo.services(conn)}
                return appointment_repo.replace_platform_day(conn, day.isoformat(), listed,
                                                             services, hashes)

        result: PlatformDay = self.worker.submit(apply).result(timeout=60)
        log.info("platform appointments for %s: %d listed, %d removed", day, result.listed,
                 result.removed)
        return result

    def _pull_appointments_every(self) -> None:
        from hallclient.platform.client import PlatformError

        while True:
            try:
                self.pull_appointments()
            except (PlatformError, ValueError, OSError) as exc:
                log.warning("hall server: platform appointments not read: %s", exc)
            except Exception:
                log.exception("hall server: platform appointments not applied")
            if self._stop_appointments.wait(self.APPOINTMENTS_EVERY_S):
                return

    def _open_core(self, rules: Any, clock: Clock) -> Core:
        db = hall_store.open_server_db(self.data_dir)
        return Core(db, LocalQueue(db, rules, clock))

    def _checkpoints(self) -> None:
        conn = connect(self.data_dir / DB_FILE)
        try:
            while not self._stop_checkpoints.wait(CHECKPOINT_EVERY_S):
                try:
                    hall_store.checkpoint(conn)
                except sqlite3.Error as exc:
                    log.warning("hall server checkpoint failed: %s", exc)
                self._publish_others()
            hall_store.checkpoint(conn)
        finally:
            conn.close()

    def _publish_others(self) -> None:
        """What ``hall-server`` commands beside the running server wrote to the log (a
        device revoked and its window signed out) goes out to the streams too."""
        try:
            self.broker.publish(self.worker.submit(lambda core: core.new_events()).result(timeout=30))
        except Exception as exc:          # closing, or the store failing: the next round tries
            log.warning("hall server: the event log could not be read: %s", exc)

    def close(self) -> None:
        self._stop_appointments.set()
        if self._appointments is not None:
            self._appointments.join(timeout=10)
        self.broker.close()
        self._stop_checkpoints.set()
        self._checkpointer.join(timeout=10)
        self.registry.close()
        self.slow_reader.close()
        self.reader.close()
        self.worker.close()

    async def run(self, fn: Callable[[Core], Any], publish: bool = True) -> Any:
        """Run ``fn`` on the writer thread; then publish what it wrote to the log."""

        def job(core: Core) -> tuple[Any, list[Event]]:
            started = time.perf_counter()
            try:
                return fn(core), core.new_events() if publish else []
            except BaseException:
                if publish:
                    self.broker.publish(core.new_events())
                raise
            finally:
                took = (time.perf_counter() - started) * 1000
                if took > SLOW_WRITE_MS:
                    log.warning("slow write on the hall server: %.0f ms", took)

        try:
            result, events = await asyncio.wrap_future(self.worker.submit(job))
        except QueueError as exc:
            raise HTTPException(409, {"error": "queue", "message": exc.message}) from exc
        except ForbiddenError as exc:
            raise HTTPException(403, {"error": "forbidden", "message": exc.message}) from exc
        except HallConfigError as exc:
            raise HTTPException(422, {"error": "hall", "message": str(exc)}) from exc
        except StoreError as exc:
            log.error("hall server store error: %s", exc.message)
            raise HTTPException(503, {"error": "store", "message": exc.message}) from exc
        self.broker.publish(events)
        return result

    async def read(self, fn: Callable[[Core], Any], worker: Worker[Core] | None = None) -> Any:
        """Run ``fn`` on the reader thread (its own connection; nothing is written), inside
        one read transaction: everything it reads is from the same moment."""
        def job(core: Core) -> Any:
            with hall_store.read_transaction(core.db.conn):
                return fn(core)

        try:
            return await asyncio.wrap_future((worker or self.reader).submit(job))
        except QueueError as exc:
            raise HTTPException(409, {"error": "queue", "message": exc.message}) from exc
        except StoreError as exc:
            raise HTTPException(503, {"error": "store", "message": exc.message}) from exc

    async def read_slow(self, fn: Callable[[Core], Any]) -> Any:
        """``read`` on the thread for long reads (records, replays)."""
        return await self.read(fn, self.slow_reader)

    async def device(self, authorization: str | None) -> Device:
        """The device behind ``Authorization: Bearer <token>``, as the registry says at this
        moment (a re-keyed or revoked device's old token is refused at once, also when the
        registry was changed by ``hall-server`` commands beside the running server); 401
        for none."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        found = None
        if token:
            try:
                found = await asyncio.wrap_future(self.registry.submit(lambda db: find_device(db, token)))
            except (StoreError, sqlite3.Error) as exc:
                log.error("hall server: the device registry cannot be read: %s", exc)
                raise HTTPException(503, {"error": "store", "message": "服务器的数据库暂时不可用"}) from exc
        if found is None:
            raise HTTPException(401, {"error": "device", "message": (
                "大厅服务器不认这台设备（未登记、已停用或令牌已更换）：请联系信息管理员")})
        return found

    def _build(self) -> FastAPI:
        app = FastAPI(title="hallclient hall server（大厅服务器）", version="1",
                      description=__doc__)
        app.state.hall = self
        app.include_router(hall_routes.router)
        app.add_exception_handler(RequestValidationError, hall_routes.invalid_request)
        app.add_exception_handler(FrameworkError, hall_routes.refused)
        app.add_middleware(AuthenticateFirst, server=self)
        return app


class AuthenticateFirst:
    """Every route but the open ones (health, the token check of ``GET /device``, the API
    documents) needs a registered device's token, checked before anything of the request
    is read: an anonymous client learns nothing of the paths, parameters or bodies the
    server takes. The device found is handed on in the request's state."""

    OPEN = frozenset({HALL_API + "/health", HALL_API + "/device", "/openapi.json", "/docs",
                      "/docs/oauth2-redirect", "/redoc"})

    def __init__(self, app: Any, server: HallServer) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in self.OPEN:
            await self.app(scope, receive, send)
            return
        authorization = next((value.decode("latin-1") for name, value in scope["headers"]
                              if name == b"authorization"), None)
        try:
            device = await self.server.device(authorization)
        except HTTPException as exc:
            from fastapi.responses import JSONResponse

            headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
            await JSONResponse({"detail": exc.detail}, exc.status_code, headers)(scope, receive, send)
            return
        scope.setdefault("state", {})["device"] = device
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), b"0")
        too_long = not declared.isdigit() or len(declared) > 12 or int(declared) > MAX_BODY
        chunked = any(name == b"transfer-encoding" for name, _ in scope["headers"])
        if not too_long and (chunked or declared != b"0"):
            reading = self.server.bodies_reading
            if reading.get(device.device_id, 0) >= BODIES_PER_DEVICE:
                await _refuse(scope, receive, send, 429, "busy",
                              "本设备同时在发送的请求太多，请稍候再试", {"Retry-After": "2"})
                return
            reading[device.device_id] = reading.get(device.device_id, 0) + 1
            try:
                body = await read_body(receive, MAX_BODY, MIN_BODY_RATE, BODY_GRACE_S)
            finally:
                left = reading.pop(device.device_id) - 1
                if left:
                    reading[device.device_id] = left
        else:
            body = None if too_long else await read_body(receive, MAX_BODY)   # none of it read
        if body is None:
            await _refuse(scope, receive, send, 413, "invalid",
                          f"请求内容超过 {MAX_BODY // 1_000_000} MB")
            return
        if body is SLOW:
            await _refuse(scope, receive, send, 408, "slow",
                          "请求内容发送得太慢，连接已断开：请检查网络后重试", {"Connection": "close"})
            return
        await self.app(scope, replay_body(body, receive), send)


MAX_BODY = 4_000_000            # a log push of 2,000 entries is well under 1 MB
BODIES_PER_DEVICE = 4           # bodies one device may be sending at the same time
MIN_BODY_RATE = 16_000          # bytes/s a body must keep up, on average, after its first
BODY_GRACE_S = 10.0             # seconds (a LAN sends 4 MB in well under a second)


async def _refuse(scope: Any, receive: Any, send: Any, status: int, error: str, message: str,
                  headers: dict[str, str] | None = None) -> None:
    from fastapi.responses import JSONResponse

    await JSONResponse({"detail": {"error": error, "message": message}}, status,
                       headers)(scope, receive, send)


class RunningHallServer:
    """The hall server served by uvicorn in a background thread (tests, demo)."""

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", port: int = 0,
                 clock: Clock = local_now, limits: Any = None) -> None:
        from . import serve_in_thread

        self.hall = HallServer(data_dir, clock)
        self.server, self.thread, self.port = serve_in_thread(
            self.hall.asgi, "hall-server", host, port, limits, timeout_graceful_shutdown=2)
        self.url = f"http://{host}:{self.port}"

    def add_device(self, device_id: str, kind: DeviceKind, window: int | None = None) -> str:
        return self.hall.worker.submit(
            lambda core: add_device(core.db, device_id, kind, window)).result()

    def import_hall(self, spec: dict[str, Any]) -> None:
        self.hall.worker.submit(lambda core: core.queue.import_hall(spec)).result()

    def stop(self) -> None:
        if self.server.should_exit:
            return
        self.hall.broker.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.hall.close()
