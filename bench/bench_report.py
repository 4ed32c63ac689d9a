"""Supervisor report benchmark (not a test): a year of a 40-window hall, then one day's report.

    python bench/bench_report.py [--events 1000000] [--windows 40] [--runs 7]

Writes a database with about ``--events`` event-log entries (a real SHA-256 chain) and the
tickets, cases and evaluations behind them, spread over a year of working days. Then times
the daily report for one day in the middle (read by index + computed; target <= 300 ms),
a month's report, and prints the process's memory before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from hallclient.core import eventlog
from hallclient.reports import figures
from hallclient.store import hall_repo, report_repo
from hallclient.store.db import DB_FILE, open_database

CST = timezone(timedelta(hours=8))
SERVICES = ["ZH", "SC", "RS", "BDC", "GA", "ZX"]


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def working_days(year: int) -> list[date]:
    day, out = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def build(path: Path, events: int, windows: int, seed: int = 7) -> tuple[int, list[date]]:
    rnd = random.Random(seed)
    db = open_database(path)
    with db.write() as c:
        hall_repo.import_hall(c, {
            "services": [{"code": s, "name": s, "prefix": chr(65 + i)} for i, s in enumerate(SERVICES)],
            "windows": [{"number": w, "services": {SERVICES[w % 6]: 2, SERVICES[(w + 1) % 6]: 1}}
                        for w in range(1, windows + 1)]})
    days = working_days(2026)
    per_day = events // len(days)
    prev, seq, ticket_id = eventlog.GENESIS, 0, 0
    device = "bench-device"
    log_rows: list[tuple] = []
    ticket_rows: list[tuple] = []
    eval_rows: list[tuple] = []

    def log(at: datetime, action: str, window: int | None, clerk: str | None,
            ticket: str | None, detail: dict | None) -> None:
        nonlocal prev, seq
        seq += 1
        fields = {"seq": seq, "at": at.isoformat(timespec="milliseconds"), "device": device,
                  "window": window, "clerk": clerk, "action": action, "ticket": ticket,
                  "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True,
                                       separators=(",", ":")) if detail else None}
        digest = eventlog.entry_hash(prev, fields)
        log_rows.append((seq, fields["at"], device, window, clerk, action, ticket,
                         fields["detail"], prev, digest))
        prev = digest

    def flush() -> None:
        with db.write() as c:
            c.executemany("INSERT INTO event_log (seq, at, device, window, clerk, action, ticket,"
                          " detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)", log_rows)
            c.executemany(
                "INSERT INTO tickets (id, uid, day, seq, number, service, priority, state,"
                " issued_at, sort_at_ms, window, clerk, called_at, started_at, finished_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", ticket_rows)
            c.executemany(
                "INSERT INTO evaluations (uid, level, reasons, window, clerk, channel, at,"
                " rectify_by) VALUES (?,?,?,?,?,?,?,?)", eval_rows)
            c.execute("INSERT INTO meta VALUES ('log_head', ?) ON CONFLICT(key) DO UPDATE"
                      " SET value = excluded.value", (f"{seq}:{prev}",))
        log_rows.clear()
        ticket_rows.clear()
        eval_rows.clear()

    levels = ["very_satisfied"] * 6 + ["satisfied"] * 3 + ["basic", "unsatisfied"]
    for day in days:
        start = datetime(day.year, day.month, day.day, 8, 30, tzinfo=CST)
        for w in range(1, windows + 1):
            log(start, "sign_in", w, f"c{w}", None, None)
        counters: dict[str, int] = {}
        n = 0
        while n < per_day - 2 * windows:
            service = rnd.choice(SERVICES)
            counters[service] = counters.get(service, 0) + 1
            number = f"{chr(65 + SERVICES.index(service))}{counters[service]:03d}"
            issued = start + timedelta(seconds=rnd.randint(0, 8 * 3600))
            called = issued + timedelta(seconds=rnd.randint(30, 3600))
            started = called + timedelta(seconds=rnd.randint(10, 120))
            finished = started + timedelta(seconds=rnd.randint(120, 2400))
            w = rnd.randint(1, windows)
            ticket_id += 1
            ticket_rows.append((ticket_id, f"u{ticket_id}", day.isoformat(), counters[service],
                                number, service, 0, "finished", issued.isoformat(),
                                int(issued.timestamp() * 1000), w, f"c{w}", called.isoformat(),
                                started.isoformat(), finished.isoformat()))
            log(issued, "issue", None, None, number, {"service": service})
            log(called, "call", w, f"c{w}", number, {"service": service})
            log(started, "start", w, f"c{w}", number, None)
            log(finished, "finish", w, f"c{w}", number, None)
            n += 4
            if rnd.random() < 0.3:
                eval_rows.append((f"e{ticket_id}", rnd.choice(levels), "[]", w, f"c{w}",
                                  "政务大厅平板电脑", finished.isoformat(), None))
        for w in range(1, windows + 1):
            log(start + timedelta(hours=9), "sign_out", w, f"c{w}", None, None)
        if len(log_rows) > 50_000:
            flush()
    flush()
    db.close()
    return seq, days


def dashboard_memory(path: Path, day: date) -> tuple[float, float, float]:
    """RSS before the supervisor's dashboard opens and after it shows a day of this hall."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QApplication

    from hallclient.queue.local import LocalQueue
    from hallclient.services.context import DbContext
    from hallclient.services.report_service import ReportService
    from hallclient.services.tasks import InlineRunner
    from hallclient.ui.dashboard import Dashboard

    app = QApplication.instance() or QApplication([])
    db = open_database(path)
    ctx = DbContext(db=db, queue=LocalQueue(db), clock=lambda: datetime.now(CST))
    before = rss_mib()
    started = time.perf_counter()
    board = Dashboard(ReportService(InlineRunner(ctx), "bench", 20, 30))
    board.first.setDate(QDate(day.year, day.month, day.day))
    board.last.setDate(QDate(day.year, day.month, day.day))
    board.show()
    board.refresh()
    app.processEvents()
    shown_ms = (time.perf_counter() - started) * 1000
    after = rss_mib()
    board.close()
    db.close()
    return before, after, shown_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--windows", type=int, default=40)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-report-"))
    t0 = time.perf_counter()
    total, days = build(root / DB_FILE, args.events, args.windows)
    print(f"wrote {total} log events over {len(days)} days in {time.perf_counter() - t0:.0f} s"
          f" ({(root / DB_FILE).stat().st_size / 2**20:.0f} MiB)")
    day = days[len(days) // 2]
    db = open_database(root / DB_FILE)
    before = rss_mib()
    timings = []
    for _ in range(args.runs):
        t = time.perf_counter()
        data = report_repo.load(db.conn, day, day)
        built = figures.build(end=datetime(day.year, day.month, day.day, 23, 59, tzinfo=CST),
                             **data)
        timings.append((time.perf_counter() - t) * 1000)
    after = rss_mib()
    month = time.perf_counter()
    first = day.replace(day=1)
    data = report_repo.load(db.conn, first, first + timedelta(days=30))
    figures.build(end=datetime(day.year, day.month, 28, tzinfo=CST), **data)
    month_ms = (time.perf_counter() - month) * 1000
    db.close()
    dash = dashboard_memory(root / DB_FILE, day)
    median = statistics.median(timings)
    print(f"daily report for {day} ({built.tickets.issued} tickets, {len(built.per_window)}"
          f" windows): median {median:.0f} ms, max {max(timings):.0f} ms"
          f" (target <= 300 ms: ratio {median / 300:.2f})")
    print(f"a month's report: {month_ms:.0f} ms")
    print(f"memory: {before:.0f} MiB before, {after:.0f} MiB after the daily reports")
    print(f"dashboard (offscreen): process {dash[0]:.0f} MiB before opening, {dash[1]:.0f} MiB"
          f" with the day's report, charts and tables shown ({dash[2]:.0f} ms to show)")


if __name__ == "__main__":
    main()
