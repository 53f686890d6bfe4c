"""Every command × role × profile against the permission data: authorisation is the data.

Pure: no database. For each edge of each profile's machine, a dossier is placed in the edge's
source state and every role (acting for the dossier's own place) is asked; the answer must be
what the profile's data says, read here independently of ``workflows.permissions``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from uuid import uuid4

import pytest

from ocop_cycle import Actor, Dossier, PermissionDenied, Role, default_rule_book
from ocop_cycle.clock import VN_TZ
from ocop_cycle.rules.authority import Level, role_level
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.testing import Place
from ocop_cycle.workflows.machine import edges
from ocop_cycle.workflows.permissions import authorize, authorize_creation
from ocop_cycle.workflows.states import DossierState

BOOK = default_rule_book()
PROFILES = [BOOK.profile(p) for p in ("qd1048-2019", "qd148-2023", "qd1489-2025", "qd26-2026")]
TIER_COMMANDS = {"score", "forward", "certify", "not_recognize"}
PRODUCER = uuid4()


def place(profile: RuleProfile) -> Place:
    has_district = any(t.level is Level.DISTRICT for t in profile.tiers)
    if has_district:
        return Place()  # xã Xương Lâm, huyện Lạng Giang, tỉnh Bắc Giang
    return Place(commune="07375", district=None)  # xã Lạng Giang, tỉnh Bắc Ninh (after 2025)


def today(profile: RuleProfile) -> date:
    """A day the profile is in force (and, for the old ones, before the 2025 handover)."""
    return profile.in_force_from


def dossier(profile: RuleProfile, state: DossierState) -> Dossier:
    p = place(profile)
    level = None
    value = state.value
    if value.endswith("_scored") or value.startswith("forwarded_"):
        level = Level(value.removesuffix("_scored").removeprefix("forwarded_"))
    elif state is DossierState.COMMUNE_VERIFIED:
        level = None
    certified_level = profile.tiers[0].level
    return Dossier(
        id=uuid4(),
        version=3,
        state=state,
        profile_id=profile.id,
        kind="new",
        producer_id=PRODUCER,
        producer_name="HTX",
        producer_kind="cooperative",
        product_id=uuid4(),
        product_name="Trứng gà",
        product_group="food",
        product_set="eggs",
        commune_code=p.commune,
        district_code=p.district,
        province_code=p.province,
        level=level,
        certified_level=certified_level,
        registered_at=datetime.combine(today(profile), time(9), tzinfo=VN_TZ),
        updated_at=datetime.combine(today(profile), time(9), tzinfo=VN_TZ),
        last_hash="0" * 64,
    )


def actor_for(profile: RuleProfile, role: Role) -> Actor:
    p = place(profile)
    if role in {Role.DISTRICT_OFFICE, Role.DISTRICT_COUNCIL, Role.DISTRICT_COMMITTEE} and (
        p.district is None
    ):
        return Actor(role=role, jurisdiction="217")
    return p.actor(role, str(PRODUCER) if role is Role.PRODUCER else None)


#: Outside a due deadline, the system fires only commands whose guards date them themselves.
SYSTEM_OFF_DEADLINE = {"expire", "mark_renewal_due"}


def expected_roles(profile: RuleProfile, trigger: str, d: Dossier) -> set[Role]:
    """What the data says, read straight from the profile (the system, off a deadline, only
    for the commands that date themselves)."""
    roles = _granted(profile, trigger, d)
    return roles if trigger in SYSTEM_OFF_DEADLINE else roles - {Role.SYSTEM}


def _granted(profile: RuleProfile, trigger: str, d: Dossier) -> set[Role]:
    if trigger in TIER_COMMANDS:
        level = profile.tiers[0].level if d.state is DossierState.COMMUNE_VERIFIED else d.level
        assert level is not None
        tier = profile.tier(level)
        if trigger == "score":
            return set(tier.scorer_roles)
        if trigger == "forward":
            return set(tier.forwarder_roles)
        return set(tier.certifier_roles)
    if trigger in {"certify_on_upper_result", "return_to_lower_tier"}:
        # Art. 7.4g: on the upper council's result, the tier below it decides.
        assert d.level is not None
        below = profile.tiers[[t.level for t in profile.tiers].index(d.level) - 1]
        return set(below.certifier_roles)
    if trigger == "revoke":
        assert d.certified_level is not None
        return set(profile.tier(d.certified_level).certifier_roles)
    if trigger in {"assign_round", "exclude"}:
        # Into (or out of) the evaluation of the tier that holds the dossier: its roles only.
        level = profile.tiers[0].level if d.state is DossierState.COMMUNE_VERIFIED else d.level
        return {r for r in profile.permissions.get(trigger, ()) if role_level(r) is level}
    return set(profile.permissions.get(trigger, ()))


def allowed(profile: RuleProfile, actor: Actor, trigger: str, d: Dossier, **kw: bool) -> bool:
    try:
        authorize(profile, actor, trigger, d, units=BOOK.units, on=today(profile), **kw)
    except PermissionDenied:
        return False
    return True


CASES = [
    (profile, spec.trigger, spec.source)
    for profile in PROFILES
    for spec in {(s.trigger, s.source): s for s in edges(profile)}.values()
]
CASE_IDS = [f"{p.id}-{t}-{s.value}" for p, t, s in CASES]


@pytest.mark.parametrize(
    ("profile", "trigger", "source"),
    CASES,
    ids=CASE_IDS,
)
def test_each_role_may_exactly_what_the_data_grants(
    profile: RuleProfile, trigger: str, source: DossierState
) -> None:
    """For every edge, each role is allowed if and only if the profile's data names it."""
    d = dossier(profile, source)
    want = expected_roles(profile, trigger, d)
    got = {role for role in Role if allowed(profile, actor_for(profile, role), trigger, d)}
    assert got == want


@pytest.mark.parametrize(
    ("profile", "trigger", "source"),
    CASES,
    ids=CASE_IDS,
)
def test_system_on_a_deadline_only_for_deadline_commands(
    profile: RuleProfile, trigger: str, source: DossierState
) -> None:
    """On a due deadline the system may apply the profile's deadline commands, nothing else."""
    d = dossier(profile, source)
    got = allowed(profile, Actor.system(), trigger, d, on_deadline=True)
    assert got == (trigger in profile.deadline_commands)


def test_the_system_is_never_granted_a_non_deadline_command() -> None:
    """No profile lists the system actor for a command outside its deadline commands."""
    for profile in PROFILES:
        for command, roles in profile.permissions.items():
            if Role.SYSTEM in roles:
                assert command in profile.deadline_commands, (profile.id, command)


@pytest.mark.parametrize("profile", PROFILES, ids=[p.id for p in PROFILES])
@pytest.mark.parametrize("trigger", ["register", "register_reevaluation", "import_certificate"])
def test_creation_roles_are_the_data(profile: RuleProfile, trigger: str) -> None:
    """Who may create a dossier is the profile's data, for each role in its own place."""
    p = place(profile)
    got = set()
    for role in Role:
        try:
            authorize_creation(
                profile,
                actor_for(profile, role),
                trigger,
                p.commune,
                p.district,
                p.province,
                units=BOOK.units,
                on=today(profile),
            )
        except PermissionDenied:
            continue
        got.add(role)
    assert got == set(profile.permissions[trigger])
