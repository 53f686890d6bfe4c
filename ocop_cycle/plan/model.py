"""A plan as data: the year, the issuing unit (a district, or a province), its rounds, targets,
communes, and the rows of Biểu 1 and Biểu 2.

Any district's or province's plan is one of these, imported from the office's own table and
stored (``report plan --year Y --unit CODE`` reads it back); the shipped Lạng Giang 2024 plan is
the example and the default.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ocop_cycle.plan.entries import PlanEntry, SupportRequest, lang_giang_2024, lang_giang_communes
from ocop_cycle.plan.targets import PlanTarget, lang_giang_2024_targets

__all__ = ["Plan", "PlanCommune", "PlanRound", "lang_giang_2024_plan", "shipped_plan_with"]


class PlanRound(BaseModel):
    """A round of the plan's "Lộ trình" columns: its month and the heading the office wrote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str  # YYYY-MM, the month of the council meeting
    label_vi: str  # "Tháng 6/2024"


class PlanCommune(BaseModel):
    """A commune-level unit of the issuing unit on the plan's date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str  # "xã Gia Phù", "thị trấn Quang Huy": as reports print it


class Plan(BaseModel):
    """One unit's OCOP plan for one year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int
    unit_code: str
    unit_level: Literal["district", "province"]
    unit_name: str  # "Huyện Phù Yên"
    province_code: str
    plan_vi: str
    #: The day the plan's places were read on (its communes are the units of that day).
    dated: date
    rounds: tuple[PlanRound, ...]
    targets: tuple[PlanTarget, ...]
    communes: tuple[PlanCommune, ...]
    entries: tuple[PlanEntry, ...]
    support: tuple[SupportRequest, ...] = ()

    @property
    def district_code(self) -> str | None:
        """The issuing district's code; None for a province's plan."""
        return self.unit_code if self.unit_level == "district" else None

    @property
    def key_prefix(self) -> str:
        """What every idempotency key of this plan's writes starts with. The shipped plan keeps
        the keys earlier versions wrote ("plan:…"), so stores imported then stay idempotent."""
        if (self.year, self.unit_code) == (2024, "217"):
            return "plan"
        return f"plan:{self.year}:{self.unit_code}"

    @property
    def digest(self) -> str:
        """SHA-256 of the plan's canonical JSON: the same plan imported twice has one digest."""
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()


@cache
def lang_giang_2024_plan() -> Plan:
    """The shipped plan: Lạng Giang district (Bắc Giang), 2024."""
    targets = lang_giang_2024_targets()
    entries, support = lang_giang_2024()
    communes = sorted(lang_giang_communes().values(), key=lambda c: c.commune_code)
    return Plan(
        year=targets.year,
        unit_code=targets.district_code,
        unit_level="district",
        unit_name="Huyện Lạng Giang",
        province_code="24",
        plan_vi=targets.plan_vi,
        dated=date(2024, 3, 1),
        rounds=(
            PlanRound(key="2024-06", label_vi="Tháng 6/2024"),
            PlanRound(key="2024-10", label_vi="Tháng 10/2024"),
        ),
        targets=targets.targets,
        communes=tuple(PlanCommune(code=c.commune_code, name=c.commune) for c in communes),
        entries=entries,
        support=support,
    )


def shipped_plan_with(entries: list[PlanEntry]) -> Plan:
    """The shipped plan's frame (unit, rounds, targets, Biểu 2) around ``entries``."""
    return lang_giang_2024_plan().model_copy(update={"entries": tuple(entries)})
