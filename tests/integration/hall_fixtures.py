"""A hall server on loopback with its devices registered, for the hall tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hallclient.core.clock import local_now
from hallclient.queue.hall import HallQueue
from hallclient.servers.hall_server import RunningHallServer
from hallclient.store.db import open_database
from hallclient.wire.hall import DeviceKind


@dataclass
class Hall:
    data_dir: Path
    work: Path
    server: RunningHallServer
    port: int
    spec: dict
    tokens: dict[str, str] = field(default_factory=dict)
    opened: list[HallQueue] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def counter(self, window: int | None, listen: bool = False, name: str = "",
                track: bool = True, monotonic: Callable[[], float] = time.monotonic,
                on_event=None, on_link=None) -> HallQueue:
        """A counter's HallQueue with its own database file, like a real counter PC
        (``monotonic``: the clock of its retry pause; ``on_event`` / ``on_link``: its event
        stream's callbacks, on the stream's thread)."""
        device = name or f"W{window}"
        if device not in self.tokens:
            self.tokens[device] = self.server.add_device(device, DeviceKind.COUNTER, window)
        db = open_database(self.work / f"{device}.db")
        queue = HallQueue(db, self.url, self.tokens[device], local_now, listen=listen,
                          retry_after_failure_s=0.2, monotonic=monotonic, on_event=on_event,
                          on_link=on_link)
        if track:           # closed at the end; else the caller's thread closes it
            self.opened.append(queue)
        return queue

    def token(self, device: str, kind: DeviceKind) -> str:
        if device not in self.tokens:
            self.tokens[device] = self.server.add_device(device, kind)
        return self.tokens[device]

    def kiosk(self) -> HallQueue:
        db = open_database(self.work / "kiosk.db")
        queue = HallQueue(db, self.url, self.token("K1", DeviceKind.KIOSK), local_now,
                          listen=False)
        self.opened.append(queue)
        return queue

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        self.server = RunningHallServer(self.data_dir, port=self.port)

    def close(self) -> None:
        for queue in self.opened:
            queue.close()
            queue.db.close()
        self.server.stop()


def start_hall(tmp_path: Path, spec: dict) -> Hall:
    data_dir = tmp_path / "hall-server"
    server = RunningHallServer(data_dir)
    server.import_hall(spec)
    work = tmp_path / "counters"
    work.mkdir()
    return Hall(data_dir, work, server, server.port, spec)


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


def server_rows(hall: Hall, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of the hall server's own database, read on its writer thread."""
    return hall.server.hall.worker.submit(
        lambda core: core.db.conn.execute(sql, params).fetchall()).result()
