"""Every edge of the workflow fires through the public API and lands where the graph says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ocop_cycle import (
    Dossier,
    DossierState,
    Engine,
    EscalateInspection,
    EscalateOverdue,
    FlagReevaluationWindowMissed,
    FlagRoundMissed,
    NotifyReevaluationWindow,
    PermissionDenied,
    Role,
    SendReminder,
    SettableClock,
    default_rule_book,
)
from ocop_cycle.workflows.machine import DossierMachine, TransitionSpec
from tests.helpers_jobs import import_certificates
from tests.scenario import Walk, snapshot

S = DossierState
MACHINE = DossierMachine(default_rule_book().profile("qd148-2023"))

# The district mean that leads a dossier to each next step from a scored state.
AIM = {"certify": 60, "forward": 75, "not_recognize": 40}
PROVINCE_AIM = {"certify": 80, "forward": 92, "not_recognize": 40}


def reach(walk: Walk, state: DossierState, aim: str | None) -> Dossier:
    """A fresh dossier standing in ``state``, scored so that ``aim`` is allowed next."""
    e = walk.engine
    name = f"Sản phẩm {state.value} {aim}"
    if state is S.REGISTERED:
        return walk.register(name)
    if state is S.RETURNED:
        d = walk.register(name)
        return e.return_for_supplement(
            d.id, actor=walk.actor(Role.COMMUNE_OFFICER), guidance="Bổ sung"
        )
    if state is S.COMMUNE_VERIFIED:
        return walk.in_round(name)
    if state is S.DISTRICT_SCORED:
        return walk.entry_scored([AIM.get(aim or "", 60)] * 3, name)
    if state is S.FORWARDED_PROVINCE:
        top = aim in {"score_forward"}
        d = walk.entry_scored([95 if top else 75] * 3, name)
        return e.forward(d.id, actor=walk.actor(Role.DISTRICT_OFFICE))
    if state is S.PROVINCE_SCORED:
        d = reach(walk, S.FORWARDED_PROVINCE, "score_forward" if aim == "forward" else None)
        return walk.score(d, [PROVINCE_AIM.get(aim or "", 80)] * 3, Role.PROVINCE_COUNCIL)
    if state is S.FORWARDED_CENTRAL:
        d = reach(walk, S.PROVINCE_SCORED, "forward")
        return e.forward(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))
    if state is S.CENTRAL_SCORED:
        d = reach(walk, S.FORWARDED_CENTRAL, None)
        return walk.score(d, [40 if aim == "not_recognize" else 95] * 3, Role.CENTRAL_COUNCIL)
    if state is S.CERTIFIED:
        return walk.certified(name=name)
    if state is S.MONITORED:
        return walk.monitored(name=name)
    if state is S.RENEWAL_DUE:
        d = walk.monitored(name=name)
        assert d.valid_until is not None
        walk.clock.set(
            walk.clock.now() + (d.valid_until - walk.clock.now().date()) - timedelta(days=20)
        )
        return e.mark_renewal_due(d.id, actor=walk.actor(Role.SYSTEM))
    if state is S.EXPIRED:
        d = walk.certified(name=name)
        assert d.valid_until is not None
        walk.clock.set(
            walk.clock.now() + (d.valid_until - walk.clock.now().date()) + timedelta(days=1)
        )
        return e.expire(d.id, actor=walk.actor(Role.SYSTEM))
    raise AssertionError(f"no recipe for {state}")


def move_to(walk: Walk, d: Dossier, days_after_expiry: int) -> None:
    """Set the clock relative to the dossier's valid-until date."""
    assert d.valid_until is not None
    target = d.valid_until + timedelta(days=days_after_expiry)
    now = walk.clock.now()
    if target > now.date():
        walk.clock.set(now + (target - now.date()))


def fire(walk: Walk, spec: TransitionSpec, d: Dossier) -> Dossier:
    """Fire ``spec.trigger`` on ``d`` with valid arguments and the right actor."""
    e, a = walk.engine, walk.actor
    tier_roles = {
        "district": (Role.DISTRICT_COUNCIL, Role.DISTRICT_COMMITTEE, Role.DISTRICT_OFFICE),
        "province": (Role.PROVINCE_COUNCIL, Role.PROVINCE_COMMITTEE, Role.PROVINCE_OFFICE),
        "central": (Role.CENTRAL_COUNCIL, Role.MINISTRY, Role.MINISTRY),
    }
    today = walk.clock.now().date()
    window = {"opens_on": today, "closes_on": today + timedelta(days=60)}
    level = "district" if d.state is S.COMMUNE_VERIFIED else (d.level.value if d.level else None)
    council, committee, office = tier_roles[level] if level else (None, None, None)
    calls: dict[str, Any] = {
        "return_for_supplement": lambda: e.return_for_supplement(
            d.id, actor=a(Role.COMMUNE_OFFICER), guidance="Thiếu phiếu tự đánh giá"
        ),
        "resubmit": lambda: e.resubmit(d.id, actor=a(Role.COMMUNE_OFFICER)),
        "verify_commune": lambda: e.verify_commune(d.id, actor=a(Role.COMMUNE_COMMITTEE)),
        "reject": lambda: e.reject(
            d.id, actor=a(Role.COMMUNE_COMMITTEE), grounds="Không đủ điều kiện"
        ),
        "assign_round": lambda: e.assign_round(
            d.id,
            actor=a(office or Role.DISTRICT_OFFICE),
            round_id=walk.round_id(
                {"district": "217", "province": "24", "central": "VN"}[level or "district"]
            ),
        ),
        "score": lambda: walk.score(d, [60 if level == "district" else 80] * 3, council),
        "forward": lambda: e.forward(d.id, actor=a(office)),
        "certify": lambda: e.certify(d.id, actor=a(committee), **walk.decision()),
        "not_recognize": lambda: e.not_recognize(d.id, actor=a(committee)),
        "start_monitoring": lambda: e.start_monitoring(d.id, actor=a(Role.DISTRICT_OFFICE)),
        "record_inspection": lambda: e.record_inspection(
            d.id, actor=a(Role.INSPECTOR), inspected_on=walk.clock.now().date(), passed=True
        ),
        "mark_renewal_due": lambda: (
            move_to(walk, d, -20),
            e.mark_renewal_due(d.id, actor=a(Role.SYSTEM)),
        )[1],
        "expire": lambda: (move_to(walk, d, 1), e.expire(d.id, actor=a(Role.SYSTEM)))[1],
        "revoke": lambda: e.revoke(
            d.id,
            actor=a(Role.DISTRICT_COMMITTEE),
            grounds={"code": "inspection_failed", "details": "Mẫu không đạt chỉ tiêu"},
            **walk.decision("99/QĐ-UBND"),
        ),
        "withdraw": lambda: e.withdraw(d.id, actor=a(Role.COMMUNE_OFFICER)),
        "remind": lambda: e.execute(
            SendReminder(
                dossier_id=d.id,
                kind="renewal_notice" if d.valid_until else "council_reminder",
                due_at=walk.clock.now(),
            ),
            a(Role.SYSTEM),
        ),
        "escalate_inspection": lambda: e.execute(
            EscalateInspection(dossier_id=d.id, since=walk.clock.now().date()), a(Role.SYSTEM)
        ),
        "flag_round_missed": lambda: e.execute(
            FlagRoundMissed(dossier_id=d.id, round_id=d.round_id or walk.round_id()),
            a(Role.SYSTEM),
        ),
        "escalate_overdue": lambda: e.execute(
            EscalateOverdue(
                dossier_id=d.id, rule="transition_finish", due_on=walk.clock.now().date()
            ),
            a(Role.SYSTEM),
        ),
        "notify_reevaluation_window": lambda: e.execute(
            NotifyReevaluationWindow(dossier_id=d.id, stage="opens", **window),
            a(Role.SYSTEM),
        ),
        "flag_reevaluation_window_missed": lambda: e.execute(
            FlagReevaluationWindowMissed(dossier_id=d.id, **window), a(Role.SYSTEM)
        ),
    }
    return calls[spec.trigger]()  # type: ignore[no-any-return]


#: Engine-internal triggers, fired as consequences of a certification (tested in test_paths and
#: test_support), not host commands.
INTERNAL = {"supersede", "grant_support", "extend_validity"}
#: Fired by the sweep alone, on what a due deadline says (tested with the sweep: test_deadlines,
#: test_qd26_deadlines, test_qd26_aftercare); off a deadline the system actor is refused them.
SWEEP_ONLY = {
    "remind",
    "escalate_inspection",
    "flag_round_missed",
    "escalate_overdue",
    "notify_reevaluation_window",
    "flag_reevaluation_window_missed",
}
SPECS = [
    s for s in MACHINE.specs if s.trigger not in INTERNAL | SWEEP_ONLY and s.source is not S.NEW
]
SWEEP_SPECS = [s for s in MACHINE.specs if s.trigger in SWEEP_ONLY]


@pytest.mark.parametrize(
    "spec", [s for s in MACHINE.specs if s.source is S.NEW], ids=lambda s: s.trigger
)
def test_every_creation_of_qd148(
    engine: Engine, clock: SettableClock, spec: TransitionSpec
) -> None:
    """Each edge out of ``new`` creates a dossier in its destination state."""
    walk = Walk(engine, clock)
    if spec.trigger == "register":
        after = walk.register()
    elif spec.trigger == "import_certificate":
        (imported,) = import_certificates(engine, 1, clock.now().date(), "creation")
        after = engine.get(imported)  # type: ignore[arg-type]
    else:
        certified = walk.certified()
        after = engine.register_reevaluation(
            certified.id, kind="re_evaluation", actor=walk.actor(Role.COMMUNE_OFFICER)
        )
    assert after.state is spec.dest
    assert after.version == 1
    assert engine.replay(after.id) == engine.get(after.id)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.source.value}-{s.trigger}")
def test_every_transition_of_qd148(
    engine: Engine, clock: SettableClock, spec: TransitionSpec
) -> None:
    """Each edge of qd148-2023's graph moves a dossier from its source to its destination."""
    walk = Walk(engine, clock)
    d = reach(walk, spec.source, spec.trigger)
    assert d.state is spec.source
    after = fire(walk, spec, d)
    assert after.state is (spec.dest or spec.source)
    assert engine.replay(after.id) == engine.get(after.id)


@pytest.mark.parametrize("spec", SWEEP_SPECS, ids=lambda s: f"{s.source.value}-{s.trigger}")
def test_a_deadline_command_off_its_deadline_is_refused_to_the_system(
    engine: Engine, clock: SettableClock, spec: TransitionSpec
) -> None:
    """The system actor fires a reminder, an escalation or a flag only on its due deadline
    (the sweep reads what it says from the deadline): asked directly, with what a host made
    up, it is refused and nothing is written."""
    walk = Walk(engine, clock)
    d = reach(walk, spec.source, spec.trigger)
    before = snapshot(engine)
    with pytest.raises(PermissionDenied) as caught:
        fire(walk, spec, d)
    assert caught.value.reason.code == "permission.system_deadline_only"
    assert snapshot(engine) == before


def test_supersede_edges_are_exercised_elsewhere() -> None:
    """Supersede is not a host command: certifying a successor fires it (see test_paths)."""
    assert {s.source for s in MACHINE.specs if s.trigger == "supersede"} == {
        S.CERTIFIED,
        S.MONITORED,
        S.RENEWAL_DUE,
    }
    assert not hasattr(Engine, "supersede")
    assert not hasattr(Engine, "grant_support")
