"""Reading a period's records for the supervisor's report (hallclient.reports), by index only:
tickets by day, window events and evaluations by time, cases by the time they were decided.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

from hallclient.core.tickets import TicketAction
from hallclient.reports.records import (
    WINDOW_ACTIONS,
    CaseRecord,
    EvaluationRecord,
    ManualRecord,
    RepeatCorrection,
    TicketRecord,
    WindowEvent,
)


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def tickets(conn: sqlite3.Connection, first: date, last: date) -> list[TicketRecord]:
    days = _days(first, last)
    marks = ", ".join("?" for _ in days)
    rows = conn.execute(
        "SELECT t.number, t.service, t.state, t.issued_at, t.called_at, t.started_at,"
        " t.finished_at, t.window, t.clerk, t.day FROM tickets t"
        f" WHERE t.day IN ({marks}) ORDER BY t.day, t.id", days).fetchall()
    moved: set[tuple[str, str]] = set()
    first_call: dict[tuple[str, str], str] = {}
    issued_for: dict[tuple[str, str], str] = {}
    # a transfer changes the ticket's service and clears its call time: what it waited for
    # and when it was first called are read from the log
    for when, number, action, detail in conn.execute(
            "SELECT at, ticket, action, detail FROM event_log WHERE at >= ? AND at < ?"
            " AND action IN ('issue', 'transfer', 'call') AND ticket IS NOT NULL ORDER BY seq",
            (days[0], _after(last))):
        key = (when[:10], number)
        if action == TicketAction.TRANSFER:
            moved.add(key)
        elif action == TicketAction.CALL:
            first_call.setdefault(key, when)
        elif detail:
            issued_for[key] = str(json.loads(detail).get("service", ""))
    return [TicketRecord(number=r[0], service=issued_for.get((r[9], r[0])) or r[1], state=r[2],
                         issued_at=_dt(r[3]) or datetime.min,
                         called_at=_dt(first_call.get((r[9], r[0])) or r[4]), started_at=_dt(r[5]),
                         finished_at=_dt(r[6]), window=r[7], clerk=r[8],
                         transferred=(r[9], r[0]) in moved)
            for r in rows]


def _after(last: date) -> str:
    return (last + timedelta(days=1)).isoformat()


def window_events(conn: sqlite3.Connection, first: date, last: date) -> list[WindowEvent]:
    marks = ", ".join("?" for _ in WINDOW_ACTIONS)
    rows = conn.execute(
        "SELECT at, window, action FROM event_log WHERE at >= ? AND at < ?"
        f" AND window IS NOT NULL AND action IN ({marks}) ORDER BY seq",
        (first.isoformat(), _after(last), *WINDOW_ACTIONS))
    return [WindowEvent(datetime.fromisoformat(r[0]), int(r[1]), r[2]) for r in rows]


def serves(conn: sqlite3.Connection) -> dict[int, frozenset[str]]:
    found: dict[int, set[str]] = {}
    for window, service in conn.execute("SELECT window, service FROM window_services"):
        found.setdefault(int(window), set()).add(str(service))
    return {w: frozenset(s) for w, s in found.items()}


def cases(conn: sqlite3.Connection, first: date, last: date) -> list[CaseRecord]:
    rows = conn.execute(
        "SELECT c.case_no, c.item_name, coalesce(i.department, ''), c.decision,"
        " c.preapplication_code IS NOT NULL OR c.source IN (2, 3), c.visits, c.window, c.clerk,"
        " (SELECT o.state FROM outbox o WHERE o.case_id = c.id AND o.kind = 'case_upsert'"
        "  ORDER BY o.id DESC LIMIT 1)"
        " FROM cases c LEFT JOIN catalog_items i ON i.impl_code = c.impl_code"
        " WHERE c.decided_at >= ? AND c.decided_at < ? ORDER BY c.decided_at",
        (first.isoformat(), _after(last)))
    upload = {"done": "sent", "pending": "pending", "needs_attention": "attention", None: "none"}
    return [CaseRecord(r[0], r[1], r[2], r[3], bool(r[4]), int(r[5]),
                       upload.get(r[8], str(r[8])), r[6], r[7]) for r in rows]


def evaluations(conn: sqlite3.Connection, first: date, last: date) -> list[EvaluationRecord]:
    rows = conn.execute(
        "SELECT level, at, window, clerk, case_no, ticket, reasons, comment, rectify_by"
        " FROM evaluations WHERE at >= ? AND at < ? ORDER BY at",
        (first.isoformat(), _after(last)))
    return [EvaluationRecord(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5],
                             tuple(json.loads(r[6] or "[]")), r[7] or "", r[8]) for r in rows]


def manual_services(conn: sqlite3.Connection, first: date, last: date) -> list[ManualRecord]:
    """手工接待 the hall recorded (``manual_service``: a counter's service by hand during an
    outage with no ticket of the day to put it on), by when the service began."""
    from hallclient.reports.replay import detail_of

    found = []
    for at, window, clerk, detail in conn.execute(
            "SELECT at, window, clerk, detail FROM event_log WHERE action = ?"
            " AND at >= ? AND at < ? ORDER BY seq",
            (TicketAction.MANUAL_SERVICE.value, first.isoformat(),
             _after(last + timedelta(days=1)))):
        d = detail_of(detail)
        began = _when(d.get("started_at")) or datetime.fromisoformat(at)
        if not first <= began.date() <= last:
            continue                # sent the day after: counted on the day it was given
        number = d.get("number")
        found.append(ManualRecord(window, clerk, began, _when(d.get("finished_at")),
                                  number if isinstance(number, str) else None))
    return found


def _when(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def repeat_corrections(conn: sqlite3.Connection, first: date, last: date,
                       table: str = "event_log") -> list[RepeatCorrection]:
    """二次补正 entries (``correction_repeat``, detail {"case_no", "reason"}) of the period,
    from this PC's log or (``pushed_log``) the counters' logs it holds."""
    from hallclient.reports.replay import detail_of

    assert table in ("event_log", "pushed_log")
    found = []
    for at, window, clerk, detail in conn.execute(
            f"SELECT at, window, clerk, detail FROM {table} WHERE action = 'correction_repeat'"
            " AND at >= ? AND at < ? ORDER BY at", (first.isoformat(), _after(last))):
        d = detail_of(detail)
        case_no = d.get("case_no")
        if not isinstance(case_no, str) or not case_no:
            continue
        reason = d.get("reason")
        found.append(RepeatCorrection(datetime.fromisoformat(at), window, clerk, case_no,
                                      reason if isinstance(reason, str) else ""))
    return found


def clerk_names(conn: sqlite3.Connection) -> dict[str, str]:
    """User name → display name (姓名) of the accounts this PC holds."""
    return {u: n for u, n in conn.execute("SELECT username, display_name FROM clerks") if n}


def load_queue(conn: sqlite3.Connection, first: date, last: date) -> dict[str, Any]:
    """The queue's part (tickets, window events, who serves what, 手工接待), inside the
    caller's read transaction."""
    return {"tickets": tickets(conn, first, last), "events": window_events(conn, first, last),
            "serves": serves(conn), "manual": manual_services(conn, first, last)}


def load(conn: sqlite3.Connection, first: date, last: date) -> dict[str, Any]:
    """Everything reports.figures.build needs for the period, read in one transaction."""
    conn.execute("BEGIN")
    try:
        return {**load_queue(conn, first, last), "cases": cases(conn, first, last),
                "evaluations": evaluations(conn, first, last),
                "repeats": repeat_corrections(conn, first, last)}
    finally:
        conn.execute("COMMIT")




def _case_no(detail: str | None) -> str | None:
    from hallclient.reports.replay import detail_of

    number = detail_of(detail).get("case_no")
    return number if isinstance(number, str) and number else None


def pushed_cases(conn: sqlite3.Connection, first: date,
                 last: date) -> tuple[list[CaseRecord], list[EvaluationRecord]]:
    """Cases decided and ratings given in the period, as the counters' pushed or imported
    logs (``pushed_log``) tell them, with each case's earlier entries for its visits."""
    from hallclient.reports.replay import records_from_log

    cols = "device, seq, at, window, clerk, action, ticket, detail"
    names = [c.strip() for c in cols.split(",")]
    period = [dict(zip(names, r, strict=True)) for r in conn.execute(
        f"SELECT {cols} FROM pushed_log WHERE at >= ? AND at < ? AND (action IN"
        " ('intake_accept', 'intake_correct', 'intake_refuse', 'correction_ended', 'rating'))"
        " ORDER BY at, device, seq", (first.isoformat(), _after(last)))]
    numbers = sorted({n for e in period if e["action"].startswith("intake_")
                      for n in [_case_no(e["detail"])] if n})
    earlier: list[dict[str, Any]] = []
    if numbers:
        marks = ", ".join("?" for _ in numbers)
        earlier = [dict(zip(names, r, strict=True)) for r in conn.execute(
            f"SELECT {cols} FROM pushed_log WHERE at < ? AND action IN"
            " ('intake_accept', 'intake_correct', 'intake_refuse', 'correction_ended')"
            f" AND json_extract(detail, '$.case_no') IN ({marks}) ORDER BY at, device, seq",
            (first.isoformat(), *numbers))]
    cases, ratings = records_from_log(earlier + period)
    return [c for c in cases if c.case_no in numbers], ratings


def load_pushed(conn: sqlite3.Connection, first: date, last: date) -> dict[str, Any]:
    """Everything for a report from other counters' logs (imported signed bundles, or
    pushed to the hall server): tickets and window events rebuilt from the queue entries,
    cases and ratings from the intake and rating entries. Who serves what is not in the
    logs, so idle time is not counted from them."""
    from hallclient.reports.replay import tickets_from_log

    conn.execute("BEGIN")
    try:
        cols = ("device", "seq", "at", "window", "clerk", "action", "ticket", "detail")
        rows = [dict(zip(cols, r, strict=True)) for r in conn.execute(
            f"SELECT {', '.join(cols)} FROM pushed_log WHERE at >= ? AND at < ?",
            (first.isoformat(), _after(last)))]
        tickets_, events = tickets_from_log(rows)
        cases_, ratings = pushed_cases(conn, first, last)
        repeats = repeat_corrections(conn, first, last, "pushed_log")
    finally:
        conn.execute("COMMIT")
    return {"tickets": tickets_, "events": events, "serves": {}, "cases": cases_,
            "evaluations": ratings, "repeats": repeats}


def pushed_devices(conn: sqlite3.Connection, first: date, last: date) -> int:
    """How many counters' logs (imported bundles, or pushed to the hall server) have
    entries in the period."""
    return int(conn.execute("SELECT count(DISTINCT device) FROM pushed_log WHERE at >= ? AND at < ?",
                            (first.isoformat(), _after(last))).fetchone()[0])


def device_logs(conn: sqlite3.Connection, first: date, last: date) -> list[list[Any]]:
    """Per counter whose log this PC holds (imported bundles, or pushed to the hall
    server): entries in the period, the first and last, and whether any entry between the
    first ever held and the last is missing (each entry was chain-checked when received)."""
    rows = conn.execute(
        "SELECT device, count(*), min(seq), max(seq),"
        " (SELECT count(*) FROM pushed_log q WHERE q.device = p.device),"
        " (SELECT max(seq) - min(seq) + 1 FROM pushed_log q WHERE q.device = p.device)"
        " FROM pushed_log p WHERE at >= ? AND at < ? GROUP BY device ORDER BY device",
        (first.isoformat(), _after(last))).fetchall()
    return [[device, n, lo, hi, "完整（接收时逐条校验）" if held == span
             else f"缺 {span - held} 条（有日志包未导入）"]
            for device, n, lo, hi, held, span in rows]
