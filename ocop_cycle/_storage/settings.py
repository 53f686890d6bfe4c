"""What a store records about itself: ``simulated_until``, where the simulated clock that drove
it stopped (the demo, ``scheduler run --simulated``), so that reports on such a store are as of
that instant rather than the wall clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, select

from ocop_cycle._storage.connections import Database, as_database
from ocop_cycle._storage.schema import store_settings

__all__ = ["StoreSettings"]

S = store_settings.c
SIMULATED_UNTIL = "simulated_until"


class StoreSettings:
    """Read and record the store's own settings."""

    def __init__(self, bind: Engine | Connection | Database) -> None:
        self.database = as_database(bind)

    def simulated_until(self) -> datetime | None:
        """Where a simulated clock left the store, or None for a store run on real time."""
        with self.database.guard(), self.database.connect() as conn:
            value = conn.execute(
                select(S.value).where(S.name == SIMULATED_UNTIL)
            ).scalar_one_or_none()
        return None if value is None else datetime.fromisoformat(value["at"])

    def record_simulated_until(self, at: datetime) -> None:
        """Record that a simulated clock drove the store to ``at`` (never moved back)."""
        with self.database.guard(), self.database.begin() as conn:
            value = conn.execute(
                select(S.value).where(S.name == SIMULATED_UNTIL).with_for_update()
            ).scalar_one_or_none()
            if value is None:
                conn.execute(
                    store_settings.insert(),
                    {"name": SIMULATED_UNTIL, "value": {"at": at.isoformat()}},
                )
            elif datetime.fromisoformat(value["at"]) < at:
                conn.execute(
                    store_settings.update().where(S.name == SIMULATED_UNTIL),
                    {"value": {"at": at.isoformat()}},
                )
