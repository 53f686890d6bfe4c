"""Commands: what hosts ask the engine to do, as frozen, validated pydantic models.

Constructing a command with bad data raises ``InvalidCommand`` naming every bad field; nothing
has touched the database by then. Text fields are NFC-normalised on the way in.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StringConstraints,
    model_validator,
)

from ocop_cycle._validation import InputModel
from ocop_cycle.limits import PLAUSIBLE_YEARS
from ocop_cycle.rules.authority import JurisdictionCode, Level, Role
from ocop_cycle.rules.revocation import GroundCode
from ocop_cycle.rules.scoring import CouncilSession
from ocop_cycle.text import (
    DocumentNumber,
    Name,
    OptionalText,
    nfc_trimmed,
    refuse_control_characters,
)
from ocop_cycle.workflows.model import ProducerKind

__all__ = [
    "AssignRound",
    "Certify",
    "CertifyOnUpperResult",
    "Command",
    "CreateRound",
    "DossierCommand",
    "EscalateInspection",
    "EscalateOverdue",
    "Exclude",
    "Expire",
    "FlagReevaluationWindowMissed",
    "FlagRoundMissed",
    "Forward",
    "ImportCertificate",
    "KeepCertificate",
    "MarkRenewalDue",
    "NotRecognize",
    "NotifyReevaluationWindow",
    "ProducerInfo",
    "ProductInfo",
    "Recipient",
    "RecordInspection",
    "RegisterDossier",
    "RegisterReevaluation",
    "Reject",
    "Resubmit",
    "ReturnForSupplement",
    "ReturnToLowerTier",
    "RevocationGrounds",
    "Revoke",
    "Score",
    "SendReminder",
    "StartMonitoring",
    "VerifyCommune",
    "Withdraw",
]

#: A key's text, without control characters (PostgreSQL cannot store a NUL, and a key must
#: be refused alike on both databases), in NFC: a retry that types the key another way is the
#: same key.
IdempotencyKey = Annotated[
    str,
    AfterValidator(refuse_control_characters),
    AfterValidator(nfc_trimmed),  # before the length check: a blank key is no key
    StringConstraints(min_length=1, max_length=200),
]


def _plausible_instant(value: datetime) -> datetime:
    """An instant of the programme's time (``PLAUSIBLE_YEARS``)."""
    first, last = PLAUSIBLE_YEARS
    if not first <= value.year <= last:
        raise ValueError(f"must fall in the years {first}-{last}")
    return value


#: When a command happened: timezone-aware, in a plausible year.
Instant = Annotated[AwareDatetime, AfterValidator(_plausible_instant)]


def _plausible_day(value: date) -> date:
    """A day of the programme's time (``PLAUSIBLE_YEARS``): a year 1 or 9999 is a typo, and at
    the calendar's edges a deadline planned from it cannot even be computed."""
    first, last = PLAUSIBLE_YEARS
    if not first <= value.year <= last:
        raise ValueError(f"must fall in the years {first}-{last}")
    return value


#: A day a command names (a decision's, an inspection's, a due date): in a plausible year.
Day = Annotated[date, AfterValidator(_plausible_day)]

SetCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Share = Annotated[Decimal, Field(ge=0, le=1)]


_Frozen = InputModel


class ProducerInfo(_Frozen):
    """Who makes the product."""

    name: Name
    kind: ProducerKind
    address: Annotated[OptionalText, StringConstraints(max_length=500)] = ""


class ProductInfo(_Frozen):
    """What is evaluated: a name, its group and its product set."""

    name: Name
    group: SetCode
    product_set: SetCode


class Command(_Frozen):
    """Fields every command may carry."""

    #: The event's name in the log; stable forever (replay depends on it).
    trigger: ClassVar[str]
    #: When it happened (a decision may be entered days later); defaults to the clock's now.
    occurred_at: Instant | None = None
    #: A repeat with the same key returns the first result and writes nothing.
    idempotency_key: IdempotencyKey | None = None


class RegisterDossier(Command):
    """A producer files a new dossier at the commune ("đăng ký tham gia")."""

    trigger: ClassVar[str] = "register"
    producer: ProducerInfo
    product: ProductInfo
    commune_code: JurisdictionCode
    district_code: JurisdictionCode | None = None
    province_code: JurisdictionCode
    note: OptionalText = ""


class RegisterReevaluation(Command):
    """A new dossier re-evaluating (or upgrading) a certified product, linked to its dossier."""

    trigger: ClassVar[str] = "register_reevaluation"
    predecessor_id: UUID
    kind: Literal["re_evaluation", "upgrade"]
    #: Where the producer files now (the 2025 merger moved codes); defaults to the predecessor's.
    commune_code: JurisdictionCode | None = None
    district_code: JurisdictionCode | None = None
    province_code: JurisdictionCode | None = None
    note: OptionalText = ""


class ImportCertificate(Command):
    """A certificate issued before this system, entered as history under its own profile."""

    trigger: ClassVar[str] = "import_certificate"
    profile_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    producer: ProducerInfo
    product: ProductInfo
    commune_code: JurisdictionCode
    district_code: JurisdictionCode | None = None
    province_code: JurisdictionCode
    stars: int = Field(ge=3, le=5)
    level: Level
    score: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)
    decision_number: DocumentNumber
    decision_date: Day
    issuing_body: Name
    certificate_number: DocumentNumber | None = None


class Recipient(_Frozen):
    """Someone a command's event must notify, beyond the producer notices every event owes."""

    role: Role
    jurisdiction: JurisdictionCode
    message_vi: Name


class DossierCommand(Command):
    """A command addressed to one existing dossier."""

    dossier_id: UUID
    #: The version the caller based its decision on; a newer dossier raises ConcurrencyConflict.
    expected_version: int | None = Field(default=None, ge=1)
    #: Extra notices, written to the outbox with the event (and recorded in its payload).
    notify: tuple[Recipient, ...] = ()


class ReturnForSupplement(DossierCommand):
    """Send an incomplete dossier back with guidance ("trả lại để bổ sung")."""

    trigger: ClassVar[str] = "return_for_supplement"
    guidance: Name
    #: Defaults to the profile's supplement period from ``occurred_at``.
    due_on: Day | None = None


class Resubmit(DossierCommand):
    """The producer files the supplemented dossier again."""

    trigger: ClassVar[str] = "resubmit"
    note: OptionalText = ""


class VerifyCommune(DossierCommand):
    """The commune confirms local labour and raw materials ("UBND xã xác nhận")."""

    trigger: ClassVar[str] = "verify_commune"
    local_labour_share: Share | None = None
    local_material_share: Share | None = None
    note: OptionalText = ""


class Reject(DossierCommand):
    """The producer or product is not eligible ("không đủ điều kiện")."""

    trigger: ClassVar[str] = "reject"
    grounds: Name


class AssignRound(DossierCommand):
    """Put the dossier in an evaluation round ("đợt đánh giá")."""

    trigger: ClassVar[str] = "assign_round"
    round_id: UUID
    #: Set when the scheduler carries an unscored dossier over from a round whose deadline passed.
    carried_from: UUID | None = None


class Score(DossierCommand):
    """Record a council session's sheets; the tier is the one the dossier stands before."""

    trigger: ClassVar[str] = "score"
    session: CouncilSession


class Forward(DossierCommand):
    """Send a high-scoring dossier to the next tier's council."""

    trigger: ClassVar[str] = "forward"
    note: OptionalText = ""


class Certify(DossierCommand):
    """The recognition decision ("quyết định công nhận") and its certificate."""

    trigger: ClassVar[str] = "certify"
    decision_number: DocumentNumber
    decision_date: Day
    issuing_body: Name
    certificate_number: DocumentNumber | None = None


class CertifyOnUpperResult(Certify):
    """The tier that forwarded a dossier certifies it on the upper council's result, which that
    council's tier does not certify itself (Decision 26/2026, Art. 7.4g: the central council
    found < 90; the province chair certifies 3★/4★ on its result)."""

    trigger: ClassVar[str] = "certify_on_upper_result"


class ReturnToLowerTier(DossierCommand):
    """Instead, the tier that forwarded the dossier has its own council evaluate it again
    ("tổ chức đánh giá và phân hạng sản phẩm theo thẩm quyền", Art. 7.4g)."""

    trigger: ClassVar[str] = "return_to_lower_tier"
    note: OptionalText = ""


class Exclude(DossierCommand):
    """The province excludes the dossier on one of its scoring sheet's grounds ("Hồ sơ bị loại
    khi …", Decision 26/2026, Phụ lục II): ``ground`` is the exclusion's code on that sheet."""

    trigger: ClassVar[str] = "exclude"
    ground: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    details: OptionalText = ""


class NotRecognize(DossierCommand):
    """The council's result is below the recognised minimum."""

    trigger: ClassVar[str] = "not_recognize"
    note: OptionalText = ""


class KeepCertificate(DossierCommand):
    """[open] Close an upper tier's evaluation of a dossier that holds a lower tier's
    certificate (certified at its cap and referred upward) without raising it: the certificate
    stands as issued ("giữ nguyên công nhận")."""

    trigger: ClassVar[str] = "keep_certificate"
    note: OptionalText = ""


class StartMonitoring(DossierCommand):
    """Post-certification surveillance begins."""

    trigger: ClassVar[str] = "start_monitoring"


class RecordInspection(DossierCommand):
    """An inspection's result (quality, labels and stamps, food safety, environment)."""

    trigger: ClassVar[str] = "record_inspection"
    inspected_on: Day
    passed: bool
    findings: OptionalText = ""


class RevocationGrounds(_Frozen):
    """Why a certificate is revoked: one of the dossier's profile's grounds (its
    ``revocation_rules``; an unknown code is refused when the command runs) and the details."""

    code: GroundCode
    details: Name


class Revoke(DossierCommand):
    """The recognising body revokes the certificate ("thu hồi")."""

    trigger: ClassVar[str] = "revoke"
    grounds: RevocationGrounds
    decision_number: DocumentNumber
    decision_date: Day
    issuing_body: Name
    #: The competent authority's conclusion (or the commune's confirmation that production
    #: stopped) the revocation acts on; required where the profile limits the days after it.
    conclusion_date: Day | None = None


class Withdraw(DossierCommand):
    """The producer withdraws before a decision ("rút hồ sơ")."""

    trigger: ClassVar[str] = "withdraw"
    reason: OptionalText = ""


class SendReminder(DossierCommand):
    """A reminder went out (system): council e-dossier, or a renewal notice before expiry."""

    trigger: ClassVar[str] = "remind"
    kind: Literal["council_reminder", "renewal_notice"]
    due_at: AwareDatetime


class EscalateInspection(DossierCommand):
    """A monitored product was not inspected in time (system)."""

    trigger: ClassVar[str] = "escalate_inspection"
    since: Day


class FlagRoundMissed(DossierCommand):
    """An unscored dossier passed its round's deadline with no later round to go to (system)."""

    trigger: ClassVar[str] = "flag_round_missed"
    round_id: UUID


class MarkRenewalDue(DossierCommand):
    """The statutory written notice before expiry has gone out (system)."""

    trigger: ClassVar[str] = "mark_renewal_due"


class Expire(DossierCommand):
    """Valid-until passed with no successful re-evaluation (system)."""

    trigger: ClassVar[str] = "expire"


class EscalateOverdue(DossierCommand):
    """A dossier was not handled by a statutory deadline: the body above is told (system).

    ``rule`` names the deadline: the commune's check within 15 working days (Decision 26/2026,
    Art. 7.2), the re-evaluation's 45 days (Art. 7.6g), or the transition's 60/30 days for
    dossiers filed before the decision took effect (Art. 12.2).
    """

    trigger: ClassVar[str] = "escalate_overdue"
    rule: Literal["commune_check", "reevaluation_decision", "transition_finish"]
    due_on: Day


class NotifyReevaluationWindow(DossierCommand):
    """The re-evaluation filing window opens, or closes soon: producer and commune are told
    (system; Decision 26/2026, Art. 7.6a)."""

    trigger: ClassVar[str] = "notify_reevaluation_window"
    stage: Literal["opens", "closes"]
    opens_on: Day
    closes_on: Day


class FlagReevaluationWindowMissed(DossierCommand):
    """The re-evaluation filing window closed with no re-evaluation filed (system)."""

    trigger: ClassVar[str] = "flag_reevaluation_window_missed"
    opens_on: Day
    closes_on: Day


class CreateRound(_Frozen):
    """Open an evaluation round: its deadlines run registration -> council meeting -> scoring."""

    year: int = Field(ge=2019, le=2100)
    number: int = Field(ge=1, le=20)
    jurisdiction_code: JurisdictionCode
    name: Name
    registration_deadline: Day
    council_meeting_on: Day
    scoring_deadline: Day

    @model_validator(mode="after")
    def _ordered(self) -> CreateRound:
        if not self.registration_deadline <= self.council_meeting_on <= self.scoring_deadline:
            raise ValueError(
                "dates must run registration_deadline <= council_meeting_on <= scoring_deadline"
            )
        # A round of one year may open late the year before and close early the year after
        # (the central council's round runs to 30 March); a date further off is a typo, and it
        # would plan deadlines beyond any calendar.
        outside = [
            name
            for name in ("registration_deadline", "council_meeting_on", "scoring_deadline")
            if abs(getattr(self, name).year - self.year) > 1
        ]
        if outside:
            raise ValueError(
                f"{', '.join(outside)} must fall in {self.year - 1}-{self.year + 1} "
                f"(a round of {self.year})"
            )
        return self
