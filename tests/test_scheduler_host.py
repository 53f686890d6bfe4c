"""The scheduler in a host: driven by the engine's clock, named schedulers apart, a lost
database is a warning and a retry, a stop ends a sweep between deadlines, SIGTERM is clean."""

from __future__ import annotations

import logging
import queue
import shutil
import signal
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from structlog.testing import capture_logs

from ocop_cycle import VN_TZ, Engine, SettableClock, SystemClock
from ocop_cycle._storage.database import create_database_engine
from ocop_cycle._storage.schema import deadlines, events
from ocop_cycle.jobs.scheduler import CycleScheduler, SweepOutcome
from ocop_cycle.jobs.sweep import Sweeper
from tests.conftest import truncate_postgres
from tests.helpers_jobs import import_certificates

CLI = [sys.executable, "-m", "ocop_cycle.cli"]
#: How long a test waits for a sweep in another thread before it fails (never a pass condition).
PATIENCE = 120.0


class Outcomes:
    """The ``on_sweep`` hook of a scheduler under test: each wake-up's outcome, in order."""

    def __init__(self) -> None:
        self.seen: queue.Queue[SweepOutcome] = queue.Queue()

    def __call__(self, outcome: SweepOutcome) -> None:
        self.seen.put(outcome)

    def next(self) -> SweepOutcome:
        return self.seen.get(timeout=PATIENCE)


@pytest.fixture
def fire_times(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fire time APScheduler's interval and date triggers compute, by trigger kind."""
    computed: list[str] = []
    for trigger in (IntervalTrigger, DateTrigger):
        original = trigger.get_next_fire_time

        def counting(self: Any, *args: Any, _original: Any = original) -> Any:
            computed.append(type(self).__name__)
            return _original(self, *args)

        monkeypatch.setattr(trigger, "get_next_fire_time", counting)
    return computed


def test_a_clock_in_2024_is_swept_without_walking_the_missed_intervals(
    engine: Engine, clock: SettableClock, fire_times: list[str]
) -> None:
    """With the engine's SettableClock in 2024: start, one sweep as of 2024, stop. APScheduler
    computes a handful of fire times, not one per minute since 2024 (over a million)."""
    clock.set(datetime(2023, 12, 1, 9, tzinfo=VN_TZ))
    import_certificates(engine, 2, date(2021, 8, 1), "c24")
    clock.set(datetime(2024, 6, 1, 9, tzinfo=VN_TZ))
    due = Sweeper(engine).pending(due_before=clock.now())
    assert due
    outcomes = Outcomes()
    scheduler = CycleScheduler(engine, interval=60, on_sweep=outcomes)
    scheduler.start()
    try:
        first = outcomes.next()
    finally:
        scheduler.stop()
    assert first.error is None
    assert first.applied == len(due)
    assert Sweeper(engine).pending(due_before=clock.now()) == []
    assert Sweeper(engine).pending()  # what falls due after 2024-06-01 waits for the clock
    assert 1 <= len(fire_times) <= 5, fire_times


def test_two_schedulers_with_the_default_name_are_independent(tmp_path: Path) -> None:
    """Two schedulers named "default" in one process each sweep their own database, and
    stopping one leaves the other running."""
    engines = []
    for tag in ("a", "b"):
        eng = Engine.open(f"sqlite:///{tmp_path / tag}.db", clock=SystemClock())
        eng.upgrade()
        import_certificates(eng, 2 if tag == "a" else 3, date(2021, 3, 1), tag)
        engines.append(eng)
    hooks = [Outcomes(), Outcomes()]
    first, second = (
        CycleScheduler(eng, interval=3600, on_sweep=hook)
        for eng, hook in zip(engines, hooks, strict=True)
    )
    assert first.name == second.name == "default"
    try:
        first.start()
        second.start()
        assert [hook.next().applied for hook in hooks] == [8, 12]  # 4 deadlines a certificate
        first.stop()
        assert first.job_ids == []
        assert second.job_ids == ["ocop-sweep"]
    finally:
        first.stop()
        second.stop()
        for eng in engines:
            assert Sweeper(eng).pending(due_before=SystemClock().now()) == []
            eng.close()


def test_a_lost_database_is_one_warning_per_tick_and_a_retry(tmp_path: Path) -> None:
    """While the database cannot be opened, each tick logs one structured warning without a
    traceback and the next tick tries again; once it is back, the due deadlines are applied."""
    ready = tmp_path / "ready.db"
    with Engine.open(f"sqlite:///{ready}", clock=SystemClock()) as setup:
        setup.upgrade()
        import_certificates(setup, 1, date(2021, 3, 1), "lost")
    home = tmp_path / "not-yet"  # the directory is missing: SQLite cannot open the file
    engine = Engine.open(f"sqlite:///{home / 'ocop.db'}", clock=SystemClock())
    outcomes = Outcomes()
    scheduler = CycleScheduler(engine, interval=0.2, on_sweep=outcomes)
    with capture_logs() as logs:
        scheduler.start()
        try:
            failed = [outcomes.next(), outcomes.next()]
            home.mkdir()
            shutil.copy(ready, home / "ocop.db")
            recovered = outcomes.next()
            while recovered.error is not None:  # a tick that began before the copy
                failed.append(recovered)
                recovered = outcomes.next()
        finally:
            scheduler.stop()
            engine.close()
    assert all(o.error for o in failed)
    assert recovered.applied == 4
    warnings = [e for e in logs if e["log_level"] == "warning"]
    sweep_warnings = [e for e in warnings if e["event"] == "scheduler.sweep_failed"]
    assert len(sweep_warnings) == len(failed)
    assert all("exc_info" not in e and e["error"] for e in warnings)
    assert [e for e in logs if e["log_level"] in {"error", "critical", "exception"}] == []


def test_a_stop_ends_a_sweep_between_deadlines(engine: Engine, clock: SettableClock) -> None:
    """A sweep asked to stop settles the deadline in hand and no more: the rest stay pending."""
    import_certificates(engine, 3, date(2019, 10, 1), "stop")
    clock.set(datetime(2023, 3, 2, tzinfo=VN_TZ))
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 2

    report = Sweeper(engine).sweep(stop=stop)
    assert report.count == 2
    assert len(Sweeper(engine).pending(due_before=clock.now())) == 12 - 2


@pytest.mark.slow
def test_sigterm_during_a_tick_shuts_down_cleanly(db_url: str) -> None:
    """SIGTERM while a sweep runs (and the next wake-up is due): exit 0, "scheduler.stopped",
    no traceback, no "cannot schedule new futures after shutdown"; each settled deadline was
    applied once."""
    engine = Engine.open(db_url, clock=SystemClock())
    import_certificates(engine, 150, date(2021, 9, 15), "term")  # 600 deadlines due
    proc = subprocess.Popen(
        [*CLI, "--db", db_url, "scheduler", "run", "--interval", "0.05", "--name", "term"],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "deadline.applied" in line:
            break  # the first tick's sweep is under way
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "cannot schedule new futures" not in err
    assert "scheduler.stopped" in err
    with engine.sa_engine.connect() as conn:
        done = conn.execute(
            select(func.count()).select_from(deadlines).where(deadlines.c.status != "pending")
        ).scalar_one()
        system = conn.execute(
            select(func.count()).select_from(events).where(events.c.actor_role == "system")
        ).scalar_one()
    engine.close()
    assert done > 0
    assert system == done  # each settled deadline acted once (none of these is moot)


def test_postgres_connections_killed_between_ticks_are_a_warning_and_a_retry(
    postgres_ready: str, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL kills the scheduler's connections (a restart): the next tick logs one
    structured warning, the pool logs nothing, and a later tick applies what is due."""
    truncate_postgres(postgres_ready)
    url = (
        make_url(postgres_ready)
        .update_query_dict({"application_name": "ocop_lost_test"})
        .render_as_string(hide_password=False)
    )
    clock = SettableClock(datetime(2023, 3, 1, 9, tzinfo=VN_TZ))
    engine = Engine.open(url, clock=clock)
    import_certificates(engine, 2, date(2021, 3, 1), "pg")  # valid until 01/03/2024
    outcomes = Outcomes()
    scheduler = CycleScheduler(engine, interval=0.2, on_sweep=outcomes)
    admin = create_database_engine(postgres_ready)
    seen: list[SweepOutcome] = []
    with capture_logs() as logs:
        scheduler.start()
        try:
            assert outcomes.next().applied == 0  # nothing due yet; its connection is pooled
            with admin.connect() as conn:
                killed = conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = 'ocop_lost_test'"
                    )
                ).scalar_one()
            assert killed >= 1
            clock.set(datetime(2024, 6, 1, 9, tzinfo=VN_TZ))
            while not seen or seen[-1].applied == 0:
                seen.append(outcomes.next())
        finally:
            scheduler.stop()
            engine.close()
            admin.dispose()
    errors = [o for o in seen if o.error]
    assert errors
    assert seen[-1].applied == 8
    warnings = [e for e in logs if e["event"] == "scheduler.sweep_failed"]
    assert len(warnings) == len(errors)
    assert all("exc_info" not in e for e in logs)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
