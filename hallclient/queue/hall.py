"""HallQueue: the hall server's shared queue (大厅服务器), behind the same interface as
LocalQueue, plus the event stream the server pushes (server-sent events).

When the hall server cannot be reached the counter keeps serving in manual mode (手工接待):
the clerk receives the applicant by the number on their ticket (or with none), start and
finish are written to this PC's database first, and those services are sent to the server
— once each — as soon as it answers again, before any new call. The server then marks
those tickets finished, so no other window calls them again.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from typing import Any

import requests

from hallclient.core.clock import Clock
from hallclient.core.hall import IssuedTicket, RecallResult, Service, WindowInfo, WindowSnapshot
from hallclient.core.tickets import PriorityClass, QueueError, Ticket, TicketAction, TicketState
from hallclient.store import log_repo, meta
from hallclient.store.db import Database

log = logging.getLogger(__name__)

API = "/api/v1"
CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 8.0
RETRY_AFTER_FAILURE_S = 3.0     # after a failed request, stay in manual mode this long
LOG_PUSH_INTERVAL_S = 10.0
LOG_PUSH_BATCH = 500
WALK_IN = "无号"

# actions at other windows that still change a window's view (its no-show list)
EVERY_WINDOW_ACTIONS = frozenset({TicketAction.NO_SHOW, TicketAction.REACTIVATE,
                                  TicketAction.MANUAL_FINISH, TicketAction.MANUAL_CONFLICT})


class HallUnavailableError(QueueError):
    """The hall server did not answer (network down, server stopped or failing)."""


class HallAuthError(QueueError):
    """The hall server refused this device (token wrong, revoked, or not allowed)."""


# -- the wire format, shared with the server ----------------------------------------------

def ticket_to_dict(ticket: Ticket) -> dict[str, Any]:
    data = asdict(ticket)
    data["priority"] = int(ticket.priority)
    data["state"] = ticket.state.value
    return data


def ticket_from_dict(data: dict[str, Any]) -> Ticket:
    return Ticket(**{**data, "priority": PriorityClass(int(data["priority"])),
                     "state": TicketState(data["state"])})


def waiting_from_json(data: dict[str, Any]) -> dict[str, dict[int, int]]:
    return {str(s): {int(p): int(n) for p, n in by.items()} for s, by in data.items()}


def snapshot_to_dict(snap: WindowSnapshot) -> dict[str, Any]:
    return {
        "window": snap.window, "state": snap.state, "clerk": snap.clerk,
        "current": ticket_to_dict(snap.current) if snap.current else None,
        "held": [ticket_to_dict(t) for t in snap.held],
        "no_shows": [ticket_to_dict(t) for t in snap.no_shows],
        "waiting": {s: {str(p): n for p, n in by.items()} for s, by in snap.waiting.items()},
    }


def snapshot_from_dict(data: dict[str, Any]) -> WindowSnapshot:
    return WindowSnapshot(
        window=int(data["window"]), state=str(data["state"]), clerk=data.get("clerk"),
        current=ticket_from_dict(data["current"]) if data.get("current") else None,
        held=tuple(ticket_from_dict(t) for t in data.get("held", [])),
        no_shows=tuple(ticket_from_dict(t) for t in data.get("no_shows", [])),
        waiting=waiting_from_json(data.get("waiting", {})),
        link="online",
    )


# -- HTTP ---------------------------------------------------------------------------------

class HallHttp:
    """requests against the hall server, one Session per thread, timeouts always."""

    def __init__(self, url: str, token: str, verify: bool | str = True) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.verify = verify
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self.token}"
            self._local.session = session
        return session

    def request(self, method: str, path: str, body: Any = None,
                timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)) -> Any:
        try:
            response = self.session.request(method, self.url + API + path, json=body,
                                            timeout=timeout, verify=self.verify)
        except requests.RequestException as exc:
            raise HallUnavailableError(f"大厅服务器连接中断（{type(exc).__name__}）") from exc
        if response.status_code in (401, 403):
            raise HallAuthError(_message(response, "大厅服务器拒绝本机：请信息管理员检查设备令牌"))
        if response.status_code in (409, 422, 404):
            raise QueueError(_message(response, "大厅服务器拒绝了该操作"))
        if response.status_code >= 400:
            raise HallUnavailableError(f"大厅服务器出错（HTTP {response.status_code}）")
        try:
            return response.json()
        except ValueError as exc:
            raise HallUnavailableError("大厅服务器的回答不完整") from exc

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()


def _message(response: requests.Response, default: str) -> str:
    try:
        body = response.json()
    except ValueError:
        return default
    if isinstance(body, dict):
        detail = body.get("detail", body)
        if isinstance(detail, dict) and detail.get("message"):
            return str(detail["message"])
    return default


# -- the queue backend ----------------------------------------------------------------------

class HallQueue:
    """QueueBackend over HTTP. Thread-affine like LocalQueue: one worker thread calls it;
    ``db`` is this counter's own database (manual mode, cached hall layout, log push)."""

    source_label = "大厅服务器"

    def __init__(self, db: Database, url: str, token: str, clock: Clock,
                 verify: bool | str = True, listen: bool = True,
                 retry_after_failure_s: float = RETRY_AFTER_FAILURE_S) -> None:
        self.db = db
        self.http = HallHttp(url, token, verify)
        self.clock = clock
        self.retry_after_failure_s = retry_after_failure_s
        self._down_until = 0.0
        self._online: bool | None = None
        self._seen: tuple[int, bool | None] = (-1, None)
        self._last_push = 0.0
        self._fresh: WindowSnapshot | None = None          # the view an action answered
        self._fresh_seq = 0
        self._last_seq = 0
        self._inbox: deque[dict[str, Any]] = deque()      # events not looked at yet
        self._last: WindowSnapshot | None = None           # the last snapshot from the server
        self.fetches = 0                                   # snapshots read over HTTP
        self.events = (EventStream(url, token, verify, on_event=self._inbox.append)
                       if listen else None)
        if self.events is not None:
            self.events.start()

    # -- plumbing ----------------------------------------------------------------------

    def _now(self) -> str:
        return self.clock().isoformat(timespec="milliseconds")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        if time.monotonic() < self._down_until and not self._stream_says_up():
            raise HallUnavailableError("大厅服务器连接中断")
        try:
            result = self.http.request(method, path, body)
        except HallUnavailableError:
            self._down_until = time.monotonic() + self.retry_after_failure_s
            self._online = False
            raise
        self._online = True
        self._down_until = 0.0
        return result

    def _stream_says_up(self) -> bool:
        """The event stream reconnected since the last failure: try again at once."""
        return bool(self.events is not None and self.events.connected
                    and self.events.connected_since > self._down_until - self.retry_after_failure_s)

    def _act(self, window: int, action: str, clerk: str, **body: Any) -> Any:
        self._flush_manual()
        answer = self._call("POST", f"/windows/{window}/{action}", {"clerk": clerk, **body})
        if answer.get("snapshot") is not None:
            self._fresh = snapshot_from_dict(answer["snapshot"])
            self._fresh_seq = int(answer.get("seq", 0))
        return answer.get("result")

    @property
    def online(self) -> bool:
        return bool(self._online)

    # -- configuration -------------------------------------------------------------------

    def services(self) -> list[Service]:
        return [Service(**s) for s in self._layout()["services"]]

    def windows(self) -> list[WindowInfo]:
        return [WindowInfo(w["number"], w["name"], w["state"], w.get("clerk"),
                           tuple(w["services"])) for w in self._layout()["windows"]]

    def _layout(self) -> dict[str, Any]:
        """Services and windows from the server, kept in this PC's database so that a
        counter started while the server is down can still sign in and serve by hand."""
        try:
            layout: dict[str, Any] = self._call("GET", "/hall")
        except HallUnavailableError:
            text = meta.get(self.db.conn, "hall_layout")
            if text is None:
                raise
            cached: dict[str, Any] = json.loads(text)
            return cached
        with self.db.write() as conn:
            meta.put(conn, "hall_layout", json.dumps(layout, ensure_ascii=False))
        return layout

    # -- kiosk ---------------------------------------------------------------------------

    def issue(self, service: str, priority: PriorityClass = PriorityClass.NORMAL,
              device: str = "") -> IssuedTicket:
        answer = self._call("POST", "/tickets", {"service": service, "priority": int(priority),
                                                 "device": device})
        return IssuedTicket(ticket_from_dict(answer["ticket"]), answer["service_name"],
                            int(answer["ahead"]))

    # -- window --------------------------------------------------------------------------

    def sign_in(self, window: int, clerk: str) -> WindowSnapshot:
        if self.events is not None:
            self.events.follow(window)
        try:
            self._act(window, "sign-in", clerk)
        except HallUnavailableError:
            self.record(TicketAction.SIGN_IN_OFFLINE, window, clerk)
            return self._manual_snapshot(window, clerk)
        return self.snapshot(window)

    def sign_out(self, window: int, clerk: str) -> None:
        try:
            self._act(window, "sign-out", clerk)
        except HallUnavailableError:
            self.record(TicketAction.SIGN_OUT_OFFLINE, window, clerk)

    def record(self, action: str, window: int | None, clerk: str | None,
               detail: dict[str, object] | None = None) -> None:
        """Non-queue actions go to this counter's own log (pushed to the server later)."""
        with self.db.write() as conn:
            log_repo.append(conn, at=self._now(), action=action, window=window, clerk=clerk,
                            detail=dict(detail) if detail else None)

    def pause(self, window: int, clerk: str, reason: str = "") -> None:
        self._act(window, "pause", clerk, reason=reason)

    def resume(self, window: int, clerk: str) -> None:
        self._act(window, "resume", clerk)

    # -- calling -------------------------------------------------------------------------

    def call_next(self, window: int, clerk: str) -> Ticket | None:
        if self._open_manual(window) is not None:
            raise QueueError("手工接待中：请先办结当前来访")
        try:
            result = self._act(window, "call-next", clerk)
        except HallUnavailableError as exc:
            raise HallUnavailableError(
                "大厅服务器连接中断，已转为手工接待：请输入申请人手中的号码后按「指定呼叫」，"
                "无号来访不填号码直接按「指定呼叫」") from exc
        return ticket_from_dict(result) if result else None

    def call_specific(self, window: int, clerk: str, number: str) -> Ticket:
        """Online: call that number. Hall server out of reach: receive the applicant with
        that number by hand, or a walk-in with no number (empty)."""
        if self._open_manual(window) is not None:
            raise QueueError("手工接待中：请先办结当前来访")
        try:
            if number.strip():
                return ticket_from_dict(self._act(window, "call", clerk, number=number))
            self._call("GET", "/health")
        except HallUnavailableError:
            return self._start_manual(window, clerk, number.strip().upper())
        raise QueueError("请输入要呼叫的号码")

    def recall(self, window: int, clerk: str, ticket_id: int) -> RecallResult:
        self._refuse_manual(ticket_id, "重呼")
        result = self._act(window, "recall", clerk, ticket_id=ticket_id)
        return RecallResult(ticket_from_dict(result["ticket"]), bool(result["became_no_show"]))

    def no_show(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        self._refuse_manual(ticket_id, "过号")
        return ticket_from_dict(self._act(window, "no-show", clerk, ticket_id=ticket_id))

    def reactivate(self, window: int, clerk: str, number: str) -> Ticket:
        return ticket_from_dict(self._act(window, "reactivate", clerk, number=number))

    def start(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        if ticket_id < 0:
            return self._manual_ticket(self._manual_row(-ticket_id))
        return ticket_from_dict(self._act(window, "start", clerk, ticket_id=ticket_id))

    def finish(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        if ticket_id < 0:
            return self._finish_manual(-ticket_id)
        return ticket_from_dict(self._act(window, "finish", clerk, ticket_id=ticket_id))

    def hold(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        self._refuse_manual(ticket_id, "挂起")
        return ticket_from_dict(self._act(window, "hold", clerk, ticket_id=ticket_id))

    def return_held(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        return ticket_from_dict(self._act(window, "return", clerk, ticket_id=ticket_id))

    def transfer(self, window: int, clerk: str, ticket_id: int, *, to_service: str | None = None,
                 to_window: int | None = None, raised: bool = False) -> Ticket:
        self._refuse_manual(ticket_id, "转移")
        return ticket_from_dict(self._act(window, "transfer", clerk, ticket_id=ticket_id,
                                          to_service=to_service, to_window=to_window,
                                          raised=raised))

    # -- reading -------------------------------------------------------------------------

    def snapshot(self, window: int) -> WindowSnapshot:
        """The window's view. Read from the server only when needed: an action's answer
        carries the view after it, and events about other windows only change the waiting
        counts, which the events carry too — so a hall of 100 counters does not ask the
        server for 100 snapshots on every call."""
        fresh, self._fresh = self._fresh, None
        if fresh is not None and fresh.window == window:
            self._last, self._last_seq = fresh, self._fresh_seq
        events = list(self._inbox)
        self._inbox.clear()
        open_row = self._open_manual(window)
        if open_row is not None:
            return self._manual_snapshot(window, open_row["clerk"])
        last = self._last
        must_read, waiting = self._judge(events, window, self._last_seq)
        stream_up = self.events is not None and self.events.connected
        if (last is not None and last.window == window and not must_read
                and (stream_up or (self.events is None and last is fresh)) and self._online_now()
                and self.pending_manual() == 0):
            if waiting is not None:
                last = self._last = replace(last, waiting=waiting)
            return last
        try:
            self._flush_manual()
            answer = self._call("GET", f"/windows/{window}")
        except HallUnavailableError:
            self._last = None
            return self._manual_snapshot(window, None)
        self.fetches += 1
        self._last, self._last_seq = snapshot_from_dict(answer), int(answer.get("seq", 0))
        return replace(self._last, pending=self.pending_manual())

    @staticmethod
    def _judge(events: list[dict[str, Any]], window: int,
               since: int) -> tuple[bool, dict[str, dict[int, int]] | None]:
        """Of the events newer than the view (``since``): does any concern this window (then
        the view is read again), and the latest waiting counts they carried."""
        must_read, waiting = False, None
        for event in events:
            data = event["data"]
            if event["event"] not in ("queue", "waiting"):
                must_read = True            # (re)connected: the whole state came
                continue
            if int(data.get("seq", 0)) <= since:
                continue                    # already in the view
            if "waiting" in data:
                waiting = waiting_from_json(data["waiting"])
            if event["event"] == "waiting":
                continue                    # other windows' news, as counts
            if (data.get("window") == window or data.get("to_window") == window
                    or data.get("action") in EVERY_WINDOW_ACTIONS):
                must_read = True
        return must_read, waiting

    def report_records(self, first: str, last: str) -> dict[str, Any]:
        """The whole hall's queue records of a period, for the supervisor's report."""
        answer: dict[str, Any] = self._call("GET", f"/records?first={first}&last={last}")
        return answer

    def waiting_counts(self) -> dict[str, dict[int, int]]:
        return waiting_from_json(self._call("GET", "/state")["waiting"])

    def status(self) -> dict[str, Any]:
        """For ``admin status``: the link, manual services not yet sent, log push position."""
        pushed = meta.get(self.db.conn, "hall_log_pushed")
        try:
            self._call("GET", "/health")
        except QueueError:
            pass
        return {"url": self.http.url, "online": self.online,
                "manual_pending": self.pending_manual(),
                "log_pushed_upto": int(pushed or 0)}

    def changed(self) -> bool:
        """True when the event stream brought something, or the link went up or down.
        Called every moment or so on the worker thread: also sends this counter's new log
        entries to the server every ``LOG_PUSH_INTERVAL_S``."""
        self._push_log_if_due()
        stream = self.events
        seen = (stream.version, stream.connected) if stream is not None else (0, None)
        changed = seen != self._seen
        self._seen = seen
        if stream is not None and not stream.connected and self._online:
            changed = True          # the stream dropped: show manual mode at once
        return changed

    def close(self) -> None:
        if self.events is not None:
            self.events.stop()
        self.http.close()

    # -- manual mode ---------------------------------------------------------------------

    def _rows(self, where: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        cursor = self.db.conn.execute(f"SELECT * FROM manual_services WHERE {where}", params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def _open_manual(self, window: int) -> dict[str, Any] | None:
        rows = self._rows("window = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
                          (window,))
        return rows[0] if rows else None

    def _manual_row(self, row_id: int) -> dict[str, Any]:
        rows = self._rows("id = ?", (row_id,))
        row = rows[0] if rows else None
        if row is None:
            raise QueueError("找不到该手工接待记录")
        return row

    def _refuse_manual(self, ticket_id: int, what: str) -> None:
        if ticket_id < 0:
            raise QueueError(f"手工接待中不能{what}，请办结后再继续")

    def pending_manual(self) -> int:
        row = self.db.conn.execute(
            "SELECT count(*) FROM manual_services WHERE finished_at IS NOT NULL"
            " AND sent_at IS NULL").fetchone()
        return int(row[0])

    def _start_manual(self, window: int, clerk: str, number: str) -> Ticket:
        if self._open_manual(window) is not None:
            raise QueueError("手工接待中：请先办结当前来访")
        at = self._now()
        with self.db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO manual_services (uid, window, clerk, ticket, started_at)"
                " VALUES (?, ?, ?, ?, ?)", (str(uuid.uuid4()), window, clerk, number or None, at))
            log_repo.append(conn, at=at, action=TicketAction.MANUAL_START, window=window, clerk=clerk,
                            ticket=number or None)
        return self._manual_ticket(self._manual_row(int(cursor.lastrowid or 0)))

    def _finish_manual(self, row_id: int) -> Ticket:
        row = self._manual_row(row_id)
        if row["finished_at"] is None:
            at = self._now()
            with self.db.write() as conn:
                conn.execute("UPDATE manual_services SET finished_at = ? WHERE id = ?",
                             (at, row_id))
                log_repo.append(conn, at=at, action=TicketAction.MANUAL_FINISH, window=row["window"],
                                clerk=row["clerk"], ticket=row["ticket"])
            row = self._manual_row(row_id)
        try:
            self._flush_manual()
        except HallUnavailableError:
            pass
        return self._manual_ticket(row)

    def _manual_ticket(self, row: dict[str, Any]) -> Ticket:
        return Ticket(
            id=-int(row["id"]), day=row["started_at"][:10], number=row["ticket"] or WALK_IN,
            service="", priority=PriorityClass.NORMAL,
            state=TicketState.FINISHED if row["finished_at"] else TicketState.SERVING,
            issued_at=row["started_at"], window=row["window"], called_at=row["started_at"],
            started_at=row["started_at"], finished_at=row["finished_at"],
        )

    def _manual_snapshot(self, window: int, clerk: str | None) -> WindowSnapshot:
        row = self._open_manual(window)
        return WindowSnapshot(window=window, state="manual", clerk=clerk,
                              current=self._manual_ticket(row) if row else None,
                              link="offline" if not self._online_now() else "online",
                              pending=self.pending_manual())

    def _online_now(self) -> bool:
        return bool(self._online) and time.monotonic() >= self._down_until

    def _flush_manual(self) -> None:
        """Send finished manual services, oldest first, before anything else."""
        rows = self._rows("finished_at IS NOT NULL AND sent_at IS NULL ORDER BY id")
        for row in rows:
            answer = self._call("POST", f"/windows/{row['window']}/manual", {
                "uid": row["uid"], "clerk": row["clerk"], "number": row["ticket"],
                "started_at": row["started_at"], "finished_at": row["finished_at"]})
            with self.db.write() as conn:
                conn.execute("UPDATE manual_services SET sent_at = ?, result = ? WHERE id = ?",
                             (self._now(), json.dumps(answer, ensure_ascii=False), row["id"]))
                log_repo.append(conn, at=self._now(), action=TicketAction.MANUAL_SENT,
                                window=row["window"], clerk=row["clerk"], ticket=row["ticket"],
                                detail={"result": answer.get("result")})
            if answer.get("result") == "conflict":
                log.warning("manual service clashed on the hall server: %s",
                            answer.get("message"))

    def manual_results(self) -> list[dict[str, Any]]:
        """What the server said about each manual service sent (for the clerk's notice)."""
        return [json.loads(r["result"]) | {"ticket": r["ticket"]}
                for r in self._rows("result IS NOT NULL ORDER BY id")]

    # -- pushing this counter's log to the hall server -------------------------------------

    def _push_log_if_due(self) -> None:
        if (time.monotonic() - self._last_push < LOG_PUSH_INTERVAL_S
                or time.monotonic() < self._down_until):
            return
        self._last_push = time.monotonic()
        try:
            self.push_log()
        except QueueError as exc:
            log.warning("event log push failed: %s", exc.message)

    def push_log(self) -> int:
        """Send this counter's log entries the server has not got; returns how many."""
        pushed = meta.get(self.db.conn, "hall_log_pushed")
        upto = int(pushed or 0)
        sent = 0
        while True:
            batch = log_repo.entries(self.db.conn, upto, LOG_PUSH_BATCH)
            if not batch:
                return sent
            answer = self._call("POST", "/logs", {"entries": batch})
            upto = int(answer["stored_upto"])
            sent += len(batch)
            with self.db.write() as conn:
                meta.put(conn, "hall_log_pushed", str(upto))


# -- the event stream (server-sent events) ---------------------------------------------------

class EventStream:
    """Follows ``GET /events`` on a daemon thread and reconnects by itself (with
    ``Last-Event-ID``, so nothing in between is missed). ``on_event`` gets each event
    dict; ``on_link`` gets True/False when the connection comes up or drops. Callbacks
    run on the stream's thread."""

    def __init__(self, url: str, token: str, verify: bool | str = True,
                 on_event: Callable[[dict[str, Any]], None] | None = None,
                 on_link: Callable[[bool], None] | None = None,
                 max_backoff_s: float = 5.0) -> None:
        self.url = url.rstrip("/") + API + "/events"
        self.token = token
        self.verify = verify
        self.on_event = on_event
        self.on_link = on_link
        self.max_backoff_s = max_backoff_s
        self.last_id = 0
        self.window: int | None = None
        self.connected_window: int | None = None     # the filter of the live connection
        self.version = 0
        self.connected = False
        self.connected_since = 0.0
        self.problem = ""            # why it cannot connect, when the server said why
        self._stop = threading.Event()
        self._delay = 0.2
        self._response: requests.Response | None = None
        self._thread = threading.Thread(target=self._run, name="hall-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._kick()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def follow(self, window: int | None) -> None:
        """Only the events about ``window`` (a counter), the rest as waiting counts; None
        for every event (a panel). Reconnects at once, missing nothing."""
        if window != self.window:
            self.window = window
            self._kick()

    def _kick(self) -> None:
        """Wake the blocked read at once: shut the socket down under it."""
        response = self._response
        if response is not None:
            sock = getattr(getattr(response.raw, "connection", None), "sock", None)
            try:
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
                response.close()
            except Exception:         # closing a socket mid-read may raise anything
                pass

    def _set_link(self, up: bool) -> None:
        if up != self.connected:
            self.connected = up
            if up:
                self.connected_since = time.monotonic()
            self.version += 1
            if self.on_link is not None:
                self.on_link(up)

    def _run(self) -> None:
        self._delay = 0.2
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {self.token}"
            while not self._stop.is_set():
                window = self.window
                try:
                    self._follow_once(session, window)
                except (requests.RequestException, HallUnavailableError, AttributeError,
                        ValueError) as exc:
                    if not self._stop.is_set() and self.window == window:
                        log.info("hall event stream interrupted: %s", type(exc).__name__)
                finally:
                    self._response = None
                if self.window != window and not self._stop.is_set():
                    continue            # follow(): reconnect at once, the link stays up
                self._set_link(False)
                if self._stop.wait(self._delay):
                    return
                self._delay = min(self._delay * 2, self.max_backoff_s)
            self._set_link(False)

    def _follow_once(self, session: requests.Session, window: int | None) -> None:
        headers = {"Accept": "text/event-stream"}
        if self.last_id:
            headers["Last-Event-ID"] = str(self.last_id)
        params = {"window": window} if window is not None else None
        with session.get(self.url, headers=headers, params=params, stream=True,
                         verify=self.verify, timeout=(CONNECT_TIMEOUT_S, 30.0)) as response:
            self._response = response
            if self.window != window:
                return                  # follow() came while connecting
            if response.status_code in (401, 403) and not self.problem:
                self.problem = "大厅服务器不认本机的令牌：请信息管理员重新登记（admin join-hall）"
                self.version += 1
                if self.on_link is not None:
                    self.on_link(False)
            if response.status_code != 200:
                raise HallUnavailableError(f"HTTP {response.status_code}")
            self.problem = ""
            self.connected_window = window
            self._set_link(True)
            self._delay = 0.2
            for event in parse_sse(_lines(response)):
                self._deliver(event)
                if self.window != window:
                    return              # follow() while reading: go again

    def _deliver(self, event: dict[str, Any]) -> None:
        if event.get("id"):
            self.last_id = max(self.last_id, int(event["id"]))
        self.version += 1
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                log.exception("hall event handler failed")


def _lines(response: requests.Response) -> Iterator[str]:
    """Lines as they arrive: chunk_size=None hands over each chunk as soon as it is read
    (iter_lines would wait for a full buffer and hold small events back)."""
    pending = b""
    for chunk in response.iter_content(chunk_size=None):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line.rstrip(b"\r").decode("utf-8")


def parse_sse(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Events from an SSE line stream: {"id", "event", "data" (parsed JSON)}."""
    fields: dict[str, str] = {}
    data: list[str] = []
    for line in lines:
        if line is None:
            continue
        if line == "":
            if data:
                yield {"id": fields.get("id"), "event": fields.get("event", "message"),
                       "data": json.loads("\n".join(data))}
            fields, data = {}, []
            continue
        if line.startswith(":"):
            continue                    # a keep-alive comment
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name in ("id", "event"):
            fields[name] = value
