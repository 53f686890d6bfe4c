"""Migrations safe at every start: concurrent upgrades are serialised, one migrates."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from ocop_cycle._storage.database import HEAD, create_database_engine
from tests.upgrade_workers import upgrade_at_start

ROOT = Path(__file__).resolve().parents[1]


def _versions(url: str) -> list[str]:
    engine = create_database_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT version_num FROM ocop_alembic_version"))
            return list(found.scalars())
    finally:
        engine.dispose()


def test_three_cli_upgrades_at_once(empty_url: str) -> None:
    """Three `ocop-cycle db upgrade` processes on an empty database: all exit 0, one creates."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ocop_cycle", "--db", empty_url, "db", "upgrade"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0, 0, 0], results
    assert all(err == "" for _, _, err in results), results
    said = sorted(out.split(" in ")[0] for _, out, _ in results)
    assert said == [f"schema already at {HEAD}"] * 2 + [f"schema created at {HEAD}"]
    assert _versions(empty_url) == [HEAD]


def test_three_hosts_upgrade_at_start(empty_url: str) -> None:
    """Three worker processes calling engine.upgrade() together: one migrates from nothing,
    the others find the head; no error."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(3)
    out = ctx.Queue()
    workers = [
        ctx.Process(target=upgrade_at_start, args=(empty_url, barrier, out)) for _ in range(3)
    ]
    for w in workers:
        w.start()
    found = sorted((out.get(timeout=300) for _ in workers), key=str)
    for w in workers:
        w.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert found == [("ok", HEAD), ("ok", HEAD), ("ok", None)], found
    assert _versions(empty_url) == [HEAD]
