"""The dossier workflow on ``transitions``: one Machine per rule profile, built and checked once.

Dossiers are never added to the machine (no ``add_model``, no Machine per dossier), so the cost
per command does not grow with the number of dossiers. ``auto_transitions`` is off: no
``to_<state>()`` back doors around the guards.

A command is decided on the Machine's own transitions, read back once into a table of
``(trigger, source) -> [(dest, guards)]`` and run as ``transitions`` runs them (the first whose
conditions pass moves; every refusal is kept): the same answers without building an event and
a carrier per command, which cost ~40 µs of a transition's ~600 on this project's machines.
``tests/test_machine.py`` checks the table against ``Event.trigger`` for every trigger, state and
guard outcome of every profile.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from transitions import Machine

from ocop_cycle.errors import (
    GuardRefused,
    InvalidTransition,
    MachineDefinitionError,
    Reason,
)
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.workflows.guards import GUARDS, CreationContext, Guard, GuardContext
from ocop_cycle.workflows.states import (
    HOLDING_CERTIFICATE,
    TERMINAL_STATES,
    DossierState,
    forwarded_state,
    scored_state,
)

__all__ = ["DossierMachine", "MachineRegistry", "TransitionSpec", "edges", "graph_problems"]

S = DossierState


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    """One edge of the workflow graph; ``dest`` None means the state does not change."""

    trigger: str
    source: DossierState
    dest: DossierState | None


class _Subject:
    """What the machine moves: a state and the reasons guards gave. Never registered."""

    __slots__ = ("refusals", "state")

    def __init__(self, state: str) -> None:
        self.state = state
        self.refusals: list[Reason] = []


class _Guards:
    """A transitions condition that runs every guard so a refusal lists all its reasons."""

    __slots__ = ("guards",)

    def __init__(self, guards: tuple[Guard, ...]) -> None:
        self.guards = guards

    def __call__(self, event_data: Any) -> bool:
        found = self.reasons(event_data.kwargs["ctx"])
        subject: _Subject = event_data.model
        subject.refusals.extend(found)
        return not found

    def reasons(self, ctx: Any) -> list[Reason]:
        """Why the guards refuse ``ctx`` (empty: they allow it)."""
        return [r for r in (g(ctx) for g in self.guards) if r is not None]


#: One way out of a state on a trigger: where it goes and what must allow it.
_Route = tuple[DossierState, tuple[_Guards, ...]]


def edges(profile: RuleProfile) -> list[TransitionSpec]:
    """The workflow graph a profile implies."""
    out: list[TransitionSpec] = []

    def add(trigger: str, sources: list[DossierState], dest: DossierState | None) -> None:
        out.extend(TransitionSpec(trigger, s, dest) for s in sources)

    add("register", [S.NEW], S.REGISTERED)
    add("register_reevaluation", [S.NEW], S.REGISTERED)
    add("import_certificate", [S.NEW], S.CERTIFIED)
    add("return_for_supplement", [S.REGISTERED, S.COMMUNE_VERIFIED], S.RETURNED)
    add("resubmit", [S.RETURNED], S.REGISTERED)
    add("verify_commune", [S.REGISTERED], S.COMMUNE_VERIFIED)
    add("reject", [S.REGISTERED, S.RETURNED, S.COMMUNE_VERIFIED], S.REJECTED)
    pending = [S.REGISTERED, S.RETURNED, S.COMMUNE_VERIFIED]
    add("assign_round", [S.COMMUNE_VERIFIED], None)
    add("score", [S.COMMUNE_VERIFIED], scored_state(profile.entry_tier.level))
    referred: list[DossierState] = []
    for tier in profile.tiers:
        scored = scored_state(tier.level)
        pending.append(scored)
        if tier is not profile.entry_tier:
            forwarded = forwarded_state(tier.level)
            pending.append(forwarded)
            add("assign_round", [forwarded], None)
            add("score", [forwarded], scored)
        if tier.forward_to is not None:
            add("forward", [scored], forwarded_state(tier.forward_to))
        if tier.certifies_up_to:
            add("certify", [scored], S.CERTIFIED)
        add("not_recognize", [scored], S.NOT_RECOGNIZED)
        if tier.certify_at_cap_when_forwarding and tier.forward_to is not None:
            # [open] Certified at its cap, the dossier still goes up; its certificate stands
            # while the upper council evaluates: raised by certify, or kept as issued.
            add("forward", [S.CERTIFIED], forwarded_state(tier.forward_to))
            referred += [forwarded_state(tier.forward_to), scored_state(tier.forward_to)]
    entry = profile.entry_tier
    if profile.top_reevaluation_goes_up and entry.forward_to is not None:
        # A 5★'s re-evaluation: from the commune's proposal to the upper council (Art. 7.6.e).
        add("forward", [S.COMMUNE_VERIFIED], forwarded_state(entry.forward_to))
    if referred:
        add("keep_certificate", referred, S.CERTIFIED)
    add("withdraw", pending, S.WITHDRAWN)
    for tier in profile.tiers:
        below = profile.tier_below(tier)
        if tier.on_lower_result == "certify_at_lower_tier" and below is not None:
            # Art. 7.4g: on a result this tier does not certify, the tier below decides.
            scored = scored_state(tier.level)
            back = (
                S.COMMUNE_VERIFIED if below is profile.entry_tier else forwarded_state(below.level)
            )
            add("certify_on_upper_result", [scored], S.CERTIFIED)
            add("return_to_lower_tier", [scored], back)
    if profile.permissions.get("exclude"):
        # The province excludes a dossier it holds, from the commune's proposal until a decision.
        add("exclude", [s for s in pending if s not in {S.REGISTERED, S.RETURNED}], S.EXCLUDED)
    add("start_monitoring", [S.CERTIFIED], S.MONITORED)
    add("record_inspection", [S.MONITORED, S.RENEWAL_DUE], None)
    add("mark_renewal_due", [S.CERTIFIED, S.MONITORED], S.RENEWAL_DUE)
    add("expire", list(HOLDING_CERTIFICATE), S.EXPIRED)
    add("revoke", [*HOLDING_CERTIFICATE, S.EXPIRED], S.REVOKED)
    add("supersede", list(HOLDING_CERTIFICATE), S.RENEWED)
    add("grant_support", [S.CERTIFIED], None)
    awaiting_council: list[DossierState] = [
        s
        for s in pending
        if s not in {S.REGISTERED, S.RETURNED} and not s.value.endswith("_scored")
    ]
    add("remind", [*awaiting_council, *HOLDING_CERTIFICATE], None)
    add("escalate_inspection", [S.MONITORED, S.RENEWAL_DUE], None)
    add("flag_round_missed", awaiting_council, None)
    # Deadlines of Decision 26/2026: overdue handling is escalated (the dossier waits where it
    # is); the re-evaluation window is watched on the certificate; its validity moves by event.
    add("escalate_overdue", pending, None)
    add("notify_reevaluation_window", list(HOLDING_CERTIFICATE), None)
    add("flag_reevaluation_window_missed", list(HOLDING_CERTIFICATE), None)
    add("extend_validity", list(HOLDING_CERTIFICATE), None)
    # Art. 12.3 of Decision 26/2026: a late re-evaluation keeps its certificate valid until the
    # result, at most 180 days past expiry -- filed after a sweep recorded the expiry, too.
    add("extend_validity", [S.EXPIRED], S.RENEWAL_DUE)
    return out


def graph_problems(states: list[DossierState], specs: list[TransitionSpec]) -> list[str]:
    """Structural checks: reachability, terminal states, no traps."""
    problems: list[str] = []
    nexts: dict[DossierState, set[DossierState]] = {s: set() for s in states}
    for spec in specs:
        nexts[spec.source].add(spec.dest or spec.source)
    seen = {S.NEW}
    todo = deque(seen)
    while todo:
        for n in nexts[todo.popleft()] - seen:
            seen.add(n)
            todo.append(n)
    unreachable = [s for s in states if s not in seen]
    if unreachable:
        problems.append(f"unreachable states {unreachable}")
    for state in states:
        leaving = nexts[state] - {state}
        if state in TERMINAL_STATES and nexts[state]:
            problems.append(f"terminal state {state} has transitions")
        if state not in TERMINAL_STATES and not leaving:
            problems.append(f"trap state {state}: nothing leaves it")
    prev: dict[DossierState, set[DossierState]] = {s: set() for s in states}
    for source, dests in nexts.items():
        for dest in dests:
            prev[dest].add(source)
    can_finish = {s for s in states if s in TERMINAL_STATES}
    todo = deque(can_finish)
    while todo:
        for p in prev[todo.popleft()] - can_finish:
            can_finish.add(p)
            todo.append(p)
    stuck = [s for s in states if s not in can_finish]
    if stuck:
        problems.append(f"states that can never finish {stuck}")
    if not any(s in TERMINAL_STATES for s in seen):
        problems.append("no terminal state is reachable")
    return problems


class DossierMachine:
    """The shared, checked ``transitions.Machine`` of one profile."""

    def __init__(self, profile: RuleProfile) -> None:
        self.profile = profile
        self.specs = edges(profile)
        used = {S.NEW} | {t.source for t in self.specs}
        used |= {t.dest for t in self.specs if t.dest is not None}
        self.states = [s for s in DossierState if s in used]
        problems = graph_problems(self.states, self.specs)
        if problems:
            raise MachineDefinitionError(profile.id, problems)
        conditions = {t: _Guards(g) for t, g in GUARDS.items()}
        self._machine = Machine(
            model=None,
            states=[s.value for s in self.states],
            initial=S.NEW.value,
            transitions=[
                {
                    "trigger": t.trigger,
                    "source": t.source.value,
                    "dest": t.dest.value if t.dest is not None else None,
                    "conditions": [conditions[t.trigger]] if t.trigger in conditions else [],
                }
                for t in self.specs
            ],
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        self.triggers = frozenset(t.trigger for t in self.specs)
        self._routes = self._read_routes()

    def _read_routes(self) -> dict[tuple[str, str], tuple[_Route, ...]]:
        """The Machine's transitions by trigger and source, in the order it tries them."""
        routes: dict[tuple[str, str], tuple[_Route, ...]] = {}
        m = self._machine
        callbacks = [
            m.before_state_change,
            m.after_state_change,
            m.prepare_event,
            m.finalize_event,
            m.on_exception,
            *(cb for state in m.states.values() for cb in (state.on_enter, state.on_exit)),
        ]
        if any(callbacks):  # the table runs none: the machine is built without any (__init__)
            raise MachineDefinitionError(self.profile.id, ["callbacks are not supported"])
        for name, event in self._machine.events.items():
            for source, transitions in event.transitions.items():
                out: list[_Route] = []
                for t in transitions:
                    guards = [c.func for c in t.conditions if c.target]
                    # Only _Guards conditions are ever set (see __init__): the table would
                    # not run callbacks or ``unless`` conditions.
                    checks = [g for g in guards if isinstance(g, _Guards)]
                    if t.before or t.after or t.prepare or len(checks) != len(t.conditions):
                        raise MachineDefinitionError(
                            self.profile.id, [f"{name} from {source}: callbacks not supported"]
                        )
                    out.append((DossierState(t.dest or source), tuple(checks)))
                routes[(name, source)] = tuple(out)
        return routes

    def fire(self, trigger: str, ctx: GuardContext) -> DossierState:
        """The state after ``trigger`` on ``ctx.dossier``, or an error saying why not. Pure."""
        return self.fire_from(ctx.dossier.state, ctx.dossier.id, trigger, ctx)

    def create(self, trigger: str, ctx: CreationContext) -> DossierState:
        """The state a creation command starts a dossier in (a transition out of ``new``)."""
        subject = ctx.predecessor.id if ctx.predecessor is not None else None
        return self.fire_from(S.NEW, subject, trigger, ctx)

    def fire_from(
        self, state: DossierState, subject_id: object, trigger: str, ctx: object
    ) -> DossierState:
        """The state after ``trigger`` from ``state``, guards run on ``ctx``; errors name
        ``subject_id``. Pure: nothing is stored."""
        routes = self._routes.get((trigger, state.value))
        if routes is None:  # transitions' MachineError: no such trigger from this state
            raise InvalidTransition(subject_id, state.value, trigger)
        refusals: list[Reason] = []
        for dest, guards in routes:
            for g in guards:  # as transitions: a transition's conditions stop at the first "no"
                found = g.reasons(ctx)
                if found:
                    refusals.extend(found)
                    break
            else:
                return dest
        raise GuardRefused(subject_id, trigger, refusals)

    def allowed(self, state: DossierState) -> list[str]:
        """Triggers with a transition out of ``state`` (guards not evaluated)."""
        return sorted({t.trigger for t in self.specs if t.source is state})

    def mermaid(self) -> str:
        """A Mermaid ``stateDiagram-v2`` of this machine, generated from its own transitions."""
        lines = ["stateDiagram-v2", f"    %% rule profile {self.profile.id}"]
        for state in self.states:
            lines.append(f"    {state.value} : {state.value} ({state.label_vi})")
        lines.append(f"    [*] --> {S.NEW.value}")
        # Read the edges back from the transitions Machine so the diagram shows what runs.
        for name, event in self._machine.events.items():
            for source, transitions in event.transitions.items():
                for transition in transitions:
                    dest = transition.dest or source
                    lines.append(f"    {source} --> {dest} : {name}")
        for state in self.states:
            if state in TERMINAL_STATES:
                lines.append(f"    {state.value} --> [*]")
        return "\n".join(lines) + "\n"


@dataclass
class MachineRegistry:
    """Machines by profile id, each built on first use and then shared."""

    machines: dict[str, DossierMachine] = field(default_factory=dict)

    def get(self, profile: RuleProfile) -> DossierMachine:
        """The shared machine of ``profile``."""
        machine = self.machines.get(profile.id)
        if machine is None:
            machine = self.machines[profile.id] = DossierMachine(profile)
        return machine
