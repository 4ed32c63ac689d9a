"""A period's report from a store connection (no Qt): the one recipe the dashboard and
``admin report`` share — read by index, build the figures, check the period's log."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from typing import Any


def period_text(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"


def heading(hall: str, first: date, last: date) -> str:
    return f"{hall} 值班长日报 {period_text(first, last)}"


def period_report(conn: sqlite3.Connection, first: date, last: date, now: datetime,
                  wait_target_min: float, service_target_min: float,
                  data: dict[str, Any] | None = None, log_prefix: str = "",
                  log_suffix: str = "", others_intact: bool = True,
                  closing: time | None = None) -> dict[str, Any]:
    """``data`` replaces what is read from this PC (records from the hall server or from
    imported bundles); ``log_prefix``/``log_suffix`` say where those came from."""
    from hallclient.documents.report_tables import views
    from hallclient.reports import figures
    from hallclient.store import log_repo, report_repo

    if data is None:
        data = report_repo.load(conn, first, last)
    after = last + timedelta(days=1)
    end = min(now, datetime.combine(after, time(), now.tzinfo))
    built = figures.build(end=end, wait_target_s=wait_target_min * 60,
                          service_target_s=service_target_min * 60,
                          closing=closing or figures.DEFAULT_CLOSING, **data)
    verdict = log_repo.verify_period(conn, first.isoformat(), after.isoformat())
    status = (f"完整（本期 {verdict.entries} 条，哈希链校验通过）" if verdict.intact
              else f"被改动：第 {verdict.broken_seq} 条起 {verdict.reason}")
    held = report_repo.device_logs(conn, first, last)      # imported bundles, if any
    return {"report": built, "tables": views(built, log_prefix + status + log_suffix, held,
                                             names=report_repo.clerk_names(conn)),
            "intact": verdict.intact and others_intact, "first": first, "last": last}
