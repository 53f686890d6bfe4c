"""Replay as a fold: ``apply(dossier, event)`` is the only way a dossier's state changes.

The engine computes each new projection with this same function, so the stored projection and
a replay from the log agree by construction; the audit replays it to prove they still do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from ocop_cycle.rules.authority import Level
from ocop_cycle.rules.scoring import Outcome
from ocop_cycle.workflows.model import Dossier, DossierKind, Event, ProducerKind
from ocop_cycle.workflows.states import DossierState, forwarded_state, scored_state

__all__ = ["EVENT_LABELS_VI", "EVENT_TYPES", "apply", "fold"]

#: Stable event type names, by the trigger or creation command that records them.
EVENT_TYPES: dict[str, str] = {
    "register": "registered",
    "register_reevaluation": "registered",
    "import_certificate": "certificate_imported",
    "return_for_supplement": "returned",
    "resubmit": "resubmitted",
    "verify_commune": "commune_verified",
    "reject": "rejected",
    "assign_round": "round_assigned",
    "score": "scored",
    "forward": "forwarded",
    "certify": "certified",
    "not_recognize": "not_recognized",
    "start_monitoring": "monitoring_started",
    "record_inspection": "inspection_recorded",
    "revoke": "revoked",
    "withdraw": "withdrawn",
    "mark_renewal_due": "renewal_due_marked",
    "expire": "expired",
    "supersede": "superseded",
    "remind": "reminder_sent",
    "escalate_inspection": "inspection_overdue",
    "flag_round_missed": "round_missed",
    "grant_support": "support_granted",
}

#: What each event is called in Vietnamese, for timelines shown to people.
EVENT_LABELS_VI: dict[str, str] = {
    "registered": "Đăng ký tham gia",
    "certificate_imported": "Nhập giấy chứng nhận cũ",
    "returned": "Trả lại để bổ sung",
    "resubmitted": "Nộp lại hồ sơ",
    "commune_verified": "UBND xã xác nhận",
    "rejected": "Không đủ điều kiện",
    "round_assigned": "Xếp vào đợt đánh giá",
    "scored": "Hội đồng chấm điểm",
    "forwarded": "Chuyển lên cấp trên",
    "certified": "Quyết định công nhận",
    "not_recognized": "Không công nhận",
    "monitoring_started": "Bắt đầu giám sát",
    "inspection_recorded": "Ghi nhận kiểm tra",
    "revoked": "Thu hồi giấy chứng nhận",
    "withdrawn": "Rút hồ sơ",
    "renewal_due_marked": "Thông báo đánh giá lại",
    "expired": "Hết hiệu lực",
    "superseded": "Được thay bằng giấy chứng nhận mới",
    "reminder_sent": "Gửi nhắc hạn",
    "inspection_overdue": "Quá hạn kiểm tra định kỳ",
    "round_missed": "Quá hạn chấm điểm, không còn đợt sau",
    "support_granted": "Hỗ trợ kinh phí theo chính sách của tỉnh",
}

S = DossierState


def _d(value: Any) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def _u(value: Any) -> UUID | None:
    return UUID(value) if value is not None else None


def _created(event: Event) -> dict[str, Any]:
    p = event.payload
    return {
        "id": event.dossier_id,
        "profile_id": event.profile_id,
        "kind": DossierKind(p["kind"]),
        "producer_id": UUID(p["producer"]["id"]),
        "producer_name": p["producer"]["name"],
        "producer_kind": ProducerKind(p["producer"]["kind"]),
        "product_id": UUID(p["product"]["id"]),
        "product_name": p["product"]["name"],
        "product_group": p["product"]["group"],
        "product_set": p["product"]["product_set"],
        "commune_code": p["commune_code"],
        "district_code": p["district_code"],
        "province_code": p["province_code"],
        "predecessor_id": _u(p.get("predecessor_id")),
        "registered_at": event.occurred_at,
    }


def _registered(_: Dossier | None, event: Event) -> dict[str, Any]:
    return {**_created(event), "state": S.REGISTERED}


def _imported(_: Dossier | None, event: Event) -> dict[str, Any]:
    p = event.payload
    return {
        **_created(event),
        "state": S.CERTIFIED,
        "score": Decimal(p["score"]) if p["score"] is not None else None,
        "stars": p["stars"],
        **_certificate(p),
    }


def _certificate(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "certified_stars": p["stars"],
        "certified_level": Level(p["level"]),
        "certificate_number": p["certificate_number"],
        "decision_number": p["decision_number"],
        "issuing_body": p["issuing_body"],
        "certified_on": _d(p["decision_date"]),
        "valid_until": _d(p["valid_until"]),
    }


def _scored(_: Dossier | None, event: Event) -> dict[str, Any]:
    p = event.payload
    level = Level(p["level"])
    return {
        "state": scored_state(level),
        "level": level,
        "score": Decimal(p["total"]),
        "stars": p["stars"],
        "outcome": Outcome(p["outcome"]),
        "scored_on": event.occurred_at.date(),
    }


def _forwarded(_: Dossier | None, event: Event) -> dict[str, Any]:
    level = Level(event.payload["to_level"])
    return {"state": forwarded_state(level), "level": level, "outcome": None}


def _state(state: DossierState, **extra: Any) -> Callable[[Dossier | None, Event], dict[str, Any]]:
    def change(_: Dossier | None, event: Event) -> dict[str, Any]:
        return {"state": state, **extra}

    return change


_APPLY: dict[str, Callable[[Dossier | None, Event], dict[str, Any]]] = {
    "registered": _registered,
    "certificate_imported": _imported,
    "returned": lambda _, e: {
        "state": S.RETURNED,
        "supplement_due_on": _d(e.payload["due_on"]),
    },
    "resubmitted": _state(S.REGISTERED, supplement_due_on=None),
    "commune_verified": _state(S.COMMUNE_VERIFIED),
    "rejected": _state(S.REJECTED),
    "round_assigned": lambda _, e: {"round_id": UUID(e.payload["round_id"])},
    "scored": _scored,
    "forwarded": _forwarded,
    "certified": lambda _, e: {"state": S.CERTIFIED, **_certificate(e.payload)},
    "not_recognized": _state(S.NOT_RECOGNIZED),
    "monitoring_started": _state(S.MONITORED),
    "inspection_recorded": lambda _, e: {
        "last_inspection_on": _d(e.payload["inspected_on"]),
        "last_inspection_passed": e.payload["passed"],
    },
    "revoked": _state(S.REVOKED),
    "withdrawn": _state(S.WITHDRAWN),
    "renewal_due_marked": _state(S.RENEWAL_DUE),
    "expired": _state(S.EXPIRED),
    "reminder_sent": lambda _, e: {},
    "inspection_overdue": lambda _, e: {},
    "round_missed": lambda _, e: {},
    "support_granted": lambda _, e: {},
    "superseded": lambda _, e: {
        "state": S.RENEWED,
        "successor_id": UUID(e.payload["successor_id"]),
    },
}


def apply(dossier: Dossier | None, event: Event) -> Dossier:
    """The dossier after ``event``; a creation event starts from ``None``."""
    changes = _APPLY[event.type](dossier, event)
    changes["version"] = event.seq
    changes["updated_at"] = event.recorded_at
    changes["last_hash"] = event.hash
    if dossier is None:
        if event.seq != 1:
            raise ValueError(f"event {event.type} seq {event.seq} has no dossier to apply to")
        return Dossier(**changes)
    if event.seq != dossier.version + 1:
        raise ValueError(f"event seq {event.seq} does not follow version {dossier.version}")
    return dossier.model_copy(update=changes)


def fold(events: Iterable[Event]) -> Dossier | None:
    """The dossier after all ``events`` in order (None for no events)."""
    dossier: Dossier | None = None
    for event in events:
        dossier = apply(dossier, event)
    return dossier
