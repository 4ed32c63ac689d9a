"""The link to the hall server (大厅服务器): HTTP requests with timeouts always, and the
event stream it pushes (server-sent events), each with typed errors.

Nothing here knows the queue: ``HallQueue`` (queue/hall.py) and the panel's event service
use it. It imports no pydantic; a caller that wants a typed answer passes the parser.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import requests

from hallclient.core.network_words import network_problem
from hallclient.core.tickets import QueueError
from hallclient.wire import HALL_API

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 8.0

Answer = TypeVar("Answer")
Monotonic = Callable[[], float]


class HallUnavailableError(QueueError):
    """The hall server did not answer (network down, server stopped or failing)."""


class HallRefusedError(HallUnavailableError):
    """The hall server answers, but not to this device: its token was revoked or replaced
    (401). For the counter that is like the server being away (it serves by hand), with a
    different reason for the clerk and the IT admin."""


class HallAuthError(QueueError):
    """The hall server refused this device (token wrong, revoked, or not allowed)."""


class HallForbiddenError(HallAuthError):
    """The device is known, but may not do this (another window's, say): 403."""


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
            self._local.session = session
        return session

    def request(self, method: str, path: str, answer: Callable[[bytes], Answer],
                body: Any = None,
                timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)) -> Answer:
        """Send ``body`` (JSON) and parse the answer with ``answer`` (a wire model's
        ``model_validate_json``): an answer that does not parse, or was cut short, is the
        server's fault and counts as no answer."""
        try:
            response = self.session.request(method, self.url + HALL_API + path, json=body,
                                            timeout=timeout, verify=self.verify,
                                            headers={"Authorization": f"Bearer {self.token}"})
        except requests.RequestException as exc:
            raise HallUnavailableError(f"大厅服务器连接中断（{network_problem(exc)}）") from exc
        if response.status_code == 403:
            raise HallForbiddenError(_message(response, "大厅服务器不允许本机这样做"))
        if response.status_code == 401:
            raise HallRefusedError(_message(response, "大厅服务器拒绝本机：请信息管理员检查设备令牌"))
        if response.status_code in (409, 422, 404):
            raise QueueError(_message(response, "大厅服务器拒绝了该操作"))
        if response.status_code >= 400:
            raise HallUnavailableError(f"大厅服务器出错（HTTP {response.status_code}）")
        try:
            return answer(response.content)
        except ValueError as exc:       # (pydantic's ValidationError is a ValueError too)
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


# -- the event stream (server-sent events) ---------------------------------------------------

class EventStream:
    """Follows ``GET /events`` on a daemon thread and reconnects by itself (with
    ``Last-Event-ID``, so nothing in between is missed). ``on_event`` gets each event
    dict; ``on_link`` gets True/False when the connection comes up or drops. Callbacks
    run on the stream's thread."""

    def __init__(self, url: str, token: str, verify: bool | str = True,
                 on_event: Callable[[dict[str, Any]], None] | None = None,
                 on_link: Callable[[bool], None] | None = None,
                 max_backoff_s: float = 5.0, monotonic: Monotonic = time.monotonic) -> None:
        self.url = url.rstrip("/") + HALL_API + "/events"
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
        self.monotonic = monotonic   # the clock ``connected_since`` is read on
        self._stop = threading.Event()
        self._wake = threading.Event()          # ends a pause between tries early
        self._delay = 0.2
        self._response: requests.Response | None = None
        self._thread = threading.Thread(target=self._run, name="hall-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._kick()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def set_token(self, token: str) -> None:
        """A new token for this device (``admin join-hall`` again): try it at once."""
        if token != self.token:
            self.token = token
            self._delay = 0.2
            self._wake.set()
            self._kick()

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
                self.connected_since = self.monotonic()
            self.version += 1
            if self.on_link is not None:
                self.on_link(up)

    def _run(self) -> None:
        self._delay = 0.2
        with requests.Session() as session:
            while not self._stop.is_set():
                window = self.window
                try:
                    self._follow_once(session, window)
                except (requests.RequestException, HallUnavailableError, AttributeError,
                        ValueError) as exc:
                    if (not self._stop.is_set() and self.window == window
                            and not isinstance(exc, HallRefusedError)):   # said once above
                        log.info("hall event stream interrupted: %s", type(exc).__name__)
                finally:
                    self._response = None
                if self.window != window and not self._stop.is_set():
                    continue            # follow(): reconnect at once, the link stays up
                self._set_link(False)
                self._wake.wait(self._delay)
                self._wake.clear()
                if self._stop.is_set():
                    return
                self._delay = min(self._delay * 2, self.max_backoff_s)
            self._set_link(False)

    def _follow_once(self, session: requests.Session, window: int | None) -> None:
        token = self.token
        headers = {"Accept": "text/event-stream", "Authorization": f"Bearer {token}"}
        if self.last_id:
            headers["Last-Event-ID"] = str(self.last_id)
        params = {"window": window} if window is not None else None
        with session.get(self.url, headers=headers, params=params, stream=True,
                         verify=self.verify, timeout=(CONNECT_TIMEOUT_S, 30.0)) as response:
            self._response = response
            if self.window != window:
                return                  # follow() came while connecting
            if response.status_code in (401, 403):
                problem = ("大厅服务器不认本机的令牌：请信息管理员重新发令牌后运行 admin join-hall"
                           if response.status_code == 401 else
                           f"大厅服务器不让本机跟随 {window} 号窗口（本机登记的是别的窗口）")
                if problem != self.problem:
                    log.warning("hall event stream refused (HTTP %s): %s", response.status_code,
                                "this device's token is not accepted" if response.status_code == 401
                                else f"window {window} is not this device's")
                    self.problem = problem
                    self.version += 1
                    if self.on_link is not None:
                        self.on_link(False)
                raise HallRefusedError(f"HTTP {response.status_code}")
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

