"""Event schema versions and upcasters: old events are upgraded on read, never rewritten.

Each event type has a stable name and a ``schema_version``. When a payload's shape changes, the
version goes up and an upcaster turns the previous version into the next; reading applies them in
turn, so the fold only ever sees current payloads. The stored row (what its hash covers) stays as
it was written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocop_cycle.workflows.model import Event

__all__ = ["SCHEMA_VERSIONS", "UPCASTERS", "current_version", "upcast", "upcast_payload"]

Payload = dict[str, Any]

#: The version each event type is written with today (types not listed are at 1).
SCHEMA_VERSIONS: dict[str, int] = {
    # v2 (2026-11): the scheduler carries unscored dossiers to the next round and says from where.
    "round_assigned": 2,
}


def _round_assigned_1_to_2(payload: Payload) -> Payload:
    """v1 had only ``round_id``: nothing was carried over before v2 existed."""
    return {**payload, "carried_from": None}


#: (event type, version it reads) -> function producing the next version's payload.
UPCASTERS: dict[tuple[str, int], Callable[[Payload], Payload]] = {
    ("round_assigned", 1): _round_assigned_1_to_2,
}


def current_version(event_type: str) -> int:
    """The schema version ``event_type`` is written with."""
    return SCHEMA_VERSIONS.get(event_type, 1)


def upcast_payload(event_type: str, version: int, payload: Payload) -> tuple[int, Payload]:
    """The payload brought up to the current version of its type."""
    target = current_version(event_type)
    if version > target:
        raise ValueError(f"{event_type} v{version} is newer than this code (v{target})")
    while version < target:
        payload = UPCASTERS[(event_type, version)](payload)
        version += 1
    return version, payload


def upcast(event: Event) -> Event:
    """``event`` with its payload at the current schema version (the same object if it is)."""
    if event.schema_version == current_version(event.type):
        return event
    version, payload = upcast_payload(event.type, event.schema_version, event.payload)
    return event.model_copy(update={"schema_version": version, "payload": payload})
