"""Argument types shared by the CLI's commands."""

from __future__ import annotations

import argparse
import math
from datetime import date, datetime, time

from ocop_cycle.clock import VN_TZ
from ocop_cycle.limits import A_DAY, MAX_COUNT, MAX_NAME, PLAUSIBLE_YEARS

__all__ = [
    "add_limit_options",
    "end_of",
    "identifier",
    "instant",
    "name",
    "positive_int",
    "seconds",
    "year",
]


def _parse(text: str, day_time: time) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or datetime: {text!r}") from None
    if len(text) == 10:  # a bare date
        parsed = datetime.combine(date.fromisoformat(text), day_time)
    first, last = PLAUSIBLE_YEARS
    if not first <= parsed.year <= last:
        raise argparse.ArgumentTypeError(f"not a date of the programme ({first}-{last}): {text!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN_TZ)


def instant(text: str) -> datetime:
    """An ISO datetime, or a date meaning its start; Vietnam's time zone unless one is given."""
    return _parse(text, time(0, 0))


def end_of(text: str) -> datetime:
    """An ISO datetime, or a date meaning its last moment (as of a date: the whole day counts)."""
    return _parse(text, time(23, 59, 59, 999999))


def add_limit_options(parser: argparse.ArgumentParser, default: int) -> None:
    """``--limit N`` and ``--all`` for a list."""
    parser.add_argument(
        "--limit", type=positive_int, default=default, help=f"show at most this many ({default})"
    )
    parser.add_argument("--all", action="store_true", help="show every row")


def positive_int(text: str) -> int:
    """A whole number of at least 1 (and at most ``MAX_COUNT``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_COUNT}: {value}")
    return value


#: The longest lease a consumer may take on notifications, or wait between sweeps: a day.
MAX_LEASE_S = A_DAY.total_seconds()


def seconds(text: str) -> float:
    """A duration in seconds: finite, above zero, at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= MAX_LEASE_S:
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {MAX_LEASE_S:.0f} seconds: {text}"
        )
    return value


def year(text: str) -> int:
    """A calendar year of the programme (OCOP began in 2018; plans are made a year ahead)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {text!r}") from None
    if not 2000 <= value <= 2100:
        raise argparse.ArgumentTypeError(f"not a plan year (2000-2100): {value}")
    return value


def name(text: str) -> str:
    """A name that is not blank (a consumer's, say), at most ``MAX_NAME`` characters."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be blank")
    if len(text.strip()) > MAX_NAME:
        raise argparse.ArgumentTypeError(f"at most {MAX_NAME} characters ({len(text.strip())})")
    return text.strip()


def identifier(text: str) -> str:
    """A name made of letters, digits and underscores, not starting with a digit."""
    if not text.isidentifier():
        raise argparse.ArgumentTypeError(f"letters, digits and _ only, no leading digit: {text!r}")
    return text
