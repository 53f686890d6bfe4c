"""Who hears of a certificate's aftercare deadlines, and what, as its profile has it: the
overdue inspection goes to whoever monitors the certificate, and an expiry asks for a
revocation decision only where the profile's revocation grounds include expiry."""

from __future__ import annotations

from datetime import date

from ocop_cycle.rules.authority import CENTRAL, Level, Role
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.workflows.model import Dossier

__all__ = ["expiry_message_vi", "monitoring_agency"]


def monitoring_agency(profile: RuleProfile, d: Dossier) -> tuple[Role, str]:
    """The role and unit that monitor ``d``'s certificate. Under a profile whose inspections
    are recorded by inspection teams (148/1489): the inspector of the district, else the
    province. Otherwise (Decision 26/2026, Art. 9: the province's OCOP agency, the ministry for
    a 5★ product) the agency allowed to record inspections at the certificate's level."""
    allowed = profile.permissions.get("record_inspection", ())
    if not allowed or Role.INSPECTOR in allowed:
        return Role.INSPECTOR, d.district_code or d.province_code
    if d.certified_level is Level.CENTRAL and Role.MINISTRY in allowed:
        return Role.MINISTRY, CENTRAL
    if Role.PROVINCE_OFFICE in allowed:
        return Role.PROVINCE_OFFICE, d.province_code
    return allowed[0], d.province_code


def expiry_message_vi(profile: RuleProfile, d: Dossier) -> str:
    """The certifying body's notice of an expiry: a request for a revocation decision where the
    profile may revoke on expiry; else (Decision 26/2026, Art. 8 has no such ground) the
    certificate simply lapsed."""
    valid = _vn(d.valid_until)
    head = f"Giấy chứng nhận OCOP của sản phẩm «{d.product_name}» (số {d.certificate_number}) "
    if profile.revocation_rules.ground("expired") is not None:
        return head + f"hết hiệu lực ngày {valid}: đề nghị ban hành quyết định thu hồi."
    return head + f"đã hết hiệu lực từ sau ngày {valid}; không phải ban hành quyết định thu hồi."


def _vn(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "?"
