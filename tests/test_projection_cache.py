"""The projection cache is a hint: a command decided on a stale entry never writes on a stale
version, and its outcome is the one the database's state gives (on SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select
from structlog.testing import capture_logs

from ocop_cycle import (
    ConcurrencyConflict,
    DossierState,
    Engine,
    InvalidTransition,
    Role,
    SettableClock,
)
from ocop_cycle._storage.cache import ProjectionCache
from ocop_cycle._storage.schema import events
from ocop_cycle.audit.auditor import Auditor
from tests import race_workers
from tests.scenario import Walk
from tests.test_exactly_once import in_processes


@pytest.fixture
def other(db_url: str, clock: SettableClock) -> Iterator[Engine]:
    """A second engine on the same database (its own pool and its own cache)."""
    eng = Engine.open(db_url, clock=clock)
    try:
        yield eng
    finally:
        eng.close()


def seqs(engine: Engine, dossier_id: UUID) -> list[int]:
    with engine.sa_engine.connect() as conn:
        rows = conn.execute(select(events.c.seq).where(events.c.dossier_id == dossier_id))
        return sorted(r[0] for r in rows)


def officer(walk: Walk) -> Any:
    return walk.actor(Role.COMMUNE_OFFICER)


def test_refusal_on_a_stale_entry_is_decided_again(
    engine: Engine, other: Engine, clock: SettableClock
) -> None:
    """A command the stale cached state refuses but the stored state allows succeeds."""
    walk = Walk(engine, clock)
    d = walk.register()  # cached by `engine` at version 1, registered
    other.return_for_supplement(d.id, actor=officer(walk), guidance="Bổ sung")
    after = engine.resubmit(d.id, actor=officer(walk))
    assert (after.state, after.version) == (DossierState.REGISTERED, 3)
    assert seqs(engine, d.id) == [1, 2, 3]
    assert engine.replay(d.id) == engine.get(d.id) == after


def test_stale_entry_never_writes_and_the_stored_state_refuses(
    engine: Engine, other: Engine, clock: SettableClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A command the stale entry allows but the stored state refuses is refused; nothing written,
    nothing logged as written, no driver warning."""
    walk = Walk(engine, clock)
    d = walk.register()
    other.return_for_supplement(d.id, actor=officer(walk), guidance="Bổ sung")
    with capture_logs() as logs, pytest.raises(InvalidTransition):
        engine.return_for_supplement(d.id, actor=officer(walk), guidance="Lần nữa")
    assert [e for e in logs if e["event"] == "dossier.transition"] == []  # none was written
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert seqs(engine, d.id) == [1, 2]
    assert engine.get(d.id).version == 2


def test_expected_version_is_checked_against_the_stored_version(
    engine: Engine, other: Engine, clock: SettableClock
) -> None:
    """expected_version equal to a stale entry's version is a conflict naming the stored one."""
    walk = Walk(engine, clock)
    d = walk.register()
    other.return_for_supplement(d.id, actor=officer(walk), guidance="Bổ sung")
    with pytest.raises(ConcurrencyConflict) as err:
        engine.return_for_supplement(
            d.id, actor=officer(walk), guidance="Lần nữa", expected_version=1
        )
    assert (err.value.expected_version, err.value.actual_version) == (1, 2)
    assert seqs(engine, d.id) == [1, 2]


def test_a_rolled_back_write_is_never_cached(
    engine: Engine, other: Engine, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command that fails after writing leaves no entry: a later version of the same number
    written by another engine is what the next command sees."""
    walk = Walk(engine, clock)
    d = walk.register()

    def broken(*_: Any) -> None:  # after the event and the projection are written
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine._store, "add_deadlines", broken)
    with pytest.raises(RuntimeError):
        engine.return_for_supplement(d.id, actor=officer(walk), guidance="Bổ sung")
    monkeypatch.undo()
    verified = other.verify_commune(d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    assert verified.version == 2  # the version the rolled-back write had
    with pytest.raises(InvalidTransition):  # "returned" was never stored: resubmit is refused
        engine.resubmit(d.id, actor=officer(walk))
    assert seqs(engine, d.id) == [1, 2]
    assert engine.replay(d.id) == engine.get(d.id) == verified
    assert Auditor(engine).verify().intact


@pytest.mark.slow
@pytest.mark.parametrize("lockstep", [True, False], ids=["turns", "free"])
def test_two_processes_alternating_on_one_dossier(
    engine: Engine, clock: SettableClock, db_url: str, lockstep: bool
) -> None:
    """Two engines in two processes move one dossier: every command decided on a stale entry
    is decided again; no event lands on a stale version; the chain and projection agree."""
    walk = Walk(engine, clock)
    d = walk.register()
    turns = 25
    results = in_processes(
        race_workers.toggle,
        [(db_url, clock.now().isoformat(), str(d.id), turns, lockstep)] * 2,
    )
    outcomes = Counter(o for _, side in results for o in side)
    if lockstep:  # each command valid on the stored state: all succeed, after a fresh read
        assert outcomes == {"ok": 2 * turns}
    else:
        assert set(outcomes) <= {"ok", "InvalidTransition", "ConcurrencyConflict"}
    assert seqs(engine, d.id) == list(range(1, outcomes["ok"] + 2))
    final = engine.get(d.id)
    assert final.version == outcomes["ok"] + 1
    assert engine.replay(d.id) == final
    assert Auditor(engine).verify().intact


def test_cache_is_bounded_and_keeps_the_newest_version(
    engine: Engine, clock: SettableClock
) -> None:
    """Beyond its size the least recently used entry goes; an older version never replaces a
    newer one; size 0 keeps nothing."""
    cache = ProjectionCache(2)
    base = Walk(engine, clock).register()
    a, b, c = (base.model_copy(update={"id": uuid4()}) for _ in range(3))
    cache.put(a)
    cache.put(b)
    assert cache.get(a.id) == a  # a is now the most recently used
    cache.put(c)
    assert (cache.get(a.id), cache.get(b.id), cache.get(c.id)) == (a, None, c)
    assert len(cache) == 2
    newer = a.model_copy(update={"version": a.version + 1})
    cache.put(newer)
    cache.put(a)
    assert cache.get(a.id) == newer
    cache.drop(a.id)
    assert cache.get(a.id) is None
    none = ProjectionCache(0)
    none.put(a)
    assert len(none) == 0


def test_host_connection_keeps_no_entries(db_url: str, clock: SettableClock) -> None:
    """On a host's connection nothing is cached: the host's rollback may take it back."""
    host = Engine.open(db_url, clock=clock).sa_engine
    try:
        with host.connect() as conn:
            engine = Engine(conn, clock=clock)
            conn.begin()
            walk = Walk(engine, clock)
            d = walk.register()
            engine.return_for_supplement(d.id, actor=officer(walk), guidance="Bổ sung")
            assert engine._store.cached(d.id) is None
            conn.rollback()
        with host.connect() as conn:
            assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 0
    finally:
        host.dispose()
