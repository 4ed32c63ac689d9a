"""The hall server's own SQL: its registered devices, the event logs counters push, and the
housekeeping of its database (read transactions, WAL checkpoints).

The queue itself (tickets, windows, the hall's event log) is in store/ like a counter's;
this module holds only what the server alone keeps.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hallclient.store.db import DB_FILE, Database, open_database

# the server's own tables beside the store's migrations: the progress records counters
# publish for the kiosks (办件查询). Wrong passwords are counted in the store's
# ``progress_attempts`` (store/progress_repo.py), as on a counter that serves its own kiosk.
SCHEMA = """
CREATE TABLE IF NOT EXISTS hall_progress (
    case_no TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    record TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


def open_server_db(data_dir: Path) -> Database:
    data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(data_dir / DB_FILE)
    try:
        db.conn.executescript(SCHEMA)
    except BaseException:
        db.close()
        raise
    return db


# -- devices -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeviceRow:
    device_id: str
    kind: str
    window: int | None
    active: bool
    created_at: str


def device_by_token(conn: sqlite3.Connection, token_hash: str) -> tuple[str, str, int | None] | None:
    """(device id, kind, window) of the active device with this token's hash."""
    row = conn.execute("SELECT device_id, kind, window FROM hall_devices"
                       " WHERE token_hash = ? AND active = 1", (token_hash,)).fetchone()
    return (str(row[0]), str(row[1]), row[2]) if row else None


def revoke_device(conn: sqlite3.Connection, device_id: str, token_hash: str) -> bool:
    """Deactivate a device; its token is replaced by ``token_hash`` (of a token nobody
    holds), so no old token opens it again. False if it was not registered and active."""
    changed = conn.execute("UPDATE hall_devices SET active = 0, token_hash = ?"
                           " WHERE device_id = ? AND active = 1", (token_hash, device_id))
    return changed.rowcount > 0


def counter_window(conn: sqlite3.Connection, device_id: str) -> int | None:
    """The window an active counter is bound to (None: not a bound, active counter)."""
    row = conn.execute("SELECT window FROM hall_devices WHERE device_id = ? AND active = 1"
                       " AND kind = 'counter'", (device_id,)).fetchone()
    return row[0] if row else None


def registered(conn: sqlite3.Connection, device_id: str) -> bool:
    row = conn.execute("SELECT 1 FROM hall_devices WHERE device_id = ? AND active = 1",
                       (device_id,))
    return row.fetchone() is not None


def save_device(conn: sqlite3.Connection, device_id: str, kind: str, window: int | None,
                token_hash: str, created_at: str) -> None:
    """Register a device, or re-key (and re-activate) one registered before."""
    conn.execute(
        "INSERT INTO hall_devices (device_id, kind, window, token_hash, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET kind = excluded.kind,"
        " window = excluded.window, token_hash = excluded.token_hash, active = 1",
        (device_id, kind, window, token_hash, created_at))


def all_devices(conn: sqlite3.Connection) -> list[DeviceRow]:
    rows = conn.execute("SELECT device_id, kind, window, active, created_at"
                        " FROM hall_devices ORDER BY device_id")
    return [DeviceRow(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows]


# -- event logs pushed by counters ---------------------------------------------------------

def pushed_head(conn: sqlite3.Connection, device: str) -> tuple[int, str] | None:
    """(seq, hash) of the newest entry kept from this device."""
    row = conn.execute("SELECT seq, hash FROM pushed_log WHERE device = ?"
                       " ORDER BY seq DESC LIMIT 1", (device,)).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def pushed_hash(conn: sqlite3.Connection, device: str, seq: int) -> str | None:
    row = conn.execute("SELECT hash FROM pushed_log WHERE device = ? AND seq = ?",
                       (device, seq)).fetchone()
    return str(row[0]) if row else None


def log_owner(conn: sqlite3.Connection, log: str) -> str | None:
    """The registered device a pushed event log belongs to (None: nobody pushed it yet)."""
    row = conn.execute("SELECT device_id FROM pushed_log_owners WHERE log = ?", (log,)).fetchone()
    return str(row[0]) if row else None


def claim_log(conn: sqlite3.Connection, log: str, device_id: str, at: str) -> None:
    conn.execute("INSERT INTO pushed_log_owners (log, device_id, claimed_at) VALUES (?, ?, ?)",
                 (log, device_id, at))


def keep_pushed(conn: sqlite3.Connection, entry: dict[str, Any], received_at: str) -> None:
    """One entry as the counter wrote it (its fields are those of the event log)."""
    conn.execute(
        "INSERT INTO pushed_log (device, seq, at, window, clerk, action, ticket, detail,"
        " prev_hash, hash, received_at) VALUES (:device, :seq, :at, :window, :clerk, :action,"
        " :ticket, :detail, :prev_hash, :hash, :received_at)",
        {**entry, "received_at": received_at})


# -- progress records (办件查询) ---------------------------------------------------------------

def progress_owner(conn: sqlite3.Connection, case_no: str) -> str | None:
    """The device that first published this case's progress (None: nobody yet)."""
    row = conn.execute("SELECT device_id FROM hall_progress WHERE case_no = ?", (case_no,)).fetchone()
    return str(row[0]) if row else None


def keep_progress(conn: sqlite3.Connection, case_no: str, device_id: str, record: str,
                  password_hash: str, at: str) -> None:
    """A case's progress as its counter published it (``record``: the JSON of the wire's
    ProgressWire); the newest replaces what was kept."""
    conn.execute(
        "INSERT INTO hall_progress (case_no, device_id, record, password_hash, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(case_no) DO UPDATE SET record = excluded.record,"
        " password_hash = excluded.password_hash, updated_at = excluded.updated_at",
        (case_no, device_id, record, password_hash, at))


def progress(conn: sqlite3.Connection, case_no: str) -> tuple[str, str] | None:
    """(record JSON, password hash) of a published case."""
    row = conn.execute("SELECT record, password_hash FROM hall_progress WHERE case_no = ?",
                       (case_no,)).fetchone()
    return (str(row[0]), str(row[1])) if row else None


# -- housekeeping --------------------------------------------------------------------------

@contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Everything read inside comes from the same moment (one WAL snapshot)."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def stop_autocheckpoint(conn: sqlite3.Connection) -> None:
    """The writer never checkpoints: a checkpoint's flush would hold every window up."""
    conn.execute("PRAGMA wal_autocheckpoint = 0")


def checkpoint(conn: sqlite3.Connection) -> None:
    """Copy what the WAL holds into the database, as far as no reader is in the way."""
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
