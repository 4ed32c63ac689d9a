"""Local clerk accounts."""

from __future__ import annotations

import sqlite3

from hallclient.core.accounts import Clerk, Role


def add_clerk(
    conn: sqlite3.Connection, username: str, display_name: str, role: Role,
    password_hash: str, at: str,
) -> None:
    conn.execute(
        "INSERT INTO clerks (username, display_name, role, password_hash, created_at)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(username) DO UPDATE SET display_name = excluded.display_name,"
        " role = excluded.role, password_hash = excluded.password_hash, active = 1",
        (username, display_name, role.value, password_hash, at),
    )


def password_hash(conn: sqlite3.Connection, username: str) -> tuple[Clerk, str] | None:
    row = conn.execute(
        "SELECT username, display_name, role, password_hash FROM clerks"
        " WHERE username = ? AND active = 1",
        (username,),
    ).fetchone()
    if row is None:
        return None
    return Clerk(row[0], row[1], Role(row[2])), row[3]


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM clerks WHERE active = 1").fetchone()[0])
