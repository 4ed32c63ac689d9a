"""The wall clock the queue, the intake desk and the servers read (injected, so tests and
the training mode can move time by hand)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], datetime]


def local_now() -> datetime:
    """Now, in this machine's time zone (timestamps in logs carry their offset)."""
    return datetime.now().astimezone()
