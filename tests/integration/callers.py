"""Caller loops run in threads and in separate processes against one database file."""

from __future__ import annotations

import time
from pathlib import Path

from hallclient.core.queue_policy import QueueRules
from hallclient.core.tickets import PriorityClass
from hallclient.queue.local import LocalQueue
from hallclient.store.db import open_database

SERVICES = ["ZH", "SC", "RS"]


def hall(windows: int) -> dict:
    return {
        "services": [{"code": c, "name": c, "prefix": p} for c, p in zip(SERVICES, "ABC", strict=True)],
        "windows": [{"number": n, "services": {"ZH": 2, "SC": 1, "RS": 1}}
                    for n in range(1, windows + 1)],
    }


def serve_until_empty(db_path: str, window: int, issuing_done_file: str,
                      go_file: str = "") -> list[int]:
    """Sign in at ``window``, wait for ``go_file``, then call, start and finish until
    nobody is left and the kiosk has finished issuing. Returns the ticket ids called."""
    db = open_database(Path(db_path), check=False)
    try:
        return _serve(LocalQueue(db, QueueRules()), window, issuing_done_file, go_file)
    finally:
        db.close()


def _serve(queue, window: int, issuing_done_file: str, go_file: str) -> list[int]:
    clerk = f"clerk{window}"
    queue.sign_in(window, clerk)
    Path(f"{issuing_done_file}.ready-{window}").touch()
    called: list[int] = []
    deadline = time.monotonic() + 120
    while go_file and not Path(go_file).exists() and time.monotonic() < deadline:
        time.sleep(0.001)
    while time.monotonic() < deadline:
        ticket = queue.call_next(window, clerk)
        if ticket is None:
            if Path(issuing_done_file).exists():
                # one last look: the kiosk may have issued after our empty call
                ticket = queue.call_next(window, clerk)
                if ticket is None:
                    return called
            else:
                time.sleep(0.002)
                continue
        called.append(ticket.id)
        queue.start(window, clerk, ticket.id)
        queue.finish(window, clerk, ticket.id)
    raise TimeoutError(f"window {window} still calling after 120 s")


def issue_many(db_path: str, count: int, priority_every: int = 7) -> list[int]:
    db = open_database(Path(db_path), check=False)
    queue = LocalQueue(db)
    ids = []
    try:
        for i in range(count):
            priority = PriorityClass.GREEN if i % priority_every == 0 else PriorityClass.NORMAL
            ids.append(queue.issue(SERVICES[i % len(SERVICES)], priority, "kiosk").ticket.id)
    finally:
        db.close()
    return ids


def hall_serve_until_empty(url: str, token: str, db_path: str, window: int,
                           issuing_done_file: str, go_file: str) -> list[int]:
    """The same loop against the hall server, through HallQueue (run in a process)."""
    from hallclient.core.clock import local_now
    from hallclient.queue.hall import HallQueue

    db = open_database(Path(db_path))
    queue = HallQueue(db, url, token, local_now, listen=False)
    try:
        return _serve(queue, window, issuing_done_file, go_file)
    finally:
        queue.close()
        db.close()
