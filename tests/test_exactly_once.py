"""Exactly once under concurrency, with real OS processes on SQLite and PostgreSQL.

Every test starts its racers together at a barrier; none sleeps. What each must show is
counted in the database afterwards, not inferred from timings.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter
from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, make_url, select

from ocop_cycle import Engine, InvalidTransition, PermissionDenied, Role, SettableClock
from ocop_cycle._storage.database import create_database_engine
from ocop_cycle._storage.schema import deadlines, dossiers, events
from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.clock import VN_TZ
from ocop_cycle.testing import Place
from tests import race_workers
from tests.conftest import truncate_postgres
from tests.helpers_jobs import import_certificates
from tests.scenario import LANG_GIANG, Walk, at, snapshot

RACERS = 8
OTHER_COMMUNE = Place(commune="07375", district="217", province="24")
pytestmark = pytest.mark.slow


#: The modules every racer runs from, imported once by the fork server: each racer is then a
#: fresh fork of that clean process (no engine, no connection of the test's), started in
#: milliseconds rather than the second a spawned interpreter takes to import the library.
_RACER_MODULES = [
    "tests.race_workers",
    "tests.outbox_workers",
    "tests.migration_workers",
    "tests.plan_race_workers",
]


def in_processes(target: Any, args: list[tuple[Any, ...]], method: str = "forkserver") -> list[Any]:
    """Run ``target(*a, barrier, queue)`` for each ``a`` in its own process (started by
    ``method``: "fork" children inherit the parent's objects), released together at a barrier;
    return what each put on the queue."""
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(_RACER_MODULES)  # read when the server first starts
    barrier = ctx.Barrier(len(args))
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, barrier, out)) for a in args]
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert [r for r in results if r[0] == "crashed"] == []
    return results


def race(url: str, now: datetime, specs: list[dict[str, Any]]) -> list[race_workers.Outcome]:
    """Run one command per spec, each in its own process, all released at once."""
    return in_processes(race_workers.command, [(url, now.isoformat(), spec) for spec in specs])


def spec(op: str, role: Role, place: Place = LANG_GIANG, **fields: Any) -> dict[str, Any]:
    return {"op": op, "role": role.value, "place": asdict(place), **fields}


def certificate(engine: Engine) -> UUID:
    """A certificate imported from 2022, valid while the test runs (clock: March 2023)."""
    (found,) = import_certificates(engine, 1, date(2022, 6, 1), "race")
    assert isinstance(found, UUID)
    return found


def successors(engine: Engine, predecessor: UUID) -> int:
    with engine.sa_engine.connect() as conn:
        stmt = select(func.count()).where(dossiers.c.predecessor_id == predecessor)
        return int(conn.execute(stmt).scalar_one())


def test_eight_processes_open_one_reevaluation(
    engine: Engine, clock: SettableClock, db_url: str
) -> None:
    """8 processes open a re-evaluation of one certificate at once: exactly one is opened."""
    old = certificate(engine)
    racers = [spec("reevaluate", Role.COMMUNE_OFFICER, predecessor=str(old)) for _ in range(RACERS)]
    results = race(db_url, clock.now(), racers)
    assert Counter(r[0] for r in results) == {"ok": 1, "refused": RACERS - 1}
    assert {r[1] for r in results if r[0] == "refused"} == {"GuardRefused"}
    assert successors(engine, old) == 1


def test_eight_processes_register_one_product_once(
    engine: Engine, clock: SettableClock, db_url: str
) -> None:
    """8 processes register the same product at once, without keys: exactly one dossier is
    opened, every other racer is refused with ``product.already_open``."""
    racers = [spec("register", Role.COMMUNE_OFFICER, name="Trứng gà đồi") for _ in range(RACERS)]
    results = race(db_url, clock.now(), racers)
    assert Counter(r[0] for r in results) == {"ok": 1, "refused": RACERS - 1}
    assert {r[1] for r in results if r[0] == "refused"} == {"GuardRefused"}
    with engine.sa_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(dossiers)).scalar_one() == 1


@pytest.mark.parametrize("op", ["reevaluate", "return"])
def test_same_key_same_command_one_result_for_all(
    engine: Engine, clock: SettableClock, db_url: str, op: str
) -> None:
    """The same key and command from 8 processes: all get the same dossier and version."""
    if op == "reevaluate":
        target = certificate(engine)
        command = spec(op, Role.COMMUNE_OFFICER, predecessor=str(target), key="k-reeval")
    else:
        target = Walk(engine, clock).register().id
        command = spec(op, Role.COMMUNE_OFFICER, dossier=str(target), guidance="Bổ sung", key="k")
    before = snapshot(engine)
    results = race(db_url, clock.now(), [command] * RACERS)
    assert {r[0] for r in results} == {"ok"}
    assert len({(r[1], r[2]) for r in results}) == 1
    events_added = snapshot(engine)[0] - before[0]
    assert events_added == 1  # one registration, or one return: written once
    if op == "reevaluate":
        assert successors(engine, target) == 1
    else:
        assert engine.get(target).version == 2


@pytest.mark.parametrize("op", ["register", "return"])
def test_same_key_different_content_one_winner(
    engine: Engine, clock: SettableClock, db_url: str, op: str
) -> None:
    """Same key, different content: one winner, every other caller IdempotencyKeyReused."""
    if op == "register":
        racers = [
            spec(op, Role.COMMUNE_OFFICER, name=f"Trứng gà {i}", key="k-reg") for i in range(RACERS)
        ]
    else:
        target = Walk(engine, clock).register().id
        racers = [
            spec(op, Role.COMMUNE_OFFICER, dossier=str(target), guidance=f"Lần {i}", key="k-ret")
            for i in range(RACERS)
        ]
    before = snapshot(engine)
    results = race(db_url, clock.now(), racers)
    assert Counter(r[0] for r in results) == {"ok": 1, "refused": RACERS - 1}
    assert {r[1] for r in results if r[0] == "refused"} == {"IdempotencyKeyReused"}
    assert snapshot(engine)[0] - before[0] == 1


def test_key_replayed_by_another_jurisdiction_is_denied(
    engine: Engine, clock: SettableClock
) -> None:
    """A key replayed by an actor of another commune: PermissionDenied, nothing written."""
    walk = Walk(engine, clock)
    d = walk.register()
    ours = LANG_GIANG.actor(Role.COMMUNE_OFFICER)
    theirs = OTHER_COMMUNE.actor(Role.COMMUNE_OFFICER)
    first = engine.return_for_supplement(d.id, actor=ours, guidance="Bổ sung", idempotency_key="r")
    before = snapshot(engine)
    with pytest.raises(PermissionDenied):
        engine.return_for_supplement(d.id, actor=theirs, guidance="Bổ sung", idempotency_key="r")
    assert (
        engine.return_for_supplement(d.id, actor=ours, guidance="Bổ sung", idempotency_key="r")
        == first
    )
    assert snapshot(engine) == before


def test_creation_key_replayed_by_another_jurisdiction_is_denied(
    engine: Engine, clock: SettableClock
) -> None:
    """A registration's key replayed by another commune's officer: PermissionDenied."""
    walk = Walk(engine, clock)
    walk.register(idempotency_key="reg-1")
    before = snapshot(engine)
    with pytest.raises(PermissionDenied):
        engine.register(
            actor=OTHER_COMMUNE.actor(Role.COMMUNE_OFFICER),
            producer={"name": "Hợp tác xã Hồ Hồ Cao", "kind": "cooperative"},
            product={"name": "Trứng gà núi Hương Sơn", "group": "food", "product_set": "eggs"},
            commune_code="07426",
            district_code="217",
            province_code="24",
            idempotency_key="reg-1",
        )
    assert snapshot(engine) == before


def test_replay_of_a_forward_is_authorised_as_first_found(
    engine: Engine, clock: SettableClock
) -> None:
    """A replayed key is authorised against the dossier as the first call found it: the
    district office may repeat its forward even though the dossier now awaits the province."""
    walk = Walk(engine, clock)
    d = walk.entry_scored([90, 91, 92])
    office = walk.actor(Role.DISTRICT_OFFICE)
    first = engine.forward(d.id, actor=office, idempotency_key="fwd")
    assert engine.forward(d.id, actor=office, idempotency_key="fwd") == first


def test_three_sweepers_apply_each_dossiers_deadlines_in_due_order(
    engine: Engine, clock: SettableClock, db_url: str
) -> None:
    """3 sweepers over dossiers whose 4 deadlines are all due: every effect once, in due order
    (the statutory renewal notice is never overtaken by the expiry after it)."""
    ids = import_certificates(engine, 30, date(2020, 3, 10), "due", threads=4)
    # After a long downtime, every notice and the expiry of each certificate are due at once.
    now = datetime(2023, 3, 20, 9, tzinfo=VN_TZ)
    results = in_processes(race_workers.sweep, [(db_url, now.isoformat())] * 3)
    assert sum(r[1] for r in results) == 4 * len(ids)
    with engine.sa_engine.connect() as conn:
        rows = conn.execute(
            select(deadlines.c.dossier_id, deadlines.c.status, deadlines.c.kind)
        ).all()
        kinds = conn.execute(
            select(events.c.dossier_id, events.c.type).order_by(events.c.dossier_id, events.c.seq)
        ).all()
    assert {r.status for r in rows} == {"done"}
    timeline: dict[UUID, list[str]] = {}
    for dossier_id, type_ in kinds:
        timeline.setdefault(dossier_id, []).append(type_)
    expected = [
        "certificate_imported",
        "reminder_sent",
        "reminder_sent",
        "renewal_due_marked",
        "expired",
    ]
    assert {tuple(t) for t in timeline.values()} == {tuple(expected)}
    assert Auditor(engine).verify().intact


def test_three_simulated_runs_side_by_side(
    engine: Engine, clock: SettableClock, db_url: str
) -> None:
    """3 `scheduler run --simulated` on one database: all exit 0, every effect once."""
    import subprocess
    import sys

    ids = import_certificates(engine, 20, date(2020, 3, 10), "sim", threads=4)
    cmd = [
        sys.executable,
        "-m",
        "ocop_cycle.cli",
        "--db",
        db_url,
        "scheduler",
        "run",
        "--simulated",
        "--from",
        "2023-03-01",
        "--until",
        "2023-12-31",
    ]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    with engine.sa_engine.connect() as conn:
        statuses = Counter(s for (s,) in conn.execute(select(deadlines.c.status)))
        count = conn.execute(select(func.count()).select_from(events)).scalar_one()
    assert statuses == {"done": 4 * len(ids)}
    assert count == 5 * len(ids)
    assert {engine.get(i).state.value for i in ids if isinstance(i, UUID)} == {"expired"}


def test_product_codes_are_gap_free_and_unique_under_racing_proposals(db_url: str) -> None:
    """8 processes propose 8 dossiers of one commune at once (a profile with product codes):
    the codes are 24-07375-001-2026 … 008, each once; a refused proposal takes no number."""
    now = datetime(2026, 3, 2, 9, tzinfo=VN_TZ)
    place = Place(commune="07375", district=None, province="24")
    rules = race_workers.rules_with_product_codes()
    engine = Engine.open(db_url, clock=SettableClock(now), rules=rules)
    try:
        walk = Walk(engine, engine.clock, place=place)  # type: ignore[arg-type]
        ids = [walk.register(f"Sản phẩm {i}").id for i in range(RACERS)]
        # A proposal refused after its number was taken (the dossier is back with its producer)
        # gives the number back with its rollback.
        officer = place.actor(Role.COMMUNE_OFFICER)
        engine.return_for_supplement(ids[0], actor=officer, guidance="Bổ sung")
        with pytest.raises(InvalidTransition):
            engine.verify_commune(ids[0], actor=place.actor(Role.COMMUNE_COMMITTEE))
        engine.resubmit(ids[0], actor=officer)
    finally:
        engine.close()
    results = race(
        db_url,
        now,
        [
            spec("verify", Role.COMMUNE_COMMITTEE, place, dossier=str(i), product_codes=True)
            for i in ids
        ],
    )
    assert [r[0] for r in results] == ["ok"] * RACERS
    engine = Engine.open(db_url, clock=SettableClock(now))
    try:
        codes = sorted(engine.get(i).product_code or "" for i in ids)
        assert codes == [f"24-07375-{n:03d}-2026" for n in range(1, RACERS + 1)]
        assert Auditor(engine).verify().intact
    finally:
        engine.close()


def test_three_sweepers_apply_decision_26_deadlines_once_after_a_long_gap(
    engine: Engine, clock: SettableClock, db_url: str
) -> None:
    """Nobody swept from 2024 to 25/02/2027; then 3 sweepers at once: each re-evaluation window
    notifies, reminds twice and flags its miss; each dossier filed before 22/05/2026 is
    escalated; each Art. 12.3 certificate expires once on its moved date (its own expiry and
    notices pass as moot); each unchecked re-evaluation is escalated — once each, in due order."""
    clock.set(datetime(2024, 9, 2, 9, tzinfo=VN_TZ))
    windows = import_certificates(engine, 12, date(2024, 6, 20), "window", threads=4)
    extended = import_certificates(engine, 6, date(2023, 8, 1), "art12", threads=4)
    clock.set(datetime(2026, 5, 1, 9, tzinfo=VN_TZ))
    walk = Walk(engine, clock, place=Place(commune="07375", district=None, province="24"))
    filed_early = [walk.register(f"Sản phẩm nộp 1/5 số {i}").id for i in range(10)]
    clock.set(datetime(2026, 6, 15, 9, tzinfo=VN_TZ))
    officer = Place(commune="07375", district=None, province="24").actor(Role.COMMUNE_OFFICER)
    reevaluations = [
        engine.register_reevaluation(old, actor=officer, kind="re_evaluation").id  # type: ignore[arg-type]
        for old in extended
    ]
    now = datetime(2027, 2, 25, 9, tzinfo=VN_TZ)
    with engine.sa_engine.connect() as conn:
        due = conn.execute(
            select(func.count()).select_from(deadlines).where(deadlines.c.due_at <= now)
        ).scalar_one()
    results = in_processes(race_workers.sweep, [(db_url, now.isoformat())] * 3)
    assert sum(r[1] for r in results) == due
    with engine.sa_engine.connect() as conn:
        pending = conn.execute(
            select(func.count())
            .select_from(deadlines)
            .where(deadlines.c.due_at <= now, deadlines.c.status == "pending")
        ).scalar_one()
        rows = conn.execute(
            select(events.c.dossier_id, events.c.type, events.c.payload).order_by(
                events.c.dossier_id, events.c.seq
            )
        ).all()
    assert pending == 0
    timeline: dict[UUID, list[str]] = {}
    stages: dict[UUID, list[str]] = {}
    for dossier_id, type_, payload in rows:
        timeline.setdefault(dossier_id, []).append(type_)
        if type_ == "reevaluation_window_notice":
            stages.setdefault(dossier_id, []).append(payload["stage"])
    notice = "reevaluation_window_notice"
    assert {tuple(timeline[i]) for i in windows} == {  # type: ignore[index]
        ("certificate_imported", notice, notice, notice, "reevaluation_window_missed")
    }
    assert {tuple(stages[i]) for i in windows} == {("opens", "closes", "closes")}  # type: ignore[index]
    assert {tuple(timeline[i]) for i in filed_early} == {("registered", "overdue_escalated")}
    assert {tuple(timeline[i]) for i in extended} == {  # type: ignore[index]
        ("certificate_imported", "validity_extended", "expired")
    }
    assert {tuple(timeline[i]) for i in reevaluations} == {("registered", "overdue_escalated")}
    assert Auditor(engine).verify().intact


@pytest.mark.parametrize("isolation", ["AUTOCOMMIT", "REPEATABLE READ", "SERIALIZABLE"])
def test_a_hosts_engine_at_another_isolation_level_is_exactly_once_too(
    postgres_ready: str, isolation: str
) -> None:
    """8 processes, each with the engine on a host's PostgreSQL engine in autocommit or at a
    stricter isolation level, register one product with one key: every racer gets the first
    result and one dossier is written (in autocommit each loser's first writes stayed; at
    REPEATABLE READ the losers got serialization failures); each host's connection is left at
    its own level."""
    truncate_postgres(postgres_ready)
    with Engine.open(postgres_ready, clock=SettableClock(at(2024, 3, 1))) as engine:
        before = snapshot(engine)
        racers = [
            spec(
                "register", Role.COMMUNE_OFFICER, name="Mật ong", key="k", host_isolation=isolation
            )
            for _ in range(RACERS)
        ]
        results = race(postgres_ready, engine.clock.now(), racers)
        assert {r[0] for r in results} == {"ok"}, results
        assert len({(r[1], r[2]) for r in results}) == 1
        assert snapshot(engine)[2] - before[2] == 1  # one dossier


def test_a_database_whose_default_is_repeatable_read(postgres_ready: str) -> None:
    """A database whose default isolation is REPEATABLE READ: the engine's own transactions
    still run at READ COMMITTED, so 8 racers with one key all get the first result."""
    truncate_postgres(postgres_ready)
    name = make_url(postgres_ready).database
    admin = create_database_engine(postgres_ready, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = 'repeatable read'"
            )
        clock = SettableClock(at(2024, 3, 1))
        with Engine.open(postgres_ready, clock=clock) as engine:
            d = Walk(engine, clock).register()
            racers = [
                spec("return", Role.COMMUNE_OFFICER, dossier=str(d.id), guidance="Bổ sung", key="r")
                for _ in range(RACERS)
            ]
            results = race(postgres_ready, clock.now(), racers)
            assert {r[0] for r in results} == {"ok"}, results
            assert {(r[1], r[2]) for r in results} == {(str(d.id), 2)}
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" RESET default_transaction_isolation')
        admin.dispose()
