"""Carrying dossiers in flight over to a new rule profile (the 2025 reform, Decision 1489): pure.

The new profile's data says how (``migration_from.<old profile>``): the legal basis, the day it
takes effect, which roles may carry dossiers over, and where each state of the old workflow
continues in the new one, with what an earlier tier decided that no longer holds. For one
dossier, ``decide_migration`` builds the ``profile_migrated`` event that carries it over --
hashed into its chain by ``decide.new_event`` and folded like any other event -- or says why it
cannot be carried over (``Unmappable``). It reads no storage and no clock.

Only dossiers still being evaluated move: not those holding a certificate (or whose certificate
lapsed), which keep their profile, nor finished ones. A round assignment survives only when the
round's council is the one that holds the dossier under the new profile (a district round does
not survive the district tier). No deadline is planned: those already pending decide when they
fall due whether they still apply (a supplement deadline of a ``returned`` dossier still does;
the round deadlines of a cleared district round do not), and a dossier now awaiting the
province council gets its deadlines when the province office puts it in a round -- the office
is told so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal
from uuid import UUID

from ocop_cycle.errors import FieldProblem, InvalidCommand, PermissionDenied, Reason
from ocop_cycle.rules.authority import CENTRAL, Actor, Level, Role, role_level
from ocop_cycle.rules.profiles import CLEARABLE_FIELDS, MigrationRule, RuleProfile
from ocop_cycle.rules.units import UnitRegistry
from ocop_cycle.workflows.commands import Recipient
from ocop_cycle.workflows.deadlines import deadlines_for
from ocop_cycle.workflows.decide import Context, Decision, Write, new_event
from ocop_cycle.workflows.events import ProfileMigrated
from ocop_cycle.workflows.fold import apply
from ocop_cycle.workflows.jurisdiction import (
    acts_for,
    recorded_on,
    successor_codes,
    territory,
    unit_refusal,
)
from ocop_cycle.workflows.machine import DossierMachine
from ocop_cycle.workflows.model import Dossier, Round
from ocop_cycle.workflows.notices import notices_for
from ocop_cycle.workflows.states import (
    HOLDING_CERTIFICATE,
    TERMINAL_STATES,
    DossierState,
    forwarded_state,
    scored_state,
)

__all__ = [
    "TRIGGER",
    "ItemOutcome",
    "MigrationItem",
    "MigrationJob",
    "MigrationReport",
    "Unmappable",
    "authorize_migration",
    "decide_migration",
    "migration_actor",
    "migration_job",
    "open_states",
    "unit_codes",
]

S = DossierState

#: The name permission refusals and the event's type use for carrying a dossier over.
TRIGGER = "migrate_profile"

_UNIT = re.compile(r"^(\d{2}|\d{3}|\d{5})$")
_CLOSED = frozenset({S.NEW, S.EXPIRED, *HOLDING_CERTIFICATE, *TERMINAL_STATES})


def migration_actor() -> Actor:
    """The system acting for an operator's migration run (the default actor)."""
    return Actor(role=Role.SYSTEM, jurisdiction=CENTRAL, id="migration")


def open_states(machine: DossierMachine) -> tuple[DossierState, ...]:
    """The states of ``machine`` in which a dossier is still being evaluated: not new, not
    finished, no certificate held or lapsed. Only these are carried over, or carried to."""
    return tuple(s for s in machine.states if s not in _CLOSED)


@dataclass(frozen=True, slots=True)
class MigrationJob:
    """One migration: from which profile to which, under which rule, effective when."""

    source: RuleProfile
    target: RuleProfile
    rule: MigrationRule
    effective: date
    unit: str | None = None


def migration_job(
    source: RuleProfile,
    target: RuleProfile,
    effective: date,
    today: date,
    unit: str | None = None,
) -> MigrationJob:
    """The migration asked for, or ``InvalidCommand`` naming what is wrong with it: no mapping
    from ``source`` in ``target``'s data, an effective date before the rule's or after today, a
    malformed unit code."""
    rule = target.migration_from.get(source.id)
    problems = []
    if rule is None:
        problems.append(
            FieldProblem("from_profile", f"{target.id} defines no migration from {source.id}")
        )
    elif effective < rule.effective:
        problems.append(
            FieldProblem(
                "effective",
                f"{effective.isoformat()} is before {rule.legal_basis_vi} takes effect "
                f"({rule.effective.isoformat()})",
            )
        )
    if effective > today:
        problems.append(FieldProblem("effective", f"{effective.isoformat()} is in the future"))
    if unit is not None and not _UNIT.match(unit):
        problems.append(
            FieldProblem("unit", "an official code: 2 digits (province), 3 (district), 5 (commune)")
        )
    if problems:
        raise InvalidCommand("Migrate", problems)
    assert rule is not None
    return MigrationJob(source, target, rule, effective, unit)


def unit_codes(units: UnitRegistry, unit: str, on: date) -> frozenset[str]:
    """The codes dossiers filed under ``unit`` may carry: a unit existing on ``on`` covers every
    unit it succeeded (today's xã Lạng Giang 07375 the communes merged into it, 07426 among
    them); a code that names nothing that day (district 217) is taken as registered."""
    if units.unit(unit, on=on) is None:
        return frozenset({unit})
    return frozenset(territory(units, unit, on))


def _denied(actor: Actor, code: str, vi: str, en: str) -> PermissionDenied:
    return PermissionDenied(TRIGGER, actor.role.value, actor.jurisdiction, Reason(code, vi, en))


def authorize_migration(
    job: MigrationJob,
    actor: Actor,
    dossier: Dossier | None = None,
    *,
    units: UnitRegistry,
    on: date,
) -> None:
    """``PermissionDenied`` unless ``actor``'s role may carry dossiers over (the rule's
    ``actors``), its unit exists on ``on`` and, given a dossier, it acts for the dossier's unit
    that day (its own, or one it succeeded)."""
    if actor.role not in job.rule.actors:
        raise _denied(
            actor,
            "permission.role",
            f"Vai trò {actor.role.label_vi} không được chuyển hồ sơ sang quy định mới",
            f"role {actor.role.value} may not migrate dossiers to {job.target.id}",
        )
    refusal = unit_refusal(units, actor.jurisdiction, on)
    if refusal is not None:
        raise PermissionDenied(TRIGGER, actor.role.value, actor.jurisdiction, refusal)
    if dossier is None:
        return
    level = role_level(actor.role)
    codes = {
        Level.COMMUNE: dossier.commune_code,
        Level.DISTRICT: dossier.district_code,
        Level.PROVINCE: dossier.province_code,
    }
    if level is Level.CENTRAL or (level is None and actor.jurisdiction == CENTRAL):
        return
    # Inspectors' code names the tier they act for; everyone else acts at their own level.
    candidates = list(codes.values()) if level is None else [codes[level]]
    since = recorded_on(dossier)
    if any(acts_for(units, actor.jurisdiction, code, on, since) for code in candidates):
        return
    raise _denied(
        actor,
        "permission.jurisdiction",
        "Hồ sơ không thuộc địa bàn quản lý của người thực hiện",
        f"the dossier is outside jurisdiction {actor.jurisdiction}",
    )


@dataclass(frozen=True, slots=True)
class Unmappable:
    """Why a dossier cannot be carried over; it is left as it is."""

    reason: str


def _round_level(round_: Round) -> Level | None:
    code = round_.jurisdiction_code
    if code == CENTRAL:
        return Level.CENTRAL
    return {2: Level.PROVINCE, 3: Level.DISTRICT}.get(len(code))


def _holder(state: DossierState, level: Level | None, target: RuleProfile) -> Level | None:
    """The tier whose council holds a dossier in ``state`` under ``target``, if any."""
    if state is S.COMMUNE_VERIFIED:
        return target.entry_tier.level
    if state.value.startswith("forwarded_") or state.value.endswith("_scored"):
        return level
    return None


def _target_state(
    dossier: Dossier, job: MigrationJob, machine: DossierMachine
) -> DossierState | Unmappable:
    mapping = job.rule.states.get(dossier.state.value)
    where = f"{job.target.id} migration_from.{job.source.id}"
    if mapping is None:
        return Unmappable(f"no mapping for {dossier.state.value} in {where}")
    try:
        to = DossierState(mapping.to)
    except ValueError:
        return Unmappable(f"{mapping.to!r} (mapped in {where}) is not a dossier state")
    if to not in machine.states:
        return Unmappable(f"{to.value} is not a state of the {job.target.id} workflow")
    if to not in open_states(machine):
        return Unmappable(
            f"{to.value} ends or decides an evaluation: a migration only carries a dossier to "
            "a state where its evaluation continues"
        )
    level = None if "level" in mapping.clear else dossier.level
    if to.value.startswith("forwarded_") or to.value.endswith("_scored"):
        tiers = {t.level for t in job.target.tiers}
        made = forwarded_state if to.value.startswith("forwarded_") else scored_state
        if level is None or level not in tiers or made(level) is not to:
            return Unmappable(
                f"{to.value} under {job.target.id} does not fit the dossier's tier "
                f"({level.value if level else 'none'})"
            )
    return to


def _office_told(
    dossier: Dossier, holder: Level, job: MigrationJob, ctx: Context
) -> tuple[Recipient, ...]:
    """Who puts a dossier now awaiting ``holder``'s council into a round, told so (in the unit
    that carries the dossier's on the day: after the reform, the merged province)."""
    roles = job.target.permissions.get("assign_round", ())
    role = next((r for r in roles if role_level(r) is holder), None)
    code = {
        Level.COMMUNE: dossier.commune_code,
        Level.DISTRICT: dossier.district_code,
        Level.PROVINCE: dossier.province_code,
        Level.CENTRAL: CENTRAL,
    }[holder]
    if role is None or code is None:
        return ()
    if code != CENTRAL:
        code = successor_codes(ctx.rules.units, code, ctx.occurred.date(), recorded_on(dossier))[0]
    return (
        Recipient(
            role=role,
            jurisdiction=code,
            message_vi=f"Hồ sơ sản phẩm «{dossier.product_name}» ({dossier.producer_name}) "
            f"tiếp tục theo {job.rule.legal_basis_vi}: chờ xếp vào đợt đánh giá "
            f"{holder.label_vi}.",
        ),
    )


def decide_migration(dossier: Dossier, ctx: Context, job: MigrationJob) -> Decision | Unmappable:
    """The ``profile_migrated`` event carrying ``dossier`` (under ``job.source``, in one of its
    open states) over to ``job.target``, or why it cannot be. ``ctx.round`` is the round the
    dossier is in, if any; ``ctx.actor`` is an authorised actor."""
    if dossier.profile_id != job.source.id:
        raise ValueError(f"dossier {dossier.id} is under {dossier.profile_id}, not {job.source.id}")
    machine = ctx.machines.get(job.target)
    to = _target_state(dossier, job, machine)
    if isinstance(to, Unmappable):
        return to
    mapping = job.rule.states[dossier.state.value]
    clear = set(mapping.clear)
    level = None if "level" in clear else dossier.level
    holder = _holder(to, level, job.target)
    if dossier.round_id is not None and (
        ctx.round is None or holder is None or _round_level(ctx.round) is not holder
    ):
        clear.add("round_id")  # that round's council no longer holds the dossier
    cleared = tuple(f for f in CLEARABLE_FIELDS if f in clear and getattr(dossier, f) is not None)
    awaiting = to is S.COMMUNE_VERIFIED or to.value.startswith("forwarded_")
    unassigned = dossier.round_id is None or "round_id" in cleared
    payload = ProfileMigrated(
        state=to,
        from_profile=job.source.id,
        to_profile=job.target.id,
        from_state=dossier.state,
        rule=f"{job.source.id}/{dossier.state.value}",
        rule_vi=mapping.note_vi,
        cleared=cleared,
        legal_basis_vi=job.rule.legal_basis_vi,
        effective=job.effective,
        notify=(
            _office_told(dossier, holder, job, ctx)
            if awaiting and unassigned and holder is not None
            else ()
        ),
    )
    # Recorded under the profile the dossier had, as every event is; the fold moves it.
    event = new_event(dossier, dossier.id, payload, job.source, ctx)
    after = apply(dossier, event)
    write = Write(
        dossier,
        after,
        event,
        tuple(notices_for(event, after, ctx.rules.units)),
        tuple(deadlines_for(event, after, job.target, ctx.round)),
    )
    return Decision((write,), after)


ItemOutcome = Literal["migrated", "unmappable", "skipped"]


@dataclass(frozen=True, slots=True)
class MigrationItem:
    """What a migration did, or would do, to one dossier."""

    dossier_id: UUID
    product_name: str
    from_state: DossierState
    #: Where it went (or would go); None when it stays where it is.
    to_state: DossierState | None
    outcome: ItemOutcome
    #: The mapping's note when migrated; why not otherwise.
    detail: str = ""


@dataclass
class MigrationReport:
    """One migration run: each candidate dossier's fate, in the order they were taken."""

    from_profile: str
    to_profile: str
    effective: date
    unit: str | None
    dry_run: bool
    items: list[MigrationItem] = field(default_factory=list)
    #: Dossiers of ``from_profile`` (in ``unit``) carried over by earlier runs.
    migrated_earlier: int = 0

    def of(self, outcome: ItemOutcome) -> list[MigrationItem]:
        """The items with this outcome."""
        return [i for i in self.items if i.outcome == outcome]

    @property
    def migrated(self) -> list[MigrationItem]:
        """Dossiers carried over by this run (by a dry run: that would be)."""
        return self.of("migrated")

    @property
    def unmappable(self) -> list[MigrationItem]:
        """Dossiers no mapping carries over, left as they are, with the reason."""
        return self.of("unmappable")

    @property
    def skipped(self) -> list[MigrationItem]:
        """Dossiers left alone for another reason (moved on, outside the actor's jurisdiction,
        carried over meanwhile by a concurrent run)."""
        return self.of("skipped")

    def summary(self) -> str:
        """One line with the counts."""
        scope = f"effective {self.effective.isoformat()}"
        if self.unit is not None:
            scope += f", unit {self.unit}"
        moved = len(self.migrated)
        verb = "would be migrated" if self.dry_run else "migrated"
        counts = (
            f"{moved} {verb}"
            + (" (nothing left to migrate)" if not moved else "")
            + f", {len(self.unmappable)} unmappable, {len(self.skipped)} skipped, "
            f"{self.migrated_earlier} migrated earlier"
        )
        head = f"{self.from_profile} → {self.to_profile} ({scope})"
        if self.dry_run:
            return f"{head}, dry run, nothing written: {counts}"
        return f"{head}: {counts}"
