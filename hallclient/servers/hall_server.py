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
import hashlib
import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from hallclient.config import CONFIG_FILE, Config
from hallclient.core import eventlog
from hallclient.core.clock import Clock, local_now
from hallclient.core.tickets import PriorityClass, QueueError
from hallclient.queue.hall import EVERY_WINDOW_ACTIONS, snapshot_to_dict, ticket_to_dict
from hallclient.queue.local import LocalQueue
from hallclient.store import log_repo
from hallclient.store.db import DB_FILE, Database, StoreError, connect, open_database
from hallclient.store.hall_repo import HallConfigError
from hallclient.store.worker import Worker

log = logging.getLogger(__name__)

API = "/api/v1"
KEEPALIVE_S = 15.0
REPLAY_LIMIT = 5000
SUBSCRIBER_BACKLOG = 2000
CHECKPOINT_EVERY_S = 2.0
SLOW_WRITE_MS = 100          # a write that took longer is logged (disk or lock trouble)


class Event(NamedTuple):
    """One event, encoded once for every subscriber."""

    seq: int
    text: str                # the server-sent-events text
    window: int | None
    to_window: int | None
    action: str
    waiting: dict[str, dict[int, int]]

    def concerns(self, window: int) -> bool:
        return (self.window == window or self.to_window == window
                or self.action in EVERY_WINDOW_ACTIONS)


WAITING_EVERY_S = 0.5        # a counter's stream carries other windows' news as counts, this often


class DeviceKind(str, Enum):
    COUNTER = "counter"
    KIOSK = "kiosk"
    PANEL = "panel"


@dataclass(frozen=True)
class Device:
    device_id: str
    kind: DeviceKind
    window: int | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_device(db: Database, device_id: str, kind: DeviceKind, window: int | None = None,
               clock: Clock = local_now) -> str:
    """Register (or re-key) a device; returns its new token, shown once."""
    if not device_id.strip():
        raise ValueError("设备标识不能为空")
    token = secrets.token_urlsafe(24)
    with db.write() as conn:
        conn.execute(
            "INSERT INTO hall_devices (device_id, kind, window, token_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET kind = excluded.kind,"
            " window = excluded.window, token_hash = excluded.token_hash, active = 1",
            (device_id.strip(), kind.value, window, hash_token(token),
             clock().isoformat(timespec="seconds")))
        log_repo.append(conn, at=clock().isoformat(timespec="milliseconds"),
                        action="device_saved",
                        detail={"device": device_id, "kind": kind.value, "window": window})
    return token


def open_server_db(data_dir: Path) -> Database:
    data_dir.mkdir(parents=True, exist_ok=True)
    return open_database(data_dir / DB_FILE)


# -- request and answer bodies --------------------------------------------------------------

class IssueIn(BaseModel):
    service: str = Field(title="业务类别代码", min_length=1, max_length=20)
    priority: int = Field(default=0, title="优先级（0普通 1预约 2绿色通道）", ge=0, le=2)
    device: str = Field(default="", title="取号设备", max_length=64)


class WindowAction(str, Enum):
    SIGN_IN = "sign-in"
    SIGN_OUT = "sign-out"
    CALL_NEXT = "call-next"
    CALL = "call"
    RECALL = "recall"
    NO_SHOW = "no-show"
    REACTIVATE = "reactivate"
    START = "start"
    FINISH = "finish"
    HOLD = "hold"
    RETURN = "return"
    TRANSFER = "transfer"
    PAUSE = "pause"
    RESUME = "resume"


class ActionIn(BaseModel):
    clerk: str = Field(title="窗口人员", min_length=1, max_length=64)
    ticket_id: int | None = Field(default=None, title="排队号内部标识")
    number: str | None = Field(default=None, title="排队号", max_length=20)
    to_service: str | None = Field(default=None, title="转移到业务", max_length=20)
    to_window: int | None = Field(default=None, title="转移到窗口")
    raised: bool = Field(default=False, title="转移后优先")
    reason: str = Field(default="", title="暂停原因", max_length=200)


class ManualIn(BaseModel):
    uid: str = Field(title="手工接待记录标识", min_length=8, max_length=64)
    clerk: str = Field(title="窗口人员", min_length=1, max_length=64)
    number: str | None = Field(default=None, title="排队号（无号来访为空）", max_length=20)
    started_at: str = Field(title="开始办理时间", min_length=10, max_length=40)
    finished_at: str = Field(title="办结时间", min_length=10, max_length=40)


class LogEntryIn(BaseModel):
    seq: int = Field(ge=1)
    at: str
    device: str = Field(max_length=64)
    window: int | None = None
    clerk: str | None = None
    action: str = Field(max_length=64)
    ticket: str | None = None
    detail: str | None = None
    prev_hash: str = Field(min_length=64, max_length=64)
    hash: str = Field(min_length=64, max_length=64)


class LogPushIn(BaseModel):
    entries: list[LogEntryIn] = Field(max_length=2000)


# -- the writer thread ----------------------------------------------------------------------

class Core:
    """Lives on the server's one writer thread: the database, the queue, the devices, and
    how far the event log has been published."""

    def __init__(self, db: Database, queue: LocalQueue) -> None:
        self.db = db
        self.queue = queue
        head = db.conn.execute("SELECT max(seq) FROM event_log").fetchone()[0]
        self.published = int(head or 0)
        self.waiting_now: dict[str, dict[int, int]] | None = None   # read by this job already

    def head(self) -> int:
        row = self.db.conn.execute("SELECT max(seq) FROM event_log").fetchone()
        return int(row[0] or 0)

    def devices(self) -> dict[str, Device]:
        rows = self.db.conn.execute(
            "SELECT token_hash, device_id, kind, window FROM hall_devices WHERE active = 1")
        return {r[0]: Device(r[1], DeviceKind(r[2]), r[3]) for r in rows}

    def registered(self, device_id: str) -> bool:
        row = self.db.conn.execute(
            "SELECT 1 FROM hall_devices WHERE device_id = ? AND active = 1", (device_id,))
        return row.fetchone() is not None

    def new_events(self) -> list[Event]:
        """Log entries written since the last call, as events (with waiting counts)."""
        waiting, self.waiting_now = self.waiting_now, None
        entries = log_repo.entries(self.db.conn, self.published)
        if not entries:
            return []
        self.published = entries[-1]["seq"]
        return self.to_events(entries, waiting)

    def to_events(self, entries: list[dict[str, Any]],
                  waiting: dict[str, dict[int, int]] | None = None) -> list[Event]:
        """Events encoded once for every subscriber: (seq, the SSE text)."""
        if waiting is None:
            waiting = self.queue.waiting_counts()
        events = []
        for e in entries:
            detail = json.loads(e["detail"]) if e["detail"] else {}
            to_window = detail.get("to_window")
            events.append(Event(e["seq"], sse("queue", {
                "seq": e["seq"], "at": e["at"], "action": e["action"], "window": e["window"],
                "ticket": e["ticket"],
                "service": detail.get("service") or detail.get("to_service"),
                "to_window": to_window,
                "waiting": waiting,
            }, e["seq"]), e["window"], to_window, e["action"], waiting))
        return events

    def replay(self, since: int) -> list[Event] | None:
        """Events after ``since`` for a reconnecting subscriber; None when that is too far
        back (the subscriber then gets the whole state instead)."""
        entries = log_repo.entries(self.db.conn, since, REPLAY_LIMIT + 1)
        if len(entries) > REPLAY_LIMIT:
            return None
        return self.to_events(entries) if entries else []

    def store_pushed_log(self, entries: list[LogEntryIn], received_at: str) -> int:
        if not entries:
            raise QueueError("没有日志条目")
        device = entries[0].device
        if any(e.device != device for e in entries):
            raise QueueError("一批日志只能来自一台设备")
        with self.db.write() as conn:
            row = conn.execute("SELECT seq, hash FROM pushed_log WHERE device = ?"
                               " ORDER BY seq DESC LIMIT 1", (device,)).fetchone()
            last_seq, last_hash = (int(row[0]), str(row[1])) if row else (0, eventlog.GENESIS)
            for e in entries:
                fields = e.model_dump()
                if eventlog.entry_hash(e.prev_hash, fields) != e.hash:
                    raise QueueError(f"日志第 {e.seq} 条的哈希与内容不符（日志被改动）")
                if e.seq <= last_seq:
                    kept = conn.execute("SELECT hash FROM pushed_log WHERE device = ? AND seq = ?",
                                        (device, e.seq)).fetchone()
                    if kept is None or kept[0] != e.hash:
                        raise QueueError(f"日志第 {e.seq} 条与已收到的不一致（日志被改动）")
                    continue
                if e.seq != last_seq + 1 or e.prev_hash != last_hash:
                    raise QueueError(f"日志第 {e.seq} 条接不上已收到的第 {last_seq} 条")
                conn.execute(
                    "INSERT INTO pushed_log VALUES (:device, :seq, :at, :window, :clerk, :action,"
                    " :ticket, :detail, :prev_hash, :hash, :received_at)",
                    {**fields, "received_at": received_at})
                last_seq, last_hash = e.seq, e.hash
        return last_seq


class Subscriber:
    """One event stream: its queue, and for a counter (``window``) the latest news that
    only changed the waiting counts — kept here without waking the stream up."""

    def __init__(self, window: int | None) -> None:
        self.window = window
        self.queue: asyncio.Queue[Any] = asyncio.Queue(SUBSCRIBER_BACKLOG)
        self.counts: Event | None = None


class Broker:
    """Fans events out to SSE subscribers on the event loop. A counter's stream is woken
    only for events about its window; a subscriber that falls too far behind is told to
    reconnect (it then replays from the log)."""

    CLOSE = object()
    OVERFLOW = object()

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: set[Subscriber] = set()

    def subscribe(self, window: int | None = None) -> Subscriber:
        self.loop = asyncio.get_running_loop()
        sub = Subscriber(window)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def publish(self, events: list[Event]) -> None:
        """From any thread."""
        loop = self.loop
        if events and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._fanout, events)

    def _fanout(self, item: Any) -> None:
        for sub in list(self.subscribers):
            if isinstance(item, list) and sub.window is not None:
                mine = [e for e in item if e.concerns(sub.window)]
                if not mine:
                    sub.counts = item[-1]
                    continue
                item_for_sub: Any = mine
                sub.counts = item[-1] if item[-1].seq > mine[-1].seq else None
            else:
                item_for_sub = item
            try:
                sub.queue.put_nowait(item_for_sub)
            except asyncio.QueueFull:
                self.subscribers.discard(sub)
                sub.queue.get_nowait()
                sub.queue.put_nowait(self.OVERFLOW)

    def close(self) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._fanout, self.CLOSE)
            except RuntimeError:
                pass


def sse(event: str, data: Any, seq: int | None = None) -> str:
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


# -- the app --------------------------------------------------------------------------------

class HallServer:
    """The FastAPI app and its writer thread (``asgi`` is what uvicorn serves)."""

    def __init__(self, data_dir: Path, clock: Clock = local_now,
                 config: Config | None = None) -> None:
        from hallclient.services.context import rules_from

        self.data_dir = data_dir
        config = config or Config(data_dir / CONFIG_FILE)
        rules = rules_from(config)
        self.worker: Worker[Core] = Worker(
            lambda: self._open_core(rules, clock), lambda core: core.db.close(), "hall-writer")
        self.worker.opened.result(timeout=30)
        # reads (snapshots, the hall state, replays) on a second connection: WAL readers
        # neither wait for the writer nor hold it up
        self.reader: Worker[Core] = Worker(
            lambda: self._open_core(rules, clock), lambda core: core.db.close(), "hall-reader")
        self.reader.opened.result(timeout=30)
        # the writer never checkpoints (a checkpoint's flush would hold every window up);
        # a thread of its own does, a little at a time, beside the writer
        self.worker.submit(lambda core: core.db.conn.execute("PRAGMA wal_autocheckpoint = 0"))
        self._stop_checkpoints = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoints, name="hall-checkpoint",
                                              daemon=True)
        self._checkpointer.start()
        self.broker = Broker()
        self._devices: dict[str, Device] = self.reader.submit(Core.devices).result()
        self.clock = clock
        self.asgi = self._build()

    def _open_core(self, rules: Any, clock: Clock) -> Core:
        db = open_server_db(self.data_dir)
        return Core(db, LocalQueue(db, rules, clock))

    def _checkpoints(self) -> None:
        conn = connect(self.data_dir / DB_FILE)
        try:
            while not self._stop_checkpoints.wait(CHECKPOINT_EVERY_S):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as exc:
                    log.warning("hall server checkpoint failed: %s", exc)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    def close(self) -> None:
        self.broker.close()
        self._stop_checkpoints.set()
        self._checkpointer.join(timeout=10)
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
        except HallConfigError as exc:
            raise HTTPException(422, {"error": "hall", "message": str(exc)}) from exc
        except StoreError as exc:
            log.error("hall server store error: %s", exc.message)
            raise HTTPException(503, {"error": "store", "message": exc.message}) from exc
        self.broker.publish(events)
        return result

    async def read(self, fn: Callable[[Core], Any]) -> Any:
        """Run ``fn`` on the reader thread (its own connection; nothing is written), inside
        one read transaction: everything it reads is from the same moment."""
        def job(core: Core) -> Any:
            core.db.conn.execute("BEGIN")
            try:
                return fn(core)
            finally:
                core.db.conn.execute("COMMIT")

        try:
            return await asyncio.wrap_future(self.reader.submit(job))
        except QueueError as exc:
            raise HTTPException(409, {"error": "queue", "message": exc.message}) from exc
        except StoreError as exc:
            raise HTTPException(503, {"error": "store", "message": exc.message}) from exc

    async def device(self, authorization: str | None = Header(default=None)) -> Device:
        token = (authorization or "").removeprefix("Bearer ").strip()
        digest = hash_token(token)
        found = self._devices.get(digest)
        if found is None and token:
            self._devices = await asyncio.wrap_future(self.reader.submit(Core.devices))
            found = self._devices.get(digest)
        if found is None:
            raise HTTPException(401, {"error": "device", "message": "设备未登记或令牌错误"})
        return found

    def _build(self) -> FastAPI:
        app = FastAPI(title="hallclient hall server（大厅服务器）", version="1",
                      description=__doc__)
        device_dep = Depends(self.device)

        def need(device: Device, *kinds: DeviceKind, window: int | None = None) -> None:
            if device.kind not in kinds:
                raise HTTPException(403, {"error": "forbidden",
                                          "message": f"{device.kind.value} 设备不能做这件事"})
            if window is not None and device.window is not None and device.window != window:
                raise HTTPException(403, {"error": "forbidden",
                                          "message": f"本机只登记了 {device.window} 号窗口"})

        @app.get(API + "/health", summary="服务是否在运行（不需令牌）")
        async def health() -> dict[str, Any]:
            return {"ok": True}

        @app.get(API + "/device", summary="令牌属于哪台设备（admin join-hall 用它核对令牌）")
        async def device_of_token(device_id: str | None = None,
                                  authorization: str | None = Header(default=None)
                                  ) -> dict[str, Any]:
            """The device the token belongs to. When the token is refused and ``device_id``
            is given, the 401 answer also says whether that device is registered at all, so
            that the person joining learns whether the token or the device name is wrong
            (device names are not secret: they are printed on tickets and in logs)."""
            try:
                device = await self.device(authorization)
            except HTTPException as exc:
                if not device_id:
                    raise
                known = await self.read(lambda c: c.registered(device_id))
                detail = exc.detail if isinstance(exc.detail, dict) else {"message": exc.detail}
                raise HTTPException(401, {**detail, "registered": known}) from exc
            return {"device_id": device.device_id, "kind": device.kind.value,
                    "window": device.window}

        @app.get(API + "/hall", summary="业务类别与窗口")
        async def hall(device: Device = device_dep) -> dict[str, Any]:
            def read(core: Core) -> dict[str, Any]:
                return {"services": [vars(s) for s in core.queue.services()],
                        "windows": [{**vars(w), "services": list(w.services)}
                                    for w in core.queue.windows()]}
            result: dict[str, Any] = await self.read(read)
            return result

        @app.get(API + "/state", summary="全大厅状态：各窗口当前号、等候人数、最近呼叫")
        async def state(device: Device = device_dep) -> dict[str, Any]:
            result: dict[str, Any] = await self.read(lambda c: c.queue.hall_state())
            return result

        @app.post(API + "/tickets", summary="取号", status_code=201)
        async def issue(body: IssueIn, device: Device = device_dep) -> dict[str, Any]:
            need(device, DeviceKind.KIOSK, DeviceKind.COUNTER)
            issued = await self.run(lambda c: c.queue.issue(
                body.service, PriorityClass(body.priority), body.device or device.device_id))
            return {"ticket": ticket_to_dict(issued.ticket), "service_name": issued.service_name,
                    "ahead": issued.ahead}

        @app.get(API + "/windows/{window}", summary="窗口快照")
        async def window_snapshot(window: int, device: Device = device_dep) -> dict[str, Any]:
            need(device, DeviceKind.COUNTER, DeviceKind.PANEL, window=window)
            def read(core: Core) -> dict[str, Any]:
                # "seq": the log position this view is from (events after it are news)
                return {**snapshot_to_dict(core.queue.snapshot(window)), "seq": core.head()}

            answer: dict[str, Any] = await self.read(read)
            return answer

        @app.post(API + "/windows/{window}/manual", summary="补记手工接待（幂等）")
        async def manual(window: int, body: ManualIn,
                         device: Device = device_dep) -> dict[str, Any]:
            need(device, DeviceKind.COUNTER, window=window)
            result: dict[str, Any] = await self.run(lambda c: c.queue.apply_manual(
                uid=body.uid, device=device.device_id, window=window, clerk=body.clerk,
                number=body.number, started_at=body.started_at, finished_at=body.finished_at))
            return result

        @app.post(API + "/windows/{window}/{action}", summary="窗口操作（叫号、办理、转移等）")
        async def act(window: int, action: WindowAction, body: ActionIn,
                      device: Device = device_dep) -> dict[str, Any]:
            need(device, DeviceKind.COUNTER, window=window)

            def job(core: Core) -> dict[str, Any]:
                result = _dispatch(core.queue, window, action, body)
                snap = core.queue.snapshot(window)
                core.waiting_now = snap.waiting
                return {"result": result, "snapshot": snapshot_to_dict(snap),
                        "seq": core.head()}

            answer: dict[str, Any] = await self.run(job)
            return answer

        @app.get(API + "/records", summary="一段时间的排队记录（值班长日报用，全大厅各窗口）")
        async def records(first: str, last: str, device: Device = device_dep) -> dict[str, Any]:
            need(device, DeviceKind.COUNTER)
            try:
                day0, day1 = date.fromisoformat(first), date.fromisoformat(last)
            except ValueError as exc:
                raise HTTPException(422, {"error": "invalid",
                                          "message": "日期应写成 YYYY-MM-DD"}) from exc

            def read(core: Core) -> dict[str, Any]:
                from hallclient.reports.records import cases_to_json, records_to_json
                from hallclient.store import report_repo

                loaded = report_repo.load_queue(core.db.conn, day0, day1)
                cases = cases_to_json(*report_repo.pushed_cases(core.db.conn, day0, day1))
                verdict = log_repo.verify_period(core.db.conn, day0.isoformat(),
                                                 (day1 + timedelta(days=1)).isoformat())
                return {**records_to_json(**loaded), **cases,
                        "log": {"intact": verdict.intact, "entries": verdict.entries,
                                "broken_seq": verdict.broken_seq, "reason": verdict.reason}}

            answer: dict[str, Any] = await self.read(read)
            return answer

        @app.post(API + "/logs", summary="窗口推送本机操作日志（校验哈希链）")
        async def push_log(body: LogPushIn, device: Device = device_dep) -> dict[str, Any]:
            need(device, DeviceKind.COUNTER)
            received = self.clock().isoformat(timespec="milliseconds")
            try:
                upto = await self.run(lambda c: c.store_pushed_log(body.entries, received), False)
            except HTTPException as exc:
                raise HTTPException(422, exc.detail) from exc
            return {"stored_upto": upto}

        @app.get(API + "/events", summary="事件流（server-sent events）",
                 response_description="text/event-stream：queue 事件（id 为日志序号）、"
                                      "state 全量状态")
        async def events(request: Request, device: Device = device_dep,
                         last_event_id: str | None = Header(default=None),
                         window: int | None = None) -> StreamingResponse:
            """Every event; with ``?window=N`` (a counter) only the events about window N,
            and the others' effect on the waiting counts as ``waiting`` events at most
            twice a second."""
            sub = self.broker.subscribe(window)
            try:
                since = int(last_event_id) if last_event_id else None
            except ValueError:
                since = None
            replay = (await self.read(lambda c: c.replay(since))
                      if since is not None else None)
            state = (await self.read(lambda c: c.queue.hall_state())
                     if replay is None else None)
            return StreamingResponse(self._stream(sub, replay, state),
                                     media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache",
                                              "X-Accel-Buffering": "no"})

        @app.exception_handler(RequestValidationError)
        async def invalid(request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse(status_code=422, content={"detail": {
                "error": "invalid", "message": "请求内容不完整或格式不对",
                "fields": [".".join(str(p) for p in e.get("loc", ())) for e in
                           getattr(exc, "errors", list)()]}})

        return app

    async def _stream(self, sub: Subscriber, replay: list[Event] | None,
                      state: dict[str, Any] | None) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        window = sub.window
        counts_due = 0.0
        quiet_since = loop.time()
        try:
            last = 0
            if state is not None:
                last = int(state["seq"])
                yield sse("state", state, last)
            items: list[Any] = [replay] if replay else []
            while True:
                chunk: list[str] = []
                for events in items:
                    if events is Broker.CLOSE or events is Broker.OVERFLOW:
                        if chunk:
                            yield "".join(chunk)
                        return
                    for event in events:
                        if event.seq <= last:
                            continue
                        last = event.seq
                        if window is None or event.concerns(window):
                            chunk.append(event.text)
                        elif sub.counts is None or sub.counts.seq < event.seq:
                            sub.counts = event         # (replayed news for other windows)
                counts = sub.counts
                if counts is not None and counts.seq <= last:
                    sub.counts = counts = None         # what was sent is newer
                if counts is not None and loop.time() >= counts_due:
                    chunk.append(sse("waiting", {"seq": counts.seq, "waiting": counts.waiting},
                                     counts.seq))
                    last, sub.counts = counts.seq, None
                    counts_due = loop.time() + WAITING_EVERY_S
                if chunk:
                    quiet_since = loop.time()
                    yield "".join(chunk)    # one write for a burst
                # a counter's stream looks for count news every WAITING_EVERY_S
                wait = KEEPALIVE_S if window is None else WAITING_EVERY_S
                try:
                    item = await asyncio.wait_for(sub.queue.get(), wait)
                except TimeoutError:
                    if sub.counts is None and loop.time() - quiet_since >= KEEPALIVE_S:
                        quiet_since = loop.time()
                        yield ": keep-alive\n\n"
                    items = []
                    continue
                items = [item]
                while not sub.queue.empty() and len(items) < 64:
                    items.append(sub.queue.get_nowait())
        finally:
            self.broker.unsubscribe(sub)


def _dispatch(q: LocalQueue, window: int, action: WindowAction, body: ActionIn) -> Any:
    clerk = body.clerk

    def ticket_id() -> int:
        if body.ticket_id is None:
            raise QueueError("缺少排队号")
        return body.ticket_id

    if action is WindowAction.SIGN_IN:
        q.sign_in(window, clerk)
        return None
    if action is WindowAction.SIGN_OUT:
        q.sign_out(window, clerk)
        return None
    if action is WindowAction.PAUSE:
        q.pause(window, clerk, body.reason)
        return None
    if action is WindowAction.RESUME:
        q.resume(window, clerk)
        return None
    if action is WindowAction.CALL_NEXT:
        called = q.call_next(window, clerk)
        return ticket_to_dict(called) if called else None
    if action is WindowAction.CALL:
        return ticket_to_dict(q.call_specific(window, clerk, body.number or ""))
    if action is WindowAction.REACTIVATE:
        return ticket_to_dict(q.reactivate(window, clerk, body.number or ""))
    if action is WindowAction.RECALL:
        recalled = q.recall(window, clerk, ticket_id())
        return {"ticket": ticket_to_dict(recalled.ticket),
                "became_no_show": recalled.became_no_show}
    if action is WindowAction.TRANSFER:
        return ticket_to_dict(q.transfer(window, clerk, ticket_id(), to_service=body.to_service,
                                         to_window=body.to_window, raised=body.raised))
    simple = {WindowAction.NO_SHOW: q.no_show, WindowAction.START: q.start,
              WindowAction.FINISH: q.finish, WindowAction.HOLD: q.hold,
              WindowAction.RETURN: q.return_held}
    return ticket_to_dict(simple[action](window, clerk, ticket_id()))


class RunningHallServer:
    """The hall server served by uvicorn in a background thread (tests, demo)."""

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", port: int = 0,
                 clock: Clock = local_now) -> None:
        from . import serve_in_thread

        self.hall = HallServer(data_dir, clock)
        self.server, self.thread, self.port = serve_in_thread(
            self.hall.asgi, "hall-server", host, port, timeout_graceful_shutdown=2)
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
