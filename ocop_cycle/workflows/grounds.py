"""The grounds a command cites, checked against the rules before anything is decided: an
exclusion against the dossier's scoring sheet ("Hồ sơ bị loại khi …"), a revocation against its
profile's grounds (Decision 26/2026, Art. 8.1), and the revocation's time limit after the
conclusion it acts on (Art. 8.4). Pure.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ocop_cycle.errors import FieldProblem, InvalidCommand, Reason
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.revocation import RevocationGround
from ocop_cycle.rules.sheets import Exclusion, ScoringSheet
from ocop_cycle.workflows.commands import Exclude, Revoke

if TYPE_CHECKING:
    from ocop_cycle.workflows.guards import GuardContext

__all__ = ["exclusion_ground", "revocation_ground", "revoked_in_time"]


def exclusion_ground(command: Exclude, sheet: ScoringSheet) -> Exclusion:
    """The sheet's exclusion ``command`` names; ``InvalidCommand`` (field ``ground``) listing
    the sheet's grounds when it names none of them."""
    for exclusion in sheet.exclusions:
        if exclusion.code == command.ground:
            return exclusion
    known = ", ".join(e.code for e in sheet.exclusions) or "none"
    raise InvalidCommand(
        "Exclude",
        [
            FieldProblem(
                "ground",
                f"{command.ground!r} is not an exclusion ground of sheet {sheet.product_set} "
                f"({sheet.profile}); its grounds: {known}",
            )
        ],
    )


def revocation_ground(command: Revoke, profile: RuleProfile) -> RevocationGround:
    """The profile's ground ``command`` cites; ``InvalidCommand`` naming the field when the code
    is none of the profile's, or when the ground acts on a conclusion whose date is missing
    under a profile that limits the days after it."""
    rules = profile.revocation_rules
    ground = rules.ground(command.grounds.code)
    if ground is None:
        known = ", ".join(g.code for g in rules.grounds)
        raise InvalidCommand(
            "Revoke",
            [
                FieldProblem(
                    "grounds.code",
                    f"{command.grounds.code!r} is not a revocation ground under {profile.id}; "
                    f"its grounds: {known}",
                )
            ],
        )
    limited = rules.within_days_of_conclusion is not None and ground.needs_conclusion
    if limited and command.conclusion_date is None:
        raise InvalidCommand(
            "Revoke",
            [
                FieldProblem(
                    "conclusion_date",
                    f"required under {profile.id}: the revocation follows within "
                    f"{rules.within_days_of_conclusion} days of the conclusion it acts on",
                )
            ],
        )
    return ground


def revoked_in_time(ctx: GuardContext) -> Reason | None:
    """The revocation decision falls within the profile's days after the conclusion (Decision
    26/2026, Art. 8.4: 15 days), and not before it."""
    command = ctx.command
    assert isinstance(command, Revoke)
    limit = (ctx.act_profile or ctx.profile).revocation_rules.within_days_of_conclusion
    concluded = command.conclusion_date
    if concluded is None:
        return None
    decided = command.decision_date
    if decided < concluded:
        return Reason(
            "revocation.before_conclusion",
            f"Quyết định thu hồi ngày {decided:%d/%m/%Y} trước ngày có kết luận "
            f"{concluded:%d/%m/%Y}",
            f"the revocation decision ({decided.isoformat()}) predates the conclusion "
            f"({concluded.isoformat()})",
        )
    if limit is not None and decided > concluded + timedelta(days=limit):
        last = concluded + timedelta(days=limit)
        return Reason(
            "revocation.too_late",
            f"Thu hồi giấy chứng nhận trong thời hạn {limit} ngày kể từ ngày có kết luận "
            f"({concluded:%d/%m/%Y}), chậm nhất ngày {last:%d/%m/%Y}; quyết định ngày "
            f"{decided:%d/%m/%Y} đã quá hạn",
            f"a revocation follows within {limit} days of the conclusion of "
            f"{concluded.isoformat()} (by {last.isoformat()}); the decision of "
            f"{decided.isoformat()} is too late",
        )
    return None
