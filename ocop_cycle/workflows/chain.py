"""The hash chain: each event's hash covers its content and the hash before it.

``hash = SHA-256(canonical JSON of the event, including prev_hash)``, or HMAC-SHA-256 with a key
held outside the database, so that a change to any field, a deletion or an insertion breaks the
chain from that point on. The canonical form is fixed forever: sorted keys, no spaces, UTF-8,
datetimes as ISO 8601 with microseconds and offset in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from ocop_cycle.clock import VN_TZ

__all__ = ["GENESIS", "actor_document", "canonical", "event_hash", "iso"]

#: The ``prev_hash`` of a dossier's first event.
GENESIS = "0" * 64


def iso(instant: datetime) -> str:
    """The canonical text of an instant."""
    return instant.astimezone(VN_TZ).isoformat(timespec="microseconds")


def actor_document(
    role: str, jurisdiction: str, actor_id: str | None, name: str | None
) -> dict[str, Any]:
    """The actor as the hash covers it."""
    return {"role": role, "jurisdiction": jurisdiction, "id": actor_id, "name": name}


def canonical(
    *,
    dossier_id: UUID,
    seq: int,
    type: str,
    schema_version: int,
    payload: dict[str, Any],
    actor: dict[str, Any],
    profile_id: str,
    occurred_at: datetime,
    recorded_at: datetime,
    prev_hash: str,
) -> bytes:
    """The bytes an event's hash is computed over."""
    document = {
        "actor": actor,
        "dossier_id": str(dossier_id),
        "occurred_at": iso(occurred_at),
        "payload": payload,
        "prev_hash": prev_hash,
        "profile": profile_id,
        "recorded_at": iso(recorded_at),
        "schema_version": schema_version,
        "seq": seq,
        "type": type,
    }
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_hash(content: bytes, key: bytes | None = None) -> str:
    """SHA-256 of ``content``, keyed (HMAC) when a key is given; hex."""
    if key is None:
        return hashlib.sha256(content).hexdigest()
    return hmac.new(key, content, hashlib.sha256).hexdigest()
