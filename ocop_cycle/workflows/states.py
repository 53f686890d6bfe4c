"""The dossier's states, with the Vietnamese names officers use for them."""

from __future__ import annotations

from enum import StrEnum

from ocop_cycle.rules.authority import Level

__all__ = [
    "HOLDING_CERTIFICATE",
    "IN_EVALUATION",
    "TERMINAL_STATES",
    "DossierState",
    "forwarded_state",
    "scored_state",
]


class DossierState(StrEnum):
    """Where a dossier ("hồ sơ") stands.

    ``NEW`` is where the machine starts: the creation commands are its transitions out of it. No
    stored dossier is ever in it.
    """

    NEW = "new"
    REGISTERED = "registered"
    RETURNED = "returned"
    COMMUNE_VERIFIED = "commune_verified"
    DISTRICT_SCORED = "district_scored"
    FORWARDED_PROVINCE = "forwarded_province"
    PROVINCE_SCORED = "province_scored"
    FORWARDED_CENTRAL = "forwarded_central"
    CENTRAL_SCORED = "central_scored"
    CERTIFIED = "certified"
    MONITORED = "monitored"
    RENEWAL_DUE = "renewal_due"
    RENEWED = "renewed"
    EXPIRED = "expired"
    REVOKED = "revoked"
    NOT_RECOGNIZED = "not_recognized"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    #: Excluded by the province on one of its sheet's grounds ("Hồ sơ bị loại khi …").
    EXCLUDED = "excluded"

    @property
    def label_vi(self) -> str:
        """The Vietnamese label shown to people."""
        return _LABEL_VI[self]

    @property
    def label_en(self) -> str:
        """The English label."""
        return self.value.replace("_", " ")


_LABEL_VI = {
    DossierState.NEW: "Chưa có hồ sơ",
    DossierState.REGISTERED: "Đã đăng ký",
    DossierState.RETURNED: "Trả lại để bổ sung",
    DossierState.COMMUNE_VERIFIED: "UBND xã đã xác nhận",
    DossierState.DISTRICT_SCORED: "Hội đồng cấp huyện đã chấm điểm",
    DossierState.FORWARDED_PROVINCE: "Đã chuyển Hội đồng cấp tỉnh",
    DossierState.PROVINCE_SCORED: "Hội đồng cấp tỉnh đã chấm điểm",
    DossierState.FORWARDED_CENTRAL: "Đã chuyển Hội đồng trung ương",
    DossierState.CENTRAL_SCORED: "Hội đồng trung ương đã chấm điểm",
    DossierState.CERTIFIED: "Đã công nhận",
    DossierState.MONITORED: "Đang giám sát sau công nhận",
    DossierState.RENEWAL_DUE: "Đến hạn đánh giá lại",
    DossierState.RENEWED: "Đã được công nhận lại",
    DossierState.EXPIRED: "Hết hiệu lực",
    DossierState.REVOKED: "Đã thu hồi",
    DossierState.NOT_RECOGNIZED: "Không được công nhận",
    DossierState.WITHDRAWN: "Đã rút hồ sơ",
    DossierState.REJECTED: "Không đủ điều kiện",
    DossierState.EXCLUDED: "Hồ sơ bị loại",
}

#: States in which the dossier holds a valid certificate (in this order, for diagrams).
HOLDING_CERTIFICATE = (DossierState.CERTIFIED, DossierState.MONITORED, DossierState.RENEWAL_DUE)

#: States in which a dossier is being evaluated: from registration until a decision on it
#: (certified, not recognised) or its end (withdrawn, rejected). A product has one evaluation
#: at a time: it cannot be registered as new while a dossier of it is in one of these.
IN_EVALUATION = (
    DossierState.REGISTERED,
    DossierState.RETURNED,
    DossierState.COMMUNE_VERIFIED,
    DossierState.DISTRICT_SCORED,
    DossierState.FORWARDED_PROVINCE,
    DossierState.PROVINCE_SCORED,
    DossierState.FORWARDED_CENTRAL,
    DossierState.CENTRAL_SCORED,
)

#: States with no way out: the dossier's story is over.
TERMINAL_STATES = frozenset(
    {
        DossierState.RENEWED,
        DossierState.REVOKED,
        DossierState.NOT_RECOGNIZED,
        DossierState.WITHDRAWN,
        DossierState.REJECTED,
        DossierState.EXCLUDED,
    }
)


def scored_state(level: Level) -> DossierState:
    """The state after a council of ``level`` scored."""
    return DossierState(f"{level.value}_scored")


def forwarded_state(level: Level) -> DossierState:
    """The state of a dossier sent up to a council of ``level``."""
    return DossierState(f"forwarded_{level.value}")
