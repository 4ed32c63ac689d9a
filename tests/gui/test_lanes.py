"""Lanes: a commit never waits behind a scan or a dead hall server, and the hall server's
events reach the window one by one, in order, none dropped."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from hallclient import resources
from hallclient.config import CONFIG_FILE, Config
from hallclient.core.cases import Decision, MaterialStatus
from hallclient.core.hall import WindowSnapshot
from hallclient.core.tickets import QueueError
from hallclient.queue.hall import HallQueue
from hallclient.services.context import (
    DbContext,
    DeviceContext,
    HallContext,
    load_hall_file,
    open_context,
)
from hallclient.services.hall_events import HallSignals
from hallclient.services.intake_service import IntakeService
from hallclient.services.lanes import HALL, Lanes
from hallclient.services.queue_service import QueueService
from hallclient.store.db import DB_FILE, open_database
from hallclient.store.worker import Worker

from ..recipes import TINY_PNG, tiny_jpeg
from ..unit.test_case_desk import PERSON

HOLD_S = 30.0        # the longest a held lane waits for the test to let it go
PAGE = TINY_PNG   # a page that decodes, as a scanned page does


class HeldScanner:
    """A scanner whose scan lasts until the test lets it go (a three-minute scan)."""

    def __init__(self) -> None:
        self.scanning = threading.Event()
        self.release = threading.Event()
        self.done = threading.Event()

    def scan(self) -> bytes:
        self.scanning.set()
        self.release.wait(HOLD_S)
        self.done.set()
        return PAGE


class SilentHallServer:
    """A hall server that takes the connection and never answers (until closed)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.asked = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        self.conns.append(conn)
        conn.recv(65536)                # the request is in: the client now waits for us
        self.asked.set()

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        self.sock.close()


@pytest.fixture
def counter_dir(tmp_path, clock) -> tuple[Path, Config]:
    config = Config(tmp_path / CONFIG_FILE, {"hall.region_code": "330109"})
    config.save()
    ctx = open_context(tmp_path, config, clock)
    ctx.import_catalog(load_hall_file(resources.path("demo", "catalog.json")))
    ctx.close()
    return tmp_path, config


def test_a_commit_finishes_while_a_scan_and_a_hall_call_hold_their_lanes(
        qtbot, counter_dir, clock, tmp_path):
    from hallclient.services.tasks import TaskRunner

    data_dir, config = counter_dir
    scanner, server = HeldScanner(), SilentHallServer()

    def open_hall_lane() -> HallContext:
        hall_db = open_database(data_dir / DB_FILE, check=False)
        queue = HallQueue(hall_db, f"http://127.0.0.1:{server.port}", "token", clock, listen=False)
        return HallContext(queue, hall_db, clock)

    lanes = Lanes(db=Worker(lambda: open_context(data_dir, config, clock), DbContext.close),
                  device=Worker(lambda: DeviceContext(scanner=scanner), DeviceContext.close),
                  hall=Worker(open_hall_lane, HallContext.close))
    runner = TaskRunner(lanes)
    try:
        intake = IntakeService(runner)
        intake.attach("li", 1)
        with qtbot.waitSignal(intake.items_found) as found:
            intake.search("个体工商户登记")
        with qtbot.waitSignal(intake.draft_started):
            intake.choose(found.args[0][0].impl_code)
        draft = intake.draft
        draft.applicant = PERSON
        required = [m for m in draft.materials if m.required]
        for i, m in enumerate(required):
            path = tmp_path / f"{i}.jpg"
            path.write_bytes(tiny_jpeg(i))
            with qtbot.waitSignal(intake.material_changed):
                intake.import_files(m.code, [path])
        for m in draft.materials:
            if not m.required:
                intake.set_status(m.code, MaterialStatus.NOT_APPLICABLE)
        draft.decision = Decision.ACCEPT
        assert intake.problems() == []

        # the device lane: a scan that takes as long as it takes
        intake.scan_material(required[0].code)
        qtbot.waitUntil(scanner.scanning.is_set)
        # the hall lane: a hall server that took the request and says nothing
        hall_answers: list[object] = []
        runner.run(HALL, lambda ctx: ctx.queue.windows(), hall_answers.append,
                   hall_answers.append)
        qtbot.waitUntil(server.asked.is_set)

        started = time.perf_counter()
        with qtbot.waitSignal(intake.case_committed, timeout=10_000) as committed:
            intake.commit(Decision.ACCEPT)
        took = time.perf_counter() - started
        # the commit is in while both other lanes are still held
        assert not scanner.done.is_set() and not hall_answers, f"commit took {took:.3f} s"
        assert committed.args[0].case_no.startswith("330109")
        assert took < HOLD_S / 3

        scanner.release.set()
        server.close()
        qtbot.waitUntil(lambda: bool(hall_answers), timeout=10_000)
        assert isinstance(hall_answers[0], QueueError)       # the server went: said so
        qtbot.waitUntil(lambda: runner.pending == 0)
        # the page scanned meanwhile was stored afterwards, on the db lane
        assert [f.mime for f in required[0].files][-1] == "image/png"
    finally:
        scanner.release.set()
        server.close()
        lanes.close()


class RecordingHallQueue:
    """Stands in for HallQueue on the hall lane: keeps every event it is handed."""

    def __init__(self) -> None:
        self.handed: list[dict] = []
        self.reads = 0

    def services(self) -> list:
        return []

    def windows(self) -> list:
        return []

    def snapshot(self, window: int, news=()) -> WindowSnapshot:
        self.reads += 1
        self.handed.extend(news)
        return WindowSnapshot(window, "open", "li", None, link="online")

    def close(self) -> None:
        pass


class NoDatabase:
    def close(self) -> None:
        pass


def recorded_hall_lanes(counter_dir, clock) -> tuple[RecordingHallQueue, HallSignals, Lanes]:
    """A counter's lanes whose hall lane holds a RecordingHallQueue, and its event signals."""
    data_dir, config = counter_dir
    recorder = RecordingHallQueue()
    events = HallSignals()
    lanes = Lanes(db=Worker(lambda: open_context(data_dir, config, clock), DbContext.close),
                  device=Worker(DeviceContext, DeviceContext.close),
                  hall=Worker(lambda: HallContext(recorder, NoDatabase(), clock),
                              HallContext.close),
                  hall_events=events)
    return recorder, events, lanes


BURSTS, PER_BURST = 5, 400


def test_every_hall_event_of_a_burst_reaches_the_window_in_order(qtbot, counter_dir, clock):
    """The stream's thread emits as fast as it can; each burst waits only until the window
    has taken the one before (no sleep)."""
    from hallclient.services.tasks import TaskRunner

    recorder, events, lanes = recorded_hall_lanes(counter_dir, clock)
    runner = TaskRunner(lanes)
    service = QueueService(runner, "大厅服务器", hall_events=events)
    try:
        service.attach("li", 1)
        qtbot.waitUntil(lambda: service.snapshot is not None)
        total = BURSTS * PER_BURST
        taken = [threading.Event() for _ in range(BURSTS)]

        def stream() -> None:
            seq = 0
            for burst in range(BURSTS):
                for _ in range(PER_BURST):
                    seq += 1
                    events.event_heard.emit({"id": str(seq), "event": "queue",
                                             "data": {"seq": seq, "window": 2}})
                taken[burst].wait(HOLD_S)

        def burst_taken() -> None:
            n = len(recorder.handed)
            for burst in range(BURSTS):
                if n >= (burst + 1) * PER_BURST:
                    taken[burst].set()

        service.snapshot_changed.connect(lambda _s: burst_taken())
        pusher = threading.Thread(target=stream, name="hall-events-burst")
        pusher.start()
        qtbot.waitUntil(lambda: len(recorder.handed) == total, timeout=20_000)
        pusher.join(HOLD_S)
        assert [int(e["id"]) for e in recorder.handed] == list(range(1, total + 1))
    finally:
        service.detach()
        lanes.close()


def test_while_the_server_is_not_heard_the_view_is_read_again_until_it_is(qtbot, counter_dir,
                                                                           clock, monkeypatch):
    """No events come while the stream is down (a server stopped gracefully answers once
    more, then not at all): the view is read again now and then, so the window learns it
    is on its own; once the stream is back, reading follows events only."""
    from hallclient.services import queue_service
    from hallclient.services.tasks import TaskRunner

    monkeypatch.setattr(queue_service, "OUT_OF_TOUCH_READ_MS", 50)
    recorder, events, lanes = recorded_hall_lanes(counter_dir, clock)
    service = QueueService(TaskRunner(lanes), "大厅服务器", hall_events=events)
    try:
        service.attach("li", 1)
        qtbot.waitUntil(lambda: service.snapshot is not None)
        events.link_changed.emit(False)
        before = recorder.reads
        qtbot.waitUntil(lambda: recorder.reads >= before + 5, timeout=5000)   # read again and again
        events.link_changed.emit(True)
        qtbot.waitUntil(lambda: not service._out_of_touch.isActive())
        settled = recorder.reads
        qtbot.wait(300)                                       # six intervals: no more reads
        assert recorder.reads <= settled + 1
    finally:
        service.detach()
        lanes.close()
