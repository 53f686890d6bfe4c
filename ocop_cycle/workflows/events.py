"""Typed events: one frozen payload model per event type, each type's name and label defined once.

A payload is validated when it is written (``decide`` builds it) and when it is read back (after
upcasting, ``Event`` validates it against the model its type names). Stored, it is the JSON of
``wire()``: what the event's hash covers.

Events that move the dossier carry the state they move it to (``state``), decided once by the
machine; events that leave the state as it was (a reminder, an inspection) carry none.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from ocop_cycle.rules.authority import Actor, Level
from ocop_cycle.rules.profiles import ClearableField
from ocop_cycle.rules.scoring import CouncilSession, Outcome
from ocop_cycle.rules.support import Basis
from ocop_cycle.workflows.commands import Recipient, RevocationGrounds
from ocop_cycle.workflows.model import DossierKind, ProducerKind
from ocop_cycle.workflows.states import DossierState

__all__ = [
    "EVENT_LABELS_VI",
    "EVENT_TYPES",
    "PAYLOADS",
    "CertificateImported",
    "CertificateKept",
    "Certified",
    "CommuneVerified",
    "Event",
    "EventPayload",
    "Excluded",
    "Expired",
    "Forwarded",
    "InspectionOverdue",
    "InspectionRecorded",
    "MonitoringStarted",
    "NotRecognized",
    "OverdueEscalated",
    "Payload",
    "ProducerDoc",
    "ProductDoc",
    "ProfileMigrated",
    "ReevaluationWindowMissed",
    "ReevaluationWindowNotice",
    "Registered",
    "Rejected",
    "ReminderSent",
    "RenewalDueMarked",
    "Resubmitted",
    "Returned",
    "ReturnedToLowerTier",
    "Revoked",
    "RoundAssigned",
    "RoundMissed",
    "Scored",
    "Superseded",
    "SupportGranted",
    "ValidityExtended",
    "Withdrawn",
    "stored_form",
]


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Payload(_Doc):
    """What every event payload shares: its type (not stored: the row's column says it), the
    trigger(s) that record it, its Vietnamese label, and whom else it must notify."""

    name: ClassVar[str]
    label_vi: ClassVar[str]
    triggers: ClassVar[tuple[str, ...]]

    notify: tuple[Recipient, ...] = ()

    def wire(self) -> dict[str, Any]:
        """The payload as stored and hashed: JSON-native, without the type, ``notify`` only when
        someone is to be told."""
        exclude = {"type"} if self.notify else {"type", "notify"}
        return self.model_dump(mode="json", exclude=exclude)


#: The payload whose stored form was built last, with that form: an event's payload is dumped
#: for its hash and again for its row, one after the other in one command. One tuple, replaced
#: whole, so threads never see half of it; it holds the payload, so no other takes its identity.
_last_stored: list[tuple[Any, dict[str, Any]]] = [(None, {})]


def stored_form(payload: Payload) -> dict[str, Any]:
    """``payload.wire()``, built once for an event's hash and its row. Callers must not change
    it (a host's ``wire()`` is a fresh dict each time)."""
    seen, form = _last_stored[0]
    if seen is payload:
        return form
    form = payload.wire()
    _last_stored[0] = (payload, form)
    return form


class Moving(Payload):
    """A payload of an event that moves the dossier to ``state``."""

    state: DossierState


class ProducerDoc(_Doc):
    """The producer as a creation event records it."""

    id: UUID
    name: str
    kind: ProducerKind
    address: str = ""


class ProductDoc(_Doc):
    """The product as a creation event records it."""

    id: UUID
    name: str
    group: str
    product_set: str


class _Created(Moving):
    """What a dossier's first event records: why it exists, whose product, where it is filed."""

    kind: DossierKind
    producer: ProducerDoc
    product: ProductDoc
    commune_code: str | None
    district_code: str | None
    province_code: str
    predecessor_id: UUID | None = None
    note: str = ""


class Registered(_Created):
    name: ClassVar[str] = "registered"
    label_vi: ClassVar[str] = "Đăng ký tham gia"
    triggers: ClassVar[tuple[str, ...]] = ("register", "register_reevaluation")
    type: Literal["registered"] = "registered"


class CertificateImported(_Created):
    name: ClassVar[str] = "certificate_imported"
    label_vi: ClassVar[str] = "Nhập giấy chứng nhận cũ"
    triggers: ClassVar[tuple[str, ...]] = ("import_certificate",)
    type: Literal["certificate_imported"] = "certificate_imported"

    stars: int
    level: Level
    score: Decimal | None
    decision_number: str
    decision_date: date
    issuing_body: str
    certificate_number: str
    valid_until: date


class Returned(Moving):
    name: ClassVar[str] = "returned"
    label_vi: ClassVar[str] = "Trả lại để bổ sung"
    triggers: ClassVar[tuple[str, ...]] = ("return_for_supplement",)
    type: Literal["returned"] = "returned"

    guidance: str
    due_on: date


class Resubmitted(Moving):
    name: ClassVar[str] = "resubmitted"
    label_vi: ClassVar[str] = "Nộp lại hồ sơ"
    triggers: ClassVar[tuple[str, ...]] = ("resubmit",)
    type: Literal["resubmitted"] = "resubmitted"

    note: str = ""


class CommuneVerified(Moving):
    name: ClassVar[str] = "commune_verified"
    label_vi: ClassVar[str] = "UBND xã xác nhận"
    triggers: ClassVar[tuple[str, ...]] = ("verify_commune",)
    type: Literal["commune_verified"] = "commune_verified"

    local_labour_share: Decimal | None = None
    local_material_share: Decimal | None = None
    note: str = ""
    #: The product code this proposal gave (profiles with ``product_codes``); absent before.
    product_code: str | None = None


class Rejected(Moving):
    name: ClassVar[str] = "rejected"
    label_vi: ClassVar[str] = "Không đủ điều kiện"
    triggers: ClassVar[tuple[str, ...]] = ("reject",)
    type: Literal["rejected"] = "rejected"

    grounds: str


class RoundAssigned(Payload):
    name: ClassVar[str] = "round_assigned"
    label_vi: ClassVar[str] = "Xếp vào đợt đánh giá"
    triggers: ClassVar[tuple[str, ...]] = ("assign_round",)
    type: Literal["round_assigned"] = "round_assigned"

    round_id: UUID
    carried_from: UUID | None = None


class Scored(Moving):
    name: ClassVar[str] = "scored"
    label_vi: ClassVar[str] = "Hội đồng chấm điểm"
    triggers: ClassVar[tuple[str, ...]] = ("score",)
    type: Literal["scored"] = "scored"

    level: Level
    session: CouncilSession
    total: Decimal
    parts: dict[str, Decimal]
    member_totals: dict[str, Decimal]
    band_stars: int
    stars: int
    capped_by: tuple[str, ...] = ()
    outcome: Outcome


class Forwarded(Moving):
    name: ClassVar[str] = "forwarded"
    label_vi: ClassVar[str] = "Chuyển lên cấp trên"
    triggers: ClassVar[tuple[str, ...]] = ("forward",)
    type: Literal["forwarded"] = "forwarded"

    from_level: Level
    to_level: Level
    note: str = ""


class Certified(Moving):
    name: ClassVar[str] = "certified"
    label_vi: ClassVar[str] = "Quyết định công nhận"
    triggers: ClassVar[tuple[str, ...]] = ("certify", "certify_on_upper_result")
    type: Literal["certified"] = "certified"

    level: Level
    stars: int
    decision_number: str
    decision_date: date
    issuing_body: str
    certificate_number: str
    valid_until: date
    supersedes: UUID | None = None
    result: Literal["upgraded", "kept", "downgraded"] | None = None
    #: The upper council whose result a lower tier certified (Art. 7.4g); None: its own.
    on_result_of: Level | None = None


class NotRecognized(Moving):
    name: ClassVar[str] = "not_recognized"
    label_vi: ClassVar[str] = "Không công nhận"
    triggers: ClassVar[tuple[str, ...]] = ("not_recognize",)
    type: Literal["not_recognized"] = "not_recognized"

    level: Level
    note: str = ""


class CertificateKept(Moving):
    name: ClassVar[str] = "certificate_kept"
    label_vi: ClassVar[str] = "Giữ nguyên công nhận đã cấp"
    triggers: ClassVar[tuple[str, ...]] = ("keep_certificate",)
    type: Literal["certificate_kept"] = "certificate_kept"

    #: The tier whose evaluation closes without raising the certificate.
    level: Level
    stars: int
    valid_until: date
    note: str = ""


class MonitoringStarted(Moving):
    name: ClassVar[str] = "monitoring_started"
    label_vi: ClassVar[str] = "Bắt đầu giám sát"
    triggers: ClassVar[tuple[str, ...]] = ("start_monitoring",)
    type: Literal["monitoring_started"] = "monitoring_started"

    valid_until: date | None = None


class InspectionRecorded(Payload):
    name: ClassVar[str] = "inspection_recorded"
    label_vi: ClassVar[str] = "Ghi nhận kiểm tra"
    triggers: ClassVar[tuple[str, ...]] = ("record_inspection",)
    type: Literal["inspection_recorded"] = "inspection_recorded"

    inspected_on: date
    passed: bool
    findings: str = ""


class Revoked(Moving):
    name: ClassVar[str] = "revoked"
    label_vi: ClassVar[str] = "Thu hồi giấy chứng nhận"
    triggers: ClassVar[tuple[str, ...]] = ("revoke",)
    type: Literal["revoked"] = "revoked"

    grounds: RevocationGrounds
    decision_number: str
    decision_date: date
    issuing_body: str
    #: The ground as the profile words it, and its clause ("8.1.b"), when it has them.
    ground_vi: str = ""
    clause: str = ""
    conclusion_date: date | None = None


class Withdrawn(Moving):
    name: ClassVar[str] = "withdrawn"
    label_vi: ClassVar[str] = "Rút hồ sơ"
    triggers: ClassVar[tuple[str, ...]] = ("withdraw",)
    type: Literal["withdrawn"] = "withdrawn"

    reason: str


class Excluded(Moving):
    """The province excluded the dossier on a ground of its sheet (Decision 26/2026)."""

    name: ClassVar[str] = "excluded"
    label_vi: ClassVar[str] = "Hồ sơ bị loại"
    triggers: ClassVar[tuple[str, ...]] = ("exclude",)
    type: Literal["excluded"] = "excluded"

    #: The sheet's exclusion: its code, its text, the criterion whose note states it, if any.
    ground: str
    ground_vi: str
    criterion: str | None = None
    sheet: str
    details: str = ""


class ReturnedToLowerTier(Moving):
    """The tier that forwarded the dossier takes it back to evaluate it again itself (Art.
    7.4g), after the upper council's result."""

    name: ClassVar[str] = "returned_to_lower_tier"
    label_vi: ClassVar[str] = "Trả về đánh giá lại theo thẩm quyền cấp dưới"
    triggers: ClassVar[tuple[str, ...]] = ("return_to_lower_tier",)
    type: Literal["returned_to_lower_tier"] = "returned_to_lower_tier"

    from_level: Level
    to_level: Level
    #: The upper council's result it leaves behind.
    score: Decimal
    stars: int
    note: str = ""


class RenewalDueMarked(Moving):
    name: ClassVar[str] = "renewal_due_marked"
    label_vi: ClassVar[str] = "Thông báo đánh giá lại"
    triggers: ClassVar[tuple[str, ...]] = ("mark_renewal_due",)
    type: Literal["renewal_due_marked"] = "renewal_due_marked"

    valid_until: date | None = None


class Expired(Moving):
    name: ClassVar[str] = "expired"
    label_vi: ClassVar[str] = "Hết hiệu lực"
    triggers: ClassVar[tuple[str, ...]] = ("expire",)
    type: Literal["expired"] = "expired"

    valid_until: date | None = None


class Superseded(Moving):
    name: ClassVar[str] = "superseded"
    label_vi: ClassVar[str] = "Được thay bằng giấy chứng nhận mới"
    triggers: ClassVar[tuple[str, ...]] = ("supersede",)
    type: Literal["superseded"] = "superseded"

    successor_id: UUID
    successor_stars: int | None = None


class ReminderSent(Payload):
    name: ClassVar[str] = "reminder_sent"
    label_vi: ClassVar[str] = "Gửi nhắc hạn"
    triggers: ClassVar[tuple[str, ...]] = ("remind",)
    type: Literal["reminder_sent"] = "reminder_sent"

    kind: Literal["council_reminder", "renewal_notice"]
    due_at: datetime


class InspectionOverdue(Payload):
    name: ClassVar[str] = "inspection_overdue"
    label_vi: ClassVar[str] = "Quá hạn kiểm tra định kỳ"
    triggers: ClassVar[tuple[str, ...]] = ("escalate_inspection",)
    type: Literal["inspection_overdue"] = "inspection_overdue"

    since: date


class RoundMissed(Payload):
    name: ClassVar[str] = "round_missed"
    label_vi: ClassVar[str] = "Quá hạn chấm điểm, không còn đợt sau"
    triggers: ClassVar[tuple[str, ...]] = ("flag_round_missed",)
    type: Literal["round_missed"] = "round_missed"

    round_id: UUID


class OverdueEscalated(Payload):
    """A statutory deadline passed with the dossier not handled; the body above was told."""

    name: ClassVar[str] = "overdue_escalated"
    label_vi: ClassVar[str] = "Quá thời hạn xử lý, báo cáo cấp trên"
    triggers: ClassVar[tuple[str, ...]] = ("escalate_overdue",)
    type: Literal["overdue_escalated"] = "overdue_escalated"

    rule: Literal["commune_check", "reevaluation_decision", "transition_finish"]
    due_on: date


class ReevaluationWindowNotice(Payload):
    """The certificate's re-evaluation filing window opens, or closes soon."""

    name: ClassVar[str] = "reevaluation_window_notice"
    label_vi: ClassVar[str] = "Thông báo thời hạn nộp hồ sơ đánh giá lại"
    triggers: ClassVar[tuple[str, ...]] = ("notify_reevaluation_window",)
    type: Literal["reevaluation_window_notice"] = "reevaluation_window_notice"

    stage: Literal["opens", "closes"]
    opens_on: date
    closes_on: date
    valid_until: date


class ReevaluationWindowMissed(Payload):
    """The window closed with no re-evaluation filed."""

    name: ClassVar[str] = "reevaluation_window_missed"
    label_vi: ClassVar[str] = "Quá thời hạn nộp hồ sơ đánh giá lại"
    triggers: ClassVar[tuple[str, ...]] = ("flag_reevaluation_window_missed",)
    type: Literal["reevaluation_window_missed"] = "reevaluation_window_missed"

    opens_on: date
    closes_on: date
    valid_until: date


class ValidityExtended(Payload):
    """The certificate stays valid past its expiry while its re-evaluation runs (Decision
    26/2026, Art. 12.3): until ``valid_until`` — at most 180 days past ``expires_on`` when the
    re-evaluation is accepted, then the day of its result (never before ``expires_on``)."""

    name: ClassVar[str] = "validity_extended"
    label_vi: ClassVar[str] = "Kéo dài hiệu lực giấy chứng nhận"
    triggers: ClassVar[tuple[str, ...]] = ("extend_validity",)
    type: Literal["validity_extended"] = "validity_extended"

    valid_until: date
    #: The certificate's own expiry (36 months from its decision).
    expires_on: date
    reevaluation_id: UUID
    #: Why: the re-evaluation was accepted (``accepted``) or has its result (``result``).
    reason: Literal["accepted", "result"]
    legal_basis_vi: str
    #: The state the certificate's dossier moves to, when it moves: a certificate that lapsed
    #: (a sweep recorded its expiry) before its late re-evaluation was filed is held again,
    #: renewal due (None: it stays where it is; not stored then, as before this field).
    state: DossierState | None = None

    def wire(self) -> dict[str, Any]:
        form = super().wire()
        if form.get("state") is None:
            form.pop("state", None)
        return form


class SupportGranted(Payload):
    name: ClassVar[str] = "support_granted"
    label_vi: ClassVar[str] = "Hỗ trợ kinh phí theo chính sách của tỉnh"
    triggers: ClassVar[tuple[str, ...]] = ("grant_support",)
    type: Literal["support_granted"] = "support_granted"

    policy_id: str
    basis: Basis
    stars: int
    previous_stars: int | None
    amount: Decimal
    currency: Literal["VND"] = "VND"
    policy_title_vi: str


class ProfileMigrated(Moving):
    """The dossier is carried over from the profile it was registered under to its successor
    (the 2025 reform: Decision 1489), by the mapping the new profile's data gives. Recorded
    under the old profile (the event's ``profile_id``); the dossier is under ``to_profile``
    after it, without the fields named in ``cleared``."""

    name: ClassVar[str] = "profile_migrated"
    label_vi: ClassVar[str] = "Chuyển sang quy định mới"
    triggers: ClassVar[tuple[str, ...]] = ("migrate_profile",)
    type: Literal["profile_migrated"] = "profile_migrated"

    from_profile: str
    to_profile: str
    from_state: DossierState
    #: The mapping entry applied (``<from profile>/<from state>``) and its note.
    rule: str
    rule_vi: str = ""
    cleared: tuple[ClearableField, ...] = ()
    legal_basis_vi: str
    effective: date


#: Any event's payload, told apart by its type.
EventPayload = Annotated[
    Registered
    | CertificateImported
    | Returned
    | Resubmitted
    | CommuneVerified
    | Rejected
    | RoundAssigned
    | Scored
    | Forwarded
    | Certified
    | NotRecognized
    | CertificateKept
    | MonitoringStarted
    | InspectionRecorded
    | Revoked
    | Withdrawn
    | RenewalDueMarked
    | Expired
    | Superseded
    | ReminderSent
    | InspectionOverdue
    | RoundMissed
    | SupportGranted
    | ProfileMigrated
    | Excluded
    | ReturnedToLowerTier
    | OverdueEscalated
    | ReevaluationWindowNotice
    | ReevaluationWindowMissed
    | ValidityExtended,
    Field(discriminator="type"),
]

#: Each event type's payload model, by its stable name.
PAYLOADS: dict[str, type[Payload]] = {
    model.name: model
    for model in (
        Registered,
        CertificateImported,
        Returned,
        Resubmitted,
        CommuneVerified,
        Rejected,
        RoundAssigned,
        Scored,
        Forwarded,
        Certified,
        NotRecognized,
        CertificateKept,
        MonitoringStarted,
        InspectionRecorded,
        Revoked,
        Withdrawn,
        RenewalDueMarked,
        Expired,
        Superseded,
        ReminderSent,
        InspectionOverdue,
        RoundMissed,
        SupportGranted,
        ProfileMigrated,
        Excluded,
        ReturnedToLowerTier,
        OverdueEscalated,
        ReevaluationWindowNotice,
        ReevaluationWindowMissed,
        ValidityExtended,
    )
}

#: The event type each trigger (or creation command) records.
EVENT_TYPES: dict[str, str] = {
    trigger: model.name for model in PAYLOADS.values() for trigger in model.triggers
}

#: What each event is called in Vietnamese, for timelines shown to people.
EVENT_LABELS_VI: dict[str, str] = {name: model.label_vi for name, model in PAYLOADS.items()}


class Event(BaseModel):
    """One immutable entry of a dossier's log, its payload typed by the event's type."""

    model_config = ConfigDict(frozen=True)

    dossier_id: UUID
    seq: int
    type: str
    schema_version: int
    payload: EventPayload
    actor: Actor
    profile_id: str
    occurred_at: datetime
    recorded_at: datetime
    prev_hash: str
    hash: str
    id: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _typed_payload(cls, data: Any) -> Any:
        # The row's type column decides the payload's model: a stored payload never chooses its
        # own (a ``type`` key inside one is overridden).
        if isinstance(data, dict) and isinstance(data.get("payload"), dict):
            data = {**data, "payload": {**data["payload"], "type": data.get("type")}}
        return data

    @field_serializer("payload")
    def _stored_payload(self, payload: Payload) -> dict[str, Any]:
        # Dumped as stored: what the hash covers.
        return payload.wire()
