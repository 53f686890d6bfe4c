"""Provincial support for OCOP producers, as policy data (Bắc Giang Resolution 67/2023).

Paid once after the recognition decision: first recognition, an evaluation of a certified product
that keeps its star (a re-evaluation, or an upgrade evaluation ending at the same star), or an
upgrade. Packaging and stamps: a share of the cost up to a cap per star; trademark
registration: a fixed amount. [sure] for the recognition amounts, [likely] for the rest.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SupportAward", "SupportPolicy", "bac_giang_67_2023"]

Outcome = Literal["new", "re_evaluation", "upgrade"]
Basis = Literal["first_recognition", "re_evaluation_kept", "upgraded"]

#: What each basis is called in Vietnamese, for reports and notices.
BASIS_LABELS_VI: dict[str, str] = {
    "first_recognition": "Công nhận lần đầu",
    "re_evaluation_kept": "Đánh giá lại, giữ hạng sao",
    "upgraded": "Nâng hạng sao",
}


class SupportAward(BaseModel):
    """What one certification earns under a policy, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_id: str
    basis: Basis
    stars: int
    previous_stars: int | None
    amount: Decimal
    currency: Literal["VND"] = "VND"


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
    #: The dossier kinds whose certification at the star the product held earns
    #: ``re_evaluation_kept``: a re-evaluation, and an upgrade evaluation that ends at the same
    #: star (its certificate is renewed for 36 months exactly as a re-evaluation's would be).
    kept_star_kinds: tuple[Outcome, ...] = ("re_evaluation", "upgrade")
    upgraded_to: dict[int, Decimal]
    packaging_share: Decimal = Field(gt=0, le=1)
    packaging_cap: dict[int, Decimal]
    trademark_registration: Decimal

    def covers(self, province_code: str, decision_date: date) -> bool:
        """Whether a decision of this province on this day falls under the policy."""
        return province_code == self.province_code and (
            self.decisions_from <= decision_date <= self.decisions_until
        )

    def award(
        self,
        kind: Outcome,
        stars: int,
        previous_stars: int | None,
        decision_date: date,
        province_code: str,
    ) -> SupportAward | None:
        """What a certification earns under this policy, or None when nothing applies."""
        if not self.covers(province_code, decision_date):
            return None
        basis: Basis | None = None
        if previous_stars is not None and stars > previous_stars:
            # An upgrade, a re-evaluation that rose, or a certificate raised on the same dossier
            # (a province's 4★ raised to the ministry's 5★).
            basis, table = "upgraded", self.upgraded_to
        elif kind in self.kept_star_kinds and previous_stars == stars:
            basis, table = "re_evaluation_kept", self.re_evaluation_kept
        elif kind == "new" and previous_stars is None:
            basis, table = "first_recognition", self.first_recognition
        amount = table.get(stars, Decimal(0)) if basis is not None else Decimal(0)
        if basis is None or amount <= 0:
            return None
        return SupportAward(
            policy_id=self.id,
            basis=basis,
            stars=stars,
            previous_stars=previous_stars,
            amount=amount,
        )

    def packaging_support(self, stars: int, cost: Decimal) -> Decimal:
        """The share of a packaging and stamps cost paid, within the cap for the star."""
        cap = self.packaging_cap.get(stars, Decimal(0))
        return min(cost * self.packaging_share, cap)


def bac_giang_67_2023() -> SupportPolicy:
    """Bắc Giang's policy for decisions in 2024–2025, as the shipped rule book holds it."""
    from ocop_cycle.rules.book import default_rule_book

    return next(p for p in default_rule_book().support if p.id == "bac-giang-67-2023")
