"""Shared fixtures: a real SQLite file on disk, the demo hall, a controllable clock."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

# no display in CI: Qt renders offscreen unless a test starts its own Xvfb
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from hallclient import resources  # noqa: E402
from hallclient.core.queue_policy import QueueRules  # noqa: E402
from hallclient.queue.local import LocalQueue  # noqa: E402
from hallclient.store.db import DB_FILE, open_database  # noqa: E402

CST = timezone(timedelta(hours=8))


class FakeClock:
    """A wall clock the test moves by hand (China Standard Time)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 27, 9, 0, 0, tzinfo=CST)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float = 0, seconds: float = 0) -> None:
        self.now += timedelta(minutes=minutes, seconds=seconds)


class FakeSeconds:
    """A clock in seconds (``time.monotonic`` or ``time.time``) the test moves by hand; it
    starts from the real one, so what was stamped before the test still compares."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def demo_hall() -> dict:
    return json.loads(resources.path("demo", "hall.json").read_text(encoding="utf-8"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(tmp_path / DB_FILE)
    yield database
    database.close()


@pytest.fixture
def queue(db, demo_hall, clock) -> LocalQueue:
    q = LocalQueue(db, QueueRules(recall_limit=2, priority_ratio=2), clock)
    q.import_hall(demo_hall)
    return q


@pytest.fixture
def demo_catalog() -> dict:
    return json.loads(resources.path("demo", "catalog.json").read_text(encoding="utf-8"))


@pytest.fixture
def sim(tmp_path):
    """The platform simulator on a loopback port, with counter device W01 / pw registered."""
    import requests

    from hallclient.servers.platform_sim import RunningServer, create_app

    server = RunningServer(create_app(tmp_path / "platform"))
    requests.post(server.url + "/api/v1/admin/devices", json={"device_id": "W01", "secret": "pw"},
                  timeout=5).raise_for_status()
    yield server
    server.stop()
