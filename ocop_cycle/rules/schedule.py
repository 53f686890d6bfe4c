"""The calendar a profile sets out as data: statutory rounds by cut-off (Decision 26/2026,
Art. 5) and the transition of dossiers filed under earlier profiles (Art. 12.2)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

__all__ = ["MonthDay", "RoundCutoff", "Transition", "on_or_after", "on_or_before"]

ProfileId = Annotated[str, StringConstraints(pattern=r"^qd\d+-\d{4}$")]
MonthDay = Annotated[str, StringConstraints(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")]


def _in_year(year: int, month_day: str) -> date:
    """``month_day`` ("MM-DD") in ``year``; 29/02 falls on 28/02 in other years."""
    month, dom = (int(x) for x in month_day.split("-"))
    try:
        return date(year, month, dom)
    except ValueError:
        return date(year, month, dom - 1)


def on_or_before(day: date, month_day: str) -> date:
    """The last date on or before ``day`` falling on ``month_day``."""
    found = _in_year(day.year, month_day)
    return found if found <= day else _in_year(day.year - 1, month_day)


def on_or_after(day: date, month_day: str) -> date:
    """The first date on or after ``day`` falling on ``month_day``."""
    found = _in_year(day.year, month_day)
    return found if found >= day else _in_year(day.year + 1, month_day)


class RoundCutoff(BaseModel):
    """A statutory round ("đợt"): held before ``held_before`` for dossiers proposed before
    ``proposed_before`` (Decision 26/2026, Art. 5), both "MM-DD" each year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    proposed_before: MonthDay
    held_before: MonthDay

    @field_validator("proposed_before", "held_before")
    @classmethod
    def _a_day_of_the_year(cls, value: str) -> str:
        month, day = (int(x) for x in value.split("-"))
        date(2024, month, day)  # a leap year: 29/02 is a day; 31/04 raises ValueError
        return value

    def cutoff(self, held_before: date) -> date:
        """The proposal cut-off of this round when it is held before ``held_before``."""
        return on_or_before(held_before - timedelta(days=1), self.proposed_before)


class Transition(BaseModel):
    """[sure] How dossiers filed under earlier profiles finish once this one takes effect
    (Decision 26/2026, Art. 12.2): under their own profile, but within a number of days of
    ``effective`` by kind of dossier."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    effective: date
    from_profiles: tuple[ProfileId, ...] = Field(min_length=1)
    #: Days from ``effective`` (the due day is ``effective`` + days), by dossier kind.
    finish_within_days: dict[Literal["new", "upgrade", "re_evaluation"], int]
    legal_basis_vi: str = Field(min_length=1)

    def finish_by(self, kind: str) -> date | None:
        """The last day a dossier of ``kind`` filed earlier may be finished, if bound."""
        days = self.finish_within_days.get(kind)  # type: ignore[call-overload]
        return self.effective + timedelta(days=days) if days is not None else None
