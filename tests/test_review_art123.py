"""Review: Art. 12.3 late re-evaluation depends on whether a sweep expired the certificate."""

from __future__ import annotations

from datetime import date, datetime

from ocop_cycle import Actor, Engine, GuardRefused, Role, SettableClock
from ocop_cycle.jobs.simulation import run_until
from tests.test_qd26_profile import _certificate_expiring


def test_late_filing_after_a_sweep(engine: Engine, clock: SettableClock) -> None:
    swept = _certificate_expiring(engine, clock, date(2026, 8, 1))
    officer = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
    clock.set(datetime(2026, 6, 1, 9, tzinfo=clock.now().tzinfo))
    run_until(engine, datetime(2026, 8, 10, 9, tzinfo=clock.now().tzinfo))
    print("state after sweep:", engine.get(swept).state, engine.get(swept).valid_until)
    try:
        new = engine.register_reevaluation(swept, actor=officer, kind="re_evaluation")
        print("accepted", new.id)
    except GuardRefused as exc:
        print("REFUSED", exc.codes)
        raise
