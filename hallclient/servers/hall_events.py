"""The hall server's event fan-out: each change in its event log goes out once to every
subscriber of ``GET /events`` (server-sent events), encoded once for all of them.

A panel gets every event; a counter's stream (``?window=N``) is woken only for events about
its window and gets the others' effect as waiting counts at most every ``WAITING_EVERY_S``;
a quiet stream gets a keep-alive comment every ``KEEPALIVE_S``; a subscriber that falls
``SUBSCRIBER_BACKLOG`` behind is told to reconnect (it then replays from the log).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple

from hallclient.wire.hall import EVERY_WINDOW_ACTIONS, QueueEventOut, WaitingEventOut

KEEPALIVE_S = 15.0
SUBSCRIBER_BACKLOG = 2000
WAITING_EVERY_S = 0.5        # a counter's stream carries other windows' news as counts, this often
RECHECK_S = 2.0              # how often a stream asks whether its device may still have it
DEVICE_ACTIONS = frozenset({"device_saved", "device_revoked"})
COUNTS_ONLY = 0              # the "window" of a stream that carries waiting counts only (windows start at 1)
STREAMS_PER_DEVICE = 4       # a device's newest streams; an older one beyond these is ended


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


def encode(entries: list[dict[str, Any]], waiting: dict[str, dict[int, int]]) -> list[Event]:
    """Event-log entries as events, with the waiting counts after them."""
    events = []
    for e in entries:
        detail = json.loads(e["detail"]) if e["detail"] else {}
        news = QueueEventOut(seq=e["seq"], at=e["at"], action=e["action"], window=e["window"],
                             ticket=e["ticket"],
                             service=detail.get("service") or detail.get("to_service"),
                             to_window=detail.get("to_window"), waiting=waiting)
        events.append(Event(news.seq, sse("queue", news.model_dump(mode="json"), news.seq),
                            news.window, news.to_window, news.action, waiting))
    return events


class Subscriber:
    """One event stream: its queue, and for a counter (``window``) the latest news that
    only changed the waiting counts — kept here without waking the stream up."""

    def __init__(self, window: int | None, device: str = "") -> None:
        self.window = window
        self.device = device
        self.queue: asyncio.Queue[Any] = asyncio.Queue(SUBSCRIBER_BACKLOG)
        self.counts: Event | None = None
        self.order = 0                   # when it subscribed, among all


class Broker:
    """Fans events out to SSE subscribers on the event loop. A counter's stream is woken
    only for events about its window; a subscriber that falls too far behind is told to
    reconnect (it then replays from the log)."""

    CLOSE = object()
    OVERFLOW = object()

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: set[Subscriber] = set()
        self._order = 0

    def subscribe(self, window: int | None = None, device: str = "") -> Subscriber:
        """A new stream. One device holds at most ``STREAMS_PER_DEVICE``: its oldest is ended
        (a reconnecting counter replaces a stream the server has not yet seen drop; a
        stolen token cannot open streams without end)."""
        self.loop = asyncio.get_running_loop()
        sub = Subscriber(window, device)
        if device:
            mine = sorted((s for s in self.subscribers if s.device == device), key=lambda s: s.order)
            for old in mine[:max(0, len(mine) + 1 - STREAMS_PER_DEVICE)]:
                self._end(old)
        self.subscribers.add(sub)
        self._order += 1
        sub.order = self._order
        return sub

    def _end(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(self.CLOSE)

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


async def stream(broker: Broker, sub: Subscriber, replay: list[Event] | None,
                 state: dict[str, Any] | None,
                 still_allowed: Callable[[], Awaitable[bool]] | None = None) -> AsyncIterator[str]:
    """One subscriber's text/event-stream: the whole hall (``state``) or what it missed
    (``replay``) first, then the events as the broker hands them over, a burst per write.
    ``still_allowed`` is asked every ``RECHECK_S`` and after any change to the devices: the
    stream ends when its device may no longer have it."""
    loop = asyncio.get_running_loop()
    recheck_at = loop.time() + RECHECK_S
    window = sub.window
    counts_due = 0.0
    quiet_since = loop.time()
    try:
        last = shown = 0        # the newest event seen; the newest whose counts were sent
        if state is not None:
            last = shown = int(state["seq"])
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
                        chunk.append(event.text)          # it carries the counts after it
                        shown = event.seq
                    elif sub.counts is None or sub.counts.seq < event.seq:
                        sub.counts = event         # (replayed news for other windows)
            if still_allowed is not None and (
                    loop.time() >= recheck_at
                    or any(isinstance(ev, list) and any(e.action in DEVICE_ACTIONS for e in ev)
                           for ev in items)):
                recheck_at = loop.time() + RECHECK_S
                if not await still_allowed():
                    return
            counts = sub.counts
            if counts is not None and counts.seq <= shown:
                sub.counts = counts = None         # what was sent is newer
            if counts is not None and loop.time() >= counts_due:
                news = WaitingEventOut(seq=counts.seq, waiting=counts.waiting)
                chunk.append(sse("waiting", news.model_dump(mode="json"), counts.seq))
                last, shown, sub.counts = max(last, counts.seq), counts.seq, None
                counts_due = loop.time() + WAITING_EVERY_S
            if chunk:
                quiet_since = loop.time()
                yield "".join(chunk)    # one write for a burst
            # a counter's stream looks for count news every WAITING_EVERY_S
            wait = KEEPALIVE_S if window is None else WAITING_EVERY_S
            if still_allowed is not None:
                wait = min(wait, RECHECK_S)
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
        broker.unsubscribe(sub)
