"""CycleScheduler: APScheduler 3.x wakes the sweeps; the deadlines table decides what happens.

APScheduler only says "sweep now": on an interval, and on date triggers at known round
deadlines. Correctness never depends on it: a missed or doubled wake-up changes nothing,
because each due deadline is claimed and applied once by the sweep. Hence ``misfire_grace_time``
None (a late wake-up still runs), ``coalesce`` (many missed runs become one) and
``max_instances`` 1.

Two clocks, kept apart. APScheduler waits in wall time, so its triggers are set from the wall
clock: the interval starts now, and a round deadline's wake-up lies as far ahead of now as the
deadline lies ahead of the engine's clock. What a sweep applies is decided by the engine's
clock. So an engine whose ``SettableClock`` stands in 2024 is swept as of 2024 at once, and
APScheduler never walks the intervals between 2024 and today (it computed one fire time per
missed interval: minutes of CPU).

Jobs live in memory and are registered at every start: the deadlines table is what persists.
Each scheduler is on its own, whatever its name (several in one process, or in several
processes: see the README's "Several workers").
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from ocop_cycle._log import get_logger
from ocop_cycle._storage.reports import ReportQueries
from ocop_cycle.clock import VN_TZ, SystemClock
from ocop_cycle.errors import FieldProblem, InvalidCommand, StorageError, UnsuitableConnection
from ocop_cycle.jobs.sweep import Sweeper
from ocop_cycle.limits import A_DAY

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from ocop_cycle.engine import Engine

__all__ = ["CycleScheduler", "SchedulerState", "SweepOutcome", "scheduler_problems", "sweep_job"]

log = get_logger("ocop_cycle.scheduler")

# Running schedulers by a key of their own (never by name: two schedulers may share one), for
# the job function: APScheduler is given only the key, a primitive.
_RUNNING: dict[str, CycleScheduler] = {}
_RUNNING_LOCK = threading.Lock()

SWEEP_JOB = "ocop-sweep"


@dataclass(frozen=True, slots=True)
class SweepOutcome:
    """What one wake-up did: how many deadlines it settled, how many it set aside as failed
    (``Sweeper.failed``), or why it could not sweep."""

    applied: int
    error: str | None = None
    stopped: bool = False
    failed: int = 0


def sweep_job(key: str) -> int:
    """The scheduled job: one sweep by the running scheduler ``key``; returns how many it
    settled (0 once that scheduler has stopped)."""
    with _RUNNING_LOCK:
        scheduler = _RUNNING.get(key)
    if scheduler is None:
        return 0
    return scheduler.sweep_once().applied


class SchedulerState(StrEnum):
    """Where a CycleScheduler is in its lifecycle."""

    STOPPED = "stopped"
    RUNNING = "running"
    STOPPING = "stopping"


#: The longest wait between two sweeps (APScheduler's interval must fit its timers).
MAX_INTERVAL_S = A_DAY.total_seconds()


def scheduler_problems(interval: float, name: str) -> list[FieldProblem]:
    """What is wrong with a scheduler's interval (seconds: finite, above zero, at most a day)
    and name (an identifier: it names the scheduler's jobs and log lines)."""
    problems = []
    if not isinstance(interval, int | float) or not 0 < interval <= MAX_INTERVAL_S:
        # NaN fails both comparisons; infinity the second.
        problems.append(
            FieldProblem("interval", f"must be more than 0 and at most {MAX_INTERVAL_S:.0f} s")
        )
    if not isinstance(name, str) or not name.isidentifier():
        problems.append(
            FieldProblem("name", f"must be an identifier (letters, digits, _): {name!r}")
        )
    return problems


class CycleScheduler:
    """Runs the sweeps of one database: ``start()``, ``stop()``, ``wait()``; or
    ``run_forever()`` with graceful SIGTERM/SIGINT for a daemon.

    ``on_sweep`` is called after each wake-up with its ``SweepOutcome`` (for a host's metrics,
    or a test that waits for a sweep)."""

    def __init__(
        self,
        engine: Engine,
        *,
        interval: float = 60.0,
        name: str = "default",
        on_sweep: Callable[[SweepOutcome], None] | None = None,
    ) -> None:
        problems = scheduler_problems(interval, name)
        if problems:
            raise InvalidCommand("CycleScheduler", problems)
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
        self.on_sweep = on_sweep
        self.state = SchedulerState.STOPPED
        #: This scheduler's own key: its jobs' argument, distinct for schedulers named alike.
        self.key = f"{name}-{uuid4().hex}"
        self._stopped = threading.Event()
        self._stopped.set()
        self._stopping = threading.Event()
        self._scheduler: BackgroundScheduler | None = None

    @property
    def job_ids(self) -> list[str]:
        """The ids of the jobs registered now: the interval sweep and one per round deadline."""
        scheduler = self._scheduler
        return [] if scheduler is None else sorted(job.id for job in scheduler.get_jobs())

    def start(self) -> None:
        """Register the jobs and start waking the sweeps (the first one at once)."""
        if self.state is not SchedulerState.STOPPED:
            raise RuntimeError(f"scheduler is {self.state.value}")
        # Imported here so that importing ocop_cycle does not load APScheduler.
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": _closing_pool()},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=VN_TZ,
        )
        wall = SystemClock().now()
        scheduler.add_job(
            sweep_job,
            IntervalTrigger(seconds=self.interval, start_date=wall, timezone=VN_TZ),
            args=[self.key],
            id=SWEEP_JOB,
            name="sweep due deadlines",
            next_run_time=wall,  # catch up on downtime at once: one sweep applies it all
        )
        for round_id, wake_at in self._round_wakeups(wall):
            scheduler.add_job(
                sweep_job,
                "date",
                run_date=wake_at,
                args=[self.key],
                id=f"ocop-round-{round_id}",
                name="sweep at a round's scoring deadline",
            )
        with _RUNNING_LOCK:
            _RUNNING[self.key] = self
        self._scheduler = scheduler
        self._stopping.clear()
        self._stopped.clear()
        self.state = SchedulerState.RUNNING
        scheduler.start()
        log.info("scheduler.started", name=self.name, interval=self.interval)

    def _round_wakeups(self, wall: datetime) -> list[tuple[UUID, datetime]]:
        """Wall-clock wake-ups for the rounds' scoring deadlines still ahead of the engine's
        clock (the sweep at 00:00 after the deadline day applies them); none when the database
        cannot say (the interval sweeps still run, and warn)."""
        now = self.engine.clock.now()
        try:
            found = self._queries.round_deadlines(now.date())
        except StorageError as exc:
            log.warning("scheduler.rounds_unavailable", name=self.name, error=str(exc))
            return []
        wakeups = []
        for round_id, day in found:
            due = datetime.combine(day + timedelta(days=1), time(0, 0), VN_TZ)
            if due > now:
                wakeups.append((round_id, wall + (due - now)))
        return wakeups

    def sweep_once(self) -> SweepOutcome:
        """One sweep as of the engine's clock, stopping between deadlines when asked. A database
        that cannot be reached is one warning, no traceback: the next wake-up tries again."""
        now = self.engine.clock.now()
        try:
            report = Sweeper(self.engine).sweep(now=now, stop=self._stopping.is_set)
            outcome = SweepOutcome(
                report.count, stopped=self._stopping.is_set(), failed=len(report.failed)
            )
        except StorageError as exc:
            log.warning(
                "scheduler.sweep_failed",
                name=self.name,
                error=str(exc),
                retry_in_s=self.interval,
            )
            outcome = SweepOutcome(0, error=str(exc))
        if self.on_sweep is not None:
            self.on_sweep(outcome)
        return outcome

    def stop(self, *, wait: bool = True) -> None:
        """Stop waking sweeps; a running sweep stops after its current deadline (with ``wait``,
        this returns when it has)."""
        if self.state is not SchedulerState.RUNNING or self._scheduler is None:
            return
        self.state = SchedulerState.STOPPING
        self._stopping.set()
        scheduler = self._scheduler
        scheduler.pause()  # no new wake-up is processed from here
        scheduler.shutdown(wait=wait)
        self._scheduler = None
        with _RUNNING_LOCK:
            _RUNNING.pop(self.key, None)
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
                log.info(
                    "scheduler.signal", name=self.name, signal=signal.Signals(requested[0]).name
                )
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            self.stop()


def _closing_pool() -> Any:
    """A one-thread APScheduler executor that, once shut down, drops a wake-up quietly.

    Why: ``shutdown(wait=True)`` waits for the running sweep while holding the scheduler's job
    store lock; the scheduler's thread, blocked on that lock, then hands the next due wake-up
    to the closed pool, and APScheduler logs "cannot schedule new futures after shutdown" with a
    traceback. A stopping scheduler wants no more sweeps, so the wake-up is simply dropped.
    """
    from apscheduler.executors.pool import ThreadPoolExecutor

    class ClosingThreadPool(ThreadPoolExecutor):  # type: ignore[misc]
        closing = False

        def shutdown(self, wait: bool = True) -> None:
            self.closing = True
            super().shutdown(wait)

        def _do_submit_job(self, job: Any, run_times: Any) -> None:
            if self.closing:
                return
            try:
                super()._do_submit_job(job, run_times)
            except RuntimeError:
                if not self.closing:
                    raise

    return ClosingThreadPool(1)
