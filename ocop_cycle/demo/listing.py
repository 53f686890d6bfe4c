"""The demo's per-dossier listing: every dossier it played, with the rule profile it was
evaluated under and its product code (T-X-STT-year, given by the commune under qd26-2026)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ocop_cycle.engine import Engine
from ocop_cycle.workflows.states import DossierState

__all__ = ["DemoDossier", "demo_dossiers"]


@dataclass(frozen=True, slots=True)
class DemoDossier:
    """One dossier of the demo as the store holds it at the end."""

    ref: str
    product: str
    profile_id: str
    product_code: str | None
    state: DossierState
    stars: int | None
    valid_until: date | None


def demo_dossiers(engine: Engine, dossiers: Mapping[str, UUID]) -> list[DemoDossier]:
    """The demo's dossiers (``ref -> id``, as ``DemoResult.dossiers``) in the order played."""
    out = []
    for ref, dossier_id in dossiers.items():
        d = engine.get(dossier_id)
        out.append(
            DemoDossier(
                ref=ref,
                product=d.product_name,
                profile_id=d.profile_id,
                product_code=d.product_code,
                state=d.state,
                stars=d.certified_stars,
                valid_until=d.valid_until,
            )
        )
    return out
