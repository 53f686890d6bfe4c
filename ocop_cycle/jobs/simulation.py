"""Simulated time: advance a settable clock through what falls due, in order, without sleeping.

For tests and demos: each pending deadline is applied at its own due time (as a live scheduler
would have), so what happens matches production, only faster.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from ocop_cycle.clock import SettableClock, to_vn
from ocop_cycle.errors import FieldProblem, InvalidCommand
from ocop_cycle.jobs.sweep import Applied, Sweeper

if TYPE_CHECKING:
    from ocop_cycle.engine import Engine

__all__ = ["run_until"]


def run_until(
    engine: Engine,
    until: datetime,
    *,
    on_applied: Callable[[Applied], None] | None = None,
) -> list[Applied]:
    """Move the engine's ``SettableClock`` to ``until``, applying each deadline when it falls due.

    Deadlines planned along the way (a carried-over round, the next inspection) are applied too
    when they fall due before ``until``. The clock never starts behind the last event the store
    recorded: a simulation from an earlier instant starts there instead, and one that would end
    before it is refused (``InvalidCommand``, field ``until``). A deadline whose
    application fails is set aside (``failed``, see ``Sweeper.retry``), told to ``on_applied``
    and returned like the others (its ``status`` says so): the rest go on.
    """
    clock = engine.clock
    if not isinstance(clock, SettableClock):
        raise InvalidCommand(
            "run_until",
            [FieldProblem("engine", "a simulation needs an engine opened with a SettableClock")],
        )
    if not isinstance(until, datetime) or until.utcoffset() is None:
        raise InvalidCommand(
            "run_until",
            [FieldProblem("until", f"must be an aware datetime (with its zone), not {until!r}")],
        )
    until = to_vn(until)
    sweeper = Sweeper(engine)
    # A store already written past the clock (a live store, or another simulation ahead of this
    # one): start where it stands. Events recorded before ones already in the log would give
    # the log a history that runs backwards ("known at" queries would contradict it).
    written = sweeper.last_recorded_at()
    if written is not None and written > clock.now():
        if written > until:
            raise InvalidCommand(
                "run_until",
                [
                    FieldProblem(
                        "until",
                        f"{until:%d/%m/%Y %H:%M} is before the store's last recorded event "
                        f"({written:%d/%m/%Y %H:%M}): a simulation records nothing before it",
                    )
                ],
            )
        clock.set(written)
    applied: list[Applied] = []
    while True:
        due = sweeper.next_due_at()
        if due is None or due > until:
            break
        if due > clock.now():
            clock.set(due)
        # Another simulation may have written ahead meanwhile: catch up with it, as at start
        # (the sweep also records each dossier's events no earlier than its last one).
        written = sweeper.last_recorded_at()
        if written is not None and written > clock.now():
            if written > until:
                break  # the store stands past this simulation's end: nothing left for it
            clock.set(written)
        # Other sweepers may be at work on the same database: what they apply is simply not in
        # this report. A sweep ends only when nothing is due, so the loop always moves on.
        report = sweeper.sweep()
        for item in sorted([*report.applied, *report.failed], key=_order):
            applied.append(item)
            if on_applied is not None:
                on_applied(item)
    if until > clock.now():
        clock.set(until)
    # The store now stands at a simulated instant: reports on it are as of there, not today.
    engine.record_simulated_until(clock.now())
    return applied


def _order(item: Applied) -> tuple[datetime, int]:
    return item.due_at, item.deadline_id
