"""Two clocks on one store (a simulation ahead of another, a store simulated into the future
and swept live): each dossier's log still runs forward in time. An event recorded before the
one already last in its log would contradict "known at" queries: the system knew it at a time
the log says it did not."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ocop_cycle import VN_TZ, Auditor, Engine, SettableClock, Sweeper
from ocop_cycle.jobs.simulation import run_until
from tests.helpers_jobs import import_certificates

IMPORTED = datetime(2021, 1, 5, 9, tzinfo=VN_TZ)
AHEAD = datetime(2023, 3, 1, 9, tzinfo=VN_TZ)  # past the third renewal notice, before expiry


def _recorded(engine: Engine, dossier_id: Any) -> list[datetime]:
    return [e.recorded_at for e in engine.history(dossier_id)]


def test_a_sweep_behind_a_dossiers_log_records_at_the_logs_time(db_url: str) -> None:
    """A sweeper whose clock is behind a dossier's last event applies the dossier's due
    deadline at that event's time, not before it; the deadline is settled then too."""
    with Engine.open(db_url, clock=SettableClock(IMPORTED)) as engine:
        (dossier_id,) = import_certificates(engine, 1, date(2020, 3, 10), "ahead")
        due = Sweeper(engine).pending(due_before=AHEAD)
        assert len(due) >= 2
        ahead = Sweeper(engine).sweep(now=AHEAD, limit=1)  # the first, by a clock ahead
        assert ahead.count == 1
        behind = Sweeper(engine).sweep(now=due[1].due_at, limit=1)  # the second, from behind
        assert [a.deadline_id for a in behind.applied] == [due[1].id]
        times = _recorded(engine, dossier_id)
        assert times == sorted(times)
        assert times[-1] == times[-2] == AHEAD
        assert Auditor(engine).verify().intact


def test_a_simulation_overtaken_mid_run_catches_up(db_url: str) -> None:
    """A simulation from 2021 is overtaken mid-run by another clock writing in March 2023: it moves
    its clock on to the store's last event, so no log runs backwards; every effect once."""
    with Engine.open(db_url, clock=SettableClock(IMPORTED)) as setup:
        ids = import_certificates(setup, 3, date(2020, 3, 10), "overtaken")
    other = Engine.open(db_url, clock=SettableClock(AHEAD))
    overtaken: list[int] = []

    def meanwhile(_applied: object) -> None:
        if not overtaken:  # once, after the simulation's first deadline
            overtaken.append(Sweeper(other).sweep(now=AHEAD, limit=1).count)

    with Engine.open(db_url, clock=SettableClock(datetime(2021, 1, 6, tzinfo=VN_TZ))) as engine:
        run_until(engine, datetime(2023, 12, 31, tzinfo=VN_TZ), on_applied=meanwhile)
        assert overtaken == [1]
        for dossier_id in ids:
            times = _recorded(engine, dossier_id)
            assert times == sorted(times), dossier_id
        assert {engine.get(i).state.value for i in ids} == {"expired"}  # type: ignore[arg-type]
        assert sum(len(engine.history(i)) for i in ids) == 5 * len(ids)  # type: ignore[arg-type]
    other.close()
