"""Working days in Vietnam: weekends, public holidays and the Saturdays worked in exchange for
a bridge day off (all from the ``holidays`` package)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays

__all__ = ["is_working_day", "working_days_after", "working_days_before"]


@cache
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Vietnamese public holiday (Tết, 30/4, 1/5, 2/9, a bridge day
    off such as 02/05/2025); or a Saturday worked in exchange for one (26/04/2025)."""
    return bool(_calendar(day.year).is_working_day(day))


def working_days_before(day: date, count: int) -> date:
    """The working day ``count`` working days before ``day`` (``day`` itself not counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_after(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself not counted): the last day of
    a period of ``count`` working days from ``day`` ("trong thời hạn 15 ngày làm việc kể từ")."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current
