"""Notifications an event owes to people, written to the outbox with the event.

Each has a stable id (derived from the dossier, seq and kind) so that a consumer can drop
repeats: delivery is at least once. Texts write dates dd/mm/yyyy and leave no field blank;
``data`` carries the same facts for machines (ids, product, ISO dates, the recipient's unit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from hashlib import sha1
from string import Formatter
from typing import Any
from uuid import UUID

from ocop_cycle.clock import to_vn
from ocop_cycle.rules.authority import Role
from ocop_cycle.rules.support import BASIS_LABELS_VI
from ocop_cycle.rules.units import UnitRegistry
from ocop_cycle.text import format_date_vi, format_vnd
from ocop_cycle.workflows.events import (
    Event,
    ReminderSent,
    RenewalDueMarked,
    Returned,
    SupportGranted,
)
from ocop_cycle.workflows.jurisdiction import recorded_on, successor_codes
from ocop_cycle.workflows.model import Dossier, DossierKind

__all__ = [
    "FALLBACK_MESSAGE",
    "PRODUCER_MESSAGES",
    "Notice",
    "notice_id",
    "notices_for",
    "producer_message",
    "render",
]


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification to one recipient."""

    id: UUID
    kind: str
    recipient_role: Role
    recipient_jurisdiction: str
    message_vi: str
    data: dict[str, Any]


#: What the producer is told of each kind of event, in Vietnamese, dates dd/mm/yyyy. A kind may
#: list a shorter text for when an optional field is empty (a withdrawal without a reason); the
#: first text whose every placeholder has a value is used, never one with a blank.
PRODUCER_MESSAGES: dict[str, tuple[str, ...]] = {
    "reminder_sent": (
        "Nhắc hạn: giấy chứng nhận OCOP của sản phẩm «{product}» hết hạn ngày {valid_until}.",
    ),
    "round_assigned": ("Hồ sơ sản phẩm «{product}» được xếp vào đợt đánh giá.",),
    "returned": ("Hồ sơ sản phẩm «{product}» được trả lại để bổ sung, hạn nộp lại {due_on}.",),
    "rejected": ("Hồ sơ sản phẩm «{product}» không đủ điều kiện tham gia đánh giá.",),
    "certified": (
        "Sản phẩm «{product}» được công nhận {stars} sao theo quyết định số "
        "{decision_number}, hiệu lực đến {valid_until}.",
    ),
    "not_recognized": ("Sản phẩm «{product}» chưa đạt hạng 3 sao, không được công nhận.",),
    "certificate_kept": (
        "Sản phẩm «{product}» không được nâng hạng; giữ nguyên công nhận "
        "{stars} sao, hiệu lực đến {valid_until}.",
    ),
    "revoked": (
        "Sản phẩm «{product}» bị thu hồi giấy chứng nhận OCOP theo quyết định số "
        "{decision_number}.",
    ),
    "renewal_due_marked": (
        "Giấy chứng nhận OCOP của sản phẩm «{product}» hết hạn ngày "
        "{valid_until}; đề nghị nộp hồ sơ đánh giá lại.",
    ),
    "expired": (
        "Giấy chứng nhận OCOP của sản phẩm «{product}» đã hết hiệu lực ngày {valid_until}.",
    ),
    "superseded": (
        "Giấy chứng nhận cũ của sản phẩm «{product}» được thay bằng giấy chứng nhận mới.",
    ),
    "withdrawn": (
        "Hồ sơ sản phẩm «{product}» đã được rút ({reason}).",
        "Hồ sơ sản phẩm «{product}» đã được rút.",
    ),
    "support_granted": (
        "Sản phẩm «{product}» được hỗ trợ {amount} ({basis}) theo {policy_title_vi}.",
    ),
    "excluded": ("Hồ sơ sản phẩm «{product}» bị loại: {ground_vi}.",),
    "returned_to_lower_tier": (
        "Hồ sơ sản phẩm «{product}» ({score} điểm tại Hội đồng cấp trên) "
        "được đánh giá, phân hạng lại theo thẩm quyền.",
    ),
    "validity_extended": (
        "Giấy chứng nhận OCOP của sản phẩm «{product}» có hiệu lực đến ngày "
        "{valid_until} ({legal_basis_vi}).",
    ),
    "profile_migrated": (
        "Hồ sơ sản phẩm «{product}» tiếp tục được đánh giá theo {legal_basis_vi}.",
    ),
}


#: What the producer is told when an upgrade ends without raising its certificate.
UPGRADE_NOT_RECOGNISED = (
    "Sản phẩm «{product}» không được nâng hạng; giấy chứng nhận OCOP đã cấp không thay đổi.",
)


def notices_for(event: Event, dossier: Dossier, units: UnitRegistry | None = None) -> list[Notice]:
    """What ``event`` (already applied, giving ``dossier``) must tell whom. With ``units``, the
    producer is reached through the commune that carries its own on the event's day (after the
    2025 reform, the merged commune)."""
    payload = event.payload
    templates = PRODUCER_MESSAGES.get(event.type)
    if event.type == "not_recognized" and dossier.kind is DossierKind.UPGRADE:
        templates = UPGRADE_NOT_RECOGNISED  # its certificate stands: not "not recognised"
    if isinstance(payload, ReminderSent) and payload.kind == "council_reminder":
        templates = None  # the council is told (``notify``), not the producer
    if templates is None and not payload.notify:
        return []
    dates = _dates(event, dossier)
    out = []
    if templates is not None:
        commune = _producer_commune(event, dossier, units)
        out.append(
            Notice(
                id=notice_id(dossier.id, f"{event.seq}|{event.type}|producer"),
                kind=event.type,
                recipient_role=Role.PRODUCER,
                recipient_jurisdiction=commune,
                message_vi=producer_message(
                    templates, _fields(event, dossier, dates, (*templates, FALLBACK_MESSAGE))
                ),
                data=_data(event, dossier, dates, Role.PRODUCER, commune),
            )
        )
    for i, extra in enumerate(payload.notify):
        out.append(
            Notice(
                id=notice_id(dossier.id, f"{event.seq}|{event.type}|notify|{i}"),
                kind=event.type,
                recipient_role=extra.role,
                recipient_jurisdiction=extra.jurisdiction,
                message_vi=extra.message_vi,
                data=_data(event, dossier, dates, extra.role, extra.jurisdiction),
            )
        )
    return out


#: The bits of a UUID that carry its version and variant, and those of version 5 (RFC 4122).
_VERSION_BITS = (0xF000 << 64) | (0xC000 << 48)
_VERSION_5 = (5 << 76) | (0x8000 << 48)


def notice_id(dossier_id: UUID, name: str) -> UUID:
    """``uuid5(dossier_id, name)``, the same value. Why: uuid5 builds its UUID from bytes with
    a version argument (~1 µs more, once per notice on the write path)."""
    digest = int.from_bytes(sha1(dossier_id.bytes + name.encode()).digest()[:16])
    return UUID(int=(digest & ~_VERSION_BITS) | _VERSION_5)


#: The text when none of a kind's texts can be filled (an event recorded before its fields
#: existed): the event's Vietnamese name, never a blank.
FALLBACK_MESSAGE = "Hồ sơ sản phẩm «{product}»: {event_label}."


def producer_message(templates: tuple[str, ...], fields: Mapping[str, object]) -> str:
    """The first of ``templates`` whose every placeholder has a value in ``fields``, filled;
    else ``FALLBACK_MESSAGE`` (``fields`` always name the product and the event)."""
    for template in (*templates, FALLBACK_MESSAGE):
        try:
            return render(template, fields)
        except ValueError:
            continue
    raise ValueError(f"no notice text can be filled from {sorted(fields)}")


def render(template: str, fields: Mapping[str, object]) -> str:
    """``template`` filled from ``fields``; ``ValueError`` naming a placeholder that has no value
    or an empty one (a notice never reads "… hết hạn ngày .")."""
    names = _placeholders(template)
    blank = [name for name in names if fields.get(name) in (None, "")]
    if blank:
        raise ValueError(f"notice template lacks {', '.join(blank)}: {template!r}")
    return template.format(**{name: fields[name] for name in names})


@lru_cache(maxsize=256)  # the kinds' texts, and any a host renders: bounded
def _placeholders(template: str) -> tuple[str, ...]:
    """The names ``template`` fills (templates are few and fixed: parsed once each)."""
    return tuple(name for _, name, _, _ in Formatter().parse(template) if name)


#: Fields every notice has without reading the payload's own (``_fields``).
_BASE_FIELDS = frozenset({"product", "event_label", "due_on", "valid_until"})


def _dates(event: Event, dossier: Dossier) -> dict[str, date | None]:
    """The dates a notice is about: the certificate's validity (from the event, else the
    dossier's) and the day by which the recipient must act."""
    payload = event.payload
    # From the fields themselves: a missing attribute costs pydantic an exception.
    valid_until = payload.__dict__.get("valid_until") or dossier.valid_until
    due_on: date | None = None
    if isinstance(payload, Returned):
        due_on = payload.due_on
    elif isinstance(payload, ReminderSent):
        # The council's reminder falls on the last day its members may get the e-dossier; a
        # renewal notice asks for action before the certificate lapses.
        due_on = to_vn(payload.due_at).date() if payload.kind == "council_reminder" else valid_until
    elif isinstance(payload, RenewalDueMarked):
        due_on = valid_until
    return {"due_on": due_on, "valid_until": valid_until}


def _fields(
    event: Event,
    dossier: Dossier,
    dates: Mapping[str, date | None],
    templates: tuple[str, ...],
) -> dict[str, object]:
    """What ``templates`` may name, dates written dd/mm/yyyy."""
    payload = event.payload
    wanted = {name for template in templates for name in _placeholders(template)}
    fields: dict[str, object] = (
        {}
        if wanted <= _BASE_FIELDS  # the payload's own fields would be overwritten or unused
        else {k: v for k, v in payload.wire().items() if isinstance(v, str | int) and v != ""}
    )
    fields["product"] = dossier.product_name
    fields["event_label"] = payload.label_vi
    if dossier.certified_stars is not None:
        fields.setdefault("stars", dossier.certified_stars)
    if dossier.decision_number:
        fields.setdefault("decision_number", dossier.decision_number)
    for name, day in dates.items():
        if day is not None and name in wanted:
            fields[name] = format_date_vi(day)
    if isinstance(payload, SupportGranted):
        fields["amount"] = format_vnd(payload.amount)
        fields["basis"] = BASIS_LABELS_VI[payload.basis].lower()
    return fields


def _data(
    event: Event,
    dossier: Dossier,
    dates: Mapping[str, date | None],
    role: Role,
    unit: str,
) -> dict[str, Any]:
    """The structured form of a notice, for hosts that write their own text (an SMS): the same
    keys for every kind, dates in ISO 8601, None where a kind has no such date."""
    payload = event.payload
    return {
        "kind": event.type,
        "reminder_kind": payload.kind if isinstance(payload, ReminderSent) else None,
        "event": event.type,
        "seq": event.seq,
        "dossier_id": str(dossier.id),
        "state": dossier.state.value,
        "product": dossier.product_name,
        "product_name": dossier.product_name,
        "product_code": dossier.product_code,
        "producer_id": str(dossier.producer_id),
        "producer_name": dossier.producer_name,
        "recipient_role": role.value,
        "recipient_unit": unit,
        "stars": dossier.certified_stars,
        "due_on": _iso(dates["due_on"]),
        "valid_until": _iso(dates["valid_until"]),
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _producer_commune(event: Event, dossier: Dossier, units: UnitRegistry | None) -> str:
    code = dossier.commune_code or dossier.province_code
    if units is None:
        return code
    on = event.occurred_at.date()
    return successor_codes(units, code, on, recorded_on(dossier))[0]
