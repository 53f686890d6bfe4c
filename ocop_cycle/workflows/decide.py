"""From a validated command to the payload of the event it records. Pure.

Payloads are JSON-native (strings for dates, decimals and ids) because they are hashed and
stored as they are; ``fold.apply`` reads them back.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from dateutil.relativedelta import relativedelta

from ocop_cycle.rules.authority import Level
from ocop_cycle.rules.profiles import RuleProfile, TierRules
from ocop_cycle.rules.scoring import Outcome, ScoreResult
from ocop_cycle.rules.support import BASIS_LABELS_VI, SupportAward
from ocop_cycle.text import nfc
from ocop_cycle.workflows.commands import (
    AssignRound,
    Certify,
    DossierCommand,
    EscalateInspection,
    Expire,
    FlagRoundMissed,
    Forward,
    ImportCertificate,
    MarkRenewalDue,
    NotRecognize,
    ProducerInfo,
    ProductInfo,
    RecordInspection,
    Reject,
    Resubmit,
    ReturnForSupplement,
    Revoke,
    Score,
    SendReminder,
    StartMonitoring,
    VerifyCommune,
    Withdraw,
)
from ocop_cycle.workflows.model import Dossier, DossierKind
from ocop_cycle.workflows.states import DossierState

__all__ = [
    "creation_payload",
    "import_payload",
    "producer_id",
    "product_id",
    "scoring_level",
    "tier_outcome",
    "transition_payload",
    "valid_until",
]

_NS = uuid5(NAMESPACE_URL, "https://ocop-cycle.invalid/")


def producer_id(name: str, commune_code: str) -> UUID:
    """A producer's id: the same name filed in the same commune is the same producer."""
    return uuid5(_NS, f"producer|{commune_code}|{nfc(name).casefold()}")


def product_id(producer: UUID, name: str) -> UUID:
    """A product's id: one producer's product of one name."""
    return uuid5(_NS, f"product|{producer}|{nfc(name).casefold()}")


def valid_until(profile: RuleProfile, decision_date: date) -> date:
    """The last day a certificate issued on ``decision_date`` is valid."""
    months = profile.durations.certificate_validity_months
    return decision_date + relativedelta(months=months) - timedelta(days=1)


def scoring_level(dossier: Dossier, profile: RuleProfile) -> Level | None:
    """The tier whose council acts on the dossier now, if any."""
    if dossier.state is DossierState.COMMUNE_VERIFIED:
        return profile.entry_tier.level
    if dossier.state.value.startswith(("forwarded_",)) or dossier.state.value.endswith("_scored"):
        return dossier.level
    return None


def tier_outcome(profile: RuleProfile, tier: TierRules, result: ScoreResult) -> Outcome:
    """What a tier's result allows: certify here, forward up, or not recognised."""
    if result.stars < profile.recognised_min_stars:
        return Outcome.NOT_RECOGNIZED
    if (
        result.stars > tier.certifies_up_to
        and tier.forward_at is not None
        and result.total >= tier.forward_at
    ):
        return Outcome.FORWARD
    return Outcome.CERTIFY


def _parties(
    producer: ProducerInfo, product: ProductInfo, commune: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    pid = producer_id(producer.name, commune)
    return (
        {
            "id": str(pid),
            "name": producer.name,
            "kind": producer.kind.value,
            "address": producer.address,
        },
        {
            "id": str(product_id(pid, product.name)),
            "name": product.name,
            "group": product.group,
            "product_set": product.product_set,
        },
    )


def creation_payload(
    *,
    kind: DossierKind,
    producer: ProducerInfo,
    product: ProductInfo,
    commune_code: str,
    district_code: str | None,
    province_code: str,
    predecessor_id: UUID | None = None,
    note: str = "",
) -> dict[str, Any]:
    """The payload of a ``registered`` event."""
    producer_doc, product_doc = _parties(producer, product, commune_code)
    return {
        "kind": kind.value,
        "producer": producer_doc,
        "product": product_doc,
        "commune_code": commune_code,
        "district_code": district_code,
        "province_code": province_code,
        "predecessor_id": str(predecessor_id) if predecessor_id else None,
        "note": note,
    }


def import_payload(command: ImportCertificate, profile: RuleProfile) -> dict[str, Any]:
    """The payload of a ``certificate_imported`` event."""
    base = creation_payload(
        kind=DossierKind.IMPORTED,
        producer=command.producer,
        product=command.product,
        commune_code=command.commune_code,
        district_code=command.district_code,
        province_code=command.province_code,
    )
    return {
        **base,
        "stars": command.stars,
        "level": command.level.value,
        "score": str(command.score) if command.score is not None else None,
        "decision_number": command.decision_number,
        "decision_date": command.decision_date.isoformat(),
        "issuing_body": command.issuing_body,
        "certificate_number": command.certificate_number or command.decision_number,
        "valid_until": valid_until(profile, command.decision_date).isoformat(),
    }


def transition_payload(
    command: DossierCommand,
    dossier: Dossier,
    profile: RuleProfile,
    today: date,
    result: ScoreResult | None = None,
    predecessor: Dossier | None = None,
) -> dict[str, Any]:
    """The payload of the event a transition command records."""
    payload = _payload(command, dossier, profile, today, result, predecessor)
    if command.notify:
        payload["notify"] = [r.model_dump(mode="json") for r in command.notify]
    return payload


def _payload(
    command: DossierCommand,
    dossier: Dossier,
    profile: RuleProfile,
    today: date,
    result: ScoreResult | None,
    predecessor: Dossier | None,
) -> dict[str, Any]:
    match command:
        case ReturnForSupplement():
            due = command.due_on or today + timedelta(days=profile.durations.supplement_days)
            return {"guidance": command.guidance, "due_on": due.isoformat()}
        case Resubmit():
            return {"note": command.note}
        case VerifyCommune():
            return {
                "local_labour_share": _dec(command.local_labour_share),
                "local_material_share": _dec(command.local_material_share),
                "note": command.note,
            }
        case Reject():
            return {"grounds": command.grounds}
        case AssignRound():
            carried = str(command.carried_from) if command.carried_from else None
            return {"round_id": str(command.round_id), "carried_from": carried}
        case SendReminder():
            return {"kind": command.kind, "due_at": command.due_at.isoformat()}
        case EscalateInspection():
            return {"since": command.since.isoformat()}
        case FlagRoundMissed():
            return {"round_id": str(command.round_id)}
        case Score():
            assert result is not None
            level = scoring_level(dossier, profile)
            assert level is not None
            outcome = tier_outcome(profile, profile.tier(level), result)
            return {
                "level": level.value,
                "session": command.session.model_dump(mode="json"),
                "total": str(result.total),
                "parts": {k: str(v) for k, v in result.parts.items()},
                "member_totals": {k: str(v) for k, v in result.member_totals.items()},
                "band_stars": result.band_stars,
                "stars": result.stars,
                "capped_by": list(result.capped_by),
                "outcome": outcome.value,
            }
        case Forward():
            assert dossier.level is not None
            to = profile.tier(dossier.level).forward_to
            assert to is not None
            return {"from_level": dossier.level.value, "to_level": to.value, "note": command.note}
        case Certify():
            return _certify_payload(command, dossier, profile, predecessor)
        case NotRecognize():
            assert dossier.level is not None
            return {"level": dossier.level.value, "note": command.note}
        case StartMonitoring() | MarkRenewalDue() | Expire():
            return {"valid_until": dossier.valid_until.isoformat() if dossier.valid_until else None}
        case RecordInspection():
            return {
                "inspected_on": command.inspected_on.isoformat(),
                "passed": command.passed,
                "findings": command.findings,
            }
        case Revoke():
            return {
                "grounds": command.grounds.model_dump(mode="json"),
                "decision_number": command.decision_number,
                "decision_date": command.decision_date.isoformat(),
                "issuing_body": command.issuing_body,
            }
        case Withdraw():
            return {"reason": command.reason}
    raise TypeError(f"no payload for {type(command).__name__}")  # pragma: no cover


def _certify_payload(
    command: Certify, dossier: Dossier, profile: RuleProfile, predecessor: Dossier | None
) -> dict[str, Any]:
    assert dossier.level is not None
    assert dossier.stars is not None
    stars = min(dossier.stars, profile.tier(dossier.level).certifies_up_to)
    payload: dict[str, Any] = {
        "level": dossier.level.value,
        "stars": stars,
        "decision_number": command.decision_number,
        "decision_date": command.decision_date.isoformat(),
        "issuing_body": command.issuing_body,
        "certificate_number": command.certificate_number or command.decision_number,
        "valid_until": valid_until(profile, command.decision_date).isoformat(),
        "supersedes": str(predecessor.id) if predecessor is not None else None,
        "result": None,
    }
    if predecessor is not None and predecessor.certified_stars is not None:
        before = predecessor.certified_stars
        payload["result"] = (
            "upgraded" if stars > before else "kept" if stars == before else "downgraded"
        )
    return payload


def _dec(value: object) -> str | None:
    return None if value is None else str(value)


def support_payload(award: SupportAward, policy_title_vi: str, dossier: Dossier) -> dict[str, Any]:
    """The ``support_granted`` event's payload: the award, and the office that pays it."""
    amount = format_vnd(award.amount)
    return {
        **award.model_dump(mode="json"),
        "policy_title_vi": policy_title_vi,
        "notify": [
            {
                "role": "province_office",
                "jurisdiction": dossier.province_code,
                "message_vi": f"Chi hỗ trợ {amount} ({BASIS_LABELS_VI[award.basis].lower()}, "
                f"{award.stars} sao) cho sản phẩm «{dossier.product_name}» của "
                f"{dossier.producer_name}.",
            }
        ],
    }


def format_vnd(amount: Decimal) -> str:
    """An amount as Vietnamese write it: ``50.000.000 đồng``."""
    return f"{amount:,.0f}".replace(",", ".") + " đồng"
