"""Module-level functions run in child processes by the concurrency tests (spawn-safe)."""

from __future__ import annotations

from multiprocessing.synchronize import Barrier
from typing import Any
from uuid import UUID

from ocop_cycle import ConcurrencyConflict, Engine, Role, SettableClock
from tests.conftest import START
from tests.scenario import LANG_GIANG


def race(url: str, which: str, ids: list[str], barrier: Barrier, out: Any) -> None:
    """Fire one side of a conflicting pair at each dossier, in step with the other process."""
    engine = Engine.open(url, clock=SettableClock(START))
    results = []
    try:
        for raw in ids:
            dossier_id = UUID(raw)
            barrier.wait(timeout=60)
            try:
                if which == "verify":
                    engine.verify_commune(
                        dossier_id,
                        actor=LANG_GIANG.actor(Role.COMMUNE_COMMITTEE),
                        expected_version=1,
                    )
                else:
                    engine.return_for_supplement(
                        dossier_id,
                        actor=LANG_GIANG.actor(Role.COMMUNE_OFFICER),
                        guidance="Bổ sung giấy chứng nhận ATTP",
                        expected_version=1,
                    )
                results.append("won")
            except ConcurrencyConflict as exc:
                results.append("conflict" if exc.dossier_id == dossier_id else f"error: {exc}")
            except Exception as exc:  # reported to the parent, which fails the test
                results.append(f"error: {type(exc).__name__}: {exc}")
    finally:
        engine.close()
        out.put((which, results))
