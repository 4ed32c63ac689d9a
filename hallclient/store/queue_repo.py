"""Ticket storage. Every state change is a compare-and-set on (id, state)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from hallclient.core.queue_policy import Head
from hallclient.core.tickets import PriorityClass, Ticket, TicketState

_COLUMNS = (
    "id, day, number, service, priority, state, issued_at, window, target_window, recalls,"
    " raised, called_at, started_at, finished_at, reason, appointment_time, id_masked, id_check"
)


def _ticket(row: Iterable[Any]) -> Ticket:
    (id_, day, number, service, priority, state, issued_at, window, target, recalls,
     raised, called_at, started_at, finished_at, reason, appointment_time, id_masked,
     id_check) = row
    return Ticket(
        id=id_, day=day, number=number, service=service, priority=PriorityClass(priority),
        state=TicketState(state), issued_at=issued_at, window=window, target_window=target,
        recalls=recalls, raised=bool(raised), called_at=called_at, started_at=started_at,
        finished_at=finished_at, reason=reason, appointment_time=appointment_time,
        id_masked=id_masked, id_check=id_check,
    )


def next_seq(conn: sqlite3.Connection, day: str, prefix: str) -> int:
    """Daily number for a prefix; unique because it runs inside the write lock."""
    row = conn.execute(
        "INSERT INTO ticket_counters (day, prefix, last) VALUES (?, ?, 1)"
        " ON CONFLICT(day, prefix) DO UPDATE SET last = last + 1 RETURNING last",
        (day, prefix),
    ).fetchone()
    return int(row[0])


def insert(conn: sqlite3.Connection, **fields: Any) -> int:
    names = ", ".join(fields)
    marks = ", ".join(f":{k}" for k in fields)
    cursor = conn.execute(f"INSERT INTO tickets ({names}) VALUES ({marks})", fields)
    return int(cursor.lastrowid or 0)


def get(conn: sqlite3.Connection, ticket_id: int) -> Ticket | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    return _ticket(row) if row else None


def by_number(conn: sqlite3.Connection, day: str, number: str) -> Ticket | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM tickets WHERE day = ? AND number = ?", (day, number.upper())
    ).fetchone()
    return _ticket(row) if row else None


def compare_and_set(
    conn: sqlite3.Connection, ticket_id: int, expected: TicketState, **changes: Any
) -> bool:
    """Apply ``changes`` only if the ticket is still in ``expected``; True when it was."""
    sets = ", ".join(f"{k} = :{k}" for k in changes)
    cursor = conn.execute(
        f"UPDATE tickets SET {sets} WHERE id = :_id AND state = :_expected",
        {**changes, "_id": ticket_id, "_expected": expected.value},
    )
    return cursor.rowcount == 1


_LANE_SQL = (
    "SELECT id, service, priority, sort_at_ms, seq, raised FROM tickets"
    " WHERE day = ? AND service = ? AND state = 'waiting' AND target_window IS NULL"
    " AND priority = ? AND raised = ? ORDER BY sort_at_ms, seq LIMIT 1"
)
_TARGETED_SQL = (
    "SELECT id, service, priority, sort_at_ms, seq, raised FROM tickets"
    " WHERE day = ? AND target_window = ? AND state = 'waiting'"
    " ORDER BY sort_at_ms, seq LIMIT 1"
)


def heads(conn: sqlite3.Connection, day: str, services: Iterable[str], window: int) -> list[Head]:
    """The earliest waiting ticket of each lane a window may call (see core.queue_policy)."""
    result = []
    for service in services:
        for priority in PriorityClass:
            for raised in (0, 1):
                row = conn.execute(_LANE_SQL, (day, service, int(priority), raised)).fetchone()
                if row:
                    result.append(
                        Head(row[0], row[1], PriorityClass(row[2]), row[3], row[4], bool(row[5]))
                    )
    row = conn.execute(_TARGETED_SQL, (day, window)).fetchone()
    if row:
        result.append(
            Head(row[0], row[1], PriorityClass(row[2]), row[3], row[4], bool(row[5]), True)
        )
    return result


def active_at_window(conn: sqlite3.Connection, day: str, window: int) -> Ticket | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM tickets WHERE day = ? AND window = ?"
        " AND state IN ('called', 'serving') ORDER BY called_at DESC LIMIT 1",
        (day, window),
    ).fetchone()
    return _ticket(row) if row else None


def held_at_window(conn: sqlite3.Connection, day: str, window: int) -> list[Ticket]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM tickets WHERE day = ? AND window = ? AND state = 'held'"
        " ORDER BY +number",       # "+": sort the few rows found, not walk the day by number
        (day, window),
    ).fetchall()
    return [_ticket(r) for r in rows]


def no_shows(conn: sqlite3.Connection, day: str, services: Iterable[str]) -> list[Ticket]:
    codes = list(services)
    marks = ", ".join("?" for _ in codes) or "NULL"
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM tickets WHERE day = ? AND state = 'no_show'"
        f" AND service IN ({marks}) ORDER BY sort_at_ms",
        (day, *codes),
    ).fetchall()
    return [_ticket(r) for r in rows]


def waiting_counts(conn: sqlite3.Connection, day: str) -> dict[str, dict[int, int]]:
    counts: dict[str, dict[int, int]] = {}
    for service, priority, n in conn.execute(
        "SELECT service, priority, count(*) FROM tickets WHERE day = ? AND state = 'waiting'"
        " GROUP BY service, priority",
        (day,),
    ):
        counts.setdefault(service, {})[int(priority)] = int(n)
    return counts


def people_ahead(conn: sqlite3.Connection, ticket: Ticket, sort_at_ms: int) -> int:
    """Waiting tickets of the same service that will be called before this one as things
    stand: same or higher priority and earlier arrival (printed on the ticket)."""
    row = conn.execute(
        "SELECT count(*) FROM tickets WHERE day = ? AND service = ? AND state = 'waiting'"
        " AND target_window IS NULL AND id != ? AND (priority > ? OR (priority = ? AND"
        " (sort_at_ms < ? OR (sort_at_ms = ? AND id < ?))))",
        (ticket.day, ticket.service, ticket.id, int(ticket.priority), int(ticket.priority),
         sort_at_ms, sort_at_ms, ticket.id),
    ).fetchone()
    return int(row[0])


def all_for_day(conn: sqlite3.Connection, day: str) -> list[Ticket]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM tickets WHERE day = ? ORDER BY id", (day,))
    return [_ticket(r) for r in rows]


def manual_applied(conn: sqlite3.Connection, uid: str) -> tuple[str, str] | None:
    """The device that sent the manual service ``uid`` and the answer (JSON) it got when
    the hall server applied it."""
    row = conn.execute("SELECT device, result FROM hall_manual_applied WHERE uid = ?",
                       (uid,)).fetchone()
    return (str(row[0]), str(row[1])) if row is not None else None


def record_manual_applied(conn: sqlite3.Connection, uid: str, device: str, result: str,
                          applied_at: str) -> None:
    conn.execute("INSERT INTO hall_manual_applied (uid, device, result, applied_at)"
                 " VALUES (?, ?, ?, ?)", (uid, device, result, applied_at))


def forget_cards(conn: sqlite3.Connection, day: str) -> int:
    """Tickets of days before ``day`` lose what they kept of a card (the last four and the
    check): a card is needed only while its ticket is served."""
    cursor = conn.execute("UPDATE tickets SET id_masked = '', id_check = '' WHERE day < ?"
                          " AND (id_masked != '' OR id_check != '')", (day,))
    return cursor.rowcount
