"""Authorisation: may this actor fire this command on this dossier, on this day? Pure, from
profile data and the administrative units.

Roles come from the profile (after its ``handover`` date, an abolished body's role passes to its
successor's); places from the units on the day of the act: the actor's unit must exist that day,
and acts for the dossier's unit or the unit that succeeded it (``workflows.jurisdiction``).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ocop_cycle.errors import PermissionDenied, PlaceRefused, Reason
from ocop_cycle.rules.authority import CENTRAL, Actor, Level, Role, role_level
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.scoring import Outcome
from ocop_cycle.rules.units import UnitLevel, UnitRegistry
from ocop_cycle.workflows.derive import scoring_level
from ocop_cycle.workflows.jurisdiction import acts_for, place_problems, recorded_on, unit_refusal
from ocop_cycle.workflows.model import Dossier

__all__ = ["allowed_roles", "authorize", "authorize_creation", "authorize_round"]

_TIER_COMMANDS = {"score", "forward", "certify", "not_recognize"}
_LOWER_TIER_COMMANDS = {"certify_on_upper_result", "return_to_lower_tier"}
#: Commands the roles of the tier holding the dossier fire, among those the data grants.
_HOLDING_TIER_COMMANDS = {"assign_round", "exclude"}


def allowed_roles(
    profile: RuleProfile, trigger: str, dossier: Dossier | None, on: date | None = None
) -> tuple[Role, ...] | None:
    """The roles that may fire ``trigger`` on ``dossier`` (on ``on``, after any handover); None
    when its state has no answer.

    Tier commands (score, forward, certify, not recognise) and revocation depend on the tier
    holding the dossier; in a state with no such tier the machine refuses the transition anyway.
    """
    roles = _granted(profile, trigger, dossier)
    if roles is None or on is None:
        return roles
    return profile.acting_roles(roles, on)


def _granted(
    profile: RuleProfile, trigger: str, dossier: Dossier | None
) -> tuple[Role, ...] | None:
    if trigger == "not_recognize" and dossier is not None and dossier.outcome is Outcome.LOWER_TIER:
        # Art. 7.4.g: on the upper council's result the tier below decides, ending it too.
        trigger = "certify_on_upper_result"
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
    if trigger in _LOWER_TIER_COMMANDS:
        # Art. 7.4g: on the upper council's result, the tier that forwarded decides.
        level = scoring_level(dossier, profile) if dossier is not None else None
        below = profile.tier_below(profile.tier(level)) if level is not None else None
        return below.certifier_roles if below is not None else None
    if trigger == "revoke":
        # Who revokes a certificate of these stars, where the profile says (Decision 26/2026,
        # Art. 8.2: the province chair 3★/4★, the minister 5★); else the recognising body: the
        # certifiers of the tier that certified.
        if dossier is None or dossier.certified_level is None:
            return None
        by_stars = profile.revocation_rules.revoker_roles_by_stars
        if dossier.certified_stars in by_stars:
            return by_stars[dossier.certified_stars]
        try:
            return profile.tier(dossier.certified_level).certifier_roles
        except KeyError:
            return None
    granted = profile.permissions.get(trigger, ())
    if trigger in _HOLDING_TIER_COMMANDS and dossier is not None:
        # A round is the evaluation of the tier that now holds the dossier (the province's
        # for a commune's proposal, the ministry's for a forwarded one: Art. 5, 7.3a, 7.4a):
        # only that tier's roles place dossiers in it, or exclude one from it.
        level = scoring_level(dossier, profile)
        if level is not None:
            return tuple(r for r in granted if role_level(r) in (level, None))
    return granted


def _same_id(text: str | None, value: UUID) -> bool:
    """Whether an actor's id names ``value`` (a UUID however written: upper case, braces)."""
    if text is None:
        return False
    try:
        return UUID(text) == value
    except ValueError:
        return False


def _denied(trigger: str, actor: Actor, code: str, vi: str, en: str) -> PermissionDenied:
    return PermissionDenied(trigger, actor.role.value, actor.jurisdiction, Reason(code, vi, en))


def _scope_code(
    level: Level, commune: str | None, district: str | None, province: str
) -> str | None:
    if level is Level.COMMUNE:
        return commune
    if level is Level.DISTRICT:
        return district
    return province if level is Level.PROVINCE else None


def _check_actor_unit(trigger: str, actor: Actor, units: UnitRegistry, on: date) -> None:
    refusal = unit_refusal(units, actor.jurisdiction, on) or _tier_refusal(actor, units, on)
    if refusal is not None:
        raise PermissionDenied(trigger, actor.role.value, actor.jurisdiction, refusal)


#: The tier of unit each tier of role acts for (inspectors' code says it; central roles none).
_UNIT_LEVEL = {
    Level.COMMUNE: UnitLevel.COMMUNE,
    Level.DISTRICT: UnitLevel.DISTRICT,
    Level.PROVINCE: UnitLevel.PROVINCE,
}
_UNIT_LEVEL_VI = {
    UnitLevel.COMMUNE: "cấp xã",
    UnitLevel.DISTRICT: "cấp huyện",
    UnitLevel.PROVINCE: "cấp tỉnh",
}


def _tier_refusal(actor: Actor, units: UnitRegistry, on: date) -> Reason | None:
    """Why a commune, district or province role cannot act for its code: the code names a unit
    of another tier (a commune officer "of" a province would act for every commune in it)."""
    level = role_level(actor.role)
    wanted = _UNIT_LEVEL.get(level) if level is not None else None
    if wanted is None:
        return None
    unit = units.unit(actor.jurisdiction, on=on) if actor.jurisdiction != CENTRAL else None
    if unit is not None and unit.level is wanted:
        return None
    found = f"{unit.full_name} ({unit.code})" if unit is not None else actor.jurisdiction
    return Reason(
        "unit.wrong_tier",
        f"Vai trò {actor.role.label_vi} thuộc {_UNIT_LEVEL_VI[wanted]}; {found} không phải "
        f"đơn vị {_UNIT_LEVEL_VI[wanted]}",
        f"role {actor.role.value} acts for a {wanted.value}; {actor.jurisdiction} is not one",
    )


def _check_scope(
    trigger: str,
    actor: Actor,
    place: tuple[str | None, str | None, str],
    *,
    units: UnitRegistry,
    on: date,
    recorded_on: date,
) -> None:
    commune, district, province = place
    level = role_level(actor.role)
    if level is Level.CENTRAL or (actor.jurisdiction == CENTRAL and level is None):
        return
    # Inspectors' code names the tier they inspect for; everyone else acts at their own level.
    if level is not None:
        code = _scope_code(level, commune, district, province)
        if acts_for(units, actor.jurisdiction, code, on, recorded_on):
            return
    elif any(
        acts_for(units, actor.jurisdiction, code, on, recorded_on)
        for code in (province, district, commune)
    ):
        return
    raise _denied(
        trigger,
        actor,
        "permission.jurisdiction",
        "Hồ sơ không thuộc địa bàn quản lý của người thực hiện",
        f"the dossier is outside jurisdiction {actor.jurisdiction}",
    )


#: What the system actor may fire outside a due deadline, where the permission data grants it:
#: the commands whose guards establish from the dossier alone that they are due (its
#: certificate lapsed; the statutory notice day reached). The others act on what a deadline
#: says (a due day, a round, a reminder's kind): only the sweep, which reads it from the due
#: deadline, fires them -- a host could otherwise write reminders and escalations of its own
#: making into the hash-chained log.
SYSTEM_SELF_DATED = frozenset({"expire", "mark_renewal_due"})


def authorize(
    profile: RuleProfile,
    actor: Actor,
    trigger: str,
    dossier: Dossier,
    *,
    units: UnitRegistry,
    on: date,
    on_deadline: bool = False,
    role_checked: bool = False,
) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may fire ``trigger`` on ``dossier`` on ``on``.

    The system actor acts only for deadlines: on a due deadline of the dossier it may apply the
    profile's ``deadline_commands``; otherwise only what the permission data grants it among
    ``SYSTEM_SELF_DATED`` (the commands whose guards check the date themselves).
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
    if actor.role is Role.SYSTEM and trigger not in SYSTEM_SELF_DATED:
        raise _denied(
            trigger,
            actor,
            "permission.system_deadline_only",
            "Hệ thống chỉ thực hiện thao tác này khi đến hạn",
            f"the system actor fires {trigger} only on its due deadline (the sweep)",
        )
    # An actor of a unit that no longer exists is told so first, with its successor named.
    _check_actor_unit(trigger, actor, units, on)
    roles = allowed_roles(profile, trigger, dossier, on)
    if roles is None:
        return  # no tier acts in this state: the machine reports the invalid transition
    if not role_checked and actor.role not in roles:
        raise _denied(
            trigger,
            actor,
            "permission.role",
            f"Vai trò {actor.role.label_vi} không được thực hiện thao tác này",
            f"role {actor.role.value} may not {trigger} here",
        )
    if actor.role is Role.PRODUCER and not _same_id(actor.id, dossier.producer_id):
        raise _denied(
            trigger,
            actor,
            "permission.not_owner",
            "Chủ thể chỉ thao tác trên hồ sơ của mình",
            "a producer acts on its own dossiers only (actor.id must be the producer id)",
        )
    _check_scope(
        trigger,
        actor,
        (dossier.commune_code, dossier.district_code, dossier.province_code),
        units=units,
        on=on,
        recorded_on=recorded_on(dossier),
    )


def authorize_creation(
    profile: RuleProfile,
    actor: Actor,
    trigger: str,
    commune: str | None,
    district: str | None,
    province: str,
    *,
    units: UnitRegistry,
    on: date,
    place_on: date | None = None,
) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may create a dossier in this place on ``on``;
    ``PlaceRefused`` when the codes are not one place on ``place_on`` (by default ``on``: an
    imported certificate's codes are read on its decision date)."""
    _check_actor_unit(trigger, actor, units, on)
    if actor.role not in profile.acting_roles(profile.permissions.get(trigger, ()), on):
        raise _denied(
            trigger,
            actor,
            "permission.role",
            f"Vai trò {actor.role.label_vi} không được thực hiện thao tác này",
            f"role {actor.role.value} may not {trigger}",
        )
    place_on = place_on or on
    problems = place_problems(units, commune, district, province, place_on)
    if problems:
        raise PlaceRefused(trigger, problems)
    place = (commune, district, province)
    _check_scope(trigger, actor, place, units=units, on=on, recorded_on=place_on)


def authorize_round(
    profile: RuleProfile, actor: Actor, jurisdiction: str, *, units: UnitRegistry, on: date
) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may open a round of ``jurisdiction`` on
    ``on``: a unit that exists that day, of its role's tier; a role the profile's
    ``create_round`` grants (after any handover); and only for its own unit (the ministry's is
    ``VN``)."""
    _check_actor_unit("create_round", actor, units, on)
    if actor.role not in profile.acting_roles(profile.permissions.get("create_round", ()), on):
        raise _denied(
            "create_round",
            actor,
            "permission.role",
            "Chỉ cơ quan thường trực OCOP của địa bàn được mở đợt đánh giá",
            f"role {actor.role.value} may not open a round under {profile.id}",
        )
    if actor.jurisdiction != jurisdiction:
        raise _denied(
            "create_round",
            actor,
            "permission.jurisdiction",
            "Đợt đánh giá không thuộc địa bàn quản lý của người thực hiện",
            f"the round's jurisdiction {jurisdiction} is not the actor's",
        )
