"""``hallclient panel --demo``: the hall server on loopback with the demo hall, and a few
simulated windows and a kiosk working through it, so the panel has a hall to show."""

from __future__ import annotations

import logging
import random
import threading
from pathlib import Path
from typing import Any

from hallclient.core.clock import local_now
from hallclient.core.tickets import PriorityClass, QueueError
from hallclient.queue.hall import HallQueue
from hallclient.servers.hall_server import RunningHallServer
from hallclient.store.db import open_database
from hallclient.wire.hall import DeviceKind

log = logging.getLogger(__name__)


class DemoHall:
    """A running hall server plus traffic: a ticket every ``pace`` seconds or so, and
    windows finishing and calling the next."""

    def __init__(self, data_dir: Path, spec: dict[str, Any], pace: float = 4.0,
                 seed: int | None = None) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.server = RunningHallServer(data_dir / "hall-server")
        self.server.import_hall(spec)
        self.panel_token = self.server.add_device("PANEL-DEMO", DeviceKind.PANEL)
        self.services = [s["code"] for s in spec["services"]]
        self.windows = [w["number"] for w in spec["windows"]]
        self.pace = pace
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hall-demo", daemon=True)

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.stop()

    def _queue(self, name: str, kind: DeviceKind, window: int | None = None) -> HallQueue:
        token = self.server.add_device(name, kind, window)
        db = open_database(self.data_dir / f"{name}.sqlite3")
        return HallQueue(db, self.url, token, local_now, listen=False)

    def _run(self) -> None:
        kiosk = self._queue("KIOSK-DEMO", DeviceKind.KIOSK)
        counters = {w: self._queue(f"W{w}-DEMO", DeviceKind.COUNTER, w) for w in self.windows}
        try:
            for w, q in counters.items():
                q.sign_in(w, f"demo{w}")
            for _ in range(8):
                kiosk.issue(self._random.choice(self.services))
            while not self._stop.wait(self.pace * (0.5 + self._random.random())):
                if self._random.random() < 0.6:
                    priority = PriorityClass.GREEN if self._random.random() < 0.1 else \
                        PriorityClass.NORMAL
                    kiosk.issue(self._random.choice(self.services), priority)
                self._step(counters)
        except QueueError as exc:
            if not self._stop.is_set():
                log.warning("demo hall stopped: %s", exc.message)
        finally:
            for q in (kiosk, *counters.values()):
                q.close()
                q.db.close()

    def _step(self, counters: dict[int, HallQueue]) -> None:
        window = self._random.choice(self.windows)
        q, clerk = counters[window], f"demo{window}"
        current = q.snapshot(window).current
        if current is not None:
            if current.state.value == "called":
                current = q.start(window, clerk, current.id)
            q.finish(window, clerk, current.id)
        q.call_next(window, clerk)
