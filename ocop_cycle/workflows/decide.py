"""One pure decision per command: ``decide(state, command, context) -> Decision``.

Given the dossier as loaded (``None`` for a creation) and what the handler loaded around it (the
round, the certificate re-evaluated, whether it already has an open successor), ``decide`` runs
the shared machine (transition and guards), builds each event with its typed payload and hash,
folds it, and says what to write: each event with the projection it leads to, the notices it owes
and the deadlines it starts. It reads no storage and no clock; the handler is load -> authorise ->
decide -> append, nothing else.

A command may write more than one event: a certification also records the support it earns (same
dossier) and supersedes the certificate it renews (that certificate's dossier).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from ocop_cycle.errors import ConcurrencyConflict, FieldProblem, InvalidCommand, ProfileNotFound
from ocop_cycle.rules.authority import Actor, Level, Role
from ocop_cycle.rules.book import RuleBook
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.scoring import Outcome, ScoreResult, evaluate_session, session_problems
from ocop_cycle.rules.support import BASIS_LABELS_VI
from ocop_cycle.text import format_vnd
from ocop_cycle.workflows.chain import GENESIS, actor_document, canonical, event_hash
from ocop_cycle.workflows.commands import (
    AssignRound,
    Certify,
    CertifyOnUpperResult,
    Command,
    DossierCommand,
    EscalateInspection,
    EscalateOverdue,
    Exclude,
    Expire,
    FlagReevaluationWindowMissed,
    FlagRoundMissed,
    Forward,
    ImportCertificate,
    KeepCertificate,
    MarkRenewalDue,
    NotifyReevaluationWindow,
    NotRecognize,
    ProducerInfo,
    ProductInfo,
    Recipient,
    RecordInspection,
    RegisterDossier,
    RegisterReevaluation,
    Reject,
    Resubmit,
    ReturnForSupplement,
    ReturnToLowerTier,
    Revoke,
    Score,
    SendReminder,
    StartMonitoring,
    VerifyCommune,
    Withdraw,
)
from ocop_cycle.workflows.construct import construct
from ocop_cycle.workflows.deadlines import DeadlineSpec, deadlines_for
from ocop_cycle.workflows.derive import (
    producer_id,
    product_id,
    scoring_level,
    tier_outcome,
    valid_until,
)
from ocop_cycle.workflows.events import (
    CertificateImported,
    CertificateKept,
    Certified,
    CommuneVerified,
    Event,
    Excluded,
    Expired,
    Forwarded,
    InspectionOverdue,
    InspectionRecorded,
    MonitoringStarted,
    NotRecognized,
    OverdueEscalated,
    Payload,
    ProducerDoc,
    ProductDoc,
    ReevaluationWindowMissed,
    ReevaluationWindowNotice,
    Registered,
    Rejected,
    ReminderSent,
    RenewalDueMarked,
    Resubmitted,
    Returned,
    ReturnedToLowerTier,
    Revoked,
    RoundAssigned,
    RoundMissed,
    Scored,
    Superseded,
    SupportGranted,
    ValidityExtended,
    Withdrawn,
    stored_form,
)
from ocop_cycle.workflows.fold import apply
from ocop_cycle.workflows.grounds import exclusion_ground, revocation_ground
from ocop_cycle.workflows.guards import CreationContext, GuardContext
from ocop_cycle.workflows.jurisdiction import proposing_place, recorded_on, refiled_place
from ocop_cycle.workflows.machine import MachineRegistry
from ocop_cycle.workflows.model import Dossier, DossierKind, Round
from ocop_cycle.workflows.notices import Notice, notices_for
from ocop_cycle.workflows.states import HOLDING_CERTIFICATE, DossierState
from ocop_cycle.workflows.upcast import current_version
from ocop_cycle.workflows.validity import extension_ends, late_reevaluation

__all__ = ["Context", "Decision", "Write", "decide", "new_event"]

S = DossierState


@dataclass(frozen=True, slots=True)
class Context:
    """What a decision may look at besides the dossier: rules, actor, times, what was loaded."""

    rules: RuleBook
    machines: MachineRegistry
    actor: Actor
    #: When the act happened (a decision signed earlier is entered later) and when it is recorded.
    occurred: datetime
    now: datetime
    hmac_key: bytes | None = None
    #: The round an ``AssignRound`` names.
    round: Round | None = None
    #: The certificate's dossier a re-evaluation follows, or a certification supersedes.
    predecessor: Dossier | None = None
    #: An open re-evaluation of ``predecessor`` found when loading, if any.
    open_successor: UUID | None = None
    #: A dossier in evaluation of the product a registration names, found when loading.
    open_product: UUID | None = None
    #: The id a created dossier gets (drawn by the handler: a random id is not a pure thing).
    new_id: UUID | None = None
    #: The commune's next product sequence number, taken by the handler for a proposal under a
    #: profile with product codes (a counter is storage's, not a decision).
    product_seq: int | None = None
    #: When the dossier was proposed to the tier an ``AssignRound`` is for (statutory rounds).
    proposed_on: date | None = None


@dataclass(frozen=True, slots=True)
class Write:
    """One event to append: the dossier before it (None: it creates it), after it, what it owes."""

    before: Dossier | None
    after: Dossier
    event: Event
    notices: tuple[Notice, ...]
    deadlines: tuple[DeadlineSpec, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """What one command writes, in order; ``result`` is the dossier the command acted on."""

    writes: tuple[Write, ...]
    result: Dossier


def new_event(
    dossier: Dossier | None,
    dossier_id: UUID,
    payload: Payload,
    profile: RuleProfile,
    ctx: Context,
    actor: Actor | None = None,
) -> Event:
    """The next event of ``dossier``'s chain (the first, when it is None), hashed."""
    actor = actor or ctx.actor
    type_ = payload.name
    seq = dossier.version + 1 if dossier is not None else 1
    prev = dossier.last_hash if dossier is not None else GENESIS
    content = canonical(
        dossier_id=dossier_id,
        seq=seq,
        type=type_,
        schema_version=current_version(type_),
        payload=stored_form(payload),
        profile_id=profile.id,
        occurred_at=ctx.occurred,
        recorded_at=ctx.now,
        prev_hash=prev,
        actor=actor_document(actor.role.value, actor.jurisdiction, actor.id, actor.name),
    )
    # Built without re-validation: ``payload`` is a validated model and the rest is ours.
    return construct(
        Event,
        {
            "dossier_id": dossier_id,
            "seq": seq,
            "type": type_,
            "schema_version": current_version(type_),
            "payload": payload,
            "actor": actor,
            "profile_id": profile.id,
            "occurred_at": ctx.occurred,
            "recorded_at": ctx.now,
            "prev_hash": prev,
            "hash": event_hash(content, ctx.hmac_key),
            "id": None,
        },
    )


def _write(
    before: Dossier | None,
    dossier_id: UUID,
    payload: Payload,
    profile: RuleProfile,
    ctx: Context,
    actor: Actor | None = None,
) -> Write:
    event = new_event(before, dossier_id, payload, profile, ctx, actor)
    after = apply(before, event)
    return Write(
        before,
        after,
        event,
        tuple(notices_for(event, after, ctx.rules.units)),
        tuple(deadlines_for(event, after, profile, ctx.round, ctx.rules)),
    )


def decide(state: Dossier | None, command: Command, ctx: Context) -> Decision:
    """What ``command`` writes, given the dossier it acts on (None when it creates one)."""
    if isinstance(command, DossierCommand):
        assert state is not None
        return _transition(state, command, ctx)
    assert ctx.new_id is not None
    match command:
        case RegisterDossier():
            return _register(command, ctx)
        case RegisterReevaluation():
            return _reevaluation(command, ctx)
        case ImportCertificate():
            return _import(command, ctx)
    raise TypeError(f"nothing to decide for {type(command).__name__}")  # pragma: no cover


# -- creation: transitions out of ``new`` --------------------------------------------------------


def _check_product(
    rules: RuleBook, command_name: str, product: ProductInfo, profile: RuleProfile
) -> None:
    # The profile's catalogue; a set it replaces is still accepted (scored on its successor).
    group = rules.catalogue_for(profile.id).group(product.group)
    if group is None:
        raise InvalidCommand(
            command_name, [FieldProblem("product.group", f"unknown group {product.group!r}")]
        )
    if not group.covers(product.product_set):
        raise InvalidCommand(
            command_name,
            [
                FieldProblem(
                    "product.product_set",
                    f"{product.product_set!r} is not a product set of group {group.code!r}",
                )
            ],
        )


def _check_district(command_name: str, profile: RuleProfile, district_code: str | None) -> None:
    has_district = any(t.level.value == "district" for t in profile.tiers)
    if has_district and district_code is None:
        raise InvalidCommand(
            command_name,
            [FieldProblem("district_code", f"required under {profile.id} (district tier)")],
        )


def _parties(
    producer: ProducerInfo, product: ProductInfo, commune: str
) -> tuple[ProducerDoc, ProductDoc]:
    pid = producer_id(producer.name, commune)
    return (
        ProducerDoc(id=pid, name=producer.name, kind=producer.kind, address=producer.address),
        ProductDoc(
            id=product_id(pid, product.name),
            name=product.name,
            group=product.group,
            product_set=product.product_set,
        ),
    )


def _filed(command: RegisterDossier | ImportCertificate) -> dict[str, Any]:
    """Whose product and where it is filed, as a creation event records them."""
    producer, product = _parties(command.producer, command.product, command.commune_code)
    return {
        "producer": producer,
        "product": product,
        "commune_code": command.commune_code,
        "district_code": command.district_code,
        "province_code": command.province_code,
    }


def _created(profile: RuleProfile, payload: Payload, ctx: Context) -> Decision:
    assert ctx.new_id is not None
    write = _write(None, ctx.new_id, payload, profile, ctx)
    return Decision((write,), write.after)


def _register(command: RegisterDossier, ctx: Context) -> Decision:
    profile = ctx.rules.profile_in_force(ctx.occurred.date())
    _check_product(ctx.rules, "RegisterDossier", command.product, profile)
    _check_district("RegisterDossier", profile, command.district_code)
    guards = CreationContext(profile, command, ctx.now, open_product=ctx.open_product)
    state = ctx.machines.get(profile).create("register", guards)
    payload = Registered(state=state, kind=DossierKind.NEW, note=command.note, **_filed(command))
    return _created(profile, payload, ctx)


def reevaluation_place(
    command: RegisterReevaluation, before: Dossier, profile: RuleProfile, rules: RuleBook, on: date
) -> tuple[str | None, str | None, str]:
    """Where a re-evaluation is filed: as the command says, else where the certificate's units
    are carried on ``on`` (the 2025 reform moved codes)."""
    return refiled_place(
        rules.units,
        before,
        (command.commune_code, command.district_code, command.province_code),
        on,
        has_district_tier=any(t.level is Level.DISTRICT for t in profile.tiers),
    )


def _reevaluation(command: RegisterReevaluation, ctx: Context) -> Decision:
    before = ctx.predecessor
    assert before is not None
    profile = ctx.rules.profile_in_force(ctx.occurred.date())
    commune, district, province = reevaluation_place(
        command, before, profile, ctx.rules, ctx.occurred.date()
    )
    _check_district("RegisterReevaluation", profile, district)
    guards = CreationContext(profile, command, ctx.now, before, ctx.open_successor)
    state = ctx.machines.get(profile).create("register_reevaluation", guards)
    payload = Registered(
        state=state,
        kind=DossierKind(command.kind),
        producer=ProducerDoc(
            id=before.producer_id, name=before.producer_name, kind=before.producer_kind
        ),
        product=ProductDoc(
            id=before.product_id,
            name=before.product_name,
            group=before.product_group,
            product_set=before.product_set,
        ),
        commune_code=commune,
        district_code=district,
        province_code=province,
        predecessor_id=before.id,
        note=command.note,
    )
    created = _created(profile, payload, ctx)
    extended = _extend(before, late_reevaluation(before, created.result, profile, ctx.rules), ctx)
    if extended is None:
        return created
    return Decision((*created.writes, extended), created.result)


def _extend(certificate: Dossier, payload: ValidityExtended | None, ctx: Context) -> Write | None:
    """The certificate's validity moves (Art. 12.3): an event on its own dossier."""
    if payload is None:
        return None
    profile = ctx.rules.profile(certificate.profile_id)
    state = ctx.machines.get(profile).fire(
        "extend_validity", GuardContext(certificate, profile, None, ctx.now)
    )
    if state is not certificate.state:  # held again: the event carries where it goes
        payload = ValidityExtended(**{**dict(payload), "state": state})
    return _write(certificate, certificate.id, payload, profile, ctx, Actor.system())


def _import(command: ImportCertificate, ctx: Context) -> Decision:
    profile = ctx.rules.profile(command.profile_id)
    problems = []
    if not profile.in_force_on(command.decision_date):
        problems.append(
            FieldProblem("decision_date", f"{profile.id} was not in force on that date")
        )
    try:
        tier = profile.tier(command.level)
    except KeyError:
        problems.append(FieldProblem("level", f"{profile.id} has no {command.level} tier"))
    else:
        if command.stars > tier.certifies_up_to:
            problems.append(
                FieldProblem("stars", f"the {tier.level} tier cannot certify {command.stars}★")
            )
    if problems:
        raise InvalidCommand("ImportCertificate", problems)
    _check_product(ctx.rules, "ImportCertificate", command.product, profile)
    state = ctx.machines.get(profile).create(
        "import_certificate", CreationContext(profile, command, ctx.now)
    )
    payload = CertificateImported(
        state=state,
        kind=DossierKind.IMPORTED,
        **_filed(command),
        stars=command.stars,
        level=command.level,
        score=command.score,
        decision_number=command.decision_number,
        decision_date=command.decision_date,
        issuing_body=command.issuing_body,
        certificate_number=command.certificate_number or command.decision_number,
        valid_until=valid_until(profile, command.decision_date),
    )
    return _created(profile, payload, ctx)


# -- transitions of an existing dossier ----------------------------------------------------------


def _transition(before: Dossier, command: DossierCommand, ctx: Context) -> Decision:
    if command.expected_version is not None and command.expected_version != before.version:
        raise ConcurrencyConflict(before.id, command.expected_version, before.version)
    profile = ctx.rules.profile(before.profile_id)
    result = None
    if isinstance(command, Score):
        sheet = ctx.rules.sheet(profile.id, before.product_set)
        council = scoring_level(before, profile)
        problems = session_problems(command.session, sheet, profile, council, before.kind.value)
        if problems:
            raise InvalidCommand(
                "Score", [FieldProblem(f"session.{p.field}", p.message) for p in problems]
            )
        result = evaluate_session(command.session, sheet, profile, council)
    # An exclusion's or a revocation's ground is checked where its payload is built (after the
    # machine accepted the trigger): both refusals write nothing.
    machine = ctx.machines.get(profile)
    act = _act_profile(command, profile, ctx)  # the guards and the payload read the same rules
    state = machine.fire(
        type(command).trigger,
        GuardContext(
            before,
            profile,
            command,
            ctx.now,
            ctx.round,
            proposed_on=ctx.proposed_on,
            round_profile=_round_profile(ctx),
            predecessor=ctx.predecessor,
            act_profile=act,
        ),
    )
    payload = _payload(command, before, state, profile, ctx, result, act)
    write = _write(before, before.id, payload, profile, ctx)
    writes = [write]
    if isinstance(command, Certify):
        predecessor = ctx.predecessor
        if predecessor is not None and predecessor.state in HOLDING_CERTIFICATE:
            writes.append(_supersede(predecessor, write.after, ctx))
        support = _support(write.after, _previous_stars(before, predecessor), profile, ctx)
        if support is not None:
            writes.append(support)
    certificate = ctx.predecessor
    ended = (
        _extend(
            certificate,
            extension_ends(write.after, certificate, ctx.rules, ctx.occurred.date()),
            ctx,
        )
        if certificate is not None
        else None
    )
    if ended is not None:
        writes.append(ended)
    acted_on = [w.after for w in writes if w.after.id == before.id]
    return Decision(tuple(writes), acted_on[-1])


def _act_profile(command: DossierCommand, profile: RuleProfile, ctx: Context) -> RuleProfile | None:
    """The profile whose rules govern the act, when not the dossier's ``profile``: a revocation
    decided after the dossier's own rules ceased follows the revocation rules in force on its
    decision's date (Decision 26/2026, Art. 11.2: 148 and 1489 cease after 21/07/2026; their
    certificates stay valid, Art. 12.1, but are then revoked on Art. 8's grounds, within its 15
    days). Until they cease, the certificate's own profile's rules apply."""
    ceased = profile.rules_cease_after
    if not isinstance(command, Revoke) or ceased is None or command.decision_date <= ceased:
        return None
    try:
        found = ctx.rules.profile_in_force(command.decision_date)
    except ProfileNotFound:
        return None
    return found if found.revocation is not None and found.id != profile.id else None


def _round_profile(ctx: Context) -> RuleProfile | None:
    """The profile in force when the assigned round is held (scored), if any."""
    if ctx.round is None:
        return None
    try:
        return ctx.rules.profile_in_force(ctx.round.scoring_deadline)
    except ProfileNotFound:
        return None


def _supersede(old: Dossier, new: Dossier, ctx: Context) -> Write:
    """The new certificate replaces the old one: the old dossier becomes ``renewed``."""
    profile = ctx.rules.profile(old.profile_id)
    state = ctx.machines.get(profile).fire("supersede", GuardContext(old, profile, None, ctx.now))
    payload = Superseded(state=state, successor_id=new.id, successor_stars=new.certified_stars)
    return _write(old, old.id, payload, profile, ctx)


def _previous_stars(dossier: Dossier, predecessor: Dossier | None) -> int | None:
    """The stars a certification replaces: the dossier's own certificate when it holds one (a
    province's 4★ the ministry raises), else the certificate it re-evaluates, if any."""
    if dossier.certified_stars is not None:
        return dossier.certified_stars
    return predecessor.certified_stars if predecessor is not None else None


def _support(
    certified: Dossier, previous_stars: int | None, profile: RuleProfile, ctx: Context
) -> Write | None:
    """The support a certification earns under the province's policy, if any: its own event
    (the amount is part of the verified history), with a notice to the paying office."""
    assert certified.certified_on is not None
    assert certified.certified_stars is not None
    policy = ctx.rules.support_policy(
        certified.province_code,
        certified.certified_on,
        commune_code=certified.commune_code,
        recorded_on=recorded_on(certified),
    )
    if policy is None:
        return None
    award = policy.award(
        certified.kind.value,  # type: ignore[arg-type]
        certified.certified_stars,
        previous_stars,
        certified.certified_on,
        certified.province_code,
    )
    if award is None:
        return None
    ctx.machines.get(profile).fire("grant_support", GuardContext(certified, profile, None, ctx.now))
    amount = format_vnd(award.amount)
    payload = SupportGranted(
        **award.model_dump(),
        policy_title_vi=policy.title_vi,
        notify=(
            Recipient(
                role=Role.PROVINCE_OFFICE,
                jurisdiction=certified.province_code,
                message_vi=f"Chi hỗ trợ {amount} ({BASIS_LABELS_VI[award.basis].lower()}, "
                f"{award.stars} sao) cho sản phẩm «{certified.product_name}» của "
                f"{certified.producer_name}.",
            ),
        ),
    )
    return _write(certified, certified.id, payload, profile, ctx, Actor.system())


def _payload(
    command: DossierCommand,
    dossier: Dossier,
    state: DossierState,
    profile: RuleProfile,
    ctx: Context,
    result: ScoreResult | None,
    act: RuleProfile | None,
) -> Payload:
    """The typed payload of the event ``command`` records; ``state`` is the machine's answer;
    ``act`` the profile whose rules govern the act when not the dossier's (``_act_profile``)."""
    today = ctx.occurred.date()
    notify = command.notify
    match command:
        case ReturnForSupplement():
            due = command.due_on or today + timedelta(days=profile.durations.supplement_days)
            return Returned(state=state, guidance=command.guidance, due_on=due, notify=notify)
        case Resubmit():
            return Resubmitted(state=state, note=command.note, notify=notify)
        case VerifyCommune():
            return CommuneVerified(
                state=state,
                local_labour_share=command.local_labour_share,
                local_material_share=command.local_material_share,
                note=command.note,
                product_code=_product_code(dossier, profile, ctx),
                notify=notify,
            )
        case Reject():
            return Rejected(state=state, grounds=command.grounds, notify=notify)
        case AssignRound():
            return RoundAssigned(
                round_id=command.round_id, carried_from=command.carried_from, notify=notify
            )
        case SendReminder():
            return ReminderSent(kind=command.kind, due_at=command.due_at, notify=notify)
        case EscalateInspection():
            return InspectionOverdue(since=command.since, notify=notify)
        case FlagRoundMissed():
            return RoundMissed(round_id=command.round_id, notify=notify)
        case EscalateOverdue():
            return OverdueEscalated(rule=command.rule, due_on=command.due_on, notify=notify)
        case NotifyReevaluationWindow():
            assert dossier.valid_until is not None
            return ReevaluationWindowNotice(
                stage=command.stage,
                opens_on=command.opens_on,
                closes_on=command.closes_on,
                valid_until=dossier.valid_until,
                notify=notify,
            )
        case FlagReevaluationWindowMissed():
            assert dossier.valid_until is not None
            return ReevaluationWindowMissed(
                opens_on=command.opens_on,
                closes_on=command.closes_on,
                valid_until=dossier.valid_until,
                notify=notify,
            )
        case Score():
            assert result is not None
            level = scoring_level(dossier, profile)
            assert level is not None
            outcome = tier_outcome(profile, profile.tier(level), result)
            if outcome is Outcome.LOWER_TIER:
                notify = (*notify, _lower_tier_told(dossier, profile, level, result))
            return Scored(
                state=state,
                level=level,
                session=command.session,
                total=result.total,
                parts=result.parts,
                member_totals=result.member_totals,
                band_stars=result.band_stars,
                stars=result.stars,
                capped_by=tuple(result.capped_by),
                outcome=outcome,
                notify=notify,
            )
        case Forward():
            # Unscored from the commune's proposal (a 5★'s re-evaluation): from the entry tier.
            source = dossier.level or profile.entry_tier.level
            to = profile.tier(source).forward_to
            assert to is not None
            return Forwarded(
                state=state, from_level=source, to_level=to, note=command.note, notify=notify
            )
        case Certify():
            return _certified(command, dossier, state, profile, ctx.predecessor)
        case NotRecognize():
            assert dossier.level is not None
            return NotRecognized(state=state, level=dossier.level, note=command.note, notify=notify)
        case KeepCertificate():
            assert dossier.level is not None
            assert dossier.certified_stars is not None
            assert dossier.valid_until is not None
            return CertificateKept(
                state=state,
                level=dossier.level,
                stars=dossier.certified_stars,
                valid_until=dossier.valid_until,
                note=command.note,
                notify=notify,
            )
        case StartMonitoring():
            return MonitoringStarted(state=state, valid_until=dossier.valid_until, notify=notify)
        case MarkRenewalDue():
            return RenewalDueMarked(state=state, valid_until=dossier.valid_until, notify=notify)
        case Expire():
            return Expired(state=state, valid_until=dossier.valid_until, notify=notify)
        case RecordInspection():
            return InspectionRecorded(
                inspected_on=command.inspected_on,
                passed=command.passed,
                findings=command.findings,
                notify=notify,
            )
        case Revoke():
            ground = revocation_ground(command, act or profile)
            return Revoked(
                state=state,
                grounds=command.grounds,
                decision_number=command.decision_number,
                decision_date=command.decision_date,
                issuing_body=command.issuing_body,
                ground_vi=ground.text_vi,
                clause=ground.clause,
                conclusion_date=command.conclusion_date,
                notify=notify,
            )
        case Exclude():
            sheet = ctx.rules.sheet(profile.id, dossier.product_set)
            exclusion = exclusion_ground(command, sheet)
            return Excluded(
                state=state,
                ground=exclusion.code,
                ground_vi=exclusion.text_vi,
                criterion=exclusion.criterion,
                sheet=sheet.product_set,
                details=command.details,
                notify=notify,
            )
        case ReturnToLowerTier():
            assert dossier.level is not None
            assert dossier.score is not None
            assert dossier.stars is not None
            below = profile.tier_below(profile.tier(dossier.level))
            assert below is not None
            return ReturnedToLowerTier(
                state=state,
                from_level=dossier.level,
                to_level=below.level,
                score=dossier.score,
                stars=dossier.stars,
                note=command.note,
                notify=notify,
            )
        case Withdraw():
            return Withdrawn(state=state, reason=command.reason, notify=notify)
    raise TypeError(f"no payload for {type(command).__name__}")  # pragma: no cover


def _lower_tier_told(
    dossier: Dossier, profile: RuleProfile, level: Level, result: ScoreResult
) -> Recipient:
    """The upper council's result falls to the tier that forwarded the dossier: its deciding
    body is told (Decision 26/2026, Art. 7.4.g: the ministry tells the province, whose chair
    certifies 3★/4★ on it or has it evaluated again)."""
    below = profile.tier_below(profile.tier(level))
    assert below is not None
    role = below.certifier_roles[0]
    code = dossier.province_code if below.level is Level.PROVINCE else dossier.commune_code
    points = f"{result.total.normalize():f}".replace(".", ",")
    return Recipient(
        role=role,
        jurisdiction=code or dossier.province_code,
        message_vi=f"Sản phẩm «{dossier.product_name}» đạt {points} điểm ({result.stars} sao) "
        "tại Hội đồng cấp trên, dưới ngưỡng công nhận của cấp đó: đề nghị xem xét công nhận "
        "theo kết quả này hoặc tổ chức đánh giá, phân hạng lại theo thẩm quyền.",
    )


def _product_code(dossier: Dossier, profile: RuleProfile, ctx: Context) -> str | None:
    """ "T-X-STT-year": province, commune, the commune's sequence in the year, the year."""
    if not profile.product_codes or dossier.product_code is not None:
        return None
    assert ctx.product_seq is not None
    day = ctx.occurred.date()
    province, commune = proposing_place(ctx.rules.units, dossier, day)
    return f"{province}-{commune}-{ctx.product_seq:03d}-{day.year}"


def _certified(
    command: Certify,
    dossier: Dossier,
    state: DossierState,
    profile: RuleProfile,
    predecessor: Dossier | None,
) -> Certified:
    assert dossier.level is not None
    assert dossier.stars is not None
    level, on_result_of = dossier.level, None
    if isinstance(command, CertifyOnUpperResult):
        # The tier below certifies on the upper council's result, within its own authority.
        below = profile.tier_below(profile.tier(dossier.level))
        assert below is not None
        level, on_result_of = below.level, dossier.level
    stars = min(dossier.stars, profile.tier(level).certifies_up_to)
    result = None
    before = _previous_stars(dossier, predecessor)
    if before is not None:
        result = "upgraded" if stars > before else "kept" if stars == before else "downgraded"
    # A dossier raising its own certificate replaces it in place: it supersedes no other.
    if dossier.certified_stars is not None:
        predecessor = None
    return Certified(
        state=state,
        level=level,
        stars=stars,
        decision_number=command.decision_number,
        decision_date=command.decision_date,
        issuing_body=command.issuing_body,
        certificate_number=command.certificate_number or command.decision_number,
        valid_until=valid_until(profile, command.decision_date),
        supersedes=predecessor.id if predecessor is not None else None,
        result=result,
        on_result_of=on_result_of,
        notify=command.notify,
    )
