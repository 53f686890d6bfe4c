"""Guards: pure functions that say why a transition may not happen, or nothing when it may.

Each returns a ``Reason`` (a stable code plus Vietnamese and English text) or ``None``. They read
the dossier, its profile, the command and the clock's now; they never touch storage. The guards of
the creation commands (transitions out of ``new``) read a ``CreationContext``: what the handler
loaded for them (the certificate re-evaluated, whether it already has an open successor, whether
the registered product is already in evaluation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from ocop_cycle.clock import to_vn
from ocop_cycle.errors import Reason
from ocop_cycle.rules.authority import CENTRAL
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.scoring import Outcome
from ocop_cycle.workflows.commands import (
    Certify,
    Command,
    RecordInspection,
    RegisterReevaluation,
    ReturnForSupplement,
)
from ocop_cycle.workflows.derive import council_dossier_day, scoring_level
from ocop_cycle.workflows.grounds import revoked_in_time
from ocop_cycle.workflows.lower_tier import (
    LOWER_TIER_DECIDES,
    outcome_is_lower_tier,
    upper_result_recognised,
)
from ocop_cycle.workflows.model import Dossier, DossierKind, Round
from ocop_cycle.workflows.states import HOLDING_CERTIFICATE, DossierState

__all__ = [
    "ALREADY_OPEN",
    "GUARDS",
    "PRODUCT_ALREADY_OPEN",
    "CreationContext",
    "Guard",
    "GuardContext",
]


@dataclass(frozen=True, slots=True)
class GuardContext:
    """Everything a guard may look at."""

    dossier: Dossier
    profile: RuleProfile
    command: Command | None
    now: datetime
    round: Round | None = None
    #: When the dossier was proposed to the tier a round assignment is for (the commune's
    #: proposal, or the forward to the upper tier), loaded for profiles with statutory rounds.
    proposed_on: date | None = None
    #: The profile in force when the round is held: its statutory rounds (Decision 26/2026,
    #: Art. 5) bind every dossier the round takes, whatever profile the dossier is under.
    round_profile: RuleProfile | None = None
    #: The certificate's dossier an upgrade or re-evaluation follows, when the command needs
    #: it (certifying, or closing an upgrade as not recognised).
    predecessor: Dossier | None = None
    #: The profile whose rules govern the act itself when they are not the dossier's own (a
    #: revocation follows the revocation rules in force on its decision's date).
    act_profile: RuleProfile | None = None

    @property
    def today(self) -> date:
        """The clock's date in Vietnam."""
        return self.now.date()


@dataclass(frozen=True, slots=True)
class CreationContext:
    """What the guards of a creation command may look at."""

    profile: RuleProfile
    command: Command
    now: datetime
    #: The certificate's dossier a re-evaluation or upgrade follows.
    predecessor: Dossier | None = None
    #: An open re-evaluation of that certificate, if one exists already.
    open_successor: UUID | None = None
    #: A dossier of the registered product still in evaluation, if one exists already.
    open_product: UUID | None = None

    @property
    def today(self) -> date:
        """The clock's date in Vietnam."""
        return self.now.date()


Guard = Callable[[Any], Reason | None]

ALREADY_OPEN = Reason(
    "reevaluation.already_open",
    "Đã có hồ sơ đánh giá lại đang xử lý",
    "a re-evaluation of this certificate is already open",
)


PRODUCT_ALREADY_OPEN = Reason(
    "product.already_open",
    "Sản phẩm đang có hồ sơ đánh giá chưa kết thúc",
    "the product already has a dossier in evaluation",
)


def product_not_in_evaluation(ctx: CreationContext) -> Reason | None:
    """One evaluation of a product at a time ("một sản phẩm, một hồ sơ"): a product (same
    producer, same product) is not registered as new while a dossier of it, new or a
    re-evaluation or upgrade, is being evaluated (``states.IN_EVALUATION``). A certificate the
    product holds is no evaluation: re-evaluations are filed while it is held, and only they
    and upgrades are bound to it (one open successor each). The database's unique index
    enforces it for racing registrations."""
    return PRODUCT_ALREADY_OPEN if ctx.open_product is not None else None


def predecessor_holds_certificate(ctx: CreationContext) -> Reason | None:
    """Only a valid certificate is re-evaluated or upgraded: held (not revoked or replaced),
    and valid on the filing day by its date, whether or not a sweep has recorded its expiry yet
    (the answer must not depend on when the scheduler last ran). Decision 26/2026, Art. 12.3:
    a certificate whose window closed before the Decision took effect stays valid until its
    late re-evaluation's result, at most 180 days past expiry ("tiếp tục có hiệu lực ... nhưng
    không quá 180 ngày tính từ ngày hết thời hạn"): such a re-evaluation is filed until then,
    expired by a sweep or not (the extension then holds the certificate again)."""
    held = ctx.predecessor
    assert held is not None
    expires, today = held.valid_until, ctx.now.date()
    late = _late_filing_until(ctx, expires) if expires is not None else None
    lapsed = held.state is DossierState.EXPIRED and late is not None
    if held.state not in HOLDING_CERTIFICATE and not lapsed:
        return Reason(
            "reevaluation.no_certificate",
            "Sản phẩm không có giấy chứng nhận còn hiệu lực",
            f"the dossier holds no valid certificate (state {held.state.value})",
        )
    if expires is None or today <= expires:
        return None
    if late is None:
        return Reason(
            "reevaluation.certificate_lapsed",
            f"Giấy chứng nhận đã hết hiệu lực sau ngày {expires:%d/%m/%Y}",
            f"the certificate was valid until {expires.isoformat()}",
        )
    if today > late:
        return Reason(
            "reevaluation.late_filing_over",
            f"Đã quá {(late - expires).days} ngày kể từ ngày giấy chứng nhận hết hạn "
            f"({expires:%d/%m/%Y}): không còn đánh giá lại theo khoản 3 Điều 12",
            f"more than {(late - expires).days} days after the certificate expired on "
            f"{expires.isoformat()}: too late even for a late re-evaluation",
        )
    return None


def _late_filing_until(ctx: CreationContext, expires: date) -> date | None:
    """The last day a re-evaluation of a certificate that expired on ``expires`` is still
    filed, when the profile keeps such a certificate valid while a late re-evaluation runs
    (Decision 26/2026, Art. 12.3: its window closed before the Decision took effect; "không quá
    180 ngày tính từ ngày hết thời hạn"); None when it does not -- nor for a certificate that
    had lapsed before the profile took effect (a Decision revives nothing that lapsed before
    it). The predecessor's own expiry, not an extension's, counts."""
    d = ctx.profile.durations
    window, days = d.reevaluation_window_days, d.late_reevaluation_validity_days
    if getattr(ctx.command, "kind", None) != "re_evaluation" or window is None or days is None:
        return None
    if expires - timedelta(days=window[1]) >= ctx.profile.in_force_from:
        return None
    if expires < ctx.profile.in_force_from:
        return None
    return expires + timedelta(days=days)


def reevaluation_in_window(ctx: CreationContext) -> Reason | None:
    """A re-evaluation is filed inside its window before expiry — except a certificate whose
    window had closed before the profile took effect (Decision 26/2026, Art. 12.3). The window
    is the end of the 36 months' (Art. 7.6.a): an upgrade follows the first evaluation's path
    (Art. 7.5) and is filed whenever the product has grown."""
    if getattr(ctx.command, "kind", None) != "re_evaluation":
        return None
    window = ctx.profile.durations.reevaluation_window_days
    assert ctx.predecessor is not None
    expires = ctx.predecessor.valid_until
    if window is None or expires is None:
        return None
    opens, closes = expires - timedelta(days=window[0]), expires - timedelta(days=window[1])
    today = ctx.now.date()
    if opens <= today <= closes or closes < ctx.profile.in_force_from:
        return None
    return Reason(
        "reevaluation.outside_window",
        f"Chỉ nộp hồ sơ đánh giá lại từ ngày {opens:%d/%m/%Y} đến ngày {closes:%d/%m/%Y} "
        f"(giấy chứng nhận hết hạn ngày {expires:%d/%m/%Y})",
        f"a re-evaluation of a certificate expiring {expires.isoformat()} is filed from "
        f"{opens.isoformat()} to {closes.isoformat()}",
    )


def profile_still_applies(ctx: CreationContext) -> Reason | None:
    """A dossier filed before a profile ceased but entered after it ceased is not registered
    under it (Decision 26/2026, Art. 11.2: 148 and 1489 cease 60 days after 22/05/2026; the
    last day is the profile's ``rules_cease_after``)."""
    last = ctx.profile.rules_cease_after
    if last is None or ctx.now.date() <= last:
        return None
    return Reason(
        "profile.ceased",
        f"{ctx.profile.decision} hết hiệu lực sau ngày {last:%d/%m/%Y}: không đăng ký hồ sơ "
        "theo quy định này",
        f"{ctx.profile.id} ceased after {last.isoformat()}: no dossier is registered under it",
    )


def producer_may_register(ctx: CreationContext) -> Reason | None:
    """The producer's legal form is one the profile lets register this product's group
    (Decision 26/2026, Art. 2.3: associations and operation centres only for tourism). A
    re-evaluation or an upgrade is an evaluation under the profile in force too: its producer
    and product are the certificate's."""
    allowed = ctx.profile.producer_kinds
    if allowed is None:
        return None
    producer = getattr(ctx.command, "producer", None)
    product = getattr(ctx.command, "product", None)
    if producer is not None and product is not None:
        kind, group = producer.kind, product.group
    elif ctx.predecessor is not None:
        kind, group = ctx.predecessor.producer_kind, ctx.predecessor.product_group
    else:
        return None
    kinds = allowed.get(group, allowed.get("*", ()))
    if kind.value in kinds:
        return None
    return Reason(
        "producer.kind_not_eligible",
        f"{kind.label_vi} không thuộc chủ thể OCOP được đăng ký sản phẩm nhóm này "
        f"theo Quyết định số {ctx.profile.decision}",
        f"a producer of kind {kind.value} may not register a {group} product "
        f"under {ctx.profile.id}",
    )


def no_open_successor(ctx: CreationContext) -> Reason | None:
    """One open re-evaluation per certificate (the database's unique index enforces it too)."""
    return ALREADY_OPEN if ctx.open_successor is not None else None


def upgrade_below_top(ctx: CreationContext) -> Reason | None:
    """A 5★ product has nothing to upgrade to."""
    assert ctx.predecessor is not None
    assert isinstance(ctx.command, RegisterReevaluation)
    if ctx.command.kind == "upgrade" and (ctx.predecessor.certified_stars or 0) >= 5:
        return Reason(
            "upgrade.at_top", "Sản phẩm đã đạt 5 sao", "the product already holds 5 stars"
        )
    return None


def round_assigned(ctx: GuardContext) -> Reason | None:
    """The first council scores only dossiers placed in a round, when the profile says so."""
    if (
        ctx.dossier.state is DossierState.COMMUNE_VERIFIED
        and ctx.profile.require_round_for_scoring
        and ctx.dossier.round_id is None
    ):
        return Reason(
            "round.not_assigned",
            "Hồ sơ chưa được xếp vào đợt đánh giá",
            "the dossier is not assigned to an evaluation round",
        )
    return None


def round_covers_dossier(ctx: GuardContext) -> Reason | None:
    """A round takes dossiers from its own jurisdiction only."""
    assert ctx.round is not None
    d = ctx.dossier
    if ctx.round.jurisdiction_code not in {
        CENTRAL,
        d.province_code,
        d.district_code,
        d.commune_code,
    }:
        return Reason(
            "round.other_jurisdiction",
            "Đợt đánh giá thuộc địa bàn khác",
            f"round belongs to jurisdiction {ctx.round.jurisdiction_code}",
        )
    return None


def round_matches_tier(ctx: GuardContext) -> Reason | None:
    """A district round takes dossiers before the district council, and so on up."""
    assert ctx.round is not None
    level = scoring_level(ctx.dossier, ctx.profile)
    code = ctx.round.jurisdiction_code
    round_level = "central" if code == CENTRAL else {2: "province", 3: "district"}.get(len(code))
    if level is None or round_level != level.value:
        return Reason(
            "round.wrong_tier",
            "Đợt đánh giá không thuộc cấp đang xét hồ sơ",
            f"a {round_level or 'commune'} round cannot take a dossier awaiting the "
            f"{level.value if level else 'no'} council",
        )
    return None


def proposed_before_cutoff(ctx: GuardContext) -> Reason | None:
    """A statutory round takes the dossiers proposed before its cut-off (Decision 26/2026,
    Art. 5: proposals before 30/04 go to the round before 30/06, before 30/10 to the one
    before 30/12; the ministry's before 30/07 and 30/01): a later one waits for the next."""
    assert ctx.round is not None
    level = scoring_level(ctx.dossier, ctx.profile)
    if level is None or ctx.proposed_on is None or ctx.round_profile is None:
        return None
    cutoff = ctx.round_profile.round_cutoff(level, ctx.round.scoring_deadline)
    if cutoff is None or ctx.proposed_on < cutoff:
        return None
    return Reason(
        "round.cutoff_passed",
        f"Hồ sơ được đề nghị ngày {ctx.proposed_on:%d/%m/%Y}, không trước ngày "
        f"{cutoff:%d/%m/%Y}: không thuộc {ctx.round.name}, xếp vào đợt sau",
        f"proposed on {ctx.proposed_on.isoformat()}, not before the cut-off "
        f"{cutoff.isoformat()} of this round: assign it to a later round",
    )


def round_open(ctx: GuardContext) -> Reason | None:
    """A round past its scoring deadline takes no more dossiers."""
    assert ctx.round is not None
    if ctx.today > ctx.round.scoring_deadline:
        return Reason(
            "round.closed",
            "Đợt đánh giá đã quá hạn chấm điểm",
            f"round's scoring deadline {ctx.round.scoring_deadline.isoformat()} has passed",
        )
    return None


def council_gets_dossier_in_time(ctx: GuardContext) -> Reason | None:
    """Council members get the e-dossier ``council_dossier_working_days`` working days before
    the meeting [sure: 1]: a dossier joining the round after that day would be scored without
    it, so it waits for a later round. Counted from when the assignment happened."""
    assert ctx.round is not None
    due = council_dossier_day(ctx.profile, ctx.round)
    command = ctx.command
    day = to_vn(command.occurred_at).date() if command and command.occurred_at else ctx.today
    if day > due:
        meeting = ctx.round.council_meeting_on
        return Reason(
            "round.council_dossier_late",
            f"Hội đồng phải nhận hồ sơ điện tử chậm nhất ngày {due.strftime('%d/%m/%Y')}, "
            f"trước phiên họp ngày {meeting.strftime('%d/%m/%Y')}: xếp hồ sơ vào đợt sau",
            f"council members must get the e-dossier by {due.isoformat()} for the meeting on "
            f"{meeting.isoformat()}: assign it to a later round",
        )
    return None


def _top_reevaluation(ctx: GuardContext) -> bool:
    """Whether the dossier re-evaluates a certificate the upper tier issued, under a profile
    that sends such a re-evaluation straight to that tier (``top_reevaluation_goes_up``)."""
    d, held, profile = ctx.dossier, ctx.predecessor, ctx.profile
    return (
        profile.top_reevaluation_goes_up
        and d.kind is DossierKind.RE_EVALUATION
        and held is not None
        and held.certified_level is not None
        and held.certified_level == profile.entry_tier.forward_to
    )


def top_reevaluation_goes_up(ctx: GuardContext) -> Reason | None:
    """The re-evaluation of a certificate the upper tier issued is not scored by the entry
    tier: it goes up unscored (Art. 7.6.e) -- unless the upper council's result sent it back
    to be evaluated under the entry tier's own authority (Art. 7.4.g; it then has a level)."""
    d = ctx.dossier
    if d.state is not DossierState.COMMUNE_VERIFIED or d.level is not None:
        return None
    if not _top_reevaluation(ctx):
        return None
    return Reason(
        "reevaluation.goes_to_upper_tier",
        "Hồ sơ đánh giá lại sản phẩm do cấp trên công nhận được gửi lên Hội đồng cấp trên, "
        "không đánh giá tại cấp này",
        "the re-evaluation of a certificate the upper tier issued goes to that tier's council "
        "(forward it), not to this tier's",
    )


def outcome_is_forward(ctx: GuardContext) -> Reason | None:
    """Only a result above this tier's authority goes up; and, unscored, the re-evaluation of
    a certificate the upper tier issued (Decision 26/2026, Art. 7.6.e)."""
    if ctx.dossier.state is DossierState.COMMUNE_VERIFIED:
        if _top_reevaluation(ctx) and ctx.dossier.level is None:
            return None  # not once it came back from the upper council (Art. 7.4.g)
        return Reason(
            "forward.not_top_reevaluation",
            "Chỉ hồ sơ đánh giá lại sản phẩm do cấp trên công nhận được gửi thẳng lên cấp trên",
            "only the re-evaluation of a certificate the upper tier issued goes up unscored",
        )
    if ctx.dossier.outcome is not Outcome.FORWARD:
        return Reason(
            "score.below_forward_threshold",
            "Điểm chưa đạt ngưỡng chuyển lên cấp trên",
            "the score does not reach the forwarding threshold",
        )
    return None


def outcome_is_certifiable(ctx: GuardContext) -> Reason | None:
    """Certify only a recognised result within this tier's authority."""
    d = ctx.dossier
    if d.outcome is Outcome.NOT_RECOGNIZED:
        return Reason(
            "score.not_recognised",
            "Kết quả dưới 3 sao, không được công nhận",
            "the result is below the recognised minimum",
        )
    if d.outcome is Outcome.LOWER_TIER:
        return LOWER_TIER_DECIDES
    if d.outcome is Outcome.FORWARD:
        assert d.level is not None
        if not ctx.profile.tier(d.level).certify_at_cap_when_forwarding:
            return Reason(
                "authority.above_tier_cap",
                "Kết quả vượt thẩm quyền công nhận của cấp này, phải chuyển lên cấp trên",
                "the result is above this tier's authority: forward it",
            )
    return None


def referral_from_the_certifying_tier(ctx: GuardContext) -> Reason | None:
    """A certificate goes up only as the referral of the tier that issued it at its cap, when
    that tier's ``certify_at_cap_when_forwarding`` [open] allows it."""
    d = ctx.dossier
    if d.state is not DossierState.CERTIFIED:
        return None
    if (
        d.level is None
        or d.level != d.certified_level
        or not ctx.profile.tier(d.level).certify_at_cap_when_forwarding
    ):
        return Reason(
            "referral.not_allowed",
            "Sản phẩm đã được công nhận không được chuyển lên cấp trên",
            "a certified dossier goes up only as the referral of the tier that certified it",
        )
    return None


def certify_raises_the_held_certificate(ctx: GuardContext) -> Reason | None:
    """A dossier evaluated upward while it holds a certificate is certified again only to a
    higher star; otherwise its certificate is kept as issued."""
    d = ctx.dossier
    if d.certified_stars is None:
        return None
    assert d.level is not None
    assert d.stars is not None
    if min(d.stars, ctx.profile.tier(d.level).certifies_up_to) <= d.certified_stars:
        return Reason(
            "referral.not_higher",
            f"Kết quả không cao hơn hạng {d.certified_stars} sao đã công nhận: giữ nguyên "
            "công nhận đã cấp",
            f"the result does not raise the {d.certified_stars}★ certificate the dossier holds: "
            "keep it (keep_certificate)",
        )
    return None


CERTIFICATE_HELD = Reason(
    "certificate.held",
    "Hồ sơ đang giữ giấy chứng nhận đã cấp: kết thúc bằng giữ nguyên công nhận",
    "the dossier holds a certificate while an upper council evaluates it: close it with "
    "keep_certificate",
)


def holds_no_certificate(ctx: GuardContext) -> Reason | None:
    """Not recognising or withdrawing would drop a certificate the dossier holds while an upper
    council evaluates it ([open] ``certify_at_cap_when_forwarding``)."""
    return CERTIFICATE_HELD if ctx.dossier.certified_stars is not None else None


def keeps_a_certificate_it_does_not_raise(ctx: GuardContext) -> Reason | None:
    """Keep the certificate only of a dossier that holds one, and not over a result that
    raises it (certify that) or goes further up (forward it)."""
    d = ctx.dossier
    if d.certified_stars is None:
        return Reason(
            "certificate.none",
            "Hồ sơ chưa có giấy chứng nhận để giữ nguyên",
            "the dossier holds no certificate to keep",
        )
    if d.outcome is Outcome.FORWARD or (
        d.outcome is Outcome.CERTIFY
        and d.level is not None
        and d.stars is not None
        and min(d.stars, ctx.profile.tier(d.level).certifies_up_to) > d.certified_stars
    ):
        return Reason(
            "score.raises_certificate",
            "Kết quả cao hơn hạng đã công nhận: ra quyết định công nhận mới hoặc chuyển cấp trên",
            "the result raises the certificate: certify it (or forward it)",
        )
    return None


def decision_after_scoring(ctx: GuardContext) -> Reason | None:
    """A recognition decision cannot predate the council's session."""
    assert isinstance(ctx.command, Certify)
    if ctx.dossier.scored_on is not None and ctx.command.decision_date < ctx.dossier.scored_on:
        return Reason(
            "decision.before_scoring",
            "Ngày quyết định trước ngày chấm điểm",
            "the decision date is before the council scored",
        )
    return None


def decision_not_in_future(ctx: GuardContext) -> Reason | None:
    """A decision (and the conclusion a revocation acts on) is recorded once made: one dated
    after the day it is entered is a typo, and a certificate's 36 months would run from it."""
    command = ctx.command
    dates = [("decision_date", getattr(command, "decision_date", None))]
    dates.append(("conclusion_date", getattr(command, "conclusion_date", None)))
    for field, day in dates:
        if day is not None and day > ctx.today:
            return Reason(
                "decision.in_future",
                f"Ngày {day:%d/%m/%Y} sau ngày nhập ({ctx.today:%d/%m/%Y})",
                f"{field} {day.isoformat()} is after the day it is recorded "
                f"({ctx.today.isoformat()})",
            )
    return None


def _stars_certified_on(ctx: GuardContext) -> int | None:
    """The stars a certification of the scored dossier would give (its tier's cap; on an
    upper council's result, the cap of the tier below)."""
    d = ctx.dossier
    if d.level is None or d.stars is None:
        return None
    tier = ctx.profile.tier(d.level)
    if d.outcome is Outcome.LOWER_TIER:
        below = ctx.profile.tier_below(tier)
        tier = below if below is not None else tier
    return min(d.stars, tier.certifies_up_to)


def _upgrade_not_higher(ctx: GuardContext) -> Reason | None:
    """Why an upgrade's result does not upgrade: it is not above the certificate it aims to
    raise (which still stands)."""
    d, held = ctx.dossier, ctx.predecessor
    if (
        ctx.profile.upgrade_not_higher != "stands"
        or d.kind is not DossierKind.UPGRADE
        or held is None
        or held.state not in HOLDING_CERTIFICATE
        or held.certified_stars is None
    ):
        return None
    stars = _stars_certified_on(ctx)
    if stars is None or stars > held.certified_stars:
        return None
    return Reason(
        "upgrade.not_higher",
        f"Kết quả không cao hơn hạng {held.certified_stars} sao đã công nhận: không nâng hạng, "
        "giấy chứng nhận đã cấp giữ nguyên",
        f"the result does not raise the {held.certified_stars}★ certificate this upgrade aims "
        "at: it stays as issued; close the upgrade as not recognised (not_recognize)",
    )


def upgrade_raises_the_certificate(ctx: GuardContext) -> Reason | None:
    """Where the profile says so (``upgrade_not_higher: "stands"``, Decision 26/2026), an
    upgrade ("nâng hạng", Art. 7.5) is certified only above the certificate it aims to raise:
    the same stars again would be a new 36 months outside the re-evaluation window (Art.
    7.6.a), fewer a downgrade no ground of Art. 8 allows."""
    return _upgrade_not_higher(ctx)


def outcome_is_not_recognized(ctx: GuardContext) -> Reason | None:
    """'Not recognised' only for a result below the recognised minimum, or for an upgrade
    whose result does not raise its certificate (the upgrade ends; the certificate stands)."""
    d = ctx.dossier
    if d.outcome in (Outcome.CERTIFY, Outcome.LOWER_TIER) and _upgrade_not_higher(ctx) is not None:
        return None
    if d.outcome is Outcome.LOWER_TIER and (d.stars or 0) < ctx.profile.recognised_min_stars:
        return None  # the upper council's result recognises nothing: the tier below may end it
    if d.outcome is not Outcome.NOT_RECOGNIZED:
        return Reason(
            "score.recognised",
            "Kết quả đạt từ 3 sao, phải công nhận hoặc chuyển cấp",
            "the result is recognisable: certify or forward it",
        )
    return None


def statutory_notice_window(ctx: GuardContext) -> Reason | None:
    """Renewal is due from the statutory notice date before expiry."""
    valid_until = ctx.dossier.valid_until
    assert valid_until is not None
    notice_on = valid_until - timedelta(days=ctx.profile.durations.statutory_notice_days)
    if ctx.today < notice_on:
        return Reason(
            "renewal.too_early",
            "Chưa đến thời hạn thông báo đánh giá lại",
            f"renewal is not due before {notice_on.isoformat()}",
        )
    return None


def certificate_lapsed(ctx: GuardContext) -> Reason | None:
    """A certificate expires only once its valid-until date has passed."""
    valid_until = ctx.dossier.valid_until
    assert valid_until is not None
    if ctx.today <= valid_until:
        return Reason(
            "certificate.still_valid",
            "Giấy chứng nhận còn hiệu lực",
            f"the certificate is valid until {valid_until.isoformat()}",
        )
    return None


def inspection_not_in_future(ctx: GuardContext) -> Reason | None:
    """An inspection is recorded after it took place."""
    assert isinstance(ctx.command, RecordInspection)
    if ctx.command.inspected_on > ctx.today:
        return Reason(
            "inspection.in_future",
            "Ngày kiểm tra ở tương lai",
            "the inspection date is in the future",
        )
    return None


def not_before_certificate(ctx: GuardContext) -> Reason | None:
    """A revocation's decision, or an inspection, of a certificate cannot predate the
    certificate: such a date is a typo (a year 2023 for 2025), and an inspection dated so
    would plan the next one in the past."""
    command = ctx.command
    field = "inspected_on" if isinstance(command, RecordInspection) else "decision_date"
    day = getattr(command, field, None)
    issued = ctx.dossier.certified_on
    if issued is not None and day is not None and day < issued:
        return Reason(
            "date.before_certificate",
            f"Ngày {day:%d/%m/%Y} trước ngày cấp giấy chứng nhận ({issued:%d/%m/%Y})",
            f"{field} {day.isoformat()} is before the certificate was issued "
            f"({issued.isoformat()})",
        )
    return None


def supplement_due_in_future(ctx: GuardContext) -> Reason | None:
    """A supplement deadline must leave the producer some time."""
    assert isinstance(ctx.command, ReturnForSupplement)
    if ctx.command.due_on is not None and ctx.command.due_on <= ctx.today:
        return Reason(
            "supplement.due_in_past",
            "Hạn bổ sung phải sau ngày hiện tại",
            "the supplement deadline must be after today",
        )
    return None


#: The guards of each trigger, run together so that a refusal lists every reason.
GUARDS: dict[str, tuple[Guard, ...]] = {
    "import_certificate": (decision_not_in_future,),
    "register": (product_not_in_evaluation, profile_still_applies, producer_may_register),
    "register_reevaluation": (
        profile_still_applies,
        predecessor_holds_certificate,
        reevaluation_in_window,
        no_open_successor,
        upgrade_below_top,
        producer_may_register,
    ),
    "assign_round": (
        top_reevaluation_goes_up,
        round_covers_dossier,
        round_matches_tier,
        round_open,
        council_gets_dossier_in_time,
        proposed_before_cutoff,
    ),
    "score": (top_reevaluation_goes_up, round_assigned),
    "forward": (outcome_is_forward, referral_from_the_certifying_tier),
    "certify": (
        outcome_is_certifiable,
        decision_not_in_future,
        decision_after_scoring,
        certify_raises_the_held_certificate,
        upgrade_raises_the_certificate,
    ),
    "not_recognize": (outcome_is_not_recognized, holds_no_certificate),
    "withdraw": (holds_no_certificate,),
    "keep_certificate": (keeps_a_certificate_it_does_not_raise,),
    "mark_renewal_due": (statutory_notice_window,),
    "expire": (certificate_lapsed,),
    "record_inspection": (inspection_not_in_future, not_before_certificate),
    "return_for_supplement": (supplement_due_in_future,),
    "certify_on_upper_result": (
        outcome_is_lower_tier,
        upper_result_recognised,
        decision_not_in_future,
        decision_after_scoring,
        certify_raises_the_held_certificate,
        upgrade_raises_the_certificate,
    ),
    "return_to_lower_tier": (outcome_is_lower_tier, holds_no_certificate),
    "exclude": (holds_no_certificate,),
    "revoke": (decision_not_in_future, not_before_certificate, revoked_in_time),
}
