"""Event log storage: append inside the caller's transaction, read back, verify."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hallclient.core import eventlog
from hallclient.store import meta


def _head(conn: sqlite3.Connection) -> tuple[int, str]:
    head = meta.get(conn, "log_head")
    if head is None:
        return 0, eventlog.GENESIS
    seq, digest = head.split(":")
    return int(seq), digest


def device_id(conn: sqlite3.Connection) -> str:
    return meta.get(conn, "device_id") or ""


# What the hall server's log push carries (wire.hall.LogEntryIn): an entry is written within
# these, so that no entry (a 9,000-character user name typed at a failed sign-in, say) can
# ever hold back the entries after it. What does not fit is cut and marked so.
MAX_NAME, MAX_TICKET, MAX_DETAIL = 64, 20, 8000
CUT = "…（截断）"


def _clip(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit - 1] + "…"


def _detail_text(detail: dict[str, Any] | None) -> str | None:
    if not detail:
        return None

    def dumped(d: dict[str, Any]) -> str:
        return json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    text = dumped(detail)
    keep = 1000
    while len(text) > MAX_DETAIL and keep > 0:      # the longest texts cut first, shorter and shorter
        detail = {k: (v[:keep] + CUT if isinstance(v, str) and len(v) > keep else v)
                  for k, v in detail.items()}
        text = dumped(detail)
        keep //= 2
    return text if len(text) <= MAX_DETAIL else dumped({"cut": CUT})


def append(
    conn: sqlite3.Connection,
    *,
    at: str,
    action: str,
    window: int | None = None,
    clerk: str | None = None,
    ticket: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry; must run inside a write transaction (Database.write)."""
    if not conn.in_transaction:
        raise RuntimeError("event log append needs an open write transaction")
    last_seq, prev = _head(conn)
    fields: dict[str, Any] = {
        "seq": last_seq + 1,
        "at": at,
        "device": device_id(conn),
        "window": window,
        "clerk": _clip(clerk, MAX_NAME),
        "action": _clip(action, MAX_NAME),
        "ticket": _clip(ticket, MAX_TICKET),
        "detail": _detail_text(detail),
    }
    digest = eventlog.entry_hash(prev, fields)
    conn.execute(
        "INSERT INTO event_log (seq, at, device, window, clerk, action, ticket, detail,"
        " prev_hash, hash) VALUES (:seq, :at, :device, :window, :clerk, :action, :ticket,"
        " :detail, :prev_hash, :hash)",
        {**fields, "prev_hash": prev, "hash": digest},
    )
    meta.put(conn, "log_head", f"{last_seq + 1}:{digest}")
    return last_seq + 1


def entries(conn: sqlite3.Connection, since_seq: int = 0, limit: int = -1) -> list[dict[str, Any]]:
    conn_rows = conn.execute(
        "SELECT seq, at, device, window, clerk, action, ticket, detail, prev_hash, hash"
        " FROM event_log WHERE seq > ? ORDER BY rowid LIMIT ?",
        (since_seq, limit),
    )
    names = [c[0] for c in conn_rows.description]
    return [dict(zip(names, row, strict=True)) for row in conn_rows]


def verify(conn: sqlite3.Connection) -> eventlog.Verdict:
    """Walk the log in storage order (rowid), as a reader of the file would."""
    cursor = conn.execute(
        "SELECT seq, at, device, window, clerk, action, ticket, detail, prev_hash, hash"
        " FROM event_log ORDER BY rowid"
    )
    names = [c[0] for c in cursor.description]
    rows = (dict(zip(names, r, strict=True)) for r in cursor)
    has_head = meta.get(conn, "log_head") is not None
    return eventlog.verify(rows, _head(conn) if has_head else None)


def verify_period(conn: sqlite3.Connection, first_at: str, end_at: str) -> eventlog.Verdict:
    """Check the entries of a period (``first_at`` <= at < ``end_at``) and their links to the
    entries around them: fast (by the time index) for the supervisor's report. A full
    walk of the whole file is ``verify``."""
    cursor = conn.execute(
        "SELECT seq, at, device, window, clerk, action, ticket, detail, prev_hash, hash"
        " FROM event_log WHERE at >= ? AND at < ? ORDER BY seq", (first_at, end_at))
    names = [c[0] for c in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor]
    if not rows:
        return eventlog.Verdict(True, 0)
    first, last = rows[0], rows[-1]
    before = conn.execute("SELECT hash FROM event_log WHERE seq = ?",
                          (first["seq"] - 1,)).fetchone()
    start = eventlog.GENESIS if first["seq"] == 1 else (before[0] if before else None)
    if start is None:
        return eventlog.Verdict(False, 0, first["seq"] - 1, "missing entry before the period")
    verdict = eventlog.verify(rows, start_seq=first["seq"], start_hash=str(start))
    if not verdict.intact:
        return verdict
    after = conn.execute("SELECT prev_hash FROM event_log WHERE seq = ?",
                         (last["seq"] + 1,)).fetchone()
    if after is not None and after[0] != last["hash"]:
        return eventlog.Verdict(False, verdict.entries, last["seq"] + 1,
                                "previous-hash link does not match")
    if after is None:
        seq, digest = _head(conn)
        if (seq, digest) != (last["seq"], last["hash"]) and seq <= last["seq"]:
            return eventlog.Verdict(False, verdict.entries, last["seq"] + 1,
                                    f"log ends at #{last['seq']} but #{seq} was recorded")
        if seq > last["seq"]:
            return eventlog.Verdict(False, verdict.entries, last["seq"] + 1, "missing entry")
    return verdict


def verify_file(path: Path) -> tuple[list[str], eventlog.Verdict | None]:
    """Check a database file read-only: (what SQLite's integrity check found, the event
    log's verdict — None when the file is damaged and the log cannot be trusted). A file
    that is not a database, locked or unreadable is StoreError."""
    from .db import integrity_problems, open_read_only, translate_error

    try:
        conn = open_read_only(path)
        try:
            damage = integrity_problems(conn)
            verdict = None if damage != ["ok"] else verify(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if "malformed" not in str(exc):      # not a database at all, locked, unreadable ...
            raise translate_error(exc, path) from exc
        return [str(exc)], None
    return damage, verdict


def last_seq(conn: sqlite3.Connection) -> int:
    """The newest entry's number (0 for an empty log)."""
    row = conn.execute("SELECT max(seq) FROM event_log").fetchone()
    return int(row[0] or 0)


def recent(conn: sqlite3.Connection, day: str, actions: tuple[str, ...],
           limit: int) -> list[dict[str, Any]]:
    """The day's latest entries of these actions, newest first: seq, at, window, ticket,
    action (the panel's latest calls)."""
    marks = ", ".join("?" * len(actions))
    # the day as a range of ``at`` (its index), not substr(at): that read the whole log
    # every morning until the day had ``limit`` entries of these actions
    after = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    cursor = conn.execute(
        f"SELECT seq, at, window, ticket, action FROM event_log INDEXED BY event_log_at"
        f" WHERE action IN ({marks}) AND at >= ? AND at < ? ORDER BY seq DESC LIMIT ?",
        (*actions, day, after, limit))
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]



def help_entries(conn: sqlite3.Connection, first_at: str) -> list[tuple[int, str, str, str | None]]:
    """The kiosks' help calls and their answers from ``first_at`` on, oldest first: (seq, at,
    action, detail); read through their own index (migration 19), never the whole log."""
    rows = conn.execute(
        "SELECT seq, at, action, detail FROM event_log"
        " WHERE action IN ('help_call', 'help_answer') AND at >= ?",   # (ORDER BY seq would
        (first_at,)).fetchall()                                           # scan the whole log)
    return sorted((int(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows)
