"""The bounds every way in checks alike (the library's arguments, the command line, commands):
beyond them a value is a typo, or one database would take it and the other refuse it."""

from __future__ import annotations

from datetime import datetime, timedelta

from ocop_cycle.errors import FieldProblem

__all__ = [
    "A_DAY",
    "MAX_COUNT",
    "MAX_ID",
    "MAX_NAME",
    "PLAUSIBLE_YEARS",
    "count_problems",
    "instant_problems",
]

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

#: The largest row id (a 64-bit integer column; SQLite's and PostgreSQL's alike).
MAX_ID = 2**63 - 1


def count_problems(
    field: str, value: object, *, low: int = 1, high: int = MAX_COUNT
) -> list[FieldProblem]:
    """What is wrong with a count, a seq or an id given to a call (its type, its range):
    refused alike on SQLite and PostgreSQL, rather than by one database and not the other."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return [FieldProblem(field, f"must be a whole number from {low} to {high}")]
    return []


def instant_problems(field: str, value: object) -> list[FieldProblem]:
    """What is wrong with an instant given to a call: not a timezone-aware datetime, or out of
    ``PLAUSIBLE_YEARS``."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return [FieldProblem(field, "must be a timezone-aware datetime")]
    first, last = PLAUSIBLE_YEARS
    if not first <= value.year <= last:
        return [FieldProblem(field, f"must fall in the years {first}-{last}")]
    return []
