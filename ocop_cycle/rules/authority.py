"""Who may do what, where: roles, their administrative level, actors and the scope check.

Jurisdictions are official administrative codes (GSO): a province has 2 digits ("24" Bắc
Giang), a district 3 ("217" Lạng Giang), a commune 5 ("07426" xã Xương Lâm). Central bodies use
``"VN"``. Which role may fire which command is profile data (``RuleProfile.permissions``); this
module only knows which level each role acts at and how a jurisdiction is matched.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, StringConstraints, model_validator

from ocop_cycle._validation import InputModel
from ocop_cycle.text import nfc_trimmed, refuse_control_characters

__all__ = ["CENTRAL", "Actor", "Level", "Role", "role_level"]

CENTRAL = "VN"


class Level(StrEnum):
    """An administrative tier ("cấp")."""

    COMMUNE = "commune"
    DISTRICT = "district"
    PROVINCE = "province"
    CENTRAL = "central"

    @property
    def label_vi(self) -> str:
        """The Vietnamese name of the tier."""
        return _LEVEL_VI[self]


_LEVEL_VI = {
    Level.COMMUNE: "cấp xã",
    Level.DISTRICT: "cấp huyện",
    Level.PROVINCE: "cấp tỉnh",
    Level.CENTRAL: "cấp trung ương",
}


class Role(StrEnum):
    """What an actor is acting as."""

    PRODUCER = "producer"  # chủ thể OCOP
    COMMUNE_OFFICER = "commune_officer"  # cán bộ xã
    COMMUNE_COMMITTEE = "commune_committee"  # UBND xã
    DISTRICT_OFFICE = "district_office"  # Phòng NN&PTNT / cơ quan thường trực OCOP huyện
    DISTRICT_COUNCIL = "district_council"  # thư ký Hội đồng đánh giá cấp huyện
    DISTRICT_COMMITTEE = "district_committee"  # UBND huyện
    PROVINCE_OFFICE = "province_office"  # cơ quan thường trực OCOP tỉnh
    PROVINCE_COUNCIL = "province_council"  # thư ký Hội đồng đánh giá cấp tỉnh
    PROVINCE_COMMITTEE = "province_committee"  # UBND tỉnh
    CENTRAL_COUNCIL = "central_council"  # thư ký Hội đồng trung ương
    MINISTRY = "ministry"  # Bộ NN&PTNT (Bộ NN&MT from 2025)
    INSPECTOR = "inspector"  # đoàn kiểm tra, giám sát
    AUDITOR = "auditor"  # read-only
    SYSTEM = "system"  # the scheduler

    @property
    def label_vi(self) -> str:
        """The Vietnamese name of the role."""
        return _ROLE_VI[self]


_ROLE_VI = {
    Role.PRODUCER: "Chủ thể sản xuất",
    Role.COMMUNE_OFFICER: "Cán bộ xã",
    Role.COMMUNE_COMMITTEE: "UBND xã",
    Role.DISTRICT_OFFICE: "Cơ quan thường trực OCOP huyện",
    Role.DISTRICT_COUNCIL: "Hội đồng đánh giá cấp huyện",
    Role.DISTRICT_COMMITTEE: "UBND huyện",
    Role.PROVINCE_OFFICE: "Cơ quan thường trực OCOP tỉnh",
    Role.PROVINCE_COUNCIL: "Hội đồng đánh giá cấp tỉnh",
    Role.PROVINCE_COMMITTEE: "UBND tỉnh",
    Role.CENTRAL_COUNCIL: "Hội đồng đánh giá trung ương",
    Role.MINISTRY: "Bộ Nông nghiệp và Môi trường",
    Role.INSPECTOR: "Đoàn kiểm tra",
    Role.AUDITOR: "Kiểm toán viên",
    Role.SYSTEM: "Hệ thống",
}

_ROLE_LEVEL: dict[Role, Level | None] = {
    Role.PRODUCER: Level.COMMUNE,
    Role.COMMUNE_OFFICER: Level.COMMUNE,
    Role.COMMUNE_COMMITTEE: Level.COMMUNE,
    Role.DISTRICT_OFFICE: Level.DISTRICT,
    Role.DISTRICT_COUNCIL: Level.DISTRICT,
    Role.DISTRICT_COMMITTEE: Level.DISTRICT,
    Role.PROVINCE_OFFICE: Level.PROVINCE,
    Role.PROVINCE_COUNCIL: Level.PROVINCE,
    Role.PROVINCE_COMMITTEE: Level.PROVINCE,
    Role.CENTRAL_COUNCIL: Level.CENTRAL,
    Role.MINISTRY: Level.CENTRAL,
    Role.INSPECTOR: None,  # inspectors act at whatever level their jurisdiction code names
    Role.AUDITOR: Level.CENTRAL,
    Role.SYSTEM: Level.CENTRAL,
}


def role_level(role: Role) -> Level | None:
    """The tier a role acts at; ``None`` for inspectors, whose code says it."""
    return _ROLE_LEVEL[role]


JurisdictionCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^(VN|\d{2}|\d{3}|\d{5})$")
]


#: The actor's id: NFC (one id however it was typed), trimmed, never empty, at most what the
#: event log's column holds.
ActorId = Annotated[
    str,
    AfterValidator(refuse_control_characters),
    AfterValidator(nfc_trimmed),
    StringConstraints(min_length=1, max_length=200),
]

#: The actor's name as given (kept as typed: it is hashed into the event as it is), without
#: control characters, at most what the event log's column holds.
ActorName = Annotated[
    str, AfterValidator(refuse_control_characters), StringConstraints(max_length=300)
]


class Actor(InputModel):
    """Who fires a command: a role, the jurisdiction it acts for, and for a producer its id.

    Frozen and hashable. An unknown role, a malformed jurisdiction, a control character (NUL
    included) or an over-long id or name, or an unknown field raises ``InvalidCommand`` naming
    the field, like any command: the same on SQLite and PostgreSQL (which cannot store NUL).
    """

    role: Role
    jurisdiction: JurisdictionCode
    id: ActorId | None = None
    name: ActorName | None = None

    @model_validator(mode="after")
    def _system_is_national(self) -> Actor:
        if self.role is Role.SYSTEM and self.jurisdiction != CENTRAL:
            raise ValueError(
                f"the system actor acts for the whole country: jurisdiction {CENTRAL}, "
                f"not {self.jurisdiction}"
            )
        return self

    @classmethod
    def system(cls) -> Actor:
        """The scheduler acting on its own."""
        return cls(role=Role.SYSTEM, jurisdiction=CENTRAL, id="scheduler")

    def __str__(self) -> str:
        return f"{self.role.value}@{self.jurisdiction}" + (f"#{self.id}" if self.id else "")
