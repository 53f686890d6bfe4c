"""A bounded cache of dossier projections as this engine last committed or read them.

Why: reading the projection is one statement (one round trip on PostgreSQL) plus row
conversion and model validation on every command; a command usually acts on a dossier this
engine touched a moment ago. The cache is a hint, never the truth: a command decided on a cached
projection writes through the same UPDATE checked against the version it was decided on, so a
stale entry (another engine, process or host moved the dossier) cannot be written over: the
UPDATE matches no row and the command is refused with ``ConcurrencyConflict``. The handler then
drops the entry and runs the command once more from a fresh read (``_handlers``), and a
refusal decided on a cached projection is checked again the same way, so no caller ever sees an
answer that only a stale entry gave.

Entries are stored only after their transaction committed (``Store.write``), never from a
host's connection (its transaction may still roll back), and the newest version wins when
threads race to store one dossier. Least recently used entries go first beyond ``size``.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from uuid import UUID

from ocop_cycle.workflows.model import Dossier

__all__ = ["ProjectionCache"]

#: Entries an engine keeps by default (about 1–2 KB each).
DEFAULT_SIZE = 1024


class ProjectionCache:
    """Dossier projections by id, at most ``size`` of them (``size`` 0 keeps none)."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 0:
            raise ValueError("a cache size cannot be negative")
        self.size = size
        self._entries: OrderedDict[UUID, Dossier] = OrderedDict()
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, dossier_id: UUID) -> Dossier | None:
        """The projection last stored for ``dossier_id``, if any (a hint: see the module)."""
        with self._lock:
            found = self._entries.get(dossier_id)
            if found is not None:
                self._entries.move_to_end(dossier_id)
            return found

    def put(self, dossier: Dossier) -> None:
        """Keep ``dossier`` unless a newer version of it is kept already."""
        if self.size == 0:
            return
        with self._lock:
            kept = self._entries.get(dossier.id)
            if kept is not None and kept.version > dossier.version:
                return
            self._entries[dossier.id] = dossier
            self._entries.move_to_end(dossier.id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, dossier_id: UUID) -> None:
        """Forget ``dossier_id``."""
        with self._lock:
            self._entries.pop(dossier_id, None)
