"""The deadline queue and the outbox, edited behind the engine's back: the sweep acts on the
queue and hosts deliver the outbox, so each edit changes what happens. ``Auditor.verify``
replans what the events planned and owed and reports every difference where it is."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from ocop_cycle import VN_TZ, Dossier, Engine, SettableClock, Sweeper
from ocop_cycle._storage.schema import deadlines, dossiers, events, outbox
from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.audit.verify import VerifyReport
from tests.scenario import Walk, problems, tamper


@pytest.fixture
def certified(engine: Engine, clock: SettableClock) -> Dossier:
    """A certified dossier (its renewal notices and expiry pending) and one just registered;
    every chain, the queue and the outbox verify."""
    walk = Walk(engine, clock)
    made = walk.certified(name="Sản phẩm có hạn")
    walk.register("Sản phẩm mới")
    assert Auditor(engine).verify().intact
    return made


def where(report: VerifyReport) -> list[tuple[Any, int | None, str]]:
    return [(b.dossier_id, b.seq, b.problem) for b in report.breaks]


def expiry_of(dossier: Dossier) -> Any:
    return (deadlines.c.dossier_id == dossier.id) & (deadlines.c.kind == "expiry")


def stored_expiry(engine: Engine, dossier: Dossier) -> dict[str, Any]:
    with engine.sa_engine.connect() as conn:
        return dict(conn.execute(select(deadlines).where(expiry_of(dossier))).mappings().one())


# -- a deadline altered ----------------------------------------------------------------------

ALTERATIONS = {
    "due_at_postponed": lambda row: {"due_at": row["due_at"] + timedelta(days=3650)},
    "kind_changed": lambda row: {"kind": "renewal_notice"},
    "detail_changed": lambda row: {"detail": {"valid_until": "2099-12-31"}},
    "round_set": lambda row: {"round_id": uuid4()},
    "detail_key_added": lambda row: {"detail": {**row["detail"], "extra": 1}},
}


@pytest.mark.parametrize("alter", ALTERATIONS.values(), ids=ALTERATIONS.keys())
def test_a_deadline_altered_in_place_is_reported_where_its_event_planned_it(
    engine: Engine, certified: Dossier, alter: Any
) -> None:
    """An expiry moved ten years on, turned into another kind, given another detail (the sweep
    then finds it moot) or a round: the key is untouched, so only a comparison with what the
    event planned finds it, named at the event that planned it."""
    row = stored_expiry(engine, certified)
    tamper(engine, update(deadlines).where(expiry_of(certified)).values(**alter(row)))
    report = Auditor(engine).verify()
    assert where(report) == [(certified.id, certified.version, "deadline_altered")]
    assert "planned it" in report.breaks[0].detail
    if "due_at" in alter(row):
        moved = alter(row)["due_at"]
        assert f"due_at (now {moved:%d/%m/%Y %H:%M})" in report.breaks[0].detail
    assert where(Auditor(engine).verify(certified.id)) == where(report)


def test_a_deadline_detail_whose_integer_became_a_float_is_altered(
    engine: Engine, certified: Dossier
) -> None:
    """A renewal notice's offset in days stored as a float (30.0 for 30): equal in Python, not
    as the write path wrote it."""
    notices = (deadlines.c.dossier_id == certified.id) & (deadlines.c.kind == "renewal_notice")
    with engine.sa_engine.connect() as conn:
        row = conn.execute(select(deadlines.c.id, deadlines.c.detail).where(notices)).first()
    assert row is not None
    detail = {**row.detail, "offset_days": float(row.detail["offset_days"])}
    tamper(engine, update(deadlines).where(deadlines.c.id == row.id).values(detail=detail))
    assert where(Auditor(engine).verify()) == [
        (certified.id, certified.version, "deadline_altered")
    ]


# -- a deadline settled before it was due ------------------------------------------------------


def settle(engine: Engine, dossier: Dossier, status: str, applied_at: Any) -> None:
    tamper(
        engine,
        update(deadlines)
        .where(expiry_of(dossier))
        .values(status=status, applied_at=applied_at, outcome="x"),
    )


@pytest.mark.parametrize("status", ["done", "skipped", "failed"])
def test_a_deadline_settled_at_its_due_time_before_the_store_reached_it_is_early(
    engine: Engine, certified: Dossier, status: str
) -> None:
    """An expiry years ahead marked settled at its own due time looks on time, yet no clock
    that drove the store has reached that time: no sweep could have settled it."""
    settle(engine, certified, status, deadlines.c.due_at)
    report = Auditor(engine).verify()
    assert where(report) == [(certified.id, certified.version, "deadline_settled_early")]
    assert "later than any time the store has seen" in report.breaks[0].detail


def test_a_deadline_settled_once_a_clock_reached_it_is_not_early(
    engine: Engine, clock: SettableClock, certified: Dossier
) -> None:
    """Settled at its due time, and the store's simulated clock, or the auditor's own, has
    since passed it: a sweep could have settled it then (moot, with no event to show)."""
    due = stored_expiry(engine, certified)["due_at"]
    settle(engine, certified, "skipped", deadlines.c.due_at)
    assert not Auditor(engine).verify().intact
    engine.record_simulated_until(due)
    assert Auditor(engine).verify().intact


def test_a_deadline_settled_before_the_auditors_clock_reached_it_is_early(
    engine: Engine, clock: SettableClock, certified: Dossier
) -> None:
    due = stored_expiry(engine, certified)["due_at"]
    settle(engine, certified, "skipped", deadlines.c.due_at)
    clock.set(due - timedelta(seconds=1))
    assert not Auditor(engine).verify().intact
    clock.set(due)
    assert Auditor(engine).verify().intact


def test_settled_times_are_compared_as_instants_not_as_sqlite_text(
    db_url: str, engine: Engine, clock: SettableClock, certified: Dossier
) -> None:
    """SQLite keeps times as text: '…T16:00:00' sorts after '… 17:00:00.000000' though it is
    an hour earlier. An expiry settled an hour before it was due, spelled so, is early."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL keeps times as times")
    due = stored_expiry(engine, certified)["due_at"]
    clock.set(due + timedelta(days=1))  # the clock has passed it: only the spelling hides it
    tamper(
        engine,
        text(
            "UPDATE ocop_deadlines SET status = 'done', outcome = 'x', "
            "applied_at = replace(substr(datetime(due_at, '-1 hour'), 1, 19), ' ', 'T') "
            f"WHERE dossier_id = '{certified.id.hex}' AND kind = 'expiry'"
        ),
    )
    report = Auditor(engine).verify()
    assert where(report) == [(certified.id, certified.version, "deadline_settled_early")]
    assert "only once it is due" in report.breaks[0].detail


# -- rows no event planned or owed ------------------------------------------------------------


def test_a_deadline_planted_in_the_queue_is_reported(
    engine: Engine, clock: SettableClock, certified: Dossier
) -> None:
    """A row no event planned (an inspection due next month, for a certificate) would make the
    sweep write a genuine event when it falls due: it is reported before it does, and after."""
    row = stored_expiry(engine, certified)
    due = clock.now() + timedelta(days=30)
    planted = {
        **{k: v for k, v in row.items() if k != "id"},
        "key": f"inspection_due|{certified.id}|{due.isoformat()}|",
        "kind": "inspection_due",
        "due_at": due,
        "detail": {"since": clock.now().date().isoformat()},
    }
    tamper(engine, insert(deadlines).values(planted))
    report = Auditor(engine).verify()
    assert where(report) == [(certified.id, None, "deadline_unplanned")]
    assert "inspection_due due" in report.breaks[0].detail
    Sweeper(engine).sweep(now=due + timedelta(days=1))
    assert where(Auditor(engine).verify()) == [(certified.id, None, "deadline_unplanned")]


def test_deadlines_and_notices_of_a_dossier_with_no_events_are_reported(
    engine: Engine, certified: Dossier
) -> None:
    """A dossier's events and projection deleted, its queue and outbox rows left: nothing else
    names it, and its expiry would still be swept, its notices still delivered."""
    with engine.sa_engine.connect() as conn:
        queued = conn.execute(
            select(func.count()).where(deadlines.c.dossier_id == certified.id)
        ).scalar_one()
        owed = conn.execute(
            select(func.count()).where(outbox.c.dossier_id == certified.id)
        ).scalar_one()
    assert queued > 0
    assert owed > 0
    tamper(
        engine,
        delete(events).where(events.c.dossier_id == certified.id),
        delete(dossiers).where(dossiers.c.id == certified.id),
    )
    report = Auditor(engine).verify()
    assert sorted(problems(report)) == ["deadline_unplanned"] * queued + ["notice_unowed"] * owed
    assert {b.dossier_id for b in report.breaks} == {certified.id}
    alone = Auditor(engine).verify(certified.id)  # asked by its id, it is unknown as well
    assert where(alone) == [*where(report), (certified.id, None, "dossier_unknown")]


def test_a_notice_planted_for_a_dossier_that_never_existed_is_reported(
    engine: Engine, certified: Dossier
) -> None:
    unknown = uuid4()
    tamper(
        engine,
        insert(outbox).values(
            notification_id=uuid4(),
            dossier_id=unknown,
            seq=1,
            kind="certified",
            recipient_role="producer",
            recipient_jurisdiction=certified.commune_code,
            message_vi="Sản phẩm được công nhận 5 sao.",
            data={},
            created_at=datetime(2024, 4, 1, 9, tzinfo=VN_TZ),
        ),
    )
    assert where(Auditor(engine).verify()) == [(unknown, 1, "notice_unowed")]
