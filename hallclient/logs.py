"""Logging set-up: a rotating file in the data directory. Never log full personal data."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path


def setup_logging(data_dir: Path, level: int = logging.INFO) -> None:
    # sockets, queues, pickle: not before the program needs them
    import logging.handlers

    log_dir = data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_dir / "hallclient.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(level)
    if not any(getattr(h, "baseFilename", None) == handler.baseFilename for h in root.handlers):
        root.addHandler(handler)
    else:
        handler.close()         # already logging to that file


def mask(text: str | None, keep_start: int = 1, keep_end: int = 1) -> str:
    """张三丰 -> 张*丰, 110101199003071234 -> 1****************4: for log lines."""
    if not text:
        return ""
    if len(text) <= keep_start + keep_end:
        return text[:1] + "*" * (len(text) - 1)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[-keep_end:]


_STARTED = [0.0]


def restart_stages() -> None:
    """A new start-up begins (the program, or a test starting the app again)."""
    _STARTED[0] = 0.0


def stage(what: str) -> None:
    """Start-up stages with their time in the program log (where a slow start stalls)."""
    if not _STARTED[0]:
        _STARTED[0] = time.perf_counter()
    logging.getLogger("hallclient.app").info(
        "start-up %s (+%.0f ms)", what, (time.perf_counter() - _STARTED[0]) * 1000)
    if os.environ.get("HALLCLIENT_STARTUP_TRACE"):     # bench/bench_counter.py
        print(f"STAGE {what} {time.process_time() * 1000:.0f} ms cpu", file=sys.stderr, flush=True)
