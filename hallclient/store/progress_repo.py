"""办件查询 storage: a case's progress as the kiosk shows it, the clerk's 待领取 / 已邮寄,
which cases' progress the hall server has not got yet, and wrong query passwords per case
number (kept, so a lockout outlives a restart of the kiosk)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from hallclient.core.cases import CaseStatus
from hallclient.core.progress import Attempts, Handover, MissingItem, ProgressRecord


@dataclass(frozen=True)
class StoredProgress:
    """A case's progress with what checks the query: the password (in the clear on this PC,
    a reprint prints it again) and the revision of the progress it is (for publishing)."""

    record: ProgressRecord
    password: str
    case_id: int
    rev: int


_COLUMNS = ("id, case_no, status, promised_date, handover, waybill, pickup_place,"
            " query_password, progress_rev")


def _missing(conn: sqlite3.Connection, case_id: int) -> tuple[MissingItem, ...]:
    """The materials a 补正 case still lacks, with the reason the clerk gave (migration 15)."""
    rows = conn.execute("SELECT name, correction_reason FROM case_materials WHERE case_id = ?"
                        " AND status = 'missing' AND requirement = 'required' ORDER BY code",
                        (case_id,))
    return tuple(MissingItem(str(r[0]), str(r[1] or "")) for r in rows)


def _stored(conn: sqlite3.Connection, row: tuple[object, ...]) -> StoredProgress:
    case_id, case_no, status, promised, handover, waybill, place, password, rev = row
    assert isinstance(case_id, int) and isinstance(status, int) and isinstance(rev, int)
    missing = _missing(conn, case_id) if status == CaseStatus.CORRECTION_STARTED else ()
    record = ProgressRecord(str(case_no), status, str(promised) if promised else None, missing,
                            Handover(handover or ""), str(waybill or ""), str(place or ""))
    return StoredProgress(record, str(password), case_id, rev)


def progress(conn: sqlite3.Connection, case_no: str) -> StoredProgress | None:
    """By the case number in capitals (as the kiosk's keypad types it; a device code of
    small letters, hall.device_code, is found all the same), one indexed look-up for a
    case there is and for one there is not."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM cases WHERE upper(case_no) = ?",
                       (case_no.upper(),)).fetchone()
    return _stored(conn, row) if row else None


def set_handover(conn: sqlite3.Connection, case_no: str, handover: Handover, waybill: str,
                 pickup_place: str, at: str) -> bool:
    """The clerk records how the result reaches the applicant; False: no such case."""
    changed = conn.execute(
        "UPDATE cases SET handover = ?, waybill = ?, pickup_place = ?, updated_at = ?"
        " WHERE case_no = ?", (handover.value, waybill or None, pickup_place or None, at, case_no))
    return changed.rowcount == 1


# -- publishing to the hall server ---------------------------------------------------------

def unpublished(conn: sqlite3.Connection, limit: int) -> list[StoredProgress]:
    """Cases whose progress changed since the hall server last got it, oldest first."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM cases WHERE progress_sent < progress_rev"
                        " ORDER BY id LIMIT ?", (limit,)).fetchall()
    return [_stored(conn, r) for r in rows]


def mark_published(conn: sqlite3.Connection, case_id: int, rev: int) -> None:
    """The hall server has revision ``rev``; a change made since stays unpublished."""
    conn.execute("UPDATE cases SET progress_sent = ? WHERE id = ? AND progress_sent < ?",
                 (rev, case_id, rev))


# -- wrong passwords -----------------------------------------------------------------------

def attempts(conn: sqlite3.Connection, case_no: str) -> Attempts:
    row = conn.execute("SELECT failures, last_at, locked_until FROM progress_attempts"
                       " WHERE case_no = ?", (case_no,)).fetchone()
    return Attempts(int(row[0]), row[1], row[2]) if row else Attempts()


def keep_attempts(conn: sqlite3.Connection, case_no: str, kept: Attempts | None) -> None:
    """Keep the attempts after a query (None: the right password, forget them)."""
    if kept is None:
        conn.execute("DELETE FROM progress_attempts WHERE case_no = ?", (case_no,))
        return
    conn.execute(
        "INSERT INTO progress_attempts (case_no, failures, last_at, locked_until)"
        " VALUES (?, ?, ?, ?) ON CONFLICT(case_no) DO UPDATE SET failures = excluded.failures,"
        " last_at = excluded.last_at, locked_until = excluded.locked_until",
        (case_no, kept.failures, kept.last_at, kept.locked_until))


def forget_old_attempts(conn: sqlite3.Connection, before: str) -> None:
    """Numbers nobody mistyped since ``before`` and not locked any more: the table stays
    small however many made-up numbers are tried."""
    conn.execute("DELETE FROM progress_attempts WHERE last_at < ?"
                 " AND (locked_until IS NULL OR locked_until < ?)", (before, before))
