"""Child processes for the concurrent-upgrade tests (spawn-safe): a host calling
``engine.upgrade()`` at start in each of several workers."""

from __future__ import annotations

from multiprocessing.synchronize import Barrier
from typing import Any

from ocop_cycle import Engine


def upgrade_at_start(url: str, barrier: Barrier, out: Any) -> None:
    """Open the engine, wait for the other workers, upgrade; put the revision found before."""
    engine = Engine.open(url)
    try:
        barrier.wait(timeout=120)
        try:
            out.put(("ok", engine.upgrade()))
        except Exception as exc:  # reported to the parent, which fails the test with it
            out.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        engine.close()
