"""Two real processes race conflicting commands at the same dossiers."""

from __future__ import annotations

import multiprocessing as mp
from uuid import UUID

import pytest
from sqlalchemy import select

from ocop_cycle import Engine, SettableClock
from ocop_cycle._storage.schema import events
from tests.scenario import Walk
from tests.workers import race

ROUNDS = 200


@pytest.mark.slow
def test_two_processes_one_winner_each_round(
    engine: Engine, clock: SettableClock, db_url: str
) -> None:
    """Each round exactly one command wins, the other gets ConcurrencyConflict; logs stay whole."""
    walk = Walk(engine, clock)
    ids = [str(walk.register(f"Sản phẩm {i}").id) for i in range(ROUNDS)]
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=race, args=(db_url, side, ids, barrier, out))
        for side in ("verify", "return")
    ]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=300) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    errors = [r for side in results.values() for r in side if r.startswith("error")]
    assert errors == []
    for i in range(ROUNDS):
        assert sorted([results["verify"][i], results["return"][i]]) == ["conflict", "won"]
    with engine.sa_engine.connect() as conn:
        rows = conn.execute(select(events.c.dossier_id, events.c.seq)).all()
    seqs: dict[str, list[int]] = {}
    for dossier_id, seq in rows:
        seqs.setdefault(str(dossier_id), []).append(seq)
    assert all(sorted(s) == [1, 2] for s in seqs.values())
    assert len(seqs) == ROUNDS
    for raw in ids:
        d = engine.get(UUID(raw))
        assert d.version == 2
        assert engine.replay(d.id) == d
    print("verify won", results["verify"].count("won"), "of", ROUNDS)
