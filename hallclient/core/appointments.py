"""The day's appointments (预约) a hall takes tickets against: read from the booking
system's export (CSV), matched by the applicant's appointment code or phone number.

File format (UTF-8, a BOM is fine), one appointment a line after a header line::

    日期,时间,预约码,手机号,业务
    2026-12-01,09:30,102938,13800138000,MARKET

``手机号`` may be empty; ``业务`` is the service (业务类别) code the appointment is for.
English headers (day, time, code, phone, service) are read as well.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, time

HEADERS = {"日期": "day", "时间": "time", "预约码": "code", "手机号": "phone", "业务": "service",
           "day": "day", "time": "time", "code": "code", "phone": "phone", "service": "service"}
CODE = re.compile(r"^[0-9A-Z]{4,12}$")
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
APPOINTMENT_KEY = re.compile(r"^[0-9A-Z]{1,20}$")     # what a kiosk may send to look one up
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


class AppointmentFileError(ValueError):
    """A line of the appointment file that cannot be used, said for the IT staff."""


@dataclass(frozen=True)
class Appointment:
    """One booked time slot (预约时段) for one service."""

    day: str          # YYYY-MM-DD
    at_time: str      # HH:MM
    code: str         # 预约码
    phone: str        # 手机号, or ""
    service: str      # 业务类别代码
    id_number: str = ""   # the applicant's card (the platform's list gives it; kept hashed)


def normalise_key(text: str) -> str:
    """What the applicant typed (code or phone), as stored: full-width forms, spaces,
    dashes and a +86 prefix removed, letters upper case."""
    key = text.translate(_FULL_WIDTH).strip().upper()
    key = re.sub(r"[\s\-]", "", key)
    if key.startswith("+86") and len(key) == 14:
        key = key[3:]
    return key


def read_appointments(text: str) -> list[Appointment]:
    """The appointments of an export; AppointmentFileError naming the line otherwise."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise AppointmentFileError("预约文件是空的：第一行应是 日期,时间,预约码,手机号,业务")
    header = [HEADERS.get(h.strip()) for h in rows[0]]
    missing = {"day", "time", "code", "service"} - set(filter(None, header))
    if missing:
        raise AppointmentFileError("预约文件第一行应是 日期,时间,预约码,手机号,业务（缺少 "
                                   + "、".join(sorted(missing)) + "）")
    found: list[Appointment] = []
    seen: set[tuple[str, str]] = set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "")
                 for i, name in enumerate(header) if name}
        booked = _appointment(cells, line)
        if (booked.day, booked.code) in seen:
            raise AppointmentFileError(f"第 {line} 行：预约码 {booked.code} 在 {booked.day} 已出现过"
                                       "（一个预约码只能对应一个预约）")
        seen.add((booked.day, booked.code))
        found.append(booked)
    return found


def _appointment(cells: dict[str, str], line: int) -> Appointment:
    try:
        day = date.fromisoformat(cells["day"]).isoformat()
    except ValueError:
        raise AppointmentFileError(f"第 {line} 行：日期应写成 2026-12-01") from None
    try:
        at = time.fromisoformat(cells["time"]).strftime("%H:%M")
    except ValueError:
        raise AppointmentFileError(f"第 {line} 行：时间应写成 09:30") from None
    code = normalise_key(cells["code"])
    if not CODE.match(code):
        raise AppointmentFileError(f"第 {line} 行：预约码应是 4—12 位数字或字母")
    phone = normalise_key(cells.get("phone", ""))
    if phone and not MOBILE.match(phone):
        raise AppointmentFileError(f"第 {line} 行：手机号不对（应为 11 位手机号码）")
    if not cells["service"]:
        raise AppointmentFileError(f"第 {line} 行：缺少业务类别代码")
    return Appointment(day, at, code, phone, cells["service"])
