"""Support amounts under Bắc Giang Resolution 67/2023 (policy data)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ocop_cycle import Dossier, DossierState, Engine, Role, RuleBook, SettableClock
from ocop_cycle.rules.book import default_rule_book
from ocop_cycle.rules.support import bac_giang_67_2023
from ocop_cycle.testing import Place
from ocop_cycle.workflows.events import SupportGranted
from tests.scenario import LANG_GIANG, Walk, at

M = Decimal(1_000_000)
D2024 = date(2024, 7, 1)


@pytest.mark.parametrize(
    ("kind", "stars", "previous", "millions"),
    [
        ("new", 3, None, 50),
        ("new", 4, None, 150),
        ("new", 5, None, 300),
        ("re_evaluation", 3, 3, 20),
        ("re_evaluation", 4, 4, 60),
        ("upgrade", 4, 3, 150),
        ("upgrade", 5, 4, 300),
        ("upgrade", 3, 3, 20),  # an upgrade evaluation that keeps its star is re-evaluated
        ("upgrade", 4, 4, 60),
        ("upgrade", 5, 5, 0),  # keeping 5★ earns nothing under 67/2023
        ("re_evaluation", 3, 4, 0),  # downgraded
        ("upgrade", 3, 4, 0),
    ],
)
def test_recognition_support(kind: str, stars: int, previous: int | None, millions: int) -> None:
    """First recognition 50/150/300 M; kept 3★/4★ (re-evaluation or upgrade evaluation) 20/60 M;
    upgraded to 4★/5★ 150/300 M."""
    policy = bac_giang_67_2023()
    award = policy.award(kind, stars, previous, D2024, "24")  # type: ignore[arg-type]
    assert (award.amount if award is not None else 0) == millions * M


def test_outside_province_or_period_earns_nothing() -> None:
    """Another province, or a decision outside 2024–2025, is not covered."""
    policy = bac_giang_67_2023()
    assert policy.award("new", 3, None, D2024, "01") is None
    assert policy.award("new", 3, None, date(2023, 12, 31), "24") is None


def test_packaging_share_is_capped() -> None:
    """Half the cost, at most 30/50/100 M for 3★/4★/5★."""
    policy = bac_giang_67_2023()
    assert policy.packaging_support(3, 40 * M) == 20 * M
    assert policy.packaging_support(3, 100 * M) == 30 * M
    assert policy.packaging_support(5, 300 * M) == 100 * M


def _certified_in_2024(walk: Walk, name: str) -> Dossier:
    walk.clock.set(at(2024, 3, 1))
    return walk.certified(name=name)


def test_certification_records_support_as_an_event_with_notices(
    engine: Engine, clock: SettableClock
) -> None:
    """A 3★ first recognition in Bắc Giang in 2024 earns 50 M: an event in the same transaction
    as the decision, a notice to the producer and one to the paying province office."""
    d = _certified_in_2024(Walk(engine, clock), "Trứng gà")
    history = engine.history(d.id)
    assert [e.type for e in history[-2:]] == ["certified", "support_granted"]
    grant = history[-1].payload
    assert isinstance(grant, SupportGranted)
    assert (grant.basis, grant.amount, grant.policy_id) == (
        "first_recognition",
        50 * M,
        "bac-giang-67-2023",
    )
    assert d.version == history[-1].seq
    notes = [n for n in engine.notifications() if n.kind == "support_granted"]
    assert {(n.recipient_role, n.recipient_jurisdiction) for n in notes} == {
        (Role.PRODUCER, LANG_GIANG.commune),
        (Role.PROVINCE_OFFICE, "24"),
    }
    assert any("50.000.000 đồng" in n.message_vi for n in notes)
    assert engine.replay(d.id) == engine.get(d.id)


def test_an_upgrade_that_keeps_its_star_earns_the_re_evaluation_support(
    engine: Engine, clock: SettableClock
) -> None:
    """A 3★ product's upgrade evaluation scores 3★ again in 2024: its certificate is renewed at
    3★ and Resolution 67/2023 pays 20 M, as for a re-evaluation keeping the star."""
    walk = Walk(engine, clock)
    first = _certified_in_2024(walk, "Trứng gà")
    up = engine.register_reevaluation(
        first.id, actor=walk.actor(Role.COMMUNE_OFFICER), kind="upgrade"
    )
    up = engine.verify_commune(up.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    walk.later(days=30)
    up = engine.assign_round(
        up.id, actor=walk.actor(Role.DISTRICT_OFFICE), round_id=walk.round_id()
    )
    up = walk.score(up, [60, 61, 62], Role.DISTRICT_COUNCIL)
    up = engine.certify(up.id, actor=walk.actor(Role.DISTRICT_COMMITTEE), **walk.decision())
    grant = engine.history(up.id)[-1].payload
    assert isinstance(grant, SupportGranted)
    assert (grant.basis, grant.stars, grant.previous_stars, grant.amount) == (
        "re_evaluation_kept",
        3,
        3,
        20 * M,
    )
    assert engine.get(first.id).state is DossierState.RENEWED


def test_which_kinds_keep_their_star_is_policy_data() -> None:
    """A policy that pays only re-evaluations keeping their star says so in its data."""
    policy = bac_giang_67_2023().model_copy(update={"kept_star_kinds": ("re_evaluation",)})
    assert policy.award("upgrade", 3, 3, D2024, "24") is None
    award = policy.award("re_evaluation", 3, 3, D2024, "24")
    assert award is not None
    assert award.amount == 20 * M


def test_no_policy_no_support(engine: Engine, clock: SettableClock) -> None:
    """A decision outside the policy's years earns nothing and records nothing."""
    d = Walk(engine, clock).certified(name="Trứng gà")  # decided in 2023
    assert "support_granted" not in [e.type for e in engine.history(d.id)]


def test_a_book_without_policies_awards_nothing(db_url: str) -> None:
    """Support is policy data: a host whose rule book has none certifies without it."""
    book = default_rule_book()
    bare = RuleBook(
        book.profiles.values(), book.catalogue, book.sheets.values(), catalogues=book.catalogues
    )
    clock = SettableClock(at(2024, 3, 1))
    with Engine.open(db_url, clock=clock, rules=bare) as engine:
        d = Walk(engine, clock).certified(name="Trứng gà")
        assert d.state is DossierState.CERTIFIED
        assert "support_granted" not in [e.type for e in engine.history(d.id)]


@pytest.mark.parametrize(
    ("commune", "paid"),
    [("07375", True), ("09169", False)],
    ids=["xa-lang-giang-formerly-bac-giang", "phuong-vu-ninh-formerly-bac-ninh"],
)
def test_resolution_67_keeps_bac_giangs_territory_after_the_reform(
    db_url: str, commune: str, paid: bool
) -> None:
    """From 01/07/2025 "24" is the merged Bắc Ninh: Bắc Giang's Resolution 67/2023 still pays a
    certification in xã Lạng Giang (Bắc Giang's land), not one in phường Vũ Ninh (the former
    Bắc Ninh's), though both are filed under province 24."""
    clock = SettableClock(at(2025, 7, 10))
    with Engine.open(db_url, clock=clock) as engine:
        walk = Walk(engine, clock, place=Place(commune=commune, district=None, province="24"))
        d = walk.certified(name="Mật ong")
        assert d.certified_on is not None
        assert d.certified_on <= date(2025, 12, 31)  # within the policy's years
        granted = "support_granted" in [e.type for e in engine.history(d.id)]
        assert granted is paid
