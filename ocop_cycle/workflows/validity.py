"""Art. 12.3 of Decision 26/2026: a certificate's validity moves by event while its late
re-evaluation runs. Pure: what ``validity_extended`` event, if any, a step calls for.

A certificate whose filing window closed before the profile took effect, and whose re-evaluation
is accepted, stays valid until the result but at most ``late_reevaluation_validity_days`` (180)
past its own expiry. Its expiry moves to that latest day when the re-evaluation is accepted, and
back to the day of the result (never before its own expiry) when the re-evaluation ends without
a new certificate; a new certificate supersedes it instead. Each move re-plans the expiry
deadline; the sweep settles the old one as moot.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from ocop_cycle.rules.book import RuleBook
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.workflows.derive import valid_until
from ocop_cycle.workflows.events import ValidityExtended
from ocop_cycle.workflows.model import Dossier, DossierKind
from ocop_cycle.workflows.states import HOLDING_CERTIFICATE, TERMINAL_STATES

__all__ = ["LATE_REEVALUATION_VI", "extension_ends", "late_reevaluation", "own_expiry"]

#: Why a certificate's validity moves, as its events record it.
LATE_REEVALUATION_VI = (
    "Khoản 3 Điều 12 Quyết định số 26/2026/QĐ-TTg: giấy chứng nhận tiếp tục có hiệu lực đến "
    "ngày có kết quả xử lý, nhưng không quá {days} ngày tính từ ngày hết thời hạn"
)


def own_expiry(certificate: Dossier, rules: RuleBook) -> date | None:
    """The day a certificate expires by its own term (before any extension)."""
    if certificate.certified_on is None:
        return None
    return valid_until(rules.profile(certificate.profile_id), certificate.certified_on)


def _moved(
    until: date, expires: date, reevaluation: UUID, reason: str, days: int
) -> ValidityExtended:
    return ValidityExtended(
        valid_until=until,
        expires_on=expires,
        reevaluation_id=reevaluation,
        reason=reason,
        legal_basis_vi=LATE_REEVALUATION_VI.format(days=days),
    )


def late_reevaluation(
    certificate: Dossier, reevaluation: Dossier, profile: RuleProfile, rules: RuleBook
) -> ValidityExtended | None:
    """The extension a newly accepted re-evaluation under ``profile`` gives its certificate:
    only when the certificate's window closed before ``profile`` took effect."""
    d = profile.durations
    expires = own_expiry(certificate, rules)
    if (
        reevaluation.kind is not DossierKind.RE_EVALUATION
        or d.reevaluation_window_days is None
        or d.late_reevaluation_validity_days is None
        or expires is None
        or certificate.valid_until != expires
    ):
        return None
    closes = expires - timedelta(days=d.reevaluation_window_days[1])
    if closes >= profile.in_force_from:
        return None  # an ordinary window: filed inside it (the guard saw to that)
    days = d.late_reevaluation_validity_days
    return _moved(expires + timedelta(days=days), expires, reevaluation.id, "accepted", days)


def extension_ends(
    after: Dossier, certificate: Dossier, rules: RuleBook, today: date
) -> ValidityExtended | None:
    """When a re-evaluation that extended its certificate ends without a new one (not
    recognised, withdrawn, rejected, ...), the certificate is valid until ``today`` — never
    before its own expiry — and the re-planned expiry deadline ends it."""
    if (
        after.kind is not DossierKind.RE_EVALUATION
        or after.state not in TERMINAL_STATES
        or certificate.state not in HOLDING_CERTIFICATE
        or certificate.valid_until is None
    ):
        return None
    expires = own_expiry(certificate, rules)
    if expires is None or certificate.valid_until <= expires:
        return None  # not extended: its own term stands
    until = max(expires, today)
    if until >= certificate.valid_until:
        return None
    return _moved(until, expires, after.id, "result", (certificate.valid_until - expires).days)
