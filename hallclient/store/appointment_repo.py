"""The day's appointments (预约): imported from the booking system, used once by a ticket."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from hallclient.core.appointments import Appointment


def import_appointments(conn: sqlite3.Connection, appointments: Iterable[Appointment]) -> int:
    """Add or update appointments by (day, code); one already used keeps its ticket."""
    n = 0
    for a in appointments:
        conn.execute(
            "INSERT INTO appointments (day, code, phone, service, at_time) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(day, code) DO UPDATE SET phone = excluded.phone,"
            " service = excluded.service, at_time = excluded.at_time",
            (a.day, a.code, a.phone, a.service, a.at_time))
        n += 1
    return n


def matching(conn: sqlite3.Connection, day: str, key: str) -> list[tuple[Appointment, str | None]]:
    """The day's appointments with this code or phone, each with the ticket that used it."""
    rows = conn.execute(
        "SELECT day, at_time, code, phone, service, ticket FROM appointments"
        " WHERE day = ? AND (code = ? OR (phone != '' AND phone = ?)) ORDER BY at_time",
        (day, key, key)).fetchall()
    return [(Appointment(*row[:5]), row[5]) for row in rows]


def mark_used(conn: sqlite3.Connection, day: str, code: str, ticket: str) -> bool:
    """Compare-and-set: the appointment is used by ``ticket`` unless it already was."""
    cur = conn.execute("UPDATE appointments SET ticket = ? WHERE day = ? AND code = ?"
                       " AND ticket IS NULL", (ticket, day, code))
    return cur.rowcount == 1


def count_for_day(conn: sqlite3.Connection, day: str) -> int:
    row = conn.execute("SELECT count(*) FROM appointments WHERE day = ?", (day,)).fetchone()
    return int(row[0])
