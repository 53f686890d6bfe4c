"""Revocation rules ("thu hồi giấy chứng nhận") as profile data: the grounds a revocation may
cite, who revokes a certificate of each star, and how soon after the conclusion it must follow.

Decision 26/2026, Art. 8: grounds a–e plus other cases on a competent authority's conclusion
(8.1); the province chair revokes 3★/4★, the minister 5★ (8.2); the revocation within 15 days
of the conclusion, or of the commune's confirmation that the producer stopped (8.4). Profiles
before it say none of this: they keep the grounds the engine always took
(``LEGACY_REVOCATION_GROUNDS``), revocation by the body that certified, and no time limit.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ocop_cycle.rules.authority import Role
from ocop_cycle.text import Name

__all__ = [
    "LEGACY_REVOCATION_GROUNDS",
    "GroundCode",
    "RevocationGround",
    "RevocationRules",
]

#: A ground's stable code, as commands and events carry it.
GroundCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,59}$")
]


class RevocationGround(BaseModel):
    """One ground a revocation may cite."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: GroundCode
    #: The clause of the decision that states it ("8.1.a"); empty where none does.
    clause: str = ""
    text_vi: Name
    #: Whether a revocation on this ground follows a competent authority's conclusion (or the
    #: commune's confirmation), whose date the command must then give.
    needs_conclusion: bool = True


class RevocationRules(BaseModel):
    """What a profile says about revocation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    grounds: tuple[RevocationGround, ...] = Field(min_length=1)
    #: Who revokes a certificate of each star; a star not listed: the certifiers of the tier
    #: that issued it.
    revoker_roles_by_stars: dict[int, tuple[Role, ...]] = Field(default_factory=dict)
    #: The revocation decision at most this many days after the conclusion; None: no limit.
    within_days_of_conclusion: int | None = Field(default=None, ge=0)
    legal_basis_vi: str = ""

    @model_validator(mode="after")
    def _check(self) -> RevocationRules:
        codes = [g.code for g in self.grounds]
        if len(set(codes)) != len(codes):
            raise ValueError("revocation ground codes repeat")
        for stars, roles in self.revoker_roles_by_stars.items():
            if not 3 <= stars <= 5 or not roles:
                raise ValueError(f"revoker_roles_by_stars: {stars}★ needs roles, 3★ to 5★")
        return self

    def ground(self, code: str) -> RevocationGround | None:
        """The ground with this code, if the profile has it."""
        return next((g for g in self.grounds if g.code == code), None)


#: The grounds every profile before Decision 26/2026 accepted (the engine's own list: those
#: decisions code none); no conclusion date is asked for.
LEGACY_REVOCATION_GROUNDS = RevocationRules(
    grounds=tuple(
        RevocationGround(code=code, text_vi=text, needs_conclusion=False)
        for code, text in (
            ("inspection_failed", "Không đạt khi kiểm tra, giám sát"),
            ("food_safety_sanction", "Bị xử phạt về an toàn thực phẩm"),
            ("production_stopped", "Chủ thể ngừng sản xuất"),
            ("nonconforming_product", "Sản phẩm không đúng như hồ sơ được công nhận"),
            ("nonconforming_packaging", "Bao bì, nhãn không đúng quy định"),
            ("expired", "Giấy chứng nhận hết hiệu lực"),
            ("other", "Trường hợp khác"),
        )
    )
)
