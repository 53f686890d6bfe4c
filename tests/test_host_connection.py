"""A host's transaction: ``Engine(connection)`` works inside the host's unit of work.

Every command is a savepoint in the host's transaction; the engine never commits, rolls back
past its savepoint or closes the connection. The host's commit stores everything, its rollback
nothing. SQLite settings hold on the engines and connections hosts hand over.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import Connection, create_engine, event, func, select, text
from sqlalchemy import Engine as SAEngine

from ocop_cycle import (
    Auditor,
    ConcurrencyConflict,
    CycleScheduler,
    DossierState,
    Engine,
    IdempotencyKeyReused,
    InvalidTransition,
    Role,
    SchemaNotReady,
    SettableClock,
    SqliteSettings,
    StorageError,
    Sweeper,
    UnsuitableConnection,
)
from ocop_cycle._storage.schema import (
    deadlines,
    deliveries,
    dossiers,
    events,
    idempotency,
    outbox,
    rounds,
)
from tests.scenario import Walk, at, snapshot

#: Everything a command can write.
TABLES = {
    "events": events,
    "dossiers": dossiers,
    "outbox": outbox,
    "deliveries": deliveries,
    "deadlines": deadlines,
    "idempotency": idempotency,
    "rounds": rounds,
}
NOTHING = dict.fromkeys(TABLES, 0)


@pytest.fixture
def host(db_url: str) -> Iterator[SAEngine]:
    """The host's own SQLAlchemy engine (not made by ocop-cycle), with a table of its own."""
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS host_orders"))
        conn.execute(text("CREATE TABLE host_orders (id INTEGER PRIMARY KEY, note VARCHAR(40))"))
    yield engine
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS host_orders"))
    engine.dispose()


def stored(host: SAEngine) -> dict[str, int]:
    """Row counts of every ocop table, read on a connection of its own (committed data)."""
    with host.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in TABLES.items()
        }


def orders(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT note FROM host_orders ORDER BY id")).scalars())


def order(conn: Connection, number: int, note: str) -> None:
    statement = text("INSERT INTO host_orders (id, note) VALUES (:i, :n)")
    conn.execute(statement, {"i": number, "n": note})


def pragmas(conn: Connection) -> tuple[Any, ...]:
    return tuple(
        conn.exec_driver_sql(f"PRAGMA {name}").scalar()
        for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
    )


def sqlite_only(url: str) -> None:
    if not url.startswith("sqlite"):
        pytest.skip("SQLite settings")


# -- the host's unit of work ------------------------------------------------------------------


def test_host_rollback_takes_back_everything(host: SAEngine, clock: SettableClock) -> None:
    """A certification walked inside the host's transaction, notifications claimed and
    acknowledged; the host rolls back: no event, projection, outbox row, deadline, key or round
    is left, and neither is the host's own row."""
    with host.connect() as conn:
        engine = Engine(conn, clock=clock)
        conn.begin()
        order(conn, 1, "the host's own write")
        walk = Walk(engine, clock)
        d = walk.certified()
        engine.verify_commune(walk.register("Mật ong").id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
        assert engine.get(d.id).state is DossierState.CERTIFIED  # reads see the host's work
        claimed = engine.claim_notifications("portal")
        assert claimed
        acked = engine.ack_notifications((n.notification_id for n in claimed), consumer="portal")
        assert acked == len(claimed)
        inside = {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in TABLES.items()
        }
        written = ("events", "dossiers", "outbox", "deliveries", "deadlines")
        assert all(inside[name] > 0 for name in written)
        assert stored(host) == NOTHING  # nothing visible outside before the host commits
        assert conn.in_transaction()
        conn.rollback()
        assert orders(conn) == []
    assert stored(host) == NOTHING


def test_host_commit_stores_everything_and_it_verifies(
    host: SAEngine, clock: SettableClock, db_url: str
) -> None:
    """The host commits: a fresh engine reads the same dossier, replays it, and the audit finds
    every chain and projection intact."""
    with host.connect() as conn:
        engine = Engine(conn, clock=clock)
        with conn.begin():  # the host's unit of work, committed when the block ends
            order(conn, 1, "paid")
            walk = Walk(engine, clock)
            d = walk.certified()
            other = walk.register("Mật ong")
        assert not conn.closed
    counts = stored(host)
    assert counts["dossiers"] == 2
    assert counts["outbox"] > 0
    assert counts["deadlines"] > 0
    with Engine.open(db_url, clock=clock) as fresh:
        assert fresh.get(d.id) == d
        assert fresh.replay(d.id) == d
        assert fresh.get(other.id).version == 1
        report = Auditor(fresh).verify()
        assert report.intact, report.breaks
        assert report.dossiers == 2
    with host.connect() as conn:
        assert orders(conn) == ["paid"]


def test_refused_and_failed_commands_leave_the_host_transaction_usable(
    host: SAEngine, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal, a version conflict, and a database error in the middle of a command's writes
    each roll back to the command's savepoint: the host's earlier row and the engine's earlier
    commands stay, and the transaction goes on (on PostgreSQL a failed statement would
    otherwise abort it)."""
    with host.connect() as conn:
        engine = Engine(conn, clock=clock)
        conn.begin()
        order(conn, 1, "before")
        walk = Walk(engine, clock)
        d = walk.register()
        committee = walk.actor(Role.COMMUNE_COMMITTEE)
        with pytest.raises(InvalidTransition):
            engine.certify(d.id, actor=walk.actor(Role.DISTRICT_COMMITTEE), **walk.decision())
        with pytest.raises(ConcurrencyConflict):
            engine.verify_commune(d.id, actor=committee, expected_version=7)

        def broken(tx: Any, *_: Any) -> None:  # after the event and projection are written
            tx.cursor.execute("SELECT * FROM no_such_table")

        with monkeypatch.context() as patch:
            patch.setattr(engine._store, "add_deadlines", broken)
            with pytest.raises(StorageError):
                engine.verify_commune(d.id, actor=committee)
        assert conn.in_transaction()
        assert [e.seq for e in engine.history(d.id)] == [1]  # the failed command's event is gone
        assert orders(conn) == ["before"]
        assert engine.verify_commune(d.id, actor=committee).version == 2
        order(conn, 2, "after")
        conn.commit()
        assert orders(conn) == ["before", "after"]
    assert stored(host)["events"] == 2


def test_engine_never_commits_and_begins_a_transaction_when_none_is_open(
    host: SAEngine, clock: SettableClock
) -> None:
    """With no transaction open, the first call begins one (as ``Connection.execute`` would)
    and leaves it to the host; each command is a savepoint released into it; nothing is
    committed, and a second connection sees nothing, until the host commits."""
    seen: list[str] = []
    with host.connect() as conn, host.connect() as second:
        for name in ("commit", "rollback", "savepoint", "release_savepoint"):
            event.listen(conn, name, lambda *_, name=name: seen.append(name))
        engine = Engine(conn, clock=clock)
        assert not conn.in_transaction()
        walk = Walk(engine, clock)
        d = walk.register()
        assert conn.in_transaction()
        committee = walk.actor(Role.COMMUNE_COMMITTEE)
        calls = [
            lambda: engine.verify_commune(d.id, actor=committee),
            lambda: engine.get(d.id),
            lambda: engine.history(d.id),
            lambda: engine.dossiers(),
            lambda: engine.count_events(),
            lambda: engine.notifications(),
            lambda: engine.claim_notifications("portal"),
            engine.check_schema,
        ]
        for call in calls:
            call()
            assert conn.in_transaction()
            count = second.execute(select(func.count()).select_from(dossiers)).scalar_one()
            assert count == 0
            second.rollback()
        engine.close()
        assert not conn.closed
        assert conn.in_transaction()
        assert "commit" not in seen
        assert "rollback" not in seen
        assert seen.count("release_savepoint") == seen.count("savepoint") == 3  # the commands
        conn.commit()
        assert second.execute(select(func.count()).select_from(dossiers)).scalar_one() == 1
    assert stored(host)["events"] == 2


def test_idempotency_keys_replay_inside_the_host_transaction(
    host: SAEngine, clock: SettableClock, db_url: str
) -> None:
    """A repeated key returns the first result without writing; a key reused for a different
    command is refused and the transaction goes on; after the commit the key still replays."""
    with host.connect() as conn:
        engine = Engine(conn, clock=clock)
        conn.begin()
        walk = Walk(engine, clock)
        first = walk.register(idempotency_key="host/register")
        assert walk.register(idempotency_key="host/register") == first
        committee = walk.actor(Role.COMMUNE_COMMITTEE)
        verified = engine.verify_commune(first.id, actor=committee, idempotency_key="host/verify")
        again = engine.verify_commune(first.id, actor=committee, idempotency_key="host/verify")
        assert again == verified
        assert again.version == 2
        with pytest.raises(IdempotencyKeyReused):
            engine.verify_commune(
                first.id, actor=committee, note="another command", idempotency_key="host/verify"
            )
        assert len(engine.history(first.id)) == 2
        conn.commit()
    with Engine.open(db_url, clock=clock) as fresh:
        replayed = fresh.verify_commune(first.id, actor=committee, idempotency_key="host/verify")
        assert replayed == verified
        assert fresh.count_events() == 2


def test_a_racing_writer_conflicts_and_only_its_savepoint_rolls_back(
    host: SAEngine, clock: SettableClock, db_url: str
) -> None:
    """Two hosts' transactions move one dossier from the version they both read: the second
    waits for the first (PostgreSQL's row lock, SQLite's write lock), then gets
    ``ConcurrencyConflict``; its own row and its transaction survive, and it commits."""
    with Engine.open(db_url, clock=clock) as own:
        walk = Walk(own, clock)
        d = walk.register()
    committee = walk.actor(Role.COMMUNE_COMMITTEE)
    a_wrote, b_started = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def first_host() -> None:
        try:
            with host.connect() as conn:
                engine = Engine(conn, clock=clock)
                with conn.begin():
                    engine.verify_commune(d.id, actor=committee, expected_version=1)
                    a_wrote.set()
                    assert b_started.wait(30)
                    wait_for_a_blocked_writer(host)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
            a_wrote.set()

    thread = threading.Thread(target=first_host)
    thread.start()
    try:
        assert a_wrote.wait(30)
        with host.connect() as conn:
            engine = Engine(conn, clock=clock)
            conn.begin()
            b_started.set()
            order(conn, 1, "kept")  # SQLite: waits here for the first host's write lock
            with pytest.raises(ConcurrencyConflict):
                engine.verify_commune(d.id, actor=committee, expected_version=1)
            assert conn.in_transaction()
            assert orders(conn) == ["kept"]
            assert engine.get(d.id).version == 2
            other = Walk(engine, clock).register("Mật ong")
            conn.commit()
    finally:
        thread.join(30)
    assert failures == []
    with Engine.open(db_url, clock=clock) as own:
        assert [e.seq for e in own.history(d.id)] == [1, 2]
        assert own.get(other.id).version == 1
    with host.connect() as conn:
        assert orders(conn) == ["kept"]


def wait_for_a_blocked_writer(host: SAEngine) -> None:
    """On PostgreSQL, until another session waits on a lock; on SQLite, a moment."""
    if host.dialect.name != "postgresql":
        time.sleep(0.3)
        return
    deadline = time.monotonic() + 20
    with host.connect() as watch:
        while time.monotonic() < deadline:
            waiting = watch.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar_one()
            watch.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second writer never waited for the first")


# -- jobs and schema on a host's connection ---------------------------------------------------


def test_sweeper_sweeps_inside_the_host_transaction_and_the_scheduler_refuses(
    host: SAEngine, clock: SettableClock
) -> None:
    """A sweep applies the host's uncommitted deadline in the host's transaction (rolled back
    with it); the scheduler, which needs transactions of its own, refuses the engine."""
    with host.connect() as conn:
        engine = Engine(conn, clock=clock)
        with pytest.raises(UnsuitableConnection, match="CycleScheduler"):
            CycleScheduler(engine)
        conn.begin()
        walk = Walk(engine, clock)
        d = walk.register()
        engine.return_for_supplement(
            d.id,
            actor=walk.actor(Role.COMMUNE_OFFICER),
            guidance="Bổ sung",
            due_on=date(2023, 3, 10),
        )
        clock.set(at(2023, 3, 11, 0))
        sweeper = Sweeper(engine)
        # Due by then (the transition of Decision 26/2026 is due in 2026).
        by = at(2023, 3, 12, 0)
        assert [p.kind for p in sweeper.pending(due_before=by)] == ["supplement_due"]
        assert [a.outcome for a in sweeper.sweep().applied] == ["withdraw -> withdrawn"]
        assert engine.get(d.id).state is DossierState.WITHDRAWN
        assert sweeper.pending(due_before=by) == []
        assert conn.in_transaction()
        conn.rollback()
    assert stored(host) == NOTHING


def test_upgrade_on_a_host_connection_is_the_hosts_to_commit(
    tmp_path: Path, clock: SettableClock
) -> None:
    """The schema created on a host's connection is rolled back with the host's transaction,
    and stays once the host commits."""
    host = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with host.connect() as conn:
            engine = Engine(conn, clock=clock)
            conn.begin()
            engine.upgrade()
            engine.check_schema()
            conn.rollback()
            with pytest.raises(SchemaNotReady):
                engine.check_schema()
            engine.upgrade()
            conn.commit()
        with Engine(host, clock=clock) as own:
            own.check_schema()
            assert Walk(own, clock).register().version == 1
    finally:
        host.dispose()


# -- SQLite settings on what hosts hand over --------------------------------------------------


def test_sqlite_settings_reach_a_host_engine_and_its_pooled_connections(
    tmp_path: Path, sqlite_template: Path, clock: SettableClock
) -> None:
    """A host's engine gets WAL, foreign keys, the busy timeout and synchronous as configured:
    on new connections, and on the connection it pooled before ocop-cycle saw it."""
    path = tmp_path / "host.db"
    shutil.copy(sqlite_template, path)
    host = create_engine(f"sqlite:///{path}")
    try:
        with host.connect() as conn:
            pooled = conn.connection.dbapi_connection
            assert pragmas(conn)[1:] == (0, 2, 5000)  # sqlite3's own defaults
        settings = SqliteSettings(synchronous="NORMAL", busy_timeout_ms=4321)
        engine = Engine(host, clock=clock, sqlite=settings)
        with host.connect() as conn:
            assert conn.connection.dbapi_connection is pooled
            assert pragmas(conn) == ("wal", 1, 1, 4321)
            with host.connect() as another:  # a second, new connection
                assert another.connection.dbapi_connection is not pooled
                assert pragmas(another) == ("wal", 1, 1, 4321)
        assert Walk(engine, clock).register().version == 1
    finally:
        host.dispose()
    defaults = create_engine(f"sqlite:///{path}")
    try:
        Engine(defaults, clock=clock)
        with defaults.connect() as conn:
            assert pragmas(conn) == ("wal", 1, 2, 30_000)
    finally:
        defaults.dispose()


def test_sqlite_settings_reach_a_host_connection(
    host: SAEngine, db_url: str, clock: SettableClock
) -> None:
    """A host's connection, handed over outside a transaction, gets the settings."""
    sqlite_only(db_url)
    with host.connect() as conn:
        assert pragmas(conn)[1:3] == (0, 2)
        Engine(conn, clock=clock, sqlite=SqliteSettings(synchronous="NORMAL", busy_timeout_ms=4321))
        assert pragmas(conn) == ("wal", 1, 1, 4321)


def test_sqlite_connection_mid_transaction_without_the_settings_is_refused(
    host: SAEngine, db_url: str, clock: SettableClock
) -> None:
    """Inside a transaction SQLite cannot switch foreign keys on or strengthen synchronous: the
    engine refuses such a connection, and the host's transaction is untouched. A connection of
    an engine ocop-cycle already configured has them, and works mid-transaction."""
    sqlite_only(db_url)
    with host.connect() as conn:
        conn.begin()
        order(conn, 1, "mine")  # the driver's transaction is open; foreign keys are off
        with pytest.raises(UnsuitableConnection, match="foreign_keys is OFF"):
            Engine(conn, clock=clock)
        assert orders(conn) == ["mine"]
        conn.commit()
    with host.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.commit()
        conn.begin()
        order(conn, 2, "mine too")
        with pytest.raises(UnsuitableConnection, match="synchronous is OFF") as refused:
            Engine(conn, clock=clock)
        assert refused.value.context == {"foreign_keys": 1, "synchronous": 0}
        conn.rollback()
    Engine(host, clock=clock)  # the host's engine now keeps its connections configured
    with host.connect() as conn:
        conn.begin()
        order(conn, 3, "with ocop")
        engine = Engine(conn, clock=clock)
        d = Walk(engine, clock).register()
        conn.commit()
    assert stored(host)["dossiers"] == 1
    assert d.version == 1


def test_postgres_connection_in_autocommit_is_refused(
    host: SAEngine, db_url: str, clock: SettableClock
) -> None:
    """A connection in autocommit has no transaction to join."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL autocommit")
    with host.connect() as conn:
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        with pytest.raises(UnsuitableConnection, match="autocommit"):
            Engine(auto, clock=clock)


# -- a unit of work of the engine's own ---------------------------------------------------------


def test_a_unit_of_work_commits_its_commands_together(engine: Engine, clock: SettableClock) -> None:
    """Commands run on the engine a unit of work gives are seen outside only when it ends, all
    together; its reads see its own writes meanwhile."""
    before = snapshot(engine)
    with engine.unit_of_work() as unit:
        walk = Walk(unit, clock)
        honey = walk.register("Mật ong")
        verified = walk.verified("Chè")
        assert unit.get(honey.id).version == 1
        assert snapshot(engine) == before  # nothing visible outside before the end
    assert engine.get(honey.id).state is DossierState.REGISTERED
    assert engine.get(verified.id).state is DossierState.COMMUNE_VERIFIED
    assert engine.history(verified.id)[-1].seq == verified.version


def test_a_refusal_in_a_unit_of_work_takes_back_the_commands_before_it(
    engine: Engine, clock: SettableClock
) -> None:
    """All or none: a command refused inside the block (here resubmitting a dossier that was
    never returned) leaves nothing of the block's earlier, accepted commands."""
    before = snapshot(engine)

    def batch() -> None:
        with engine.unit_of_work() as unit:
            walk = Walk(unit, clock)
            walk.register("Mật ong")
            taken = walk.register("Chè")
            unit.resubmit(taken.id, actor=walk.actor(Role.PRODUCER, str(taken.producer_id)))

    with pytest.raises(InvalidTransition):
        batch()
    assert snapshot(engine) == before
    assert engine.dossiers() == []


def test_on_a_hosts_connection_the_unit_is_the_hosts_transaction(
    host: SAEngine, clock: SettableClock
) -> None:
    """An engine already on a host's connection gives itself: the host commits or rolls back."""
    with host.connect() as conn:
        engine = Engine(conn, clock=clock)
        with engine.unit_of_work() as unit:
            assert unit is engine
            Walk(unit, clock).register("Mật ong")
        assert stored(host) == NOTHING  # the host has not committed
        conn.rollback()
    assert stored(host) == NOTHING


def test_a_command_inside_a_host_savepoint_rolled_back_is_never_told_as_done(
    host: SAEngine, clock: SettableClock
) -> None:
    """The host wraps a registration in a savepoint of its own and rolls that back, then
    commits its transaction: nothing is stored, and the log is told only of the command the
    host kept (the one after the savepoint), not of the one it took back."""
    with host.connect() as conn:
        engine = Engine(conn, clock=clock)
        walk = Walk(engine, clock)
        with structlog.testing.capture_logs() as logs:
            conn.begin()
            savepoint = conn.begin_nested()
            dropped = walk.register("Mật ong bỏ đi")
            savepoint.rollback()
            kept = walk.register("Mật ong giữ lại")
            conn.commit()
    told = [e["dossier_id"] for e in logs if e["event"] == "dossier.created"]
    assert told == [str(kept.id)]
    assert str(dropped.id) not in told
    with host.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 1
