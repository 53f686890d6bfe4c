"""Rule profiles: each Decision's rules as versioned, validated data.

A profile says which tiers score, which stars each tier may certify, when a dossier goes up a
tier, the star bands, the part maxima of the scoring sheets, every duration, and which role may
fire which command. The engine reads these; it has no ``if profile == ...`` anywhere.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from ocop_cycle.rules.authority import Level, Role
from ocop_cycle.rules.revocation import LEGACY_REVOCATION_GROUNDS, RevocationRules
from ocop_cycle.rules.schedule import RoundCutoff, Transition, on_or_after

__all__ = [
    "CLEARABLE_FIELDS",
    "COMMANDS",
    "DEADLINE_COMMANDS",
    "OPTIONAL_COMMANDS",
    "ClearableField",
    "CouncilRules",
    "Durations",
    "Handover",
    "MigrationRule",
    "RoundCutoff",
    "RuleProfile",
    "StarBand",
    "StateMapping",
    "TierRules",
    "Transition",
    "WrittenOpinionRules",
]

#: Commands whose permission is plain profile data (tier commands are in ``TierRules``).
COMMANDS = (
    "register",
    "register_reevaluation",
    "import_certificate",
    "return_for_supplement",
    "resubmit",
    "verify_commune",
    "reject",
    "assign_round",
    "withdraw",
    "keep_certificate",
    "start_monitoring",
    "record_inspection",
    "mark_renewal_due",
    "expire",
    "remind",
    "escalate_inspection",
    "flag_round_missed",
    "create_round",
    "escalate_overdue",
    "notify_reevaluation_window",
    "flag_reevaluation_window_missed",
)

#: Commands a profile may grant or leave out (absent: nobody may, and the machine has no edge
#: for them): rules that came with a later Decision.
OPTIONAL_COMMANDS = ("exclude",)

#: Commands the scheduler may apply when one of the dossier's deadlines falls due.
DEADLINE_COMMANDS = (
    "withdraw",
    "assign_round",
    "mark_renewal_due",
    "expire",
    "remind",
    "escalate_inspection",
    "flag_round_missed",
    "escalate_overdue",
    "notify_reevaluation_window",
    "flag_reevaluation_window_missed",
)

ProfileId = Annotated[str, StringConstraints(pattern=r"^qd\d+-\d{4}$")]
ScoringLevel = Annotated[Level, Field()]


class StarBand(BaseModel):
    """Scores from ``min_score`` up to the next band's minimum earn ``stars``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stars: int = Field(ge=1, le=5)
    min_score: Decimal = Field(ge=0, le=100)


class WrittenOpinionRules(BaseModel):
    """[open] A council deciding by written opinions without a meeting ("lấy ý kiến bằng văn
    bản", Decision 26/2026, Art. 7.6d): for which dossiers, how many opinions make it valid, and
    how far they may diverge before a meeting is needed ("chỉ tổ chức họp trực tiếp khi có nhiều
    ý kiến đánh giá khác nhau")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The dossier kinds it may decide (Art. 7.6: re-evaluations).
    dossier_kinds: tuple[Literal["new", "re_evaluation", "upgrade"], ...] = Field(min_length=1)
    quorum_fraction: Decimal = Field(gt=0, le=1)
    min_members: int = Field(ge=1)
    #: Whether the chair's own written opinion is required.
    chair_required: bool
    #: Opinions' totals may differ by at most this much, else the council meets; None = any.
    max_spread: Decimal | None = Field(default=None, gt=0)


class CouncilRules(BaseModel):
    """[likely, local] How a council session is valid: quorum, chair, spread of totals."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quorum_fraction: Decimal = Field(gt=0, le=1)
    min_members: int = Field(ge=1)
    chair_required: bool
    #: Members' totals may differ by at most this much, else the council re-scores; None = any.
    max_spread: Decimal | None = Field(default=None, gt=0)
    #: [open] When a mandatory minimum ("điểm liệt") counts as met: the members' mean points on
    #: the criterion reach the required level's (``mean``), every member chose at least that
    #: level (``every_member``), or more than half did (``majority``).
    minimum_met_when: Literal["mean", "every_member", "majority"] = "mean"
    #: [open] Whether, and on what terms, the council may decide by written opinions instead of
    #: a meeting; None: only in a meeting.
    written_opinions: WrittenOpinionRules | None = None


class TierRules(BaseModel):
    """What one council tier does under a profile."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Level
    scorer_roles: tuple[Role, ...] = Field(min_length=1)
    #: The body that decides on this tier's results: it certifies (up to ``certifies_up_to``),
    #: records a result below the recognised minimum as not recognised, and revokes what it
    #: certified. A tier that certifies nothing (the 1048 district) still closes its results.
    certifier_roles: tuple[Role, ...] = ()
    forwarder_roles: tuple[Role, ...] = ()
    #: Highest star this tier's People's Committee (or ministry) may certify; 0 = none.
    certifies_up_to: int = Field(ge=0, le=5)
    #: A mean at or above this goes up to ``forward_to`` instead of being certified here.
    forward_at: Decimal | None = None
    forward_to: Level | None = None
    #: [open] May this tier certify at its cap and still forward the dossier upward (a province
    #: certifying 4★ while it refers ≥ 90 to the ministry)? The certificate stands while the
    #: upper council evaluates: its result raises it (certify) or leaves it as issued
    #: (``keep_certificate``, a plain permission).
    certify_at_cap_when_forwarding: bool = False
    #: [likely, local] This tier's council rules (the central council's quorum is not a
    #: district's); None: the profile's ``council``. In the data a tier may set only the rules
    #: that differ: the rest are filled from the profile's when it loads.
    council: CouncilRules | None = None
    #: What a recognised result this tier may not certify itself means (Decision 26/2026, Art.
    #: 7.4g: below 90 at the central council). ``certify_here``: this tier certifies it (capped
    #: at ``certifies_up_to``). ``certify_at_lower_tier``: the tier that forwarded the dossier
    #: decides, on this tier's result: it certifies the stars it may (``certify_on_upper_result``)
    #: or has the dossier evaluated again by its own council (``return_to_lower_tier``).
    on_lower_result: Literal["certify_here", "certify_at_lower_tier"] = "certify_here"

    @model_validator(mode="after")
    def _consistent(self) -> TierRules:
        if (self.forward_at is None) != (self.forward_to is None):
            raise ValueError(f"{self.level}: forward_at and forward_to go together")
        if not self.certifier_roles:
            # Any tier's result can fall below 3★ (or miss a minimum): someone must close it.
            raise ValueError(
                f"{self.level}: certifier_roles must name who records 'not recognised' "
                "(and certifies, if the tier does)"
            )
        if self.forward_to is not None and not self.forwarder_roles:
            raise ValueError(f"{self.level}: a tier that forwards needs forwarder_roles")
        if self.certify_at_cap_when_forwarding and not (self.forward_to and self.certifies_up_to):
            raise ValueError(
                f"{self.level}: certify_at_cap_when_forwarding needs a tier that certifies "
                "and forwards"
            )
        if self.level is Level.COMMUNE:
            raise ValueError("communes verify; they do not score")
        return self


class Durations(BaseModel):
    """[open] Every duration the cycle enforces, as settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    certificate_validity_months: int = Field(gt=0)
    #: [likely] How the months are counted. ``civil_code`` (Civil Code 2015, arts. 147–148): the
    #: period starts the day after the decision and ends at the end of the corresponding day of
    #: its last month (the month's last day when it has none), so 36 months from 20/06/2024 run
    #: through 20/06/2027. ``day_before``: through the day before it (19/06/2027).
    validity_counting: Literal["civil_code", "day_before"] = "civil_code"
    renewal_notice_days: tuple[int, ...]
    statutory_notice_days: int = Field(gt=0)
    supplement_days: int = Field(gt=0)
    inspection_interval_months: int = Field(gt=0)
    council_dossier_working_days: int = Field(ge=0)
    #: When a re-evaluation may be filed: from the first to the second number of days before the
    #: certificate expires (Decision 26/2026, Art. 7.6a: 180 and 120); None = any time.
    reevaluation_window_days: tuple[int, int] | None = None
    #: Reminders before the re-evaluation window closes, in days before its last day.
    reevaluation_window_reminder_days: tuple[int, ...] = ()
    #: [sure: 15] The commune checks a received dossier and proposes it within this many working
    #: days (Decision 26/2026, Art. 7.2); None = no such deadline.
    commune_check_working_days: int | None = Field(default=None, gt=0)
    #: [sure: 45] A re-evaluation is decided within this many days of the commune's complete
    #: proposal (Art. 7.6g); None = no such deadline.
    reevaluation_decision_days: int | None = Field(default=None, gt=0)
    #: [sure: 180] A certificate whose window closed before this profile took effect, and whose
    #: re-evaluation is accepted, stays valid until the result but at most this many days past
    #: its expiry (Art. 12.3); None = it expires on its day.
    late_reevaluation_validity_days: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _statutory_is_a_notice(self) -> Durations:
        if self.statutory_notice_days not in self.renewal_notice_days:
            raise ValueError("statutory_notice_days must be one of renewal_notice_days")
        window = self.reevaluation_window_days
        if window is not None and not window[0] > window[1] >= 0:
            raise ValueError("reevaluation_window_days: opens (first) before it closes (second)")
        if window is not None and any(
            not 0 < r < window[0] - window[1] for r in self.reevaluation_window_reminder_days
        ):
            raise ValueError("reevaluation_window_reminder_days: each inside the window")
        return self


class Handover(BaseModel):
    """[open] From ``on``, what this profile gave to a level that no longer exists passes to the
    level the new rules name (the 2025 reform: district bodies to the province's). Certificates
    issued by districts are then monitored, inspected, renewed and revoked by the province."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    on: date
    #: Each abolished body's role, to the role that takes over its authority.
    roles: dict[Role, Role]
    legal_basis_vi: str


#: Projection fields a migration may clear: what an earlier tier decided that no longer holds.
ClearableField = Literal[
    "round_id", "level", "score", "stars", "outcome", "scored_on", "supplement_due_on"
]
CLEARABLE_FIELDS: tuple[ClearableField, ...] = (
    "round_id",
    "level",
    "score",
    "stars",
    "outcome",
    "scored_on",
    "supplement_due_on",
)


class StateMapping(BaseModel):
    """Where a dossier in one state of the earlier profile continues under this one.

    ``to`` is a state name, checked against this profile's workflow when a dossier is carried
    over (a state the workflow does not have leaves the dossier where it is, listed with the
    reason). ``clear`` names what an earlier tier decided that no longer holds (a district's
    score, when the province now scores first).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    to: str = Field(min_length=1)
    clear: tuple[ClearableField, ...] = ()
    note_vi: str = ""


class MigrationRule(BaseModel):
    """[open] How dossiers still in evaluation under an earlier profile continue under this
    one: the legal basis, the day it takes effect, who may carry them over, and where each state
    goes. A state without a mapping is not carried over (listed with the reason)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    effective: date
    legal_basis_vi: str = Field(min_length=1)
    #: Roles that may carry dossiers over; each acts only within its own jurisdiction.
    actors: tuple[Role, ...] = Field(min_length=1)
    states: dict[str, StateMapping]

    @field_validator("states", mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        # ``"registered": "registered"`` is short for ``{"to": "registered"}``.
        if isinstance(value, dict):
            return {k: {"to": v} if isinstance(v, str) else v for k, v in value.items()}
        return value


class RuleProfile(BaseModel):
    """One Decision's rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: ProfileId
    decision: str
    title_vi: str
    title_en: str
    in_force_from: date
    in_force_until: date | None
    part_maxima: dict[str, int]
    star_bands: tuple[StarBand, ...]
    recognised_min_stars: int = Field(ge=1, le=5)
    tiers: tuple[TierRules, ...] = Field(min_length=1)
    #: The council rules of every tier that does not set its own.
    council: CouncilRules
    durations: Durations
    require_round_for_scoring: bool
    permissions: dict[str, tuple[Role, ...]]
    #: What the system actor may do, and only when a deadline of the dossier falls due: a
    #: supplement deadline withdraws, a passed round carries over, an expiry expires. Nothing
    #: else is ever done in the system's name.
    deadline_commands: tuple[str, ...]
    #: [open] Where authority goes when a level this profile relies on is abolished.
    handover: Handover | None = None
    #: Whether the commune's proposal gives the dossier a product code "T-X-STT-year"
    #: (Decision 26/2026: province code, commune code, the commune's sequence in the year).
    product_codes: bool = False
    #: [open] An upgrade ("nâng hạng") whose result does not raise the certificate it aims at:
    #: "renews" -- certified anyway, a new certificate of those stars (kept) replacing the old
    #: one, as provinces read the earlier decisions (Bắc Giang's Resolution 67/2023 pays such a
    #: kept star); "stands" -- the upgrade ends not recognised and the certificate stands as
    #: issued (Decision 26/2026: a new 36 months is had only through a re-evaluation filed in its
    #: window, Art. 7.6.a; and no ground of Art. 8 lowers a certificate).
    upgrade_not_higher: Literal["renews", "stands"] = "renews"
    #: Whether the re-evaluation of a certificate the upper tier issued (a 5★) goes from the
    #: commune's proposal straight to that tier's council, the entry tier reporting on it
    #: without scoring it (Decision 26/2026, Art. 6.3.b, 7.6.e: "UBND cấp tỉnh gửi hồ sơ đến
    #: Bộ ... đề nghị đánh giá, công nhận lại đối với sản phẩm OCOP 5 sao").
    top_reevaluation_goes_up: bool = False
    #: Which legal forms of producer may register a product, by product group ("*": every
    #: group not listed); None: any (Decision 26/2026, Art. 2.3 lists them, associations and
    #: operation centres for the tourism group only).
    producer_kinds: dict[str, tuple[str, ...]] | None = None

    #: How dossiers in flight under earlier profiles are carried over to this one, by the
    #: earlier profile's id (none: they finish under the profile they were registered in).
    migration_from: dict[ProfileId, MigrationRule] = Field(default_factory=dict)
    #: Revocation grounds, revokers by star and time limit (Decision 26/2026, Art. 8); None:
    #: the grounds profiles always took, revoked by the certifying body, no time limit.
    revocation: RevocationRules | None = None
    #: [sure] The last day this profile's rules apply at all (Decision 26/2026, Art. 11.2: 148
    #: and 1489 cease 60 days after 22/05/2026): no dossier is registered under it after that
    #: day, even one filed before it took effect and entered late. None = no end set.
    rules_cease_after: date | None = None
    #: Statutory rounds by level ("province", "central"); more rounds are more entries.
    rounds: dict[Level, tuple[RoundCutoff, ...]] = Field(default_factory=dict)
    #: How dossiers filed under earlier profiles finish once this one is in force.
    transition: Transition | None = None

    def round_cutoff(self, level: Level, held_by: date) -> date | None:
        """The proposal cut-off of a ``level`` round held (scored) by ``held_by``: that of the
        first statutory round held on or after that day; None without statutory rounds."""
        statutory = [(on_or_after(held_by, c.held_before), c) for c in self.rounds.get(level, ())]
        if not statutory:
            return None
        held, cutoff = min(statutory, key=lambda pair: pair[0])
        return cutoff.cutoff(held)

    def acting_roles(self, roles: tuple[Role, ...], on: date) -> tuple[Role, ...]:
        """``roles`` as they stand on ``on``: after a handover, its successors act instead."""
        if self.handover is None or on < self.handover.on:
            return roles
        return tuple(dict.fromkeys(self.handover.roles.get(r, r) for r in roles))

    @model_validator(mode="before")
    @classmethod
    def _tier_councils_default_to_the_profiles(cls, data: Any) -> Any:
        # A tier's ``council`` in the data may be partial: what it leaves out is the profile's.
        if not isinstance(data, dict) or not isinstance(data.get("council"), dict):
            return data
        tiers = data.get("tiers")
        if not isinstance(tiers, list | tuple):
            return data
        filled = [
            {**tier, "council": {**data["council"], **tier["council"]}}
            if isinstance(tier, dict) and isinstance(tier.get("council"), dict)
            else tier
            for tier in tiers
        ]
        return {**data, "tiers": filled}

    @model_validator(mode="after")
    def _check(self) -> RuleProfile:
        problems: list[str] = []
        if sum(self.part_maxima.values()) != 100:
            problems.append("part maxima must sum to 100")
        bands = self.star_bands
        if [b.stars for b in bands] != list(range(1, len(bands) + 1)) or bands[0].min_score != 0:
            problems.append("star bands must run 1★.. upwards from 0")
        if any(a.min_score >= b.min_score for a, b in itertools.pairwise(bands)):
            problems.append("star band minima must increase")
        levels = [t.level for t in self.tiers]
        if len(set(levels)) != len(levels):
            problems.append("a tier appears twice")
        if sum(t.certify_at_cap_when_forwarding for t in self.tiers) > 1:
            # A certificate goes up from one tier only: the machine's edge out of ``certified``.
            problems.append("certify_at_cap_when_forwarding is set on more than one tier")
        for tier in self.tiers:
            if tier.on_lower_result == "certify_at_lower_tier" and self.tier_below(tier) is None:
                problems.append(
                    f"{tier.level} certifies at the lower tier, but none forwards to it"
                )
            if tier.forward_to is not None and tier.forward_to not in levels:
                problems.append(f"{tier.level} forwards to {tier.forward_to}, which has no tier")
        missing = [c for c in COMMANDS if c not in self.permissions]
        unknown = [c for c in self.permissions if c not in COMMANDS + OPTIONAL_COMMANDS]
        if missing:
            problems.append(f"permissions missing for {missing}")
        if unknown:
            problems.append(f"permissions for unknown commands {unknown}")
        for command, roles in self.permissions.items():
            if Role.SYSTEM in roles and command not in self.deadline_commands:
                problems.append(f"the system actor may not {command}: it is not a deadline command")
        stray = [c for c in self.deadline_commands if c not in DEADLINE_COMMANDS]
        if stray:
            problems.append(f"deadline_commands names commands no deadline applies: {stray}")
        if self.in_force_until is not None and self.in_force_until < self.in_force_from:
            problems.append("in_force_until is before in_force_from")
        if self.rules_cease_after is not None and self.rules_cease_after < (
            self.in_force_until or self.rules_cease_after
        ):
            problems.append("rules_cease_after is before in_force_until")
        if self.transition is not None and self.id in self.transition.from_profiles:
            problems.append("a profile's transition cannot be from itself")
        for source, rule in self.migration_from.items():
            if source == self.id:
                problems.append("a profile cannot migrate from itself")
            if rule.effective < self.in_force_from:
                problems.append(f"migration from {source} takes effect before this profile")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def entry_tier(self) -> TierRules:
        """The tier that scores a dossier first."""
        return self.tiers[0]

    def tier(self, level: Level) -> TierRules:
        """The rules of tier ``level``; KeyError when this profile has no such tier."""
        for tier in self.tiers:
            if tier.level is level:
                return tier
        raise KeyError(level)

    @property
    def revocation_rules(self) -> RevocationRules:
        """This profile's revocation rules (the legacy ones when it sets none)."""
        return self.revocation or LEGACY_REVOCATION_GROUNDS

    def tier_below(self, tier: TierRules) -> TierRules | None:
        """The tier that forwards dossiers to ``tier``, if any."""
        return next((t for t in self.tiers if t.forward_to is tier.level), None)

    def council_for(self, level: Level | None) -> CouncilRules:
        """The council rules of tier ``level`` (the profile's when the tier sets none, or when
        ``level`` is None)."""
        if level is not None:
            council = self.tier(level).council
            if council is not None:
                return council
        return self.council

    def stars_for(self, score: Decimal) -> int:
        """The star band of a mean score."""
        stars = 1
        for band in self.star_bands:
            if score >= band.min_score:
                stars = band.stars
        return stars

    def in_force_on(self, day: date) -> bool:
        """Whether this profile governs dossiers registered on ``day``."""
        return self.in_force_from <= day and (
            self.in_force_until is None or day <= self.in_force_until
        )
