"""Deadlines: planned with their events, applied once when due, in order, by the system."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from ocop_cycle import VN_TZ, DossierState, Engine, Role, SettableClock
from ocop_cycle._storage.schema import events, outbox
from ocop_cycle.jobs.simulation import run_until
from ocop_cycle.jobs.sweep import Sweeper
from ocop_cycle.rules.calendar import working_days_before
from tests.scenario import PROVINCE_ONLY, Walk, at

S = DossierState


def kinds(engine: Engine, dossier_id: object) -> list[tuple[str, str]]:
    """(kind, due date) of a dossier's deadlines, in due order."""
    return [
        (d.kind, d.due_at.date().isoformat())
        for d in Sweeper(engine).pending()
        if d.dossier_id == dossier_id
    ]


def outbox_kinds(engine: Engine) -> list[str]:
    with engine.sa_engine.connect() as conn:
        return [r[0] for r in conn.execute(select(outbox.c.kind).order_by(outbox.c.id))]


def test_council_reminder_skips_weekends_and_holidays() -> None:
    """A meeting on Wed 4 Sep 2024 follows the 2–3 Sep National Day holiday: remind Fri 30 Aug."""
    assert working_days_before(date(2024, 9, 4), 1) == date(2024, 8, 30)
    assert working_days_before(date(2024, 6, 5), 1) == date(2024, 6, 4)


def test_certification_plans_notices_and_expiry(engine: Engine, clock: SettableClock) -> None:
    """A certificate valid until V plans notices at V-90, V-60, V-30 and expiry on V+1."""
    d = Walk(engine, clock).certified()
    assert d.valid_until is not None
    v = d.valid_until
    planned = [k for k in kinds(engine, d.id) if k[0] in {"renewal_notice", "expiry"}]
    assert planned == [
        ("renewal_notice", (v - timedelta(days=90)).isoformat()),
        ("renewal_notice", (v - timedelta(days=60)).isoformat()),
        ("renewal_notice", (v - timedelta(days=30)).isoformat()),
        ("expiry", (v + timedelta(days=1)).isoformat()),
    ]


def test_supplement_overdue_withdraws_once(engine: Engine, clock: SettableClock) -> None:
    """Not resubmitted by the due date: withdrawn by the system, with a notice; a second sweep
    does nothing."""
    walk = Walk(engine, clock)
    d = walk.register()
    d = engine.return_for_supplement(
        d.id, actor=walk.actor(Role.COMMUNE_OFFICER), guidance="Bổ sung", due_on=date(2023, 3, 10)
    )
    clock.set(at(2023, 3, 10, 23))
    assert Sweeper(engine).sweep().count == 0  # the whole due day is allowed
    clock.set(at(2023, 3, 11, 0))
    report = Sweeper(engine).sweep()
    assert [a.outcome for a in report.applied] == ["withdraw -> withdrawn"]
    assert report.applied[0].lateness == timedelta(0)
    assert engine.get(d.id).state is S.WITHDRAWN
    assert engine.history(d.id)[-1].actor.role is Role.SYSTEM
    assert "withdrawn" in outbox_kinds(engine)
    assert Sweeper(engine).sweep().count == 0


def test_resubmitted_in_time_is_not_withdrawn(engine: Engine, clock: SettableClock) -> None:
    """A deadline whose dossier moved on is settled as skipped, and changes nothing."""
    walk = Walk(engine, clock)
    d = walk.register()
    engine.return_for_supplement(d.id, actor=walk.actor(Role.COMMUNE_OFFICER), guidance="Bổ sung")
    engine.resubmit(d.id, actor=walk.actor(Role.COMMUNE_OFFICER))
    clock.advance(timedelta(days=30))
    report = Sweeper(engine).sweep()
    assert [a.outcome.split(":")[0] for a in report.applied] == ["skipped"]
    assert engine.get(d.id).state is S.REGISTERED


def test_round_deadline_carries_over_or_flags(engine: Engine, clock: SettableClock) -> None:
    """Unscored at the round's deadline: carried to the next round; with none left, flagged."""
    walk = Walk(engine, clock)
    d = walk.in_round()
    first = engine.get_round(d.round_id)  # type: ignore[arg-type]
    second = engine.create_round(
        actor=walk.actor(Role.DISTRICT_OFFICE),
        year=2023,
        number=2,
        jurisdiction_code="217",
        name="Đợt 2 năm 2023",
        registration_deadline=first.scoring_deadline + timedelta(days=10),
        council_meeting_on=first.scoring_deadline + timedelta(days=40),
        scoring_deadline=first.scoring_deadline + timedelta(days=60),
    )
    run_until(
        engine,
        datetime.combine(first.scoring_deadline + timedelta(days=2), datetime.min.time(), VN_TZ),
    )
    carried = engine.get(d.id)
    assert carried.round_id == second.id
    assert engine.history(d.id)[-1].payload.wire()["carried_from"] == str(first.id)
    run_until(
        engine,
        datetime.combine(second.scoring_deadline + timedelta(days=2), datetime.min.time(), VN_TZ),
    )
    assert engine.history(d.id)[-1].type == "round_missed"
    assert engine.get(d.id).state is S.COMMUNE_VERIFIED
    types = [e.type for e in engine.history(d.id)]
    assert types.count("reminder_sent") == 2  # one council reminder per round


def test_inspection_overdue_escalates(engine: Engine, clock: SettableClock) -> None:
    """No inspection within the interval after monitoring starts: escalated to the inspectors."""
    walk = Walk(engine, clock)
    d = walk.monitored()
    run_until(engine, clock.now() + timedelta(days=370))
    types = [e.type for e in engine.history(d.id)]
    assert "inspection_overdue" in types
    assert "inspection_overdue" in outbox_kinds(engine)


def test_inspection_in_time_is_not_escalated(engine: Engine, clock: SettableClock) -> None:
    """An inspection recorded before the deadline settles it as moot and plans the next one."""
    walk = Walk(engine, clock)
    d = walk.monitored()
    clock.advance(timedelta(days=200))
    engine.record_inspection(
        d.id, actor=walk.actor(Role.INSPECTOR), inspected_on=clock.now().date(), passed=True
    )
    applied = run_until(engine, clock.now() + timedelta(days=200))
    inspections = [a for a in applied if a.kind == "inspection_due"]
    assert len(inspections) == 1
    assert inspections[0].outcome.startswith("skipped: inspected")
    assert "inspection_overdue" not in [e.type for e in engine.history(d.id)]


def test_certificate_lifecycle_of_36_months(engine: Engine, clock: SettableClock) -> None:
    """certified → 90/60-day reminders → renewal_due (30 days) → expired, with notices."""
    walk = Walk(engine, clock)
    d = walk.certified()
    assert d.valid_until is not None
    applied = run_until(engine, clock.now() + timedelta(days=3 * 366))
    seen = [(a.kind, a.outcome) for a in applied if a.kind in {"renewal_notice", "expiry"}]
    assert seen == [
        ("renewal_notice", "remind -> certified"),
        ("renewal_notice", "remind -> certified"),
        ("renewal_notice", "mark_renewal_due -> renewal_due"),
        ("expiry", "expire -> expired"),
    ]
    assert engine.get(d.id).state is S.EXPIRED
    assert {"renewal_due_marked", "expired"} <= set(outbox_kinds(engine))
    assert engine.replay(d.id) == engine.get(d.id)


def test_renewed_certificate_does_not_expire(engine: Engine, clock: SettableClock) -> None:
    """Re-evaluated and certified again before expiry: the old deadlines are moot."""
    walk = Walk(engine, clock)
    d = walk.monitored()
    assert d.valid_until is not None
    run_until(
        engine, datetime.combine(d.valid_until - timedelta(days=29), datetime.min.time(), VN_TZ)
    )
    assert engine.get(d.id).state is S.RENEWAL_DUE
    new = engine.register_reevaluation(
        d.id, actor=walk.actor(Role.COMMUNE_OFFICER), kind="re_evaluation"
    )
    assert new.profile_id == "qd1489-2025"
    new = engine.verify_commune(new.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    province = Walk(engine, clock, place=walk.place.__class__("07426", None, "24"))
    new = engine.assign_round(
        new.id, actor=province.actor(Role.PROVINCE_OFFICE), round_id=province.round_id()
    )
    new = province.score(new, [60, 61, 62], Role.PROVINCE_COUNCIL)
    engine.certify(new.id, actor=province.actor(Role.PROVINCE_COMMITTEE), **province.decision())
    applied = run_until(engine, clock.now() + timedelta(days=60))
    assert engine.get(d.id).state is S.RENEWED
    assert [a.outcome.split(":")[0] for a in applied if a.dossier_id == d.id] == ["skipped"]


def test_downtime_month_applies_everything_in_due_order(
    engine: Engine, clock: SettableClock
) -> None:
    """Down for a month holding 50 renewal offsets and a round deadline: on start, every missed
    action is applied in due order, exactly once."""
    walk = Walk(engine, clock)
    certified = [walk.certified(name=f"Sản phẩm {i}") for i in range(25)]
    v = certified[0].valid_until
    assert v is not None
    assert all(c.valid_until == v for c in certified)
    # From 91 days before expiry, 33 days hold the 90- and 60-day notices of all 25 certificates.
    start = datetime.combine(v - timedelta(days=91), datetime.min.time(), VN_TZ)
    end = start + timedelta(days=33)
    run_until(engine, start)  # everything before the outage happened on time
    now = Walk(engine, clock, place=PROVINCE_ONLY)  # by then (qd1489-2025) there is no district
    waiting = now.verified("Hồ sơ chờ chấm")
    rnd = engine.create_round(
        actor=now.actor(Role.PROVINCE_OFFICE),
        year=start.year,
        number=9,
        jurisdiction_code="24",
        name="Đợt bổ sung",
        registration_deadline=start.date(),
        council_meeting_on=start.date() + timedelta(days=10),
        scoring_deadline=start.date() + timedelta(days=20),
    )
    engine.assign_round(waiting.id, actor=now.actor(Role.PROVINCE_OFFICE), round_id=rnd.id)
    with engine.sa_engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(events)).scalar_one()
    clock.set(end)  # the scheduler was down: nothing ran until now
    due = Sweeper(engine).pending(due_before=end)
    assert sorted({d.kind for d in due}) == ["council_reminder", "renewal_notice", "round_scoring"]
    assert sum(d.kind == "renewal_notice" for d in due) == 50
    report = Sweeper(engine).sweep()
    assert report.count == len(due)
    assert [a.due_at for a in report.applied] == sorted(a.due_at for a in report.applied)
    assert all(a.lateness > timedelta(0) for a in report.applied)
    assert [a.kind for a in report.applied if a.dossier_id == waiting.id] == [
        "council_reminder",
        "round_scoring",
    ]
    assert engine.history(waiting.id)[-1].type == "round_missed"
    with engine.sa_engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(events)).scalar_one()
    assert after - before == len(due)  # one event per missed action, none twice
    assert Sweeper(engine).sweep().count == 0
