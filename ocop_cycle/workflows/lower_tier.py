"""Guards of a result the upper council's tier does not certify itself (Decision 26/2026, Art.
7.4g: the central council found < 90). The tier that forwarded the dossier decides on it:
certify the stars it may on that result, or take the dossier back to its own council. Which tier
behaves so is profile data (``TierRules.on_lower_result``). Pure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocop_cycle.errors import Reason
from ocop_cycle.rules.scoring import Outcome

if TYPE_CHECKING:
    from ocop_cycle.workflows.guards import GuardContext

__all__ = ["LOWER_TIER_DECIDES", "outcome_is_lower_tier", "upper_result_recognised"]

LOWER_TIER_DECIDES = Reason(
    "score.lower_tier_decides",
    "Kết quả dưới hạng cấp này công nhận: cấp đề nghị công nhận theo kết quả này hoặc tổ chức "
    "đánh giá lại theo thẩm quyền",
    "the result is below what this tier certifies: the tier that forwarded the dossier "
    "certifies on it (certify_on_upper_result) or evaluates it again (return_to_lower_tier)",
)


def outcome_is_lower_tier(ctx: GuardContext) -> Reason | None:
    """Only a result that falls to the lower tier is certified or taken back by it."""
    if ctx.dossier.outcome is not Outcome.LOWER_TIER:
        return Reason(
            "score.not_lower_tier",
            "Kết quả không thuộc trường hợp cấp dưới quyết định",
            "the result does not fall to the lower tier: certify it here, or record it as "
            "not recognised",
        )
    return None


def upper_result_recognised(ctx: GuardContext) -> Reason | None:
    """The tier below certifies on the upper council's result only what that result
    recognises (3★ from 50 points); under it, it may only evaluate the product again."""
    stars = ctx.dossier.stars
    if stars is None or stars < ctx.profile.recognised_min_stars:
        return Reason(
            "score.upper_result_not_recognised",
            f"Kết quả của Hội đồng cấp trên dưới {ctx.profile.recognised_min_stars} sao: không "
            "công nhận theo kết quả này, chỉ có thể tổ chức đánh giá lại theo thẩm quyền",
            "the upper council's result is below the recognised minimum: it cannot be "
            "certified on; evaluate the product again (return_to_lower_tier)",
        )
    return None
