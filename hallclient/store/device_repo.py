"""The hall server's device registry (hall_devices): counters, kiosks and panels that hold
a token. Only the token's hash is stored."""

from __future__ import annotations

import sqlite3
from typing import Any


def devices(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every registered device, by id: device_id, kind, window, active, created_at."""
    cursor = conn.execute("SELECT device_id, kind, window, active, created_at"
                          " FROM hall_devices ORDER BY device_id")
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]
