"""A deadline whose application fails unexpectedly is set aside, never a block on the queue.

Before, such a deadline (a row whose detail no rule foresaw, a defect) stayed first in due
order: every sweep claimed it, failed, and rolled back, so no later deadline of any dossier was
ever applied again. Now it is settled ``failed`` with its error, its effects undone, and the
sweep goes on; an operator lists it and puts it back once the cause is fixed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select, update

from ocop_cycle import DossierState, Engine, InvalidCommand, Role, SettableClock, StorageError
from ocop_cycle._storage.schema import deadlines, events
from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.cli import main
from ocop_cycle.clock import VN_TZ
from ocop_cycle.jobs.simulation import run_until
from ocop_cycle.jobs.sweep import Sweeper
from tests import race_workers
from tests.helpers_jobs import import_certificates
from tests.scenario import Walk, at

S = DossierState


def returned_twice(engine: Engine, clock: SettableClock) -> tuple[UUID, UUID]:
    """Two dossiers returned for supplement, the first due 10/03/2023, the second 12/03/2023."""
    walk = Walk(engine, clock)
    officer = walk.actor(Role.COMMUNE_OFFICER)
    first, second = walk.register("Trứng gà núi Hương Sơn"), walk.register("Mật ong Sơn Động")
    for d, day in ((first, 10), (second, 12)):
        engine.return_for_supplement(
            d.id, actor=officer, guidance="Bổ sung", due_on=date(2023, 3, day)
        )
    return first.id, second.id


def poison(engine: Engine, dossier_id: UUID, kind: str) -> int:
    """Empty the detail of a dossier's deadline of ``kind`` (as a hand edit or a faulty
    migration would): applying it then fails on a missing key. Returns its id."""
    with engine.sa_engine.begin() as conn:
        (found,) = conn.execute(
            select(deadlines.c.id)
            .where(deadlines.c.dossier_id == dossier_id, deadlines.c.kind == kind)
            .order_by(deadlines.c.due_at)
            .limit(1)
        ).scalars()
        conn.execute(update(deadlines).where(deadlines.c.id == found).values(detail={}))
    return int(found)


def event_count(engine: Engine, dossier_id: UUID) -> int:
    with engine.sa_engine.connect() as conn:
        stmt = select(func.count()).where(events.c.dossier_id == dossier_id)
        return int(conn.execute(stmt).scalar_one())


def test_a_failing_deadline_is_set_aside_and_later_ones_apply(
    engine: Engine, clock: SettableClock
) -> None:
    first, second = returned_twice(engine, clock)
    bad = poison(engine, first, "supplement_due")
    before = event_count(engine, first)
    clock.set(at(2023, 3, 20, 9))

    report = Sweeper(engine).sweep()

    assert [(a.dossier_id, a.outcome) for a in report.applied] == [
        (second, "withdraw -> withdrawn")
    ]
    assert [(a.deadline_id, a.status) for a in report.failed] == [(bad, "failed")]
    assert report.failed[0].outcome.startswith("failed: KeyError")
    # Nothing the failed application did is kept.
    assert engine.get(first).state is S.RETURNED
    assert event_count(engine, first) == before
    (listed,) = Sweeper(engine).failed()
    assert (listed.id, listed.status) == (bad, "failed")
    assert "KeyError" in str(listed.outcome)
    assert Sweeper(engine).pending(due_before=at(2023, 3, 20, 9)) == []


def test_a_failed_deadline_is_not_tried_again_by_later_sweeps(
    engine: Engine, clock: SettableClock
) -> None:
    first, _ = returned_twice(engine, clock)
    poison(engine, first, "supplement_due")
    clock.set(at(2023, 3, 20, 9))
    Sweeper(engine).sweep()

    again = Sweeper(engine).sweep()

    assert (again.count, again.failed, again.conflicts) == (0, [], 0)


def test_a_failed_deadline_put_back_applies_late_in_due_order(
    engine: Engine, clock: SettableClock
) -> None:
    first, _ = returned_twice(engine, clock)
    with engine.sa_engine.connect() as conn:
        planned = conn.execute(
            select(deadlines.c.detail).where(
                deadlines.c.dossier_id == first, deadlines.c.kind == "supplement_due"
            )
        ).scalar_one()
    bad = poison(engine, first, "supplement_due")
    clock.set(at(2023, 3, 20, 9))
    Sweeper(engine).sweep()
    assert "deadline_altered" in {b.problem for b in Auditor(engine).verify().breaks}
    # The operator repairs the row: its detail back as the event planned it (the audit holds
    # the row to that plan).
    with engine.sa_engine.begin() as conn:
        conn.execute(update(deadlines).where(deadlines.c.id == bad).values(detail=planned))

    assert Sweeper(engine).retry([bad, bad]) == [bad]
    assert Sweeper(engine).retry([bad]) == []  # pending now: not a failed deadline
    report = Sweeper(engine).sweep()

    assert [(a.deadline_id, a.outcome) for a in report.applied] == [(bad, "withdraw -> withdrawn")]
    assert report.applied[0].lateness == at(2023, 3, 20, 9) - at(2023, 3, 11, 0)
    assert engine.get(first).state is S.WITHDRAWN
    assert Sweeper(engine).failed() == []
    assert Auditor(engine).verify().intact


def test_a_database_failure_leaves_the_deadline_pending(
    engine: Engine, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database's own failure may pass (a restart, a lock): the next sweep retries it."""
    first, second = returned_twice(engine, clock)
    clock.set(at(2023, 3, 20, 9))

    def unreachable(*_args: Any) -> str:
        raise StorageError("database error: server closed the connection unexpectedly")

    monkeypatch.setattr(Sweeper, "_apply", unreachable)
    with pytest.raises(StorageError):
        Sweeper(engine).sweep()
    monkeypatch.undo()

    assert Sweeper(engine).failed() == []
    assert [d.dossier_id for d in Sweeper(engine).pending()][:2] == [first, second]


def test_operators_see_failures_and_put_them_back(
    engine: Engine, clock: SettableClock, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = returned_twice(engine, clock)
    bad = poison(engine, first, "supplement_due")

    status = main(
        [
            "--db",
            db_url,
            "scheduler",
            "run",
            "--simulated",
            "--from",
            "2023-03-01",
            "--until",
            "2023-03-20",
        ]
    )
    out, err = capsys.readouterr()
    assert status == 1
    assert "1 deadlines settled" in out
    assert f"deadline {bad} (supplement_due, dossier {first}) failed: KeyError" in err

    assert main(["--db", db_url, "deadlines", "--failed", "--format", "json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert f'"id":{bad}' in line
    assert "KeyError" in line

    assert main(["--db", db_url, "scheduler", "retry", str(bad), "999999"]) == 1
    out, err = capsys.readouterr()
    assert "1 deadlines back in the queue" in out
    assert "999999" in err
    assert main(["--db", db_url, "deadlines", "--failed"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 failed"


@pytest.mark.slow
def test_three_sweepers_set_each_failing_deadline_aside_once(
    engine: Engine, clock: SettableClock, db_url: str
) -> None:
    """3 sweepers, 30 certificates whose 4 deadlines are all due, 5 with their first reminder
    broken: each broken one failed once, by one sweeper, holding back its dossier's later
    deadlines; every other dossier's effects once, in order."""
    from tests.test_exactly_once import in_processes

    ids = list(import_certificates(engine, 30, date(2020, 3, 10), "bad", threads=4))
    assert all(isinstance(i, UUID) for i in ids)
    broken = {poison(engine, i, "renewal_notice") for i in ids[:5]}  # type: ignore[arg-type]
    now = datetime(2023, 3, 20, 9, tzinfo=VN_TZ)

    results = in_processes(race_workers.sweep, [(db_url, now.isoformat())] * 3)

    assert sum(r[3] for r in results) == len(broken)
    assert sum(r[1] for r in results) == 4 * (len(ids) - len(broken))
    with engine.sa_engine.connect() as conn:
        statuses = dict(
            conn.execute(
                select(deadlines.c.id, deadlines.c.status).where(deadlines.c.status != "done")
            ).all()
        )
        count = conn.execute(select(func.count()).select_from(events)).scalar_one()
    assert {i for i, status in statuses.items() if status == "failed"} == broken
    assert sorted(statuses.values()).count("pending") == 3 * len(broken)
    assert count == 5 * len(ids) - 4 * len(broken)
    states = [engine.get(i).state for i in ids]  # type: ignore[arg-type]
    assert states == [S.CERTIFIED] * len(broken) + [S.EXPIRED] * (len(ids) - len(broken))
    # The poisoned details are what the audit finds, and nothing else.
    found = {(b.dossier_id, b.problem) for b in Auditor(engine).verify().breaks}
    assert found == {(i, "deadline_altered") for i in ids[:5]}


def test_a_failed_deadline_holds_back_its_dossiers_later_ones(
    engine: Engine, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statutory renewal notice fails once: the expiry after it waits for it, and once put
    back both apply in due order (the notice is never found moot behind the expiry)."""
    (certificate,) = import_certificates(engine, 1, date(2020, 3, 10), "held")
    assert isinstance(certificate, UUID)
    failing = Sweeper._command_for

    def statutory_notice_fails(self: Sweeper, tx: Any, row: Any, d: Any, now: Any) -> Any:
        if row["kind"] == "renewal_notice" and row["detail"].get("statutory"):
            raise RuntimeError("a defect met once")
        return failing(self, tx, row, d, now)

    monkeypatch.setattr(Sweeper, "_command_for", statutory_notice_fails)
    first = Sweeper(engine).sweep(now=at(2023, 3, 20, 9))
    monkeypatch.undo()
    assert [a.kind for a in first.applied] == ["renewal_notice", "renewal_notice"]
    assert [a.kind for a in first.failed] == ["renewal_notice"]
    assert Sweeper(engine).next_due_at() is None  # the expiry waits: nothing a sweep would do
    assert engine.get(certificate).state is S.CERTIFIED

    Sweeper(engine).retry([a.deadline_id for a in first.failed])
    second = Sweeper(engine).sweep(now=at(2023, 3, 21, 9))

    assert [(a.kind, a.outcome) for a in second.applied] == [
        ("renewal_notice", "mark_renewal_due -> renewal_due"),
        ("expiry", "expire -> expired"),
    ]
    assert [e.type for e in engine.history(certificate)][-2:] == ["renewal_due_marked", "expired"]


def test_a_held_back_dossier_does_not_stall_a_simulated_run(
    engine: Engine, clock: SettableClock
) -> None:
    """A simulation moves on past a dossier whose later deadlines wait for a failed one (its
    next due time would otherwise never move, and the run never end)."""
    held, other = import_certificates(engine, 2, date(2020, 3, 10), "sim")
    assert isinstance(held, UUID)
    assert isinstance(other, UUID)
    bad = poison(engine, held, "renewal_notice")

    settled = run_until(engine, at(2023, 12, 31, 0))

    assert [(a.deadline_id, a.status) for a in settled if a.dossier_id == held] == [(bad, "failed")]
    assert [a.status for a in settled if a.dossier_id == other] == ["done"] * 4
    assert len([d for d in Sweeper(engine).pending() if d.dossier_id == held]) == 3


def test_a_sweep_after_the_failure_still_reaches_what_falls_due_later(
    engine: Engine, clock: SettableClock
) -> None:
    """The failure is settled at once, so the live scheduler's next wake-up starts past it."""
    first, second = returned_twice(engine, clock)
    poison(engine, first, "supplement_due")
    clock.set(at(2023, 3, 11, 9))
    early = Sweeper(engine).sweep()
    clock.advance(timedelta(days=2))

    later = Sweeper(engine).sweep()

    assert (early.count, len(early.failed)) == (0, 1)
    assert [a.dossier_id for a in later.applied] == [second]


class _UtcClock:
    """A host's clock that answers in UTC (the ``Clock`` protocol allows any aware time)."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


@pytest.mark.parametrize("given", ["now=", "host clock"])
def test_an_expiry_swept_at_night_in_utc_expires_the_certificate(
    engine: Engine, db_url: str, given: str
) -> None:
    """17:30 UTC on 01/06/2025 is 00:30 on 02/06 in Vietnam, when a certificate valid until
    01/06/2025 expires: read as UTC's 1 June, the expiry would be judged early, settled as moot
    and never tried again."""
    (certificate,) = import_certificates(engine, 1, date(2022, 6, 1), "utc")
    assert isinstance(certificate, UUID)
    Sweeper(engine).sweep(now=at(2025, 6, 1, 23))  # the notices before it
    night = datetime(2025, 6, 1, 17, 30, tzinfo=UTC)
    if given == "now=":
        report = Sweeper(engine).sweep(now=night)
    else:
        with Engine.open(db_url, clock=_UtcClock(night)) as host:
            assert host.clock.now() == night
            assert host.clock.now().tzinfo is not None
            assert host.clock.now().date() == date(2025, 6, 2)
            report = Sweeper(host).sweep()

    assert [(a.kind, a.outcome) for a in report.applied] == [("expiry", "expire -> expired")]
    assert engine.get(certificate).state is S.EXPIRED


def test_a_sweep_as_of_a_naive_time_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidCommand, match="now"):
        Sweeper(engine).sweep(now=datetime(2025, 6, 2))


def test_a_simulation_from_before_the_stores_last_event_starts_there(
    engine: Engine, db_url: str
) -> None:
    """`scheduler run --simulated --from 2020-01-01` on a store whose certificate was recorded
    on 01/03/2023: what it applies is recorded from then on, never before (a log whose
    recording times run backwards would contradict "known at" queries)."""
    (certificate,) = import_certificates(engine, 1, date(2020, 3, 10), "back")
    assert isinstance(certificate, UUID)
    recorded = engine.history(certificate)[0].recorded_at

    with Engine.open(db_url, clock=SettableClock(at(2020, 1, 1))) as simulated:
        settled = run_until(simulated, at(2023, 12, 31))

    times = [e.recorded_at for e in engine.history(certificate)]
    assert len(settled) == 4
    assert times == sorted(times)
    assert times[1] == recorded  # the overdue notices, applied late, as of the import


def test_a_host_clock_keeps_its_own_methods_through_the_engine(db_url: str) -> None:
    class HostClock(_UtcClock):
        def advance(self, delta: timedelta) -> None:
            self.instant += delta

    host = HostClock(datetime(2025, 6, 1, 17, 30, tzinfo=UTC))
    with Engine.open(db_url, clock=host) as engine:
        engine.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        assert engine.clock.now() == datetime(2025, 6, 1, 18, 30, tzinfo=UTC)
        assert engine.clock.clock is host  # type: ignore[attr-defined]


def test_a_simulation_ending_before_the_stores_last_event_is_refused(
    engine: Engine, db_url: str
) -> None:
    """Its deadlines would be applied after ``until`` (the clock cannot go back to it):
    refused naming ``until``, nothing written."""
    import_certificates(engine, 1, date(2020, 3, 10), "early")
    before = event_count_all(engine)
    with (
        Engine.open(db_url, clock=SettableClock(at(2020, 1, 1))) as simulated,
        pytest.raises(InvalidCommand) as caught,
    ):
        run_until(simulated, at(2022, 12, 31))
    assert caught.value.fields == ("until",)
    assert event_count_all(engine) == before


def event_count_all(engine: Engine) -> int:
    with engine.sa_engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


def test_a_simulation_until_a_date_applies_what_falls_due_that_day(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A certificate valid to 01/06/2023 (imported 01/03/2023): its 60-day notice falls due on
    02/04/2023 at 08:00. `--until 2023-04-02` applies it; the day before does not."""
    (certificate,) = import_certificates(engine, 1, date(2020, 6, 1), "until")
    assert isinstance(certificate, UUID)
    run = ["--db", db_url, "scheduler", "run", "--simulated", "--from", "2023-03-01"]
    assert main([*run, "--until", "2023-04-01"]) == 0
    reminders = [e.type for e in engine.history(certificate)].count("reminder_sent")
    assert main([*run, "--until", "2023-04-02"]) == 0
    capsys.readouterr()
    assert [e.type for e in engine.history(certificate)].count("reminder_sent") == reminders + 1
