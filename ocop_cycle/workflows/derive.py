"""What follows from a dossier and its rules, with no choice in it: ids, the tier acting on a
dossier, what a result allows, a certificate's last day, the council's e-dossier day. Pure."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from dateutil.relativedelta import relativedelta

from ocop_cycle.rules.authority import Level
from ocop_cycle.rules.calendar import working_days_before
from ocop_cycle.rules.profiles import RuleProfile, TierRules
from ocop_cycle.rules.scoring import Outcome, ScoreResult
from ocop_cycle.text import nfc
from ocop_cycle.workflows.model import Dossier, Round
from ocop_cycle.workflows.states import DossierState

__all__ = [
    "council_dossier_day",
    "producer_id",
    "product_id",
    "scoring_level",
    "tier_outcome",
    "valid_until",
]

_NS = uuid5(NAMESPACE_URL, "https://ocop-cycle.invalid/")


def producer_id(name: str, commune_code: str) -> UUID:
    """A producer's id: the same name filed in the same commune is the same producer."""
    return uuid5(_NS, f"producer|{commune_code}|{nfc(name).casefold()}")


def product_id(producer: UUID, name: str) -> UUID:
    """A product's id: one producer's product of one name."""
    return uuid5(_NS, f"product|{producer}|{nfc(name).casefold()}")


def valid_until(profile: RuleProfile, decision_date: date) -> date:
    """The last day a certificate issued on ``decision_date`` is valid, counted as the
    profile's ``durations.validity_counting`` says (the Civil Code's by default)."""
    durations = profile.durations
    # relativedelta keeps the day of the month, or takes the month's last day when it has none
    # (31/01 + 1 month = 28 or 29/02): the Civil Code's art. 148 rule.
    end = decision_date + relativedelta(months=durations.certificate_validity_months)
    if durations.validity_counting == "day_before":
        return end - timedelta(days=1)
    return end


def council_dossier_day(profile: RuleProfile, round_: Round) -> date:
    """The day the council's members get a round's e-dossiers: ``council_dossier_working_days``
    working days before the meeting [sure: at least 1]. The last day a dossier may join it."""
    return working_days_before(
        round_.council_meeting_on, profile.durations.council_dossier_working_days
    )


def scoring_level(dossier: Dossier, profile: RuleProfile) -> Level | None:
    """The tier whose council acts on the dossier now, if any."""
    if dossier.state is DossierState.COMMUNE_VERIFIED:
        return profile.entry_tier.level
    if dossier.state is DossierState.CERTIFIED and dossier.outcome is Outcome.FORWARD:
        # Certified at its tier's cap with a result above it ([open]
        # ``certify_at_cap_when_forwarding``): that tier may still refer it upward.
        return dossier.level
    if dossier.state.value.startswith(("forwarded_",)) or dossier.state.value.endswith("_scored"):
        return dossier.level
    return None


def tier_outcome(profile: RuleProfile, tier: TierRules, result: ScoreResult) -> Outcome:
    """What a tier's result allows: certify here, forward up, hand it to the tier below, or
    not recognised."""
    below = profile.tier_below(tier)
    if (
        tier.on_lower_result == "certify_at_lower_tier"
        and below is not None
        and result.stars <= below.certifies_up_to
    ):
        # Art. 7.4g: the central council found < 90 -- any result under it, a 1★ or 2★ too:
        # the province chair decides (certify 3★/4★ where the result allows, or evaluate the
        # product again under the province's own authority).
        return Outcome.LOWER_TIER
    if result.stars < profile.recognised_min_stars:
        return Outcome.NOT_RECOGNIZED
    if (
        result.stars > tier.certifies_up_to
        and tier.forward_at is not None
        and result.total >= tier.forward_at
    ):
        return Outcome.FORWARD
    return Outcome.CERTIFY
