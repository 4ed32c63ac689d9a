"""Two parts of the program open a new database at once (the counter's worker and the
upload thread at first start): both must end up on the latest schema, neither may fail."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from hallclient.store import db as store_db
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


def test_openers_wait_for_a_first_migration_slower_than_the_busy_timeout(tmp_path, monkeypatch):
    """The opener that gets the write lock first applies version after version, a commit
    each, taking the lock again at once; on a slow or busy disk the whole sequence outlasts
    one busy timeout. The others wait while the schema version moves and do not fail with
    "database is locked" half-way through someone else's migration."""
    real_connect = store_db.connect

    def slow_disk(path, **kwargs):
        conn = real_connect(path, **kwargs)
        conn.create_function("slow_commit", 0, lambda: time.sleep(0.12))
        return conn

    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 500)
    monkeypatch.setattr(store_db, "connect", slow_disk)
    monkeypatch.setattr(store_db, "MIGRATIONS",
                        tuple(m + ";\nSELECT slow_commit()" for m in store_db.MIGRATIONS))
    assert LATEST * 0.12 > 2 * 0.5          # the sequence takes more than two timeouts
    errors, versions = open_together(tmp_path / DB_FILE, 3)
    assert errors == [] and versions == [LATEST] * 3
