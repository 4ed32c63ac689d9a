"""The hall server's event stream as Qt signals (for the hall panel and the counter)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal


class HallSignals(QObject):
    """A counter's event stream, handed to the GUI thread. The stream's thread emits; the
    receivers live on the GUI thread, so each emit is queued there, in order, one by one
    (no inbox to poll, nothing to drop).

    Signals: event_heard(dict) — one server-sent event {"id", "event", "data"};
    link_changed(bool) — the stream connected / dropped (it reconnects by itself)
    """

    event_heard = Signal(object)
    link_changed = Signal(bool)


class HallEventsService(QObject):
    """Signals (delivered on the GUI thread; the stream runs on its own thread):
    state_received(dict) — the whole hall (on first connect, or after too long away)
    event_received(dict) — one queue event: seq, at, action, window, ticket, service, waiting
    link_changed(bool) — connected / disconnected (it reconnects by itself)
    """

    state_received = Signal(dict)
    event_received = Signal(dict)
    link_changed = Signal(bool)

    def __init__(self, url: str, token: str, verify: bool | str = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        from hallclient.queue.hall_link import EventStream  # requests: only where a hall is

        self.stream = EventStream(url, token, verify, on_event=self._on_event,
                                  on_link=self.link_changed.emit)

    def start(self) -> None:
        self.stream.start()

    def stop(self) -> None:
        self.stream.stop()

    def _on_event(self, event: dict[str, Any]) -> None:
        # runs on the stream thread: the emits are queued to the GUI thread
        if event["event"] == "state":
            self.state_received.emit(event["data"])
        elif event["event"] == "queue":
            self.event_received.emit(event["data"])
