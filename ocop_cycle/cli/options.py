"""Argument types shared by the CLI's commands."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time

from ocop_cycle.clock import VN_TZ

__all__ = ["add_limit_options", "end_of", "instant"]


def _parse(text: str, day_time: time) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or datetime: {text!r}") from None
    if len(text) == 10:  # a bare date
        parsed = datetime.combine(date.fromisoformat(text), day_time)
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
        "--limit", type=int, default=default, help=f"show at most this many ({default})"
    )
    parser.add_argument("--all", action="store_true", help="show every row")
