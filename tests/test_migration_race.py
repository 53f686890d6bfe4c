"""Two migrations at once, in real OS processes, on SQLite and PostgreSQL: each dossier is
carried over exactly once; whoever comes second finds it done and leaves it."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from uuid import UUID

import pytest
from sqlalchemy import select

from ocop_cycle import Auditor, Engine, SettableClock
from ocop_cycle._storage.schema import events
from tests import migration_workers
from tests.migration_store import AFTER, EXPECTED, build
from tests.scenario import Walk
from tests.test_exactly_once import in_processes

pytestmark = pytest.mark.slow
EXTRA = 40


@pytest.fixture
def open_ids(engine: Engine, clock: SettableClock) -> set[UUID]:
    """The store stopped at 30/06/2025 with 40 more registered dossiers: the open ones' ids."""
    ids = build(engine, clock)
    walk = Walk(engine, clock)
    extra = {walk.register(f"Sản phẩm thêm {i}").id for i in range(EXTRA)}
    clock.set(AFTER)
    return {ids[label] for label in EXPECTED} | extra


def migrations(engine: Engine) -> Counter[UUID]:
    """How many profile_migrated events each dossier has."""
    with engine.sa_engine.connect() as conn:
        rows = conn.execute(select(events.c.dossier_id).where(events.c.type == "profile_migrated"))
        return Counter(r for (r,) in rows)


def test_two_processes_migrate_each_dossier_once(
    engine: Engine, clock: SettableClock, db_url: str, open_ids: set[UUID]
) -> None:
    """Two `Engine.migrate` runs released together: between them every open dossier is
    migrated once; what one skips, the other migrated."""
    results = in_processes(migration_workers.migrate, [(db_url, clock.now().isoformat())] * 2)
    assert sum(r[1] for r in results) == len(open_ids)
    for _, migrated, skipped, reasons in results:
        assert migrated + skipped <= len(open_ids)
        assert reasons in ([], ["migrated by another run: now under qd1489-2025"]), reasons
    assert migrations(engine) == dict.fromkeys(open_ids, 1)
    assert Auditor(engine).verify().intact
    for dossier_id in open_ids:
        assert engine.replay(dossier_id) == engine.get(dossier_id)


def test_two_cli_runs_side_by_side(engine: Engine, db_url: str, open_ids: set[UUID]) -> None:
    """Two `ocop-cycle migrate` processes at once: both exit 0; their counts add up to every
    open dossier once."""
    cmd = [
        sys.executable,
        "-m",
        "ocop_cycle.cli",
        "--db",
        db_url,
        "migrate",
        "--from",
        "qd148-2023",
        "--to",
        "qd1489-2025",
        "--effective",
        "2025-07-06",
        "--quiet",
    ]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    migrated = [
        int(out.splitlines()[-1].split(": ")[1].split(" migrated")[0]) for out, _ in outputs
    ]
    assert sum(migrated) == len(open_ids)
    assert migrations(engine) == dict.fromkeys(open_ids, 1)
    assert Auditor(engine).verify().intact
