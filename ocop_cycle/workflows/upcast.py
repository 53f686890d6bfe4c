"""Event schema versions and upcasters: old events are upgraded on read, never rewritten.

Each event type has a stable name and a ``schema_version``. When a payload's shape changes, the
version goes up and an upcaster turns the previous version into the next; reading applies them in
turn, then validates the result against the type's model, so the fold only ever sees current,
typed payloads. The stored row (what its hash covers) stays as it was written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocop_cycle.rules.authority import Level
from ocop_cycle.workflows.states import DossierState, forwarded_state, scored_state

__all__ = ["SCHEMA_VERSIONS", "UPCASTERS", "current_version", "upcast_payload"]

Payload = dict[str, Any]

S = DossierState

#: v2 (2026-11) of every event that moves a dossier: it carries the state it moves it to, which
#: v1 left to a table in the fold. The state each v1 event led to, by type.
_V1_STATES: dict[str, Callable[[Payload], DossierState]] = {
    "registered": lambda _: S.REGISTERED,
    "certificate_imported": lambda _: S.CERTIFIED,
    "returned": lambda _: S.RETURNED,
    "resubmitted": lambda _: S.REGISTERED,
    "commune_verified": lambda _: S.COMMUNE_VERIFIED,
    "rejected": lambda _: S.REJECTED,
    "scored": lambda p: scored_state(Level(p["level"])),
    "forwarded": lambda p: forwarded_state(Level(p["to_level"])),
    "certified": lambda _: S.CERTIFIED,
    "not_recognized": lambda _: S.NOT_RECOGNIZED,
    "monitoring_started": lambda _: S.MONITORED,
    "revoked": lambda _: S.REVOKED,
    "withdrawn": lambda _: S.WITHDRAWN,
    "renewal_due_marked": lambda _: S.RENEWAL_DUE,
    "expired": lambda _: S.EXPIRED,
    "superseded": lambda _: S.RENEWED,
}

#: The version each event type is written with today (types not listed are at 1).
SCHEMA_VERSIONS: dict[str, int] = {
    # v2 (2026-11): the scheduler carries unscored dossiers to the next round and says from where.
    "round_assigned": 2,
    **dict.fromkeys(_V1_STATES, 2),
}


def _round_assigned_1_to_2(payload: Payload) -> Payload:
    """v1 had only ``round_id``: nothing was carried over before v2 existed."""
    return {**payload, "carried_from": None}


def _with_state(event_type: str) -> Callable[[Payload], Payload]:
    to_state = _V1_STATES[event_type]

    def upcaster(payload: Payload) -> Payload:
        return {**payload, "state": to_state(payload).value}

    upcaster.__doc__ = f"v1 of {event_type} did not say the state it led to: add it."
    return upcaster


#: (event type, version it reads) -> function producing the next version's payload.
UPCASTERS: dict[tuple[str, int], Callable[[Payload], Payload]] = {
    ("round_assigned", 1): _round_assigned_1_to_2,
    **{(name, 1): _with_state(name) for name in _V1_STATES},
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
