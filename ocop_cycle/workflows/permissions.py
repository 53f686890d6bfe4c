"""Authorisation: may this actor fire this command on this dossier? Pure, from profile data."""

from __future__ import annotations

from ocop_cycle.errors import PermissionDenied, Reason
from ocop_cycle.rules.authority import CENTRAL, Actor, Level, Role, role_level
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.workflows.derive import scoring_level
from ocop_cycle.workflows.model import Dossier

__all__ = ["allowed_roles", "authorize", "authorize_creation"]

_TIER_COMMANDS = {"score", "forward", "certify", "not_recognize"}


def allowed_roles(
    profile: RuleProfile, trigger: str, dossier: Dossier | None
) -> tuple[Role, ...] | None:
    """The roles that may fire ``trigger`` on ``dossier``; None when its state has no answer.

    Tier commands (score, forward, certify, not recognise) and revocation depend on the tier
    holding the dossier; in a state with no such tier the machine refuses the transition anyway.
    """
    if trigger in _TIER_COMMANDS:
        level = scoring_level(dossier, profile) if dossier is not None else None
        if level is None:
            return None
        tier = profile.tier(level)
        if trigger == "score":
            return tier.scorer_roles
        if trigger == "forward":
            return tier.forwarder_roles
        return tier.certifier_roles
    if trigger == "revoke":
        # Only the recognising body revokes: the certifiers of the tier that certified.
        if dossier is None or dossier.certified_level is None:
            return None
        try:
            return profile.tier(dossier.certified_level).certifier_roles
        except KeyError:
            return None
    return profile.permissions.get(trigger, ())


def _denied(trigger: str, actor: Actor, code: str, vi: str, en: str) -> PermissionDenied:
    return PermissionDenied(trigger, actor.role.value, actor.jurisdiction, Reason(code, vi, en))


def _scope_code(
    level: Level, commune: str | None, district: str | None, province: str
) -> str | None:
    return {Level.COMMUNE: commune, Level.DISTRICT: district, Level.PROVINCE: province}.get(level)


def _check_scope(
    trigger: str,
    actor: Actor,
    commune: str | None,
    district: str | None,
    province: str,
) -> None:
    level = role_level(actor.role)
    if level is Level.CENTRAL:
        return
    if level is None:  # inspectors: their code names the tier they inspect for
        if actor.jurisdiction in {CENTRAL, province, district, commune}:
            return
    elif actor.jurisdiction == _scope_code(level, commune, district, province):
        return
    raise _denied(
        trigger,
        actor,
        "permission.jurisdiction",
        "Hồ sơ không thuộc địa bàn quản lý của người thực hiện",
        f"the dossier is outside jurisdiction {actor.jurisdiction}",
    )


def authorize(
    profile: RuleProfile,
    actor: Actor,
    trigger: str,
    dossier: Dossier,
    *,
    on_deadline: bool = False,
) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may fire ``trigger`` on ``dossier``.

    The system actor acts only for deadlines: on a due deadline of the dossier it may apply the
    profile's ``deadline_commands``; otherwise only what the permission data grants it (the
    commands whose guards check the date themselves, such as ``expire``).
    """
    if actor.role is Role.SYSTEM and on_deadline:
        if trigger in profile.deadline_commands:
            return
        raise _denied(
            trigger,
            actor,
            "permission.system_deadline_only",
            "Hệ thống chỉ thực hiện các thao tác đến hạn",
            f"the system actor applies deadlines only; {trigger} is not a deadline command",
        )
    roles = allowed_roles(profile, trigger, dossier)
    if roles is None:
        return  # no tier acts in this state: the machine reports the invalid transition
    if actor.role not in roles:
        raise _denied(
            trigger,
            actor,
            "permission.role",
            f"Vai trò {actor.role.label_vi} không được thực hiện thao tác này",
            f"role {actor.role.value} may not {trigger} here",
        )
    if actor.role is Role.PRODUCER and actor.id != str(dossier.producer_id):
        raise _denied(
            trigger,
            actor,
            "permission.not_owner",
            "Chủ thể chỉ thao tác trên hồ sơ của mình",
            "a producer acts on its own dossiers only (actor.id must be the producer id)",
        )
    _check_scope(trigger, actor, dossier.commune_code, dossier.district_code, dossier.province_code)


def authorize_creation(
    profile: RuleProfile,
    actor: Actor,
    trigger: str,
    commune: str | None,
    district: str | None,
    province: str,
) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may create a dossier in this jurisdiction."""
    if actor.role not in profile.permissions.get(trigger, ()):
        raise _denied(
            trigger,
            actor,
            "permission.role",
            f"Vai trò {actor.role.label_vi} không được thực hiện thao tác này",
            f"role {actor.role.value} may not {trigger}",
        )
    _check_scope(trigger, actor, commune, district, province)
