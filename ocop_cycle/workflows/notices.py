"""Notifications an event owes to people, written to the outbox with the event.

Each has a stable id (derived from the dossier, seq and kind) so that a consumer can drop
repeats: delivery is at least once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from ocop_cycle.rules.authority import Role
from ocop_cycle.rules.support import BASIS_LABELS_VI
from ocop_cycle.rules.units import UnitRegistry
from ocop_cycle.text import format_vnd
from ocop_cycle.workflows.events import Event, ReminderSent, SupportGranted
from ocop_cycle.workflows.jurisdiction import recorded_on, successor_codes
from ocop_cycle.workflows.model import Dossier

__all__ = ["Notice", "notices_for"]


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification to one recipient."""

    id: UUID
    kind: str
    recipient_role: Role
    recipient_jurisdiction: str
    message_vi: str
    data: dict[str, Any]


_PRODUCER_MESSAGES = {
    "reminder_sent": "Nhắc hạn: giấy chứng nhận OCOP của sản phẩm «{product}» hết hạn ngày "
    "{valid_until}.",
    "round_assigned": "Hồ sơ sản phẩm «{product}» được xếp vào đợt đánh giá.",
    "returned": "Hồ sơ sản phẩm «{product}» được trả lại để bổ sung, hạn nộp lại {due_on}.",
    "rejected": "Hồ sơ sản phẩm «{product}» không đủ điều kiện tham gia đánh giá.",
    "certified": "Sản phẩm «{product}» được công nhận {stars} sao theo quyết định số "
    "{decision_number}, hiệu lực đến {valid_until}.",
    "not_recognized": "Sản phẩm «{product}» chưa đạt hạng 3 sao, không được công nhận.",
    "certificate_kept": "Sản phẩm «{product}» không được nâng hạng; giữ nguyên công nhận "
    "{stars} sao, hiệu lực đến {valid_until}.",
    "revoked": "Sản phẩm «{product}» bị thu hồi giấy chứng nhận OCOP theo quyết định số "
    "{decision_number}.",
    "renewal_due_marked": "Giấy chứng nhận OCOP của sản phẩm «{product}» hết hạn ngày "
    "{valid_until}; đề nghị nộp hồ sơ đánh giá lại.",
    "expired": "Giấy chứng nhận OCOP của sản phẩm «{product}» đã hết hiệu lực ngày {valid_until}.",
    "superseded": "Giấy chứng nhận cũ của sản phẩm «{product}» được thay bằng giấy chứng nhận mới.",
    "withdrawn": "Hồ sơ sản phẩm «{product}» đã được rút ({reason}).",
    "support_granted": "Sản phẩm «{product}» được hỗ trợ {amount} ({basis}) theo "
    "{policy_title_vi}.",
    "profile_migrated": "Hồ sơ sản phẩm «{product}» tiếp tục được đánh giá theo {legal_basis_vi}.",
    "validity_extended": "Giấy chứng nhận OCOP của sản phẩm «{product}» có hiệu lực đến ngày "
    "{valid_until} ({legal_basis_vi}).",
}


def notices_for(event: Event, dossier: Dossier, units: UnitRegistry | None = None) -> list[Notice]:
    """What ``event`` (already applied, giving ``dossier``) must tell whom. With ``units``, the
    producer is reached through the commune that carries its own on the event's day (after the
    2025 reform, the merged commune)."""
    payload = event.payload
    template = _PRODUCER_MESSAGES.get(event.type)
    if isinstance(payload, ReminderSent) and payload.kind == "council_reminder":
        template = None  # the council is told (``notify``), not the producer
    fields: dict[str, object] = {
        "product": dossier.product_name,
        "due_on": "",
        "stars": "",
        "valid_until": "",
        "reason": "",
    }
    fields.update({k: v for k, v in payload.wire().items() if isinstance(v, str | int)})
    if isinstance(payload, SupportGranted):
        fields["amount"] = format_vnd(payload.amount)
        fields["basis"] = BASIS_LABELS_VI[payload.basis].lower()
    data = {
        "dossier_id": str(dossier.id),
        "seq": event.seq,
        "event": event.type,
        "state": dossier.state.value,
        "product": dossier.product_name,
        "producer_id": str(dossier.producer_id),
    }
    out = []
    if template is not None:
        out.append(
            Notice(
                id=uuid5(dossier.id, f"{event.seq}|{event.type}|producer"),
                kind=event.type,
                recipient_role=Role.PRODUCER,
                recipient_jurisdiction=_producer_commune(event, dossier, units),
                message_vi=template.format(**fields),
                data=data,
            )
        )
    for i, extra in enumerate(payload.notify):
        out.append(
            Notice(
                id=uuid5(dossier.id, f"{event.seq}|{event.type}|notify|{i}"),
                kind=event.type,
                recipient_role=extra.role,
                recipient_jurisdiction=extra.jurisdiction,
                message_vi=extra.message_vi,
                data=data,
            )
        )
    return out


def _producer_commune(event: Event, dossier: Dossier, units: UnitRegistry | None) -> str:
    code = dossier.commune_code or dossier.province_code
    if units is None:
        return code
    on = event.occurred_at.date()
    return successor_codes(units, code, on, recorded_on(dossier))[0]
