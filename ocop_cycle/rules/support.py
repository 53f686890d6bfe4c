"""Provincial support for OCOP producers, as policy data (Bắc Giang Resolution 67/2023).

Paid once after the recognition decision: first recognition, a re-evaluation that keeps its
star, or an upgrade. Packaging and stamps: a share of the cost up to a cap per star; trademark
registration: a fixed amount. [sure] for the recognition amounts, [likely] for the rest.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SupportPolicy", "bac_giang_67_2023"]

Outcome = Literal["new", "re_evaluation", "upgrade"]


class SupportPolicy(BaseModel):
    """One province's support amounts for a period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title_vi: str
    province_code: str
    decisions_from: date
    decisions_until: date
    currency: Literal["VND"]
    first_recognition: dict[int, Decimal]
    re_evaluation_kept: dict[int, Decimal]
    upgraded_to: dict[int, Decimal]
    packaging_share: Decimal = Field(gt=0, le=1)
    packaging_cap: dict[int, Decimal]
    trademark_registration: Decimal

    def recognition_support(
        self,
        kind: Outcome,
        stars: int,
        previous_stars: int | None,
        decision_date: date,
        province_code: str,
    ) -> Decimal:
        """What a certification earns under this policy (0 when it does not apply)."""
        if province_code != self.province_code or not (
            self.decisions_from <= decision_date <= self.decisions_until
        ):
            return Decimal(0)
        if kind == "new":
            return self.first_recognition.get(stars, Decimal(0))
        if previous_stars is not None and stars > previous_stars:
            return self.upgraded_to.get(stars, Decimal(0))
        if kind == "re_evaluation" and previous_stars == stars:
            return self.re_evaluation_kept.get(stars, Decimal(0))
        return Decimal(0)

    def packaging_support(self, stars: int, cost: Decimal) -> Decimal:
        """The share of a packaging and stamps cost paid, within the cap for the star."""
        cap = self.packaging_cap.get(stars, Decimal(0))
        return min(cost * self.packaging_share, cap)


@cache
def bac_giang_67_2023() -> SupportPolicy:
    """Bắc Giang's policy for decisions in 2024–2025 (loaded on first use)."""
    node = resources.files("ocop_cycle.rules") / "data" / "support" / "bac-giang-67-2023.json"
    return SupportPolicy.model_validate_json(node.read_text(encoding="utf-8"))
