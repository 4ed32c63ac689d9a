"""``admin report``: the supervisor's daily report (值班长日报) as xlsx, CSV or PDF."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hallclient.config import CONFIG_FILE, Config
from hallclient.store.db import DB_FILE

from .common import no_database

MAX_DAYS = 366          # as the hall server's /records: one report, at most a year


def run_report(args: argparse.Namespace, data_dir: Path) -> int:
    from datetime import date, datetime, time

    from hallclient.documents import report_tables
    from hallclient.documents.paper import training_path, training_title
    from hallclient.services import reporting
    from hallclient.store import report_repo
    from hallclient.store.db import open_database

    try:
        first = date.fromisoformat(args.date)
        last = date.fromisoformat(args.to) if args.to else first
    except ValueError:
        print("日期不对：应写成 YYYY-MM-DD，且是日历上有的日期（如 2026-11-27）", file=sys.stderr)
        return 2
    if last < first:
        print("区间终点早于起点", file=sys.stderr)
        return 2
    if not (2000 <= first.year and last.year <= 2999):
        print("日期应在 2000—2999 年之间", file=sys.stderr)
        return 2
    if (last - first).days >= MAX_DAYS:
        print(f"区间太长：一次最多 {MAX_DAYS} 天，请分段导出", file=sys.stderr)
        return 2
    if no_database(data_dir):
        return 2
    config = Config(data_dir / CONFIG_FILE)
    db = open_database(data_dir / DB_FILE)
    try:
        data, prefix = None, ""
        if args.from_bundles:
            data = report_repo.load_pushed(db.conn, first, last)
            devices = report_repo.pushed_devices(db.conn, first, last)
            prefix = f"来自 {devices} 台窗口机的签名日志包（导入时已逐条校验）；本机日志"
        result = reporting.period_report(
            db.conn, first, last, datetime.now().astimezone(),
            config["report.wait_target_minutes"], config["report.service_target_minutes"],
            data=data, log_prefix=prefix,
            closing=time.fromisoformat(config["hall.closing_time"]))
    finally:
        db.close()
    tables = result["tables"]
    period = reporting.period_text(first, last)
    training = bool(getattr(args, "training", False))    # 培训: marked on every format
    heading = training_title(reporting.heading(config["hall.name"], first, last) + (
        "（各窗口机日志包）" if args.from_bundles else ""), training)
    name = f"日报-{period.replace(' 至 ', '_')}.{args.format}"
    out = training_path(Path(args.out) if args.out else data_dir / "reports" / name, training)
    out.parent.mkdir(parents=True, exist_ok=True)
    from hallclient.store.durable import PaperError

    try:
        if args.format == "csv":
            report_tables.write_csv(tables, out, heading)
        elif args.format == "xlsx":
            report_tables.write_xlsx(tables, out, heading)
        else:
            if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                         or os.environ.get("WAYLAND_DISPLAY")):
                os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            from PySide6.QtWidgets import QApplication

            _app = QApplication.instance() or QApplication(sys.argv[:1])    # charts need widgets
            report_tables.write_pdf(tables, out, heading, result["report"], training)
    except PaperError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    print(f"已导出 {out}")
    return 0 if result["intact"] else 1
