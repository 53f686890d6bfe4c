"""Child-process side of the plan-import race (spawn-safe, module level)."""

from __future__ import annotations

import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

from ocop_cycle import VN_TZ, Engine, SettableClock
from ocop_cycle.plan.importer import import_plan, read_plan


def import_file(url: str, path: str, barrier: Any, out: Any) -> None:
    """Read the plan, wait for the other racers, import it; put what the import reported."""
    try:
        read = read_plan(Path(path))
        assert read.plan is not None, read.problems
        # The office imports its 2024 plan in 2024 (nothing registers under 148 after 21/07/2026).
        clock = SettableClock(datetime(2024, 3, 2, 9, tzinfo=VN_TZ))
        with Engine.open(url, clock=clock) as engine:
            barrier.wait(timeout=120)
            report = import_plan(engine, read.plan)
        out.put((report.plan, report.registered, report.histories))
    except Exception:  # the parent asserts on it: nothing crashed
        out.put(("crashed", traceback.format_exc(), 0))
