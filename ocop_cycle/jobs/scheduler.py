"""CycleScheduler: APScheduler 3.x wakes the sweeps; the deadlines table decides what happens.

APScheduler only says "sweep now": on an interval, and on date triggers at known round
deadlines. Correctness never depends on it — a missed or doubled wake-up changes nothing,
because each due deadline is claimed and applied once by the sweep. Hence ``misfire_grace_time``
None (a late wake-up still runs), ``coalesce`` (many missed runs become one) and
``max_instances`` 1. Jobs live in an SQLAlchemyJobStore in the same database (one table per
scheduler name: APScheduler forbids sharing a job store between schedulers) and are
re-registered at every start, so a job lost from the store costs nothing.
"""

from __future__ import annotations

import signal
import threading
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ocop_cycle._log import get_logger
from ocop_cycle._storage.database import job_store_engine
from ocop_cycle._storage.reports import ReportQueries
from ocop_cycle.clock import VN_TZ
from ocop_cycle.errors import UnsuitableConnection
from ocop_cycle.jobs.sweep import Sweeper

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from ocop_cycle.engine import Engine

__all__ = ["CycleScheduler", "SchedulerState", "sweep_job"]

log = get_logger("ocop_cycle.scheduler")

# Engines by scheduler name, for the job function: APScheduler stores only the name (a
# primitive), never a connection URL with its password.
_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def sweep_job(name: str) -> int:
    """The scheduled job: sweep the database of scheduler ``name``; returns how many applied."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(name)
    if engine is None:
        raise LookupError(f"no scheduler named {name!r} runs in this process")
    return Sweeper(engine).sweep().count


class SchedulerState(StrEnum):
    """Where a CycleScheduler is in its lifecycle."""

    STOPPED = "stopped"
    RUNNING = "running"
    STOPPING = "stopping"


class CycleScheduler:
    """Runs the sweeps of one database: ``start()``, ``stop()``, ``wait()``; or
    ``run_forever()`` with graceful SIGTERM/SIGINT for a daemon."""

    def __init__(self, engine: Engine, *, interval: float = 60.0, name: str = "default") -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        if not name.isidentifier():
            raise ValueError("scheduler name must be an identifier (it names a table)")
        if engine.connection is not None:
            raise UnsuitableConnection(
                "CycleScheduler sweeps from a thread of its own, each deadline in a transaction "
                "of its own: give it an Engine on a SQLAlchemy Engine, not on a host's "
                "Connection (Sweeper(engine).sweep() sweeps inside the host's transaction)"
            )
        self.engine = engine
        # Seam: the Engine will expose its ReportQueries as an attribute; built here until then.
        self._queries = ReportQueries(engine.sa_engine)
        self.interval = interval
        self.name = name
        self.state = SchedulerState.STOPPED
        self._stopped = threading.Event()
        self._stopped.set()
        self._scheduler: BackgroundScheduler | None = None

    @property
    def job_table(self) -> str:
        """The APScheduler job table of this scheduler."""
        return f"ocop_scheduler_jobs_{self.name}"

    def start(self) -> None:
        """Register the expected jobs and start waking the sweeps (the first one at once)."""
        if self.state is not SchedulerState.STOPPED:
            raise RuntimeError(f"scheduler is {self.state.value}")
        # Imported here so that importing ocop_cycle does not load APScheduler.
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        with _ENGINES_LOCK:
            _ENGINES[self.name] = self.engine
        scheduler = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(
                    engine=job_store_engine(self.engine.sa_engine), tablename=self.job_table
                )
            },
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=VN_TZ,
        )
        scheduler.start(paused=True)
        now = self.engine.clock.now()
        scheduler.add_job(
            sweep_job,
            "interval",
            seconds=self.interval,
            args=[self.name],
            id="ocop-sweep",
            name="sweep due deadlines",
            replace_existing=True,
            next_run_time=now,  # catch up on downtime immediately
        )
        for round_id, deadline in self._round_deadlines(now):
            scheduler.add_job(
                sweep_job,
                "date",
                run_date=deadline,
                args=[self.name],
                id=f"ocop-round-{round_id}",
                name="sweep at a round's scoring deadline",
                replace_existing=True,
            )
        self._scheduler = scheduler
        self._stopped.clear()
        self.state = SchedulerState.RUNNING
        scheduler.resume()
        log.info("scheduler.started", name=self.name, interval=self.interval)

    def _round_deadlines(self, now: datetime) -> list[tuple[UUID, datetime]]:
        # The sweep at 00:00 after the deadline day applies the round's deadlines.
        return [
            (rid, datetime.combine(day + timedelta(days=1), time(0, 0), VN_TZ))
            for rid, day in self._queries.round_deadlines(now.date())
        ]

    def stop(self, *, wait: bool = True) -> None:
        """Stop waking sweeps; with ``wait``, let a running sweep finish its current deadline."""
        if self.state is not SchedulerState.RUNNING or self._scheduler is None:
            return
        self.state = SchedulerState.STOPPING
        self._scheduler.shutdown(wait=wait)
        self._scheduler = None
        with _ENGINES_LOCK:
            _ENGINES.pop(self.name, None)
        self.state = SchedulerState.STOPPED
        self._stopped.set()
        log.info("scheduler.stopped", name=self.name)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stopped (or ``timeout``); True when stopped."""
        return self._stopped.wait(timeout)

    def run_forever(self) -> None:
        """Start, then block until SIGTERM or SIGINT asks for a graceful stop."""
        requested: list[int] = []

        def _graceful(signum: int, _frame: Any) -> None:
            # Only record it: a handler may interrupt the main thread in the middle of a write
            # (logging holds the stream), so it must take no lock and write nothing.
            requested.append(signum)

        previous = {s: signal.signal(s, _graceful) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not requested and not self.wait(timeout=0.2):
                pass
            if requested:
                log.info("scheduler.signal", signal=signal.Signals(requested[0]).name)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            self.stop()
