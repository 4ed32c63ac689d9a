"""Logging set-up: a rotating file in the data directory. Never log full personal data."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

_MAX_BYTES, _BACKUPS = 2_000_000, 5
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(data_dir: Path, level: int = logging.INFO, rotate_later: bool = False) -> None:
    """Log to ``logs/hallclient.log`` in the data directory, rotated at 2 MB (five kept).

    With ``rotate_later`` the file is opened by a plain handler and made rotating by
    ``make_log_rotating()`` once the window is up: the rotating handler's module (sockets,
    pickle, queues) is not worth holding back a window's first frame for."""
    log_dir = data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "hallclient.log"
    root = logging.getLogger()
    root.setLevel(level)
    if any(getattr(h, "baseFilename", None) == str(path.absolute()) for h in root.handlers):
        return                  # already logging to that file
    handler = logging.FileHandler(path, encoding="utf-8") if rotate_later else _rotating(path)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)


def make_log_rotating() -> None:
    """Swap the plain handlers ``setup_logging(rotate_later=True)`` made for rotating ones
    on the same files (a file already past its size is rotated at the next line)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler) is logging.FileHandler:
            rotating = _rotating(Path(handler.baseFilename))
            rotating.setFormatter(handler.formatter)
            rotating.setLevel(handler.level)
            root.addHandler(rotating)
            root.removeHandler(handler)
            handler.close()


def _rotating(path: Path) -> logging.Handler:
    import logging.handlers

    return logging.handlers.RotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS,
                                                encoding="utf-8")


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
