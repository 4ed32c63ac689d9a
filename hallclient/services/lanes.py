"""Lanes: one thread per kind of work, so a commit never waits behind a scan or the network.

- ``DB`` owns the one SQLite write connection and does SQLite work only (and the intake
  desk's attachment store, which a commit needs anyway: it stores bytes already checked);
- ``HALL`` talks to the hall server (only with ``queue.source = hall``), with its own
  connection for what manual mode stores;
- ``DEVICE`` runs the scanner, the ID-card reader, camera image encoding, the reading and
  checking of material files (regular files only, bounded, parsed whole) and other slow
  local output that is not SQLite (report exports);
- the upload engine keeps its own thread and connection (``sync_service``).

A job that needs two kinds of work is two jobs: the first one's result starts the second
from its callback (e.g. scan on ``DEVICE``, then store on ``DB``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from hallclient.config import Config
from hallclient.core.clock import Clock, local_now
from hallclient.store.worker import Worker

if TYPE_CHECKING:
    from .context import DbContext, DeviceContext, HallContext
    from .hall_events import HallSignals

log = logging.getLogger(__name__)

C = TypeVar("C")
T = TypeVar("T")


@dataclass(frozen=True)
class Lane(Generic[C]):
    """The name of a lane, typed by the context its jobs receive."""

    name: str


DB: Lane[DbContext] = Lane("db")
HALL: Lane[HallContext] = Lane("hall")
DEVICE: Lane[DeviceContext] = Lane("device")


class Lanes:
    """The lane workers of one counter (or kiosk). ``hall`` is None with the local queue;
    ``hall_events`` then too (with a hall server, the event stream's news arrive there as
    queued Qt signals)."""

    def __init__(self, db: Worker[DbContext], device: Worker[DeviceContext],
                 hall: Worker[HallContext] | None = None,
                 hall_events: HallSignals | None = None,
                 gate: threading.Event | None = None) -> None:
        self._workers: dict[str, Worker[Any]] = {"db": db, "device": device}
        if hall is not None:
            self._workers["hall"] = hall
        self.hall_events = hall_events
        self.closed = False
        self.gate = gate                  # set: the lanes may open (see open_lanes)

    @property
    def hall_mode(self) -> bool:
        return "hall" in self._workers

    def submit(self, lane: Lane[C], fn: Callable[[C], T]) -> Future[T]:
        worker: Worker[C] | None = self._workers.get(lane.name)
        if worker is None:
            raise RuntimeError(f"no {lane.name} lane here (local queue)")
        return worker.submit(fn)

    def close(self) -> None:
        """Finish the jobs in flight, close each context on its thread; later jobs are
        dropped (a stream that drops while closing still says so)."""
        self.closed = True
        if self.gate is not None:
            self.gate.set()               # a lane still waiting to open opens, then closes
        # the device and hall lanes first: their jobs may still hand work to the db lane
        for name in ("device", "hall", "db"):
            worker = self._workers.get(name)
            if worker is not None:
                worker.close()


def open_lanes(data_dir: Path, config: Config, clock: Clock = local_now,
               gate: threading.Event | None = None) -> Lanes:
    """Start the lanes; each opens its context on its own thread (the window does not wait),
    once ``gate`` is set when one is given (jobs submitted meanwhile wait their turn).
    Call on the GUI thread: the hall events' signals live there."""
    from .hall_events import HallSignals

    def gated(opener: Callable[[], C]) -> Callable[[], C]:
        def open_when_allowed() -> C:
            if gate is not None:
                gate.wait()
            return opener()
        return open_when_allowed

    # the contexts (store, queue, devices) are imported on the lanes' threads, once allowed
    def open_db() -> DbContext:
        from .context import open_context

        return open_context(data_dir, config, clock)

    def open_device_lane() -> DeviceContext:
        from .context import open_devices

        return open_devices(config)

    db: Worker[DbContext] = Worker(gated(open_db), _close, name="db")
    device: Worker[DeviceContext] = Worker(gated(open_device_lane), _close, name="device")
    if config["queue.source"] != "hall":
        return Lanes(db, device, gate=gate)
    events = HallSignals()

    def open_hall_lane() -> HallContext:
        db.opened.exception()       # after the db lane made or migrated the file, never beside it
        from .context import open_hall

        return open_hall(data_dir, config, clock, on_event=events.event_heard.emit,
                         on_link=events.link_changed.emit)

    hall: Worker[HallContext] = Worker(gated(open_hall_lane), _close, name="hall")
    return Lanes(db, device, hall, events, gate)


def _close(context: DbContext | DeviceContext | HallContext) -> None:
    context.close()
