"""Read models: the dossier as folded from its events, and a round."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from ocop_cycle.rules.authority import Level
from ocop_cycle.rules.scoring import Outcome
from ocop_cycle.workflows.states import DossierState

__all__ = ["Dossier", "DossierKind", "ProducerKind", "Round"]


class ProducerKind(StrEnum):
    """The legal form of a producer ("chủ thể")."""

    ENTERPRISE = "enterprise"  # doanh nghiệp (công ty)
    COOPERATIVE = "cooperative"  # hợp tác xã (HTX)
    COOPERATIVE_GROUP = "cooperative_group"  # tổ hợp tác (THT)
    HOUSEHOLD_BUSINESS = "household_business"  # hộ kinh doanh có đăng ký
    ASSOCIATION = "association"  # hội, hiệp hội, e.g. "Hội Nuôi ong"
    FARM = "farm"  # trang trại (Decision 26/2026, Art. 2.3)
    PRODUCTION_HOUSEHOLD = "production_household"  # hộ sản xuất (Art. 2.3)
    OPERATION_CENTRE = "operation_centre"  # trung tâm điều hành du lịch (Art. 2.3, tourism)

    @property
    def label_vi(self) -> str:
        """The Vietnamese name of the legal form."""
        return _PRODUCER_VI[self]


_PRODUCER_VI = {
    ProducerKind.ENTERPRISE: "Doanh nghiệp",
    ProducerKind.COOPERATIVE: "Hợp tác xã",
    ProducerKind.COOPERATIVE_GROUP: "Tổ hợp tác",
    ProducerKind.HOUSEHOLD_BUSINESS: "Hộ kinh doanh",
    ProducerKind.ASSOCIATION: "Hội, hiệp hội",
    ProducerKind.FARM: "Trang trại",
    ProducerKind.PRODUCTION_HOUSEHOLD: "Hộ sản xuất",
    ProducerKind.OPERATION_CENTRE: "Trung tâm điều hành du lịch",
}


class DossierKind(StrEnum):
    """Why a dossier exists."""

    NEW = "new"  # đánh giá mới
    RE_EVALUATION = "re_evaluation"  # đánh giá lại
    UPGRADE = "upgrade"  # nâng hạng
    IMPORTED = "imported"  # a certificate issued before this system, brought in as history

    @property
    def label_vi(self) -> str:
        """The Vietnamese name."""
        return _KIND_VI[self]


_KIND_VI = {
    DossierKind.NEW: "Đánh giá mới",
    DossierKind.RE_EVALUATION: "Đánh giá lại",
    DossierKind.UPGRADE: "Nâng hạng",
    DossierKind.IMPORTED: "Nhập từ hồ sơ cũ",
}


class Dossier(BaseModel):
    """A dossier as the fold of its events: the projection row, as a read model."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    version: int
    state: DossierState
    profile_id: str
    kind: DossierKind
    producer_id: UUID
    producer_name: str
    producer_kind: ProducerKind
    product_id: UUID
    product_name: str
    product_group: str
    product_set: str
    commune_code: str | None
    district_code: str | None
    province_code: str
    predecessor_id: UUID | None = None
    successor_id: UUID | None = None
    round_id: UUID | None = None
    level: Level | None = None
    score: Decimal | None = None
    stars: int | None = None
    outcome: Outcome | None = None
    scored_on: date | None = None
    supplement_due_on: date | None = None
    certified_stars: int | None = None
    certified_level: Level | None = None
    certificate_number: str | None = None
    decision_number: str | None = None
    issuing_body: str | None = None
    certified_on: date | None = None
    valid_until: date | None = None
    last_inspection_on: date | None = None
    last_inspection_passed: bool | None = None
    #: "T-X-STT-year", given when the commune proposes the dossier (Decision 26/2026).
    product_code: str | None = None
    registered_at: AwareDatetime
    updated_at: AwareDatetime
    last_hash: str

    @property
    def state_label_vi(self) -> str:
        """The state's Vietnamese label."""
        return self.state.label_vi


class Round(BaseModel):
    """An evaluation round ("đợt đánh giá") of one year and jurisdiction."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    year: int
    number: int
    jurisdiction_code: str
    name: str
    registration_deadline: date
    council_meeting_on: date
    scoring_deadline: date
