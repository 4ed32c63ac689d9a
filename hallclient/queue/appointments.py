"""The day's appointments (预约) into a queue's database, from the booking system's export."""

from __future__ import annotations

from pathlib import Path

from hallclient.core.appointments import read_appointments
from hallclient.store.db import Database

from .local import LocalQueue


def import_appointments(db: Database, path: Path) -> str:
    """The booking system's export into the queue's database (the hall server's, or a
    township PC's own); what was imported, for the person running it. ValueError (an
    AppointmentFileError naming the line), QueueError or OSError otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path} 不是 UTF-8 文字：请从预约系统导出 UTF-8 编码的 CSV") from None
    appointments = read_appointments(text)
    n = LocalQueue(db).import_appointments(appointments)
    days = sorted({a.day for a in appointments})
    span = f"（{days[0]} 至 {days[-1]}）" if len(days) > 1 else (f"（{days[0]}）" if days else "")
    return f"已导入 {n} 个预约{span}：取“预约”号时凭预约码或手机号核对"
