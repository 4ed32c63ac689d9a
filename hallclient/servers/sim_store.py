"""platform_sim's own SQLite database (it survives restarts)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

# a case number (办件编号) is unique per device: the same number from two devices is two
# cases, each its device's own, so no device can take or block another's numbers
CASES = """CREATE TABLE IF NOT EXISTS cases (uid TEXT PRIMARY KEY, case_no TEXT NOT NULL,
    version INTEGER NOT NULL, body TEXT NOT NULL, device_id TEXT NOT NULL,
    status INTEGER NOT NULL, received_at REAL NOT NULL, UNIQUE (device_id, case_no));"""
CHANGES = """CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL, case_no TEXT NOT NULL, status INTEGER NOT NULL, at REAL NOT NULL);"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS devices (device_id TEXT PRIMARY KEY, secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, device_id TEXT NOT NULL,
                                   expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS catalog (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL,
                                    etag TEXT NOT NULL);
{CASES}
CREATE TABLE IF NOT EXISTS idempotency (device_id TEXT NOT NULL, key TEXT NOT NULL,
                                        body_hash TEXT NOT NULL, state TEXT NOT NULL,
                                        status_code INTEGER, response TEXT, uid TEXT,
                                        owner TEXT, started_at REAL,
                                        PRIMARY KEY (device_id, key));
CREATE TABLE IF NOT EXISTS blobs (device_id TEXT NOT NULL, sha256 TEXT NOT NULL,
                                  total INTEGER NOT NULL, complete INTEGER NOT NULL DEFAULT 0,
                                  PRIMARY KEY (device_id, sha256));
CREATE TABLE IF NOT EXISTS evaluations (device_id TEXT NOT NULL, uid TEXT NOT NULL,
                                        body TEXT NOT NULL, PRIMARY KEY (device_id, uid));
{CHANGES}
CREATE TABLE IF NOT EXISTS preapplications (code TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS appointments (day TEXT PRIMARY KEY, body TEXT NOT NULL);
"""


# what each table kept before it was scoped per device (the columns carried over)
LEGACY = {"idempotency": ("key", "body_hash", "state", "status_code", "response", "uid",
                          "owner", "started_at"),
          "blobs": ("sha256", "total", "complete"),
          "evaluations": ("uid", "body")}


class SimStore:
    """One connection guarded by a lock: the simulator favours simple and correct."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.blob_dir = root / "blobs"
        self.blob_dir.mkdir(exist_ok=True)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(root / "platform.sqlite3", check_same_thread=False,
                                    isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.partial_dir = self.blob_dir / "partial"
        self.partial_dir.mkdir(exist_ok=True)
        with self.lock:
            self._scope_by_device()
            self._case_numbers_by_device()
            self.conn.executescript(SCHEMA)

    def _scope_by_device(self) -> None:
        """A database from before keys, blobs and evaluations were kept per device: its rows
        move to tables keyed by (device, ...); rows that never named a device keep an empty
        one, which no device has, so nobody can claim them."""
        for table, columns in LEGACY.items():
            held = {r[1]: r[5] for r in self.conn.execute(f"PRAGMA table_info({table})")}
            if not held or held.get("device_id"):        # none yet, or already per device
                continue
            old = table + "_unscoped"
            self.conn.execute(f"ALTER TABLE {table} RENAME TO {old}")
            self.conn.executescript(SCHEMA)
            picked = ", ".join(c if c in held else "NULL" for c in columns)
            device = "COALESCE(device_id, '')" if "device_id" in held else "''"
            self.conn.execute(f"INSERT INTO {table} (device_id, {', '.join(columns)})"
                              f" SELECT {device}, {picked} FROM {old}")
            self.conn.execute(f"DROP TABLE {old}")

    def _case_numbers_by_device(self) -> None:
        """A database from when a case number was unique platform-wide: cases move to a
        table where it is unique per device, and each status change names the device whose
        case it was (the numbers were unique then, so each names one). Change numbers
        (``seq``) are kept, so the devices' cursors stay valid."""
        held = {r[1] for r in self.conn.execute("PRAGMA table_info(changes)")}
        if not held or "device_id" in held:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute("ALTER TABLE cases RENAME TO cases_unique")
            self.conn.execute("ALTER TABLE changes RENAME TO changes_unscoped")
            self.conn.execute(CASES)
            self.conn.execute(CHANGES)
            self.conn.execute("INSERT INTO cases (uid, case_no, version, body, device_id, status,"
                              " received_at) SELECT uid, case_no, version, body, device_id,"
                              " status, received_at FROM cases_unique")
            self.conn.execute("INSERT INTO changes (seq, device_id, case_no, status, at)"
                              " SELECT seq, COALESCE((SELECT device_id FROM cases_unique c"
                              " WHERE c.case_no = o.case_no), ''), case_no, status, at"
                              " FROM changes_unscoped o")
            self.conn.execute("DROP TABLE cases_unique")
            self.conn.execute("DROP TABLE changes_unscoped")
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def one(self, sql: str, params: Any = ()) -> tuple[Any, ...] | None:
        with self.lock:
            row: tuple[Any, ...] | None = self.conn.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return list(self.conn.execute(sql, params).fetchall())

    def write(self, sql: str, params: Any = ()) -> int:
        with self.lock:
            return self.conn.execute(sql, params).rowcount

    def json(self, sql: str, params: Any = ()) -> Any:
        row = self.one(sql, params)
        return json.loads(row[0]) if row else None

    # -- devices and tokens ------------------------------------------------------------

    def add_device(self, device_id: str, secret: str) -> None:
        """Register a device, or give it a new secret: then every token it was given
        before ends at once (whoever held the old secret holds nothing)."""
        with self.lock:
            self.write("INSERT OR REPLACE INTO devices VALUES (?, ?)", (device_id, secret))
            self.write("DELETE FROM tokens WHERE device_id = ?", (device_id,))

    def device_secret(self, device_id: str) -> str | None:
        row = self.one("SELECT secret FROM devices WHERE device_id = ?", (device_id,))
        return str(row[0]) if row else None

    def add_token(self, token: str, device_id: str, expires_at: float) -> None:
        self.write("INSERT INTO tokens VALUES (?, ?, ?)", (token, device_id, expires_at))

    def token(self, token: str) -> tuple[str, float] | None:
        """(device id, expiry as a Unix time) of a token handed out, or None."""
        row = self.one("SELECT device_id, expires_at FROM tokens WHERE token = ?", (token,))
        return (str(row[0]), float(row[1])) if row else None

    # -- catalog and pre-applications -------------------------------------------------

    def set_catalog(self, body: str, etag: str) -> None:
        self.write("INSERT OR REPLACE INTO catalog VALUES (1, ?, ?)", (body, etag))

    def catalog(self) -> tuple[str, str] | None:
        """(body, ETag) of the catalog served, or None before one is loaded."""
        row = self.one("SELECT body, etag FROM catalog WHERE id = 1")
        return (str(row[0]), str(row[1])) if row else None

    def catalog_etag(self) -> str | None:
        row = self.one("SELECT etag FROM catalog WHERE id = 1")
        return str(row[0]) if row else None

    def set_preapplication(self, code: str, body: str) -> None:
        self.write("INSERT OR REPLACE INTO preapplications VALUES (?, ?)", (code, body))

    def preapplication(self, code: str) -> Any:
        return self.json("SELECT body FROM preapplications WHERE code = ?", (code,))

    def set_appointments(self, day: str, body: str) -> None:
        self.write("INSERT OR REPLACE INTO appointments VALUES (?, ?)", (day, body))

    def appointments(self, day: str) -> Any:
        """The day's list as loaded (``{"appointments": [...]}``), or None."""
        return self.json("SELECT body FROM appointments WHERE day = ?", (day,))

    # -- idempotency of case upserts ---------------------------------------------------

    def idempotency(self, device_id: str, key: str) -> dict[str, Any] | None:
        """What is recorded for a device's key: body_hash, state ("in_progress" / "done"),
        status_code, response, uid, owner (the run of the simulator that began it) and
        started_at (Unix time); None for a key this device never used. Keys are the
        device's own: another device's key of the same text is another key."""
        row = self.one("SELECT body_hash, state, status_code, response, uid, owner, started_at"
                       " FROM idempotency WHERE device_id = ? AND key = ?", (device_id, key))
        if row is None:
            return None
        names = ("body_hash", "state", "status_code", "response", "uid", "owner", "started_at")
        return dict(zip(names, row, strict=True))

    def begin_idempotent(self, device_id: str, key: str, body_hash: str, uid: str, owner: str,
                         started_at: float) -> None:
        """Mark a key in progress (a marker left by a crash is taken over)."""
        self.write("INSERT OR REPLACE INTO idempotency (device_id, key, body_hash, state, uid,"
                   " owner, started_at) VALUES (?, ?, ?, 'in_progress', ?, ?, ?)",
                   (device_id, key, body_hash, uid, owner, started_at))

    def finish_idempotent(self, device_id: str, key: str, status_code: int, response: str) -> None:
        self.write("UPDATE idempotency SET state = 'done', status_code = ?, response = ?"
                   " WHERE device_id = ? AND key = ?", (status_code, response, device_id, key))

    def forget_idempotent(self, device_id: str, key: str) -> None:
        self.write("DELETE FROM idempotency WHERE device_id = ? AND key = ?", (device_id, key))

    # -- cases and their status changes ------------------------------------------------

    def case(self, uid: str) -> dict[str, Any] | None:
        """A stored case by client UUID: version, status, case_no, body (JSON text) and
        device_id (the device that first stored it, its owner)."""
        row = self.one("SELECT version, status, case_no, body, device_id FROM cases WHERE uid = ?",
                       (uid,))
        if row is None:
            return None
        return {"version": row[0], "status": row[1], "case_no": row[2], "body": row[3],
                "device_id": row[4]}

    def case_uid(self, device_id: str, case_no: str) -> str | None:
        """The UUID of this device's case of this 办件编号 (numbers are each device's own)."""
        row = self.one("SELECT uid FROM cases WHERE device_id = ? AND case_no = ?",
                       (device_id, case_no))
        return str(row[0]) if row else None

    def devices_of_case_no(self, case_no: str) -> list[str]:
        """Every device that has a case of this 办件编号."""
        return [str(r[0]) for r in self.all(
            "SELECT device_id FROM cases WHERE case_no = ? ORDER BY received_at", (case_no,))]

    def add_case(self, uid: str, case_no: str, version: int, body: str, device_id: str,
                 status: int, received_at: float) -> None:
        self.write("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (uid, case_no, version, body, device_id, status, received_at))

    def update_case(self, uid: str, version: int, body: str, status: int) -> None:
        self.write("UPDATE cases SET version = ?, body = ?, status = ? WHERE uid = ?",
                   (version, body, status, uid))

    def change_status(self, device_id: str, case_no: str, status: int, at: float) -> bool:
        """The platform changes the status of a device's case (办结 ...) and lists it in
        that device's change feed; False when the device has no such case."""
        with self.lock:
            if not self.write("UPDATE cases SET status = ? WHERE device_id = ? AND case_no = ?",
                              (status, device_id, case_no)):
                return False
            self.write("INSERT INTO changes (device_id, case_no, status, at) VALUES (?, ?, ?, ?)",
                       (device_id, case_no, status, at))
            return True

    def changes(self, device_id: str, cursor: int, limit: int) -> list[tuple[int, str, int, float]]:
        """Status changes after ``cursor`` of the cases this device stored: (seq, case_no,
        status, at), oldest first."""
        return [(r[0], r[1], r[2], r[3]) for r in self.all(
            "SELECT seq, case_no, status, at FROM changes"
            " WHERE seq > ? AND device_id = ? ORDER BY seq LIMIT ?",
            (cursor, device_id, limit))]

    def case_by_number(self, case_no: str, device_id: str | None = None) -> dict[str, Any] | None:
        """The platform's own record of a case (what it confirmed), by 办件编号: the given
        device's, or without one the first stored of that number."""
        row = self.one("SELECT uid, version, status, device_id, body FROM cases WHERE case_no = ?"
                       " AND device_id = coalesce(?, device_id) ORDER BY received_at LIMIT 1",
                       (case_no, device_id))
        if row is None:
            return None
        body = json.loads(row[4])
        files = [sha for m in body.get("materials", []) for sha in m.get("attachments", [])]
        complete = all(self.blob_complete(row[3], sha) for sha in files)
        return {"uid": row[0], "case_no": case_no, "version": row[1], "status": row[2],
                "device_id": row[3], "applicant_name": body.get("applicant_name"),
                "attachments": files, "attachments_complete": bool(complete)}

    # -- blobs and evaluations ---------------------------------------------------------

    def blob(self, device_id: str, sha256: str) -> tuple[int, bool] | None:
        """(total length, complete) of a blob this device began, or None. Each device
        uploads its own copy: another device's upload of the same bytes is not seen."""
        row = self.one("SELECT total, complete FROM blobs WHERE device_id = ? AND sha256 = ?",
                       (device_id, sha256))
        return (int(row[0]), bool(row[1])) if row else None

    def blob_complete(self, device_id: str, sha256: str) -> bool:
        found = self.blob(device_id, sha256)
        return found is not None and found[1]

    def begin_blob(self, device_id: str, sha256: str, total: int) -> None:
        self.write("INSERT INTO blobs (device_id, sha256, total) VALUES (?, ?, ?)",
                   (device_id, sha256, total))

    def complete_blob(self, device_id: str, sha256: str) -> None:
        self.write("UPDATE blobs SET complete = 1 WHERE device_id = ? AND sha256 = ?",
                   (device_id, sha256))

    def partial_bytes(self, device_id: str, but: str = "") -> int:
        """The declared totals of this device's unfinished uploads (but ``but``'s): what it
        may still send, bounded by ``sim_limits.MAX_PARTIAL_BYTES``."""
        row = self.one("SELECT coalesce(sum(total), 0) FROM blobs WHERE device_id = ?"
                       " AND complete = 0 AND sha256 != ?", (device_id, but))
        return int(row[0]) if row else 0

    def drop_blob(self, device_id: str, sha256: str) -> None:
        self.write("DELETE FROM blobs WHERE device_id = ? AND sha256 = ?", (device_id, sha256))

    def evaluation(self, device_id: str, uid: str) -> str | None:
        """The body of this device's evaluation ``uid`` (UUIDs are the device's own)."""
        row = self.one("SELECT body FROM evaluations WHERE device_id = ? AND uid = ?",
                       (device_id, uid))
        return str(row[0]) if row else None

    def add_evaluation(self, device_id: str, uid: str, body: str) -> None:
        self.write("INSERT INTO evaluations (device_id, uid, body) VALUES (?, ?, ?)",
                   (device_id, uid, body))

    def stats(self) -> dict[str, int]:
        """What the platform holds: cases, complete blobs, evaluations."""
        count = {"cases": "SELECT count(*) FROM cases",
                 "blobs": "SELECT count(DISTINCT sha256) FROM blobs WHERE complete = 1",
                 "evaluations": "SELECT count(*) FROM evaluations"}
        return {name: int((self.one(sql) or (0,))[0]) for name, sql in count.items()}

    def close(self) -> None:
        with self.lock:
            self.conn.close()
