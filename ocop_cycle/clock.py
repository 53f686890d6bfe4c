"""Time, injected: domain code asks a ``Clock``, never ``datetime.now()``.

Every datetime ocop-cycle produces is timezone-aware in Asia/Ho_Chi_Minh (UTC+7, no DST), the
zone the regulation's dates are written in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

__all__ = [
    "VN_TZ",
    "Clock",
    "SettableClock",
    "SystemClock",
    "at_vn_midnight",
    "in_vietnam",
    "to_vn",
]

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@runtime_checkable
class Clock(Protocol):
    """Tells the current time, timezone-aware."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The real clock, in Vietnam's time zone."""

    def now(self) -> datetime:
        """The current instant in Asia/Ho_Chi_Minh."""
        return datetime.now(UTC).astimezone(VN_TZ)


class SettableClock:
    """A clock that stands still until told to move: for tests, demos and simulations."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SettableClock needs a timezone-aware start")
        self._now = start.astimezone(VN_TZ)

    def now(self) -> datetime:
        """The instant the clock was last set to."""
        return self._now

    def set(self, instant: datetime) -> None:
        """Move to ``instant`` (aware); moving backwards is refused, as real time never does."""
        if instant.tzinfo is None:
            raise ValueError("SettableClock.set needs a timezone-aware datetime")
        instant = instant.astimezone(VN_TZ)
        if instant < self._now:
            raise ValueError(f"clock cannot go back from {self._now} to {instant}")
        self._now = instant

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new instant."""
        self.set(self._now + delta)
        return self._now


class _InVietnam:
    """A host's clock, read in Vietnam's time zone."""

    __slots__ = ("clock",)

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return to_vn(self.clock.now())

    def __getattr__(self, name: str) -> object:
        # The host's own clock API (``advance``, ``set``, ...) stays reachable via engine.clock.
        return getattr(self.clock, name)

    def __repr__(self) -> str:
        return f"in_vietnam({self.clock!r})"


def in_vietnam(clock: Clock) -> Clock:
    """``clock`` telling time in Asia/Ho_Chi_Minh. Why: the rules' days are Vietnam's; a host's
    clock may rightly answer in UTC, and at 17:30 UTC the date is already tomorrow in Vietnam
    (an expiry due at Vietnamese midnight would be judged a day early, and settled as moot).
    ocop-cycle's own clocks answer in Vietnam's zone already and are kept as they are."""
    if isinstance(clock, SettableClock | SystemClock | _InVietnam):
        return clock
    return _InVietnam(clock)


def to_vn(instant: datetime) -> datetime:
    """The same instant expressed in Asia/Ho_Chi_Minh; naive datetimes are refused."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: ocop-cycle needs timezone-aware datetimes")
    return instant.astimezone(VN_TZ)


def at_vn_midnight(day: date) -> datetime:
    """The start of ``day`` in Vietnam."""
    return datetime.combine(day, time(0, 0), tzinfo=VN_TZ)
