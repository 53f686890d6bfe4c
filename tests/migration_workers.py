"""Module-level functions run in child processes by the migration race tests (spawn-safe)."""

from __future__ import annotations

from datetime import date, datetime
from multiprocessing.synchronize import Barrier
from typing import Any

from ocop_cycle import Engine, SettableClock


def migrate(url: str, now: str, barrier: Barrier, out: Any) -> None:
    """Migrate qd148-2023 -> qd1489-2025 together with the other racers; put the counts."""
    engine = Engine.open(url, clock=SettableClock(datetime.fromisoformat(now)))
    try:
        barrier.wait(timeout=120)
        report = engine.migrate(
            from_profile="qd148-2023", to_profile="qd1489-2025", effective=date(2025, 7, 6)
        )
        skipped = sorted({i.detail for i in report.skipped})
        out.put(("ok", len(report.migrated), len(report.skipped), skipped))
    except Exception as exc:  # reported to the parent, which fails the test
        out.put(("crashed", f"{type(exc).__name__}: {exc}", 0, []))
    finally:
        engine.close()
