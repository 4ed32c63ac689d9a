"""Working-day arithmetic for time limits (办理时限 are counted in working days).

Public holidays and the weekend days worked in exchange (调休) change every year, so the
calendar is data (``holidays`` and ``workdays``) that the county configures.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta


def is_working_day(day: date, holidays: Collection[date] = (),
                   workdays: Collection[date] = ()) -> bool:
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date] = (),
                     workdays: Collection[date] = ()) -> date:
    """The date ``days`` working days after ``start`` (the day of acceptance does not count)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current, holidays, workdays):
            remaining -= 1
    return current
