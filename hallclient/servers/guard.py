"""Connections that cannot starve a server: a client must send a request's header within a
few seconds of connecting (or of its previous answer), must keep a body coming, and one
address cannot hold more than its share of the connections still waiting for a header.

uvicorn times out only idle keep-alive connections: a client that sends half a header and
then one byte now and then keeps its connection, and a thousand of them use up the server's
open files (slowloris). The guard is uvicorn's own HTTP/1.1 protocol with a sweep, once a
second, over the connections it watches.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("hallclient.servers.guard")

HEADER_TIMEOUT_S = 10.0     # a whole request header, from connecting or from the last answer
BODY_IDLE_S = 30.0          # between two pieces of a body that is still coming
PER_ADDRESS = 256           # connections from one address still waiting for a header
SWEEP_S = 1.0


@dataclass(frozen=True)
class Limits:
    header_timeout_s: float = HEADER_TIMEOUT_S
    body_idle_s: float = BODY_IDLE_S
    per_address: int = PER_ADDRESS
    waiting_total: int = 0          # 0: half the open files this process may have


def open_files_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit (as far as 65,536):
    each connection is one file, and the default 1,024 is a small hall's worth. Windows has
    no such limit on sockets (and no ``resource`` module): 16,384 is counted there."""
    if sys.platform == "win32":
        return 16_384
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65_536 if hard == resource.RLIM_INFINITY else min(hard, 65_536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return 65_536 if soft == resource.RLIM_INFINITY else soft


SLOW = b"\x00slow"        # what read_body answers for a body that came too slowly


async def read_body(receive: Any, limit: int, min_rate: float = 0.0,
                    grace_s: float = 10.0) -> bytes | None:
    """An ASGI request's whole body; None once it passes ``limit`` (whatever its headers
    said: nothing beyond the limit is kept); with ``min_rate`` (bytes/s), ``SLOW`` when it
    falls behind that on average after its first ``grace_s`` (a byte now and then holds
    memory and a connection for nothing)."""
    import asyncio

    chunks: list[bytes] = []
    size = 0
    loop = asyncio.get_running_loop()
    started = loop.time()
    while True:
        if min_rate:
            elapsed = loop.time() - started
            if elapsed > grace_s and size < min_rate * (elapsed - grace_s):
                return SLOW
            try:
                message = await asyncio.wait_for(receive(), grace_s)
            except TimeoutError:
                continue                        # checked against the rate above
        else:
            message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)             # the client left; the route sees no more
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay_body(body: bytes, receive: Any) -> Any:
    """An ASGI ``receive`` that gives ``body`` (read already) once, then what the client
    sends next (its disconnect, for a streaming answer)."""
    sent = False

    async def replayed() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replayed


def guarded_protocol(limits: Limits = Limits()) -> type:
    """An HTTP/1.1 protocol class for ``uvicorn.Config(http=…)`` that enforces ``limits``;
    each call makes a class with its own list of watched connections (one per server)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    waiting_total = limits.waiting_total or max(64, open_files_limit() // 2)
    watched: set[Any] = set()
    waiting: dict[Any, dict[Any, float]] = defaultdict(dict)   # address -> {conn: since}
    sweeping: list[Any] = []
    closed: Counter[tuple[str, str]] = Counter()     # (address, why) since the last sweep

    class GuardedProtocol(H11Protocol):
        limit = limits

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._address = self.client[0] if self.client else None
            self._seen_cycle: Any = None
            self._last_data = time.monotonic()
            watched.add(self)
            self._await_header()
            self._shed()
            if not sweeping:
                sweeping.append(self.loop.call_later(SWEEP_S, _sweep, self.loop))

        def connection_lost(self, exc: Exception | None) -> None:
            watched.discard(self)
            self._header_arrived()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            self._last_data = time.monotonic()
            super().data_received(data)
            if self.cycle is not self._seen_cycle:
                self._seen_cycle = self.cycle
                self._header_arrived()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.cycle is self._seen_cycle:
                self._await_header()        # unless a pipelined request already started

        def _await_header(self) -> None:
            waiting[self._address][self] = time.monotonic()

        def _header_arrived(self) -> None:
            mine = waiting.get(self._address)
            if mine is not None:
                mine.pop(self, None)
                if not mine:
                    del waiting[self._address]

        def _shed(self) -> None:
            """Over the share of this address, or over everyone's: close the connection that
            has waited longest for its header."""
            mine = waiting.get(self._address, {})
            if len(mine) > limits.per_address:
                _close(min(mine, key=mine.__getitem__), "同一地址等待中的连接过多")
            elif sum(len(conns) for conns in waiting.values()) > waiting_total:
                oldest = min(((since, conn) for conns in waiting.values()
                              for conn, since in conns.items()), key=lambda pair: pair[0])
                _close(oldest[1], "等待中的连接过多")

        def _overdue(self, now: float) -> str | None:
            since = waiting.get(self._address, {}).get(self)
            if since is not None:
                if now - since > limits.header_timeout_s:
                    return "请求头未按时收齐"
                return None
            cycle = self.cycle
            if (cycle is not None and cycle.more_body and not cycle.response_complete
                    and not self.flow.read_paused and now - self._last_data > limits.body_idle_s):
                return "请求内容中断"
            return None

    def _close(conn: Any, why: str) -> None:
        conn._header_arrived()
        if not conn.transport.is_closing():
            closed[(str(conn._address), why)] += 1
            conn.transport.close()

    def _sweep(loop: Any) -> None:
        now = time.monotonic()
        for conn in list(watched):
            why = conn._overdue(now)
            if why is not None:
                _close(conn, why)
        for (address, why), count in closed.items():      # one line per address and cause
            log.warning("关闭来自 %s 的 %d 个连接：%s", address, count, why)
        closed.clear()
        sweeping.clear()
        if watched:
            sweeping.append(loop.call_later(SWEEP_S, _sweep, loop))

    return GuardedProtocol
