"""Two parts of the program open a new database at once (the counter's worker and the
upload thread at first start): both must end up on the latest schema, neither may fail."""

from __future__ import annotations

import threading
from pathlib import Path

from hallclient.store.db import DB_FILE, LATEST, open_database


def open_together(path: Path, n: int) -> tuple[list[BaseException], list[int]]:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []
    versions: list[int] = []

    def open_it() -> None:
        barrier.wait()
        try:
            db = open_database(path, check=False)
            versions.append(int(db.conn.execute("PRAGMA user_version").fetchone()[0]))
            db.close()
        except BaseException as exc:       # collected: the test reports them
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors, versions


def test_concurrent_first_opens_migrate_once(tmp_path):
    for attempt in range(40):          # the race is rare: give it room to show
        errors, versions = open_together(tmp_path / str(attempt) / DB_FILE, 4)
        assert errors == [] and versions == [LATEST] * 4
