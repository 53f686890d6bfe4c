"""The scheduler: lifecycle, APScheduler wiring, several processes, crashes."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from ocop_cycle import VN_TZ, Engine, InvalidCommand, SettableClock, SystemClock
from ocop_cycle._storage.schema import deadlines, events, outbox
from ocop_cycle.jobs.scheduler import SWEEP_JOB, CycleScheduler, SchedulerState
from ocop_cycle.jobs.sweep import Sweeper
from tests.helpers_jobs import decision_with_only_first_notice_due, import_certificates

CLI = [sys.executable, "-m", "ocop_cycle.cli"]


def until(predicate: object, timeout: float = 60.0) -> bool:
    """Poll an effect that happens in another thread or process, up to ``timeout`` seconds."""
    waiter = threading.Event()
    deadline = datetime.now().timestamp() + timeout
    while datetime.now().timestamp() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        waiter.wait(0.05)
    return False


def test_lifecycle_and_jobs(engine: Engine, clock: SettableClock) -> None:
    """start() registers the sweep job and sweeps at once; stop() returns to STOPPED; starting
    twice is refused."""
    import_certificates(engine, 3, date(2019, 10, 1), "lc")
    clock.set(datetime(2023, 3, 2, tzinfo=VN_TZ))  # all three certificates have lapsed by now
    scheduler = CycleScheduler(engine, interval=3600, name="test")
    scheduler.start()
    try:
        assert scheduler.state is SchedulerState.RUNNING
        with pytest.raises(RuntimeError):
            scheduler.start()
        assert until(lambda: not Sweeper(engine).pending(due_before=clock.now()))
        assert scheduler.job_ids == [SWEEP_JOB]
    finally:
        scheduler.stop()
    assert scheduler.state is SchedulerState.STOPPED
    assert scheduler.job_ids == []
    assert scheduler.wait(timeout=0)
    scheduler.stop()  # stopping twice is harmless


def test_sigterm_stops_the_daemon_gracefully(db_url: str, engine: Engine) -> None:
    """`ocop-cycle scheduler run` exits 0 on SIGTERM after logging that it stopped."""
    proc = subprocess.Popen(
        [*CLI, "--db", db_url, "scheduler", "run", "--interval", "3600", "--name", "sig"],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    started = proc.stderr.readline()
    assert "scheduler.started" in started
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "scheduler.stopped" in err


@pytest.mark.slow
def test_sigkill_mid_sweep_then_restart(db_url: str) -> None:
    """Killed with SIGKILL at random points, then restarted: every due action applied exactly
    once, and every projection equals the replay of its log."""
    engine = Engine.open(db_url, clock=SystemClock())
    ids = import_certificates(engine, 150, date(2021, 9, 15), "kill")  # 4 due deadlines each
    due = len(Sweeper(engine).pending(due_before=SystemClock().now()))
    assert due == 600
    rng = random.Random(20241015)
    for _ in range(5):
        proc = subprocess.Popen(
            [*CLI, "--db", db_url, "scheduler", "run", "--once"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        threading.Event().wait(rng.uniform(1.0, 3.0))  # a random point of the sweep to kill at
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    final = subprocess.run(
        [*CLI, "--db", db_url, "scheduler", "run", "--once"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert "deadlines settled" in final.stdout
    with engine.sa_engine.connect() as conn:
        pending = conn.execute(
            select(func.count()).select_from(deadlines).where(deadlines.c.status == "pending")
        ).scalar_one()
        per_type = Counter(
            t for (t,) in conn.execute(select(events.c.type).where(events.c.actor_role == "system"))
        )
    assert pending == 0
    assert per_type == {"reminder_sent": 300, "renewal_due_marked": 150, "expired": 150}
    for dossier_id in ids:
        dossier = engine.get(dossier_id)  # type: ignore[arg-type]
        assert [e.seq for e in engine.history(dossier.id)] == list(range(1, dossier.version + 1))
        assert engine.replay(dossier.id) == dossier
    engine.close()


@pytest.mark.slow
def test_three_schedulers_ten_thousand_notices(postgres_ready: str) -> None:
    """Three scheduler processes sweep 10,000 due notices at once on PostgreSQL: exactly 10,000
    events and notices, none twice."""
    from tests.conftest import truncate_postgres

    truncate_postgres(postgres_ready)
    engine = Engine.open(postgres_ready, clock=SystemClock())
    today = SystemClock().now().date()
    decision = decision_with_only_first_notice_due(today)
    import_certificates(engine, 10_000, decision, "ten", threads=2, batch=500)
    due = Sweeper(engine).pending(due_before=SystemClock().now(), limit=20_000)
    assert len(due) == 10_000
    assert {d.kind for d in due} == {"renewal_notice"}
    procs = [
        subprocess.Popen(
            [*CLI, "--db", postgres_ready, "scheduler", "run", "--once"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    settled = [int(out.split()[0]) for out in outputs]
    # Only the total is asserted: how the work is shared depends on when each process starts
    # (one that starts after the others finished finds nothing, and that is correct).
    assert sum(settled) == 10_000
    with engine.sa_engine.connect() as conn:
        reminders = conn.execute(
            select(events.c.dossier_id, func.count())
            .where(events.c.type == "reminder_sent")
            .group_by(events.c.dossier_id)
        ).all()
        notices = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.kind == "reminder_sent")
        ).scalar_one()
    assert len(reminders) == 10_000
    assert {n for _, n in reminders} == {1}
    assert notices == 10_000
    engine.close()


@pytest.mark.parametrize(
    ("options", "fields"),
    [
        ({"interval": 0}, ["interval"]),
        ({"interval": float("nan")}, ["interval"]),
        ({"interval": float("inf")}, ["interval"]),
        ({"name": "two words"}, ["name"]),
        ({"interval": -1, "name": ""}, ["interval", "name"]),
    ],
)
def test_a_scheduler_with_bad_options_is_refused_naming_them(
    engine: Engine, options: dict[str, object], fields: list[str]
) -> None:
    """An interval that is no duration of at most a day, a name that cannot name jobs:
    ``InvalidCommand`` naming each, before anything starts (was ValueError, or OverflowError
    from the timers)."""
    with pytest.raises(InvalidCommand) as caught:
        CycleScheduler(engine, **options)  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == fields
