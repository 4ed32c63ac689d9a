"""The ``meta`` table: one small key → text store per database (cursors, heads, etags).

Every read and write of ``meta`` goes through these two functions, so the table's shape
lives in one place.
"""

from __future__ import annotations

import sqlite3


def get(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row is not None else default


def put(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Insert or replace; runs inside the caller's transaction when one is open."""
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)"
                 " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))


def put_once(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Insert unless the key already has a value (first writer wins)."""
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
