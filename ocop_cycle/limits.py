"""The bounds every way in checks alike (the library's arguments, the command line, commands):
beyond them a value is a typo, or one database would take it and the other refuse it."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["A_DAY", "MAX_COUNT", "MAX_NAME", "PLAUSIBLE_YEARS"]

#: The years an instant may fall in: the programme's, with room both ways (a year 1 or 9999 is
#: a typo, and at the calendar's edges it cannot even be moved to another time zone).
PLAUSIBLE_YEARS = (1900, 2200)

#: The largest count a list or a claim may ask for: beyond it a database integer overflows
#: (SQLite and PostgreSQL each in its own way).
MAX_COUNT = 2**31 - 1

#: The longest consumer name the outbox stores (a longer one fails on PostgreSQL only).
MAX_NAME = 200

#: The longest lease on notifications, and the longest wait between two sweeps.
A_DAY = timedelta(days=1)
