"""The day's appointments (预约): imported from the booking system's file or pulled from
the platform, used once by a ticket. The applicant's card number is never stored: only a
keyed hash (``card_key``) to find the appointment when the card is swiped at the kiosk."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from hallclient.core.appointments import Appointment
from hallclient.core.swipe import card_key_hash
from hallclient.store import hall_repo, meta
from hallclient.store.db import Database

_KEY = "appointment_card_key"


def card_key(conn: sqlite3.Connection) -> bytes:
    """This queue's key for card hashes, made on first use (inside a write)."""
    found = meta.get(conn, _KEY)
    if found is None:
        found = secrets.token_hex(32)
        meta.put(conn, _KEY, found)
    return bytes.fromhex(found)


def read_card_key(conn: sqlite3.Connection) -> bytes | None:
    """The key, or None while no appointment was ever stored with a card."""
    found = meta.get(conn, _KEY)
    return bytes.fromhex(found) if found is not None else None


def card_hashes(key: bytes, appointments: Iterable[Appointment]) -> dict[str, str]:
    """Each appointment's card as stored (by code). Slow on purpose: compute it outside a
    write transaction."""
    return {a.code: card_key_hash(key, a.id_number) for a in appointments if a.id_number}


def _upsert(conn: sqlite3.Connection, a: Appointment, id_hash: str, source: str) -> None:
    conn.execute(
        "INSERT INTO appointments (day, code, phone, service, at_time, id_hash, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(day, code) DO UPDATE SET phone = excluded.phone,"
        " service = excluded.service, at_time = excluded.at_time, id_hash = excluded.id_hash,"
        " source = excluded.source",
        (a.day, a.code, a.phone, a.service, a.at_time, id_hash, source))


def import_appointments(conn: sqlite3.Connection, appointments: Iterable[Appointment]) -> int:
    """Add or update appointments by (day, code) from the booking system's file (which
    names no cards); one already used keeps its ticket."""
    n = 0
    for a in appointments:
        _upsert(conn, a, "", "file")
        n += 1
    return n


@dataclass(frozen=True)
class PlatformDay:
    """What taking the platform's list of a day changed: listed (added or updated),
    removed (cancelled on the platform and not used), unknown (services this hall lacks)."""

    listed: int
    removed: int
    unknown: tuple[str, ...]


def replace_platform_day(conn: sqlite3.Connection, day: str, appointments: Iterable[Appointment],
                         services: set[str], id_hashes: dict[str, str]) -> PlatformDay:
    """The platform's whole list for ``day`` (``id_hashes``: ``card_hashes`` of it): added
    or updated; platform ones it no longer lists and no ticket used are removed
    (cancelled); imported ones (the file's) are left alone, also where the platform lists
    the same code. Appointments for services not in ``services`` are skipped (reported)."""
    listed: list[str] = []
    unknown: set[str] = set()
    for a in appointments:
        if a.day != day:
            continue
        if a.service not in services:
            unknown.add(a.service)
            continue
        imported = conn.execute("SELECT 1 FROM appointments WHERE day = ? AND code = ?"
                                " AND source = 'file'", (day, a.code)).fetchone()
        if imported is None:
            _upsert(conn, a, id_hashes.get(a.code, ""), "platform")
        listed.append(a.code)
    if not listed:
        # an empty list never empties a day: a booking system answering nothing by mistake
        # must not cancel every appointment (they go one by one, as the list shrinks)
        return PlatformDay(0, 0, tuple(sorted(unknown)))
    marks = ", ".join("?" * len(listed))
    gone = conn.execute(
        "DELETE FROM appointments WHERE day = ? AND source = 'platform' AND ticket IS NULL"
        f" AND code NOT IN ({marks})", (day, *listed))
    return PlatformDay(len(listed), gone.rowcount, tuple(sorted(unknown)))


def apply_platform_day(db: Database, day: str, appointments: list[Appointment]) -> PlatformDay:
    """``replace_platform_day`` for this queue's services, the slow card hashes computed
    between two short writes (never inside one: the queue's writes wait for nothing)."""
    with db.write() as conn:
        key = card_key(conn)
    hashes = card_hashes(key, appointments)
    with db.write() as conn:
        services = {s.code for s in hall_repo.services(conn)}
        return replace_platform_day(conn, day, appointments, services, hashes)


def matching(conn: sqlite3.Connection, day: str, key: str) -> list[tuple[Appointment, str | None]]:
    """The day's appointments with this code or phone, each with the ticket that used it."""
    rows = conn.execute(
        "SELECT day, at_time, code, phone, service, ticket FROM appointments"
        " WHERE day = ? AND (code = ? OR (phone != '' AND phone = ?)) ORDER BY at_time",
        (day, key, key)).fetchall()
    return [(Appointment(*row[:5]), row[5]) for row in rows]


def by_card(conn: sqlite3.Connection, day: str, id_hash: str) -> list[tuple[Appointment, str | None]]:
    """The day's appointments booked with this card (``card_key_hash`` of its number), each
    with the ticket that used it."""
    if not id_hash:
        return []
    rows = conn.execute(
        "SELECT day, at_time, code, phone, service, ticket FROM appointments"
        " WHERE day = ? AND id_hash = ? ORDER BY at_time", (day, id_hash)).fetchall()
    return [(Appointment(*row[:5]), row[5]) for row in rows]


def mark_used(conn: sqlite3.Connection, day: str, code: str, ticket: str) -> bool:
    """Compare-and-set: the appointment is used by ``ticket`` unless it already was."""
    cur = conn.execute("UPDATE appointments SET ticket = ? WHERE day = ? AND code = ?"
                       " AND ticket IS NULL", (ticket, day, code))
    return cur.rowcount == 1


def count_for_day(conn: sqlite3.Connection, day: str) -> int:
    row = conn.execute("SELECT count(*) FROM appointments WHERE day = ?", (day,)).fetchone()
    return int(row[0])
