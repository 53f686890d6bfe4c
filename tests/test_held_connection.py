"""The connection an engine keeps between write transactions goes back to the pool when the
engine is closed or dropped, and a forked child never uses its parent's."""

from __future__ import annotations

import gc
import multiprocessing as mp
import sys
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import event, select

from ocop_cycle import Engine, Role, SettableClock, UnsuitableConnection
from ocop_cycle._storage.database import create_database_engine
from ocop_cycle._storage.schema import events
from ocop_cycle.audit.auditor import Auditor
from tests.scenario import LANG_GIANG, Walk
from tests.test_exactly_once import in_processes


def test_close_and_drop_give_the_connection_back(db_url: str, clock: SettableClock) -> None:
    """An engine that opened its database keeps one connection between commands and gives it
    back on close() or when dropped; on a host's engine it keeps none (the pool is the host's,
    who may dispose of it at any time)."""
    engine = Engine.open(db_url, clock=clock)
    Walk(engine, clock).register()
    assert engine.sa_engine.pool.checkedout() == 1
    checked_in: list[object] = []
    event.listen(engine.sa_engine, "checkin", lambda *_: checked_in.append(1))
    engine.close()
    assert checked_in == [1]  # given back before the pool was disposed

    dropped = Engine.open(db_url, clock=clock)
    pool = dropped.sa_engine.pool
    Walk(dropped, clock).register("Chè xanh")
    assert pool.checkedout() == 1
    del dropped
    gc.collect()
    assert pool.checkedout() == 0
    pool.dispose()

    host = create_database_engine(db_url)
    try:
        Walk(Engine(host, clock=clock), clock).register("Mật ong")
        assert host.pool.checkedout() == 0
    finally:
        host.dispose()


TURNS = 20


def _toggle(engine: Engine, dossier_id: UUID) -> int:
    actor = LANG_GIANG.actor(Role.COMMUNE_OFFICER)
    for _ in range(TURNS):
        engine.resubmit(dossier_id, actor=actor)
        d = engine.return_for_supplement(dossier_id, actor=actor, guidance="Bổ sung")
    return d.version


def _reported(barrier: Any, out: Any, work: Any) -> None:
    """Wait for the other processes, run ``work()``, and put ("ok", what it gave) or
    ("crashed", why) for the parent, which fails the test on a crash."""
    try:
        barrier.wait(timeout=60)
        out.put(("ok", work()))
    except Exception as exc:
        out.put(("crashed", f"{type(exc).__name__}: {exc}"))


def _child(engine: Engine, dossier: str, barrier: Any, out: Any) -> None:
    engine.sa_engine.dispose(close=False)  # what SQLAlchemy asks of a forked child
    _reported(barrier, out, lambda: _toggle(engine, UUID(dossier)))


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_forked_child_leaves_the_parents_connection_alone(
    engine: Engine, clock: SettableClock
) -> None:
    """A child forked while the engine keeps a connection opens its own: parent and child then
    run commands at the same time through the one engine object, and both logs are whole."""
    walk = Walk(engine, clock)
    mine, childs = walk.register("Chè xanh"), walk.register("Mật ong")
    for d in (mine, childs):  # the last command leaves a connection kept
        engine.return_for_supplement(d.id, actor=walk.actor(Role.COMMUNE_OFFICER), guidance="x")
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    child = ctx.Process(target=_child, args=(engine, str(childs.id), barrier, out))
    child.start()
    barrier.wait(timeout=60)
    assert _toggle(engine, mine.id) == 2 + 2 * TURNS
    assert out.get(timeout=120) == ("ok", 2 + 2 * TURNS)
    child.join(timeout=60)
    assert child.exitcode == 0
    with engine.sa_engine.connect() as conn:
        for d in (mine, childs):
            seqs = conn.execute(select(events.c.seq).where(events.c.dossier_id == d.id))
            assert sorted(seqs.scalars()) == list(range(1, 3 + 2 * TURNS))
            assert engine.replay(d.id) == engine.get(d.id)


def test_engine_disposed_first_leaves_nothing_open(db_url: str, clock: SettableClock) -> None:
    """When the SQLAlchemy engine is disposed of behind the engine (APScheduler's job store
    does so on shutdown), the kept connection is closed, not leaked; commands still run."""
    engine = Engine.open(db_url, clock=clock)
    walk = Walk(engine, clock)
    d = walk.register()
    engine.sa_engine.dispose()
    gc.collect()
    after = engine.return_for_supplement(d.id, actor=walk.actor(Role.COMMUNE_OFFICER), guidance="x")
    assert after.version == 2
    engine.close()
    gc.collect()


def test_an_engine_made_on_a_url_owns_its_database(db_url: str, clock: SettableClock) -> None:
    """``Engine(url)`` is ``Engine.open(url)``: it opens the database, keeps its connection
    between commands, and closes and disposes of it."""
    engine = Engine(db_url, clock=clock)
    Walk(engine, clock).register()
    pool = engine.sa_engine.pool
    assert pool.checkedout() == 1
    engine.close()
    assert pool.checkedout() == 0


@pytest.mark.parametrize("bind", [None, 42, b"sqlite:///x.db", object()])
def test_an_engine_on_something_else_is_refused_by_name(bind: object) -> None:
    with pytest.raises(UnsuitableConnection, match=type(bind).__name__):
        Engine(bind)  # type: ignore[arg-type]


def _forked_worker(
    engine: Engine, clock: SettableClock, worker: int, barrier: Any, out: Any
) -> None:
    """A preloaded web worker: the engine came from the parent, nothing is done about it."""
    walk = Walk(engine, clock)
    _reported(
        barrier, out, lambda: [str(walk.register(f"Sản phẩm {worker}-{i}").id) for i in range(8)]
    )


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_workers_forked_from_a_preloaded_engine_each_use_their_own_connections(
    db_url: str, clock: SettableClock
) -> None:
    """A server preloads the application (its Engine, its pool of connections in use) and forks
    workers that use the engine as they found it: each gets connections of its own (shared
    sockets mixed the workers' results on PostgreSQL: false refusals, lost projections). Every
    registration is stored once and the store verifies intact."""
    engine = Engine.open(db_url, clock=clock)
    Walk(engine, clock).register("Của tiến trình mẹ")
    engine.dossiers()  # a read's pooled connection, checked in, as well as the kept one
    in_processes(_forked_worker, [(engine, clock, w) for w in range(3)], method="fork")
    assert len(engine.dossiers(limit=1000)) == 1 + 3 * 8
    assert Auditor(engine).verify().intact
    engine.close()
