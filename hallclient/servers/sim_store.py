"""platform_sim's own SQLite database (it survives restarts)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (device_id TEXT PRIMARY KEY, secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, device_id TEXT NOT NULL,
                                   expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS catalog (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL,
                                    etag TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (uid TEXT PRIMARY KEY, case_no TEXT NOT NULL UNIQUE,
                                  version INTEGER NOT NULL, body TEXT NOT NULL,
                                  device_id TEXT NOT NULL, status INTEGER NOT NULL,
                                  received_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, body_hash TEXT NOT NULL,
                                        state TEXT NOT NULL, status_code INTEGER,
                                        response TEXT);
CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, total INTEGER NOT NULL,
                                  complete INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS evaluations (uid TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, case_no TEXT NOT NULL,
                                    status INTEGER NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS preapplications (code TEXT PRIMARY KEY, body TEXT NOT NULL);
"""


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
        self.conn.executescript(SCHEMA)

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

    def add_device(self, device_id: str, secret: str) -> None:
        self.write("INSERT OR REPLACE INTO devices VALUES (?, ?)", (device_id, secret))

    def set_catalog(self, body: str, etag: str) -> None:
        self.write("INSERT OR REPLACE INTO catalog VALUES (1, ?, ?)", (body, etag))

    def catalog_etag(self) -> str | None:
        row = self.one("SELECT etag FROM catalog WHERE id = 1")
        return str(row[0]) if row else None

    def case_by_number(self, case_no: str) -> dict[str, Any] | None:
        """The platform's own record of a case (what it confirmed), by 办件编号."""
        row = self.one("SELECT uid, version, status, device_id, body FROM cases WHERE case_no = ?",
                       (case_no,))
        if row is None:
            return None
        body = json.loads(row[4])
        files = [sha for m in body.get("materials", []) for sha in m.get("attachments", [])]
        complete = all((self.one("SELECT complete FROM blobs WHERE sha256 = ?", (sha,)) or (0,))[0]
                       for sha in files)
        return {"uid": row[0], "case_no": case_no, "version": row[1], "status": row[2],
                "device_id": row[3], "applicant_name": body.get("applicant_name"),
                "attachments": files, "attachments_complete": bool(complete)}

    def close(self) -> None:
        with self.lock:
            self.conn.close()
