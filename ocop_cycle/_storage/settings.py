"""What a store records about itself: ``simulated_until``, where the simulated clock that drove
it stopped (the demo, ``scheduler run --simulated``), so that reports on such a store are as of
that instant rather than the wall clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from ocop_cycle._storage.connections import Database, as_database
from ocop_cycle._storage.schema import store_settings
from ocop_cycle.clock import VN_TZ

__all__ = ["KEY_CHECK", "StoreSettings"]

S = store_settings.c
SIMULATED_UNTIL = "simulated_until"
#: The fingerprint of the key the store's hash chains are made with (``chain.key_fingerprint``).
KEY_CHECK = "key_check"


def _text(at: datetime) -> str:
    # One offset, always with microseconds: the texts sort as the instants do, so the database
    # can keep the later of two in one statement.
    return at.astimezone(VN_TZ).isoformat(timespec="microseconds")


class StoreSettings:
    """Read and record the store's own settings."""

    def __init__(self, bind: Engine | Connection | Database) -> None:
        self.database = as_database(bind)

    def simulated_until(self) -> datetime | None:
        """Where a simulated clock left the store, or None for a store run on real time."""
        value = self._get(SIMULATED_UNTIL)
        return None if value is None else datetime.fromisoformat(value)

    def key_check(self) -> str | None:
        """The fingerprint of the key the store's hash chains are made with, if recorded."""
        return self._get(KEY_CHECK)

    def _get(self, name: str) -> str | None:
        with self.database.guard(), self.database.connect() as conn:
            value = conn.execute(select(S.value).where(S.name == name)).scalar_one_or_none()
        return None if value is None else str(value)

    def record_simulated_until(self, at: datetime) -> None:
        """Record that a simulated clock drove the store to ``at``; a later instant already
        recorded is kept (simulations racing on one store agree on the latest)."""
        dialect = self.database.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        new = insert(store_settings).values(name=SIMULATED_UNTIL, value=_text(at))
        upsert = new.on_conflict_do_update(
            index_elements=[S.name],
            set_={"value": new.excluded.value},
            where=S.value < new.excluded.value,
        )
        with self.database.guard(), self.database.begin() as conn:
            conn.execute(upsert)
