"""The upload outbox (待上传队列): what is due, and what happened to each row."""

from __future__ import annotations

import sqlite3
from typing import Any

PENDING, DONE, ATTENTION, SUPERSEDED = "pending", "done", "needs_attention", "superseded"


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def due(conn: sqlite3.Connection, now: str, limit: int = 50) -> list[dict[str, Any]]:
    """Pending rows whose time has come, oldest first."""
    return _dicts(conn.execute(
        "SELECT * FROM outbox WHERE state = 'pending' AND (next_try_at IS NULL OR next_try_at <= ?)"
        " ORDER BY id LIMIT ?", (now, limit)))


def supersede_older(conn: sqlite3.Connection, case_id: int, version: int) -> int:
    """An upload of ``version`` carries everything older pending versions would have."""
    return conn.execute(
        "UPDATE outbox SET state = 'superseded' WHERE case_id = ? AND kind = 'case_upsert'"
        " AND state IN ('pending', 'needs_attention') AND version < ?", (case_id, version)).rowcount


def newest_version(conn: sqlite3.Connection, case_id: int) -> int:
    row = conn.execute("SELECT max(version) FROM outbox WHERE case_id = ? AND kind = 'case_upsert'",
                       (case_id,)).fetchone()
    return int(row[0] or 0)


def mark_done(conn: sqlite3.Connection, row_id: int) -> None:
    conn.execute("UPDATE outbox SET state = 'done', last_error = NULL, attempts = attempts + 1,"
                 " in_progress_since = NULL WHERE id = ?", (row_id,))


def mark_in_progress(conn: sqlite3.Connection, row_id: int, next_try_at: str, error: str,
                     now: str) -> str:
    """The platform answered "still in progress": retry later; returns since when it has
    been answering so (kept from the first such answer)."""
    conn.execute("UPDATE outbox SET attempts = attempts + 1, next_try_at = ?, last_error = ?,"
                 " in_progress_since = coalesce(in_progress_since, ?) WHERE id = ?",
                 (next_try_at, error, now, row_id))
    row = conn.execute("SELECT in_progress_since FROM outbox WHERE id = ?", (row_id,)).fetchone()
    return str(row[0]) if row and row[0] else now


def mark_retry(conn: sqlite3.Connection, row_id: int, next_try_at: str, error: str) -> None:
    conn.execute("UPDATE outbox SET attempts = attempts + 1, next_try_at = ?, last_error = ?"
                 " WHERE id = ?", (next_try_at, error, row_id))


def mark_attention(conn: sqlite3.Connection, row_id: int, error: str) -> None:
    conn.execute("UPDATE outbox SET state = 'needs_attention', attempts = attempts + 1,"
                 " last_error = ? WHERE id = ?", (error, row_id))


def retry_now(conn: sqlite3.Connection, row_id: int) -> None:
    """The clerk fixed the case or asked for 立即重试."""
    conn.execute("UPDATE outbox SET state = 'pending', next_try_at = NULL,"
                 " in_progress_since = NULL WHERE id = ?", (row_id,))


def pending_case_numbers(conn: sqlite3.Connection) -> set[str]:
    """Cases with something still to send (pending or needing attention)."""
    return {r[0] for r in conn.execute(
        "SELECT DISTINCT c.case_no FROM outbox o JOIN cases c ON c.id = o.case_id"
        " WHERE o.state IN ('pending', 'needs_attention')")}


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {str(state): int(n) for state, n in
            conn.execute("SELECT state, count(*) FROM outbox GROUP BY state")}


def oldest_pending(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT min(created_at) FROM outbox WHERE state = 'pending'").fetchone()
    return str(row[0]) if row and row[0] else None


def all_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return _dicts(conn.execute("SELECT * FROM outbox ORDER BY id"))


def overview(conn: sqlite3.Connection, limit: int = 500) -> list[dict[str, Any]]:
    """Rows for the outbox view, newest first, with the case or rating they carry."""
    return _dicts(conn.execute(
        "SELECT o.id, o.kind, o.version, o.state, o.attempts, o.next_try_at, o.last_error,"
        " o.created_at, c.case_no, c.applicant_name, c.mobile, c.address, c.id_number,"
        " e.level AS evaluation_level FROM outbox o LEFT JOIN cases c ON c.id = o.case_id"
        " LEFT JOIN evaluations e ON e.id = o.evaluation_id"
        " ORDER BY CASE o.state WHEN 'needs_attention' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END,"
        " o.id DESC LIMIT ?", (limit,)))


def case_upload(conn: sqlite3.Connection, case_no: str) -> dict[str, Any] | None:
    """The newest upload of a case: its state and the platform's last answer."""
    rows = _dicts(conn.execute(
        "SELECT o.state, o.last_error, o.version FROM outbox o JOIN cases c ON c.id = o.case_id"
        " WHERE c.case_no = ? AND o.kind = 'case_upsert' ORDER BY o.id DESC LIMIT 1", (case_no,)))
    return rows[0] if rows else None
