"""Manual mode (手工接待) on a counter PC: the services received by hand while the hall
server was out of reach, kept until the server has each one (``manual_services``).

A row is started, finished, then sent once; ``result`` keeps the server's answer (JSON)
for the clerk's notice. A row the server refuses for good (its number, say) is set aside
(``refused_at``, ``refusal``) until the clerk corrects it (sent again) or withdraws it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

_COLUMNS = ("id, uid, window, clerk, ticket, started_at, finished_at, sent_at, result,"
            " refused_at, refusal")


@dataclass(frozen=True)
class ManualService:
    id: int
    uid: str
    window: int
    clerk: str
    ticket: str | None          # the number on the applicant's ticket; None for a walk-in
    started_at: str
    finished_at: str | None
    sent_at: str | None
    result: str | None          # the hall server's answer, as JSON
    refused_at: str | None = None       # set aside: the hall server refused it for good
    refusal: str | None = None          # ... saying why


def _select(conn: sqlite3.Connection, where: str, params: tuple[object, ...] = ()
            ) -> list[ManualService]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM manual_services WHERE {where}", params)
    return [ManualService(*row) for row in rows]


def get(conn: sqlite3.Connection, row_id: int) -> ManualService | None:
    rows = _select(conn, "id = ?", (row_id,))
    return rows[0] if rows else None


def open_at(conn: sqlite3.Connection, window: int) -> ManualService | None:
    """The service this window is giving by hand now (started, not finished)."""
    rows = _select(conn, "window = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
                   (window,))
    return rows[0] if rows else None


def unsent(conn: sqlite3.Connection) -> list[ManualService]:
    """Finished services the hall server has not got yet, oldest first."""
    return _select(conn, "finished_at IS NOT NULL AND sent_at IS NULL AND refused_at IS NULL"
                         " ORDER BY id")


def unsent_count(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM manual_services WHERE finished_at IS NOT NULL"
                       " AND sent_at IS NULL AND refused_at IS NULL").fetchone()
    return int(row[0])


def set_aside(conn: sqlite3.Connection, row_id: int, at: str, refusal: str) -> None:
    conn.execute("UPDATE manual_services SET refused_at = ?, refusal = ? WHERE id = ?",
                 (at, refusal, row_id))


def aside(conn: sqlite3.Connection) -> list[ManualService]:
    """Services set aside for the clerk, oldest first."""
    return _select(conn, "refused_at IS NOT NULL AND sent_at IS NULL ORDER BY id")


def aside_count(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM manual_services"
                       " WHERE refused_at IS NOT NULL AND sent_at IS NULL").fetchone()
    return int(row[0])


def amend(conn: sqlite3.Connection, row_id: int, ticket: str | None) -> None:
    """The clerk's correction: the number (None: a walk-in); the row is sent again."""
    conn.execute("UPDATE manual_services SET ticket = ?, refused_at = NULL, refusal = NULL"
                 " WHERE id = ?", (ticket, row_id))


def answered(conn: sqlite3.Connection) -> list[ManualService]:
    """Services the hall server has answered about, oldest first."""
    return _select(conn, "result IS NOT NULL ORDER BY id")


def start(conn: sqlite3.Connection, *, uid: str, window: int, clerk: str, ticket: str | None,
          started_at: str) -> int:
    """Inside the caller's write transaction; returns the new row's id."""
    cursor = conn.execute(
        "INSERT INTO manual_services (uid, window, clerk, ticket, started_at)"
        " VALUES (?, ?, ?, ?, ?)", (uid, window, clerk, ticket, started_at))
    return int(cursor.lastrowid or 0)


def finish(conn: sqlite3.Connection, row_id: int, finished_at: str) -> None:
    conn.execute("UPDATE manual_services SET finished_at = ? WHERE id = ?",
                 (finished_at, row_id))


def mark_sent(conn: sqlite3.Connection, row_id: int, sent_at: str, result: str) -> None:
    conn.execute("UPDATE manual_services SET sent_at = ?, result = ? WHERE id = ?",
                 (sent_at, result, row_id))
