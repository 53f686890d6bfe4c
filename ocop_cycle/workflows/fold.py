"""Replay as a fold: ``apply(dossier, event)`` is the only way a dossier's state changes.

The engine computes each new projection with this same function, so the stored projection and
a replay from the log agree by construction; the audit replays it to prove they still do. An
event that moves the dossier says where to (``state``, decided by the machine when it was
written); the fold records that and what else the event changed, and decides nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ocop_cycle.workflows.construct import replaced
from ocop_cycle.workflows.events import (
    CertificateImported,
    Certified,
    CommuneVerified,
    Event,
    Forwarded,
    InspectionRecorded,
    Moving,
    ProfileMigrated,
    Registered,
    Resubmitted,
    Returned,
    ReturnedToLowerTier,
    RoundAssigned,
    Scored,
    Superseded,
    ValidityExtended,
)
from ocop_cycle.workflows.model import Dossier

__all__ = ["apply", "fold"]


def _created(event: Event, p: Registered | CertificateImported) -> dict[str, Any]:
    return {
        "id": event.dossier_id,
        "profile_id": event.profile_id,
        "kind": p.kind,
        "producer_id": p.producer.id,
        "producer_name": p.producer.name,
        "producer_kind": p.producer.kind,
        "product_id": p.product.id,
        "product_name": p.product.name,
        "product_group": p.product.group,
        "product_set": p.product.product_set,
        "commune_code": p.commune_code,
        "district_code": p.district_code,
        "province_code": p.province_code,
        "predecessor_id": p.predecessor_id,
        "registered_at": event.occurred_at,
    }


def _certificate(p: Certified | CertificateImported) -> dict[str, Any]:
    return {
        "certified_stars": p.stars,
        "certified_level": p.level,
        "certificate_number": p.certificate_number,
        "decision_number": p.decision_number,
        "issuing_body": p.issuing_body,
        "certified_on": p.decision_date,
        "valid_until": p.valid_until,
    }


def _registered(event: Event, p: Any) -> dict[str, Any]:
    return _created(event, p)


def _imported(event: Event, p: Any) -> dict[str, Any]:
    return {**_created(event, p), "score": p.score, "stars": p.stars, **_certificate(p)}


def _returned(_: Event, p: Any) -> dict[str, Any]:
    return {"supplement_due_on": p.due_on}


def _resubmitted(_: Event, p: Any) -> dict[str, Any]:
    return {"supplement_due_on": None}


def _commune_verified(_: Event, p: Any) -> dict[str, Any]:
    return {"product_code": p.product_code} if p.product_code is not None else {}


def _round_assigned(_: Event, p: Any) -> dict[str, Any]:
    return {"round_id": p.round_id}


def _scored(event: Event, p: Any) -> dict[str, Any]:
    return {
        "level": p.level,
        "score": p.total,
        "stars": p.stars,
        "outcome": p.outcome,
        "scored_on": event.occurred_at.date(),
    }


def _forwarded(_: Event, p: Any) -> dict[str, Any]:
    return {"level": p.to_level, "outcome": None}


def _certified(_: Event, p: Any) -> dict[str, Any]:
    return _certificate(p)


def _inspection(_: Event, p: Any) -> dict[str, Any]:
    return {"last_inspection_on": p.inspected_on, "last_inspection_passed": p.passed}


def _superseded(_: Event, p: Any) -> dict[str, Any]:
    return {"successor_id": p.successor_id}


def _returned_to_lower_tier(_: Event, p: Any) -> dict[str, Any]:
    # Back before the lower tier's council: its round is to be assigned again, no outcome yet
    # (the upper council's score stays on record in the event and as ``score``).
    return {"level": p.to_level, "outcome": None, "round_id": None}


def _validity(_: Event, p: Any) -> dict[str, Any]:
    if p.state is not None:  # a lapsed certificate held again while its re-evaluation runs
        return {"valid_until": p.valid_until, "state": p.state}
    return {"valid_until": p.valid_until}


def _migrated(_: Event, p: Any) -> dict[str, Any]:
    return {"profile_id": p.to_profile, **dict.fromkeys(p.cleared)}


#: What each payload model changes besides the state it carries (types not listed: nothing).
_CHANGES: dict[type, Callable[[Event, Any], dict[str, Any]]] = {
    Registered: _registered,
    CertificateImported: _imported,
    Returned: _returned,
    Resubmitted: _resubmitted,
    RoundAssigned: _round_assigned,
    CommuneVerified: _commune_verified,
    Scored: _scored,
    Forwarded: _forwarded,
    Certified: _certified,
    InspectionRecorded: _inspection,
    Superseded: _superseded,
    ProfileMigrated: _migrated,
    ReturnedToLowerTier: _returned_to_lower_tier,
    ValidityExtended: _validity,
}


def _nothing(_: Event, __: Any) -> dict[str, Any]:
    return {}


def apply(dossier: Dossier | None, event: Event) -> Dossier:
    """The dossier after ``event``; a creation event starts from ``None``."""
    payload = event.payload
    changes = _CHANGES.get(type(payload), _nothing)(event, payload)
    if isinstance(payload, Moving):
        changes["state"] = payload.state
    changes["version"] = event.seq
    changes["updated_at"] = event.recorded_at
    changes["last_hash"] = event.hash
    if dossier is None:
        if event.seq != 1:
            raise ValueError(f"event {event.type} seq {event.seq} has no dossier to apply to")
        return Dossier(**changes)
    if event.seq != dossier.version + 1:
        raise ValueError(f"event seq {event.seq} does not follow version {dossier.version}")
    return replaced(dossier, changes)


def fold(events: Iterable[Event]) -> Dossier | None:
    """The dossier after all ``events`` in order (None for no events)."""
    dossier: Dossier | None = None
    for event in events:
        dossier = apply(dossier, event)
    return dossier
