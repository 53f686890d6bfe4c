"""Plans kept in the store: read back as :class:`Plan` for reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocop_cycle._storage.plans import PlanStore
from ocop_cycle.plan.model import Plan

if TYPE_CHECKING:
    from ocop_cycle.engine import Engine

__all__ = ["stored_plan", "stored_units"]


def stored_plan(engine: Engine, year: int, unit_code: str) -> Plan | None:
    """The plan of ``unit_code`` for ``year`` as last imported, if any."""
    found = PlanStore(engine.sa_engine).get(year, unit_code)
    return None if found is None else Plan.model_validate(found.document)


def stored_units(engine: Engine, year: int) -> list[str]:
    """The codes of the units with an imported plan for ``year``."""
    return PlanStore(engine.sa_engine).of_year(year)
