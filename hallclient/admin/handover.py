"""``admin handover``: record how a case's result reaches the applicant — 待领取 at a pick-up
place, or 已邮寄 with the courier's waybill — so the kiosk's 办件查询 says so (and the hall
server, once this counter publishes it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def run_handover(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.core.clock import local_now
    from hallclient.core.progress import Handover, normalise_case_no
    from hallclient.services.progress_service import record_handover
    from hallclient.store.db import DB_FILE, open_database

    from .common import no_database

    if no_database(data_dir):
        return 2
    handover = Handover.POSTED if args.waybill is not None else Handover.READY
    case_no = normalise_case_no(args.case_no)
    db = open_database(data_dir / DB_FILE)
    try:
        record_handover(db, case_no, handover, args.waybill or "", args.place or "",
                        local_now().isoformat(timespec="milliseconds"), clerk=args.clerk)
    finally:
        db.close()
    what = (f"已邮寄，快递单号 {args.waybill.strip()}" if handover is Handover.POSTED
            else f"待领取，取件地点 {args.place.strip()}")
    print(f"办件 {case_no}：{what}", file=sys.stdout)
    return 0
