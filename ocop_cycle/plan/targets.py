"""A plan's targets as data: what the district promised, in a form the report can count.

Each target counts certifications decided in the plan's year: products (``measure: products``)
or communes holding at least one such product (``measure: communes``, ``target: every`` meaning
all the district's communes and towns).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ocop_cycle.errors import RuleDataInvalid
from ocop_cycle.workflows.model import DossierKind

__all__ = ["PlanTarget", "PlanTargets", "lang_giang_2024_targets"]


class PlanTarget(BaseModel):
    """One promise of the plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    label_vi: str
    label_en: str
    measure: Literal["products", "communes"]
    kinds: tuple[DossierKind, ...] = Field(min_length=1)
    min_stars: int = Field(ge=3, le=5)
    communes: tuple[str, ...] = ()
    target: int | Literal["every"]
    source: str


class PlanTargets(BaseModel):
    """A district's plan for one year and its targets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_vi: str
    year: int
    district_code: str
    targets: tuple[PlanTarget, ...]


@cache
def lang_giang_2024_targets() -> PlanTargets:
    """The Lạng Giang 2024 plan's targets (sections II.4 and IV.9 of the seed)."""
    node = resources.files("ocop_cycle.plan") / "data" / "lang_giang_2024" / "targets.json"
    try:
        return PlanTargets.model_validate_json(node.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise RuleDataInvalid(str(node), [str(exc)]) from exc
