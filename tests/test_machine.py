"""The workflow graph: built once per profile on transitions, checked when built."""

from __future__ import annotations

import re

import pytest
from transitions import MachineError

from ocop_cycle import DossierState, Engine, GuardRefused, InvalidTransition, MachineDefinitionError
from ocop_cycle.errors import Reason
from ocop_cycle.rules.book import default_rule_book
from ocop_cycle.workflows.machine import (
    DossierMachine,
    TransitionSpec,
    _Subject,
    graph_problems,
)
from ocop_cycle.workflows.states import TERMINAL_STATES

S = DossierState
PROFILES = ["qd1048-2019", "qd148-2023", "qd1489-2025"]


@pytest.mark.parametrize("profile_id", PROFILES)
def test_every_profile_builds_a_sound_graph(profile_id: str) -> None:
    """One initial state, all states reachable, terminals reachable, no trap states."""
    machine = DossierMachine(default_rule_book().profile(profile_id))
    assert graph_problems(machine.states, machine.specs) == []
    assert machine.states[0] is S.NEW


@pytest.mark.parametrize("profile_id", PROFILES)
def test_creation_is_a_transition_out_of_new(profile_id: str) -> None:
    """Registration, re-evaluation and an imported certificate are the machine's own edges out
    of ``new``, and nothing leads back into it."""
    machine = DossierMachine(default_rule_book().profile(profile_id))
    out_of_new = {(s.trigger, s.dest) for s in machine.specs if s.source is S.NEW}
    assert out_of_new == {
        ("register", S.REGISTERED),
        ("register_reevaluation", S.REGISTERED),
        ("import_certificate", S.CERTIFIED),
    }
    assert all(s.dest is not S.NEW for s in machine.specs)


@pytest.mark.parametrize("profile_id", PROFILES)
def test_no_back_doors(profile_id: str) -> None:
    """auto_transitions is off: there is no to_<state> trigger around the guards."""
    machine = DossierMachine(default_rule_book().profile(profile_id))
    assert not [name for name in machine._machine.events if name.startswith("to_")]


def test_trap_and_unreachable_states_are_caught() -> None:
    """A non-terminal state with no way out, or a state nothing leads to, fails the check."""
    specs = [
        TransitionSpec("register", S.NEW, S.REGISTERED),
        TransitionSpec("certify", S.REGISTERED, S.CERTIFIED),
    ]
    problems = graph_problems([S.NEW, S.REGISTERED, S.CERTIFIED, S.REVOKED], specs)
    assert any("unreachable" in p and "revoked" in p for p in problems)
    assert any("trap state certified" in p for p in problems)


def test_check_failure_raises_at_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine whose graph has a trap refuses to build, naming the profile and the problem."""
    from ocop_cycle.workflows import machine as module

    real = module.edges
    monkeypatch.setattr(
        module, "edges", lambda p: [s for s in real(p) if s.trigger != "start_monitoring"]
    )
    with pytest.raises(MachineDefinitionError, match="unreachable states") as caught:
        DossierMachine(default_rule_book().profile("qd148-2023"))
    assert caught.value.profile_id == "qd148-2023"


def test_terminal_states_have_no_exits() -> None:
    """Renewed, revoked, not recognised, withdrawn and rejected end the story."""
    machine = DossierMachine(default_rule_book().profile("qd148-2023"))
    assert {s.source for s in machine.specs} & TERMINAL_STATES == set()


def test_mermaid_is_generated_from_the_machine() -> None:
    """The diagram has one line per transition of the running machine, and nothing else."""
    machine = DossierMachine(default_rule_book().profile("qd148-2023"))
    text = machine.mermaid()
    assert text.startswith("stateDiagram-v2\n")
    edges = set(re.findall(r"^    (\w+) --> (\w+) : (\w+)$", text, flags=re.M))
    expected = {(s.source.value, (s.dest or s.source).value, s.trigger) for s in machine.specs}
    assert edges == expected
    assert "Đã công nhận" in text


def test_one_machine_per_profile(engine: Engine) -> None:
    """The engine reuses one machine per profile, never one per dossier."""
    assert engine.machine("qd148-2023") is engine.machine("qd148-2023")
    assert engine.machine("qd148-2023") is not engine.machine("qd1489-2025")


def _by_the_library(
    machine: DossierMachine, state: DossierState, trigger: str, ctx: object
) -> tuple[str, object]:
    """What ``transitions`` itself answers: fire the Machine's event on a carrier."""
    event = machine._machine.events.get(trigger)
    if event is None:
        return ("invalid", None)
    subject = _Subject(state.value)
    try:
        moved = event.trigger(subject, ctx=ctx)
    except MachineError:
        return ("invalid", None)
    return ("moved", DossierState(subject.state)) if moved else ("refused", subject.refusals)


def _by_the_table(
    machine: DossierMachine, state: DossierState, trigger: str, ctx: object
) -> tuple[str, object]:
    try:
        return ("moved", machine.fire_from(state, "d-1", trigger, ctx))
    except InvalidTransition:
        return ("invalid", None)
    except GuardRefused as exc:
        return ("refused", list(exc.reasons))


@pytest.mark.parametrize("profile_id", [*PROFILES, "qd26-2026"])
@pytest.mark.parametrize("guards_allow", [True, False], ids=["guards allow", "guards refuse"])
def test_the_route_table_answers_as_transitions_does(
    profile_id: str, guards_allow: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every trigger from every state, guards allowing or refusing: the table the machine
    decides on gives the state, the refusal (with every reason) or the invalid transition that
    firing the ``transitions`` Machine gives."""
    machine = DossierMachine(default_rule_book().profile(profile_id))
    reason = Reason("test.refused", "Từ chối", "refused")
    for routes in machine._routes.values():
        for _dest, guards in routes:
            for g in guards:
                stub = (lambda _ctx: None) if guards_allow else (lambda _ctx: reason)
                monkeypatch.setattr(g, "guards", (stub, stub))
    triggers = sorted({*machine._machine.events, "no_such_trigger"})
    checked = 0
    for state in machine.states:
        for trigger in triggers:
            ctx = object()
            answer = _by_the_table(machine, state, trigger, ctx)
            assert answer == _by_the_library(machine, state, trigger, ctx), (state, trigger)
            checked += 1
    assert checked == len(machine.states) * len(triggers)
