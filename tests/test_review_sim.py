"""Review: run_until on a store written past --until applies deadlines due after --until."""

from __future__ import annotations

from datetime import date, datetime

from ocop_cycle import VN_TZ, Engine, SettableClock
from ocop_cycle.jobs.simulation import run_until
from ocop_cycle.jobs.sweep import Sweeper
from tests.helpers_jobs import import_certificates


def test_until_overrun(engine: Engine, clock: SettableClock) -> None:
    clock.set(datetime(2024, 9, 2, 9, tzinfo=VN_TZ))
    import_certificates(engine, 1, date(2022, 1, 10), "a")
    # The store is written on, later, by a live host (no sweep in between).
    clock.set(datetime(2026, 1, 5, 9, tzinfo=VN_TZ))
    import_certificates(engine, 1, date(2025, 12, 1), "b")
    pending = Sweeper(engine).pending()
    print("\npending:", [(p.kind, p.due_at.date().isoformat()) for p in pending][:8])
    # A simulation (another engine on the same DB) from 2024-10-01 until 2025-01-01.
    sim = Engine(engine.sa_engine, clock=SettableClock(datetime(2024, 10, 1, tzinfo=VN_TZ)))
    until = datetime(2024, 11, 1, 23, 59, tzinfo=VN_TZ)
    applied = run_until(sim, until)
    late = [(a.kind, a.due_at.date().isoformat()) for a in applied if a.due_at > until]
    print("applied:", [(a.kind, a.due_at.date().isoformat()) for a in applied])
    print("applied though due after --until:", late, "clock now:", sim.clock.now())
    assert not late
