"""[open] A province certifying 4★ while it refers a ≥ 90 result to the ministry
(``certify_at_cap_when_forwarding``): the certificate stands while the central council
evaluates, and the central result raises it to 5★ or leaves it as it was."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from ocop_cycle import (
    Dossier,
    DossierState,
    Engine,
    GuardRefused,
    Level,
    PermissionDenied,
    Role,
    RuleBook,
    SettableClock,
)
from ocop_cycle.rules.book import default_rule_book
from ocop_cycle.workflows.events import Certified, SupportGranted
from ocop_cycle.workflows.machine import DossierMachine
from tests.scenario import PROVINCE_ONLY, Walk, at

S = DossierState
M = 1_000_000


def rules(certify_at_cap: bool) -> RuleBook:
    """The shipped book with qd1489-2025's province tier set one way or the other."""
    book = default_rule_book()
    p1489 = book.profile("qd1489-2025")
    tiers = tuple(
        t.model_copy(update={"certify_at_cap_when_forwarding": certify_at_cap})
        if t.level is Level.PROVINCE
        else t
        for t in p1489.tiers
    )
    changed = p1489.model_copy(update={"tiers": tiers})
    profiles = [changed if p.id == p1489.id else p for p in book.profiles.values()]
    return book.with_profiles(profiles)


@pytest.fixture
def referring(db_url: str) -> Iterator[tuple[Engine, Walk]]:
    """An engine whose qd1489-2025 province certifies 4★ while referring ≥ 90, in August 2025."""
    clock = SettableClock(at(2025, 8, 1))
    with Engine.open(db_url, clock=clock, rules=rules(True)) as engine:
        yield engine, Walk(engine, clock, place=PROVINCE_ONLY)


def certified_at_cap(engine: Engine, walk: Walk) -> Dossier:
    d = walk.entry_scored([91, 92, 93])
    assert (d.profile_id, d.state, d.stars, d.outcome) == (
        "qd1489-2025",
        S.PROVINCE_SCORED,
        5,
        "forward",
    )
    return engine.certify(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **walk.decision())


def referred(engine: Engine, walk: Walk, central: list[int]) -> Dossier:
    """Certified 4★ by the province, referred, scored by the central council."""
    d = certified_at_cap(engine, walk)
    d = engine.forward(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))
    d = engine.assign_round(d.id, actor=walk.actor(Role.MINISTRY), round_id=walk.round_id("VN"))
    walk.later(days=60)
    return walk.score(d, central, Role.CENTRAL_COUNCIL)


def test_by_default_the_province_does_not_certify_what_it_refers(db_url: str) -> None:
    """Setting off (the shipped value): a ≥ 90 result is forwarded, not certified 4★, and a
    certificate never goes up a tier."""
    machine = DossierMachine(default_rule_book().profile("qd1489-2025"))
    assert not [s for s in machine.specs if s.source is S.CERTIFIED and s.trigger == "forward"]
    assert "keep_certificate" not in machine.triggers
    clock = SettableClock(at(2025, 8, 1))
    with Engine.open(db_url, clock=clock, rules=rules(False)) as engine:
        walk = Walk(engine, clock, place=PROVINCE_ONLY)
        d = walk.entry_scored([91, 92, 93])
        with pytest.raises(GuardRefused, match=r"authority\.above_tier_cap"):
            engine.certify(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **walk.decision())
        d = engine.forward(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))
        assert (d.state, d.certified_stars) == (S.FORWARDED_CENTRAL, None)


def test_certified_at_four_stars_and_referred_the_ministry_raises_it_to_five(
    referring: tuple[Engine, Walk],
) -> None:
    """Setting on: the province certifies 4★ and still refers the dossier; the central council
    scores 5★ and the ministry's certificate replaces the province's on the same dossier."""
    engine, walk = referring
    d = certified_at_cap(engine, walk)
    assert (d.state, d.certified_stars, d.certified_level, d.valid_until) == (
        S.CERTIFIED,
        4,
        Level.PROVINCE,
        date(2028, 8, 1),
    )
    d = engine.forward(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))
    assert (d.state, d.level, d.certified_stars) == (S.FORWARDED_CENTRAL, Level.CENTRAL, 4)
    d = engine.assign_round(d.id, actor=walk.actor(Role.MINISTRY), round_id=walk.round_id("VN"))
    walk.later(days=60)
    d = walk.score(d, [94, 95, 96], Role.CENTRAL_COUNCIL)
    assert (d.state, d.stars, d.outcome, d.certified_stars) == (
        S.CENTRAL_SCORED,
        5,
        "certify",
        4,
    )
    d = engine.certify(d.id, actor=walk.actor(Role.MINISTRY), **walk.decision("07/QĐ-BNNMT"))
    assert (d.state, d.certified_stars, d.certified_level, d.decision_number) == (
        S.CERTIFIED,
        5,
        Level.CENTRAL,
        "07/QĐ-BNNMT",
    )
    assert d.valid_until == date(2028, 9, 30)  # 36 months from the ministry's decision
    history = engine.history(d.id)
    ministry = [e.payload for e in history if isinstance(e.payload, Certified)][-1]
    assert (ministry.result, ministry.supersedes) == ("upgraded", None)
    grants = [e.payload for e in history if isinstance(e.payload, SupportGranted)]
    assert [(g.basis, g.stars, g.amount) for g in grants] == [
        ("first_recognition", 4, 150 * M),
        ("upgraded", 5, 300 * M),
    ]
    assert engine.replay(d.id) == d


def test_a_central_result_below_ninety_keeps_the_provinces_certificate(
    referring: tuple[Engine, Walk],
) -> None:
    """The central council finds 85: the ministry cannot re-issue 4★, and the province's
    certificate stands (keep_certificate), as valid as before."""
    engine, walk = referring
    d = referred(engine, walk, [84, 85, 86])
    with pytest.raises(GuardRefused, match=r"referral\.not_higher"):
        engine.certify(d.id, actor=walk.actor(Role.MINISTRY), **walk.decision())
    kept = engine.keep_certificate(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE))
    assert (kept.state, kept.certified_stars, kept.certified_level, kept.valid_until) == (
        S.CERTIFIED,
        4,
        Level.PROVINCE,
        date(2028, 8, 1),
    )
    assert engine.history(kept.id)[-1].type == "certificate_kept"
    assert any(n.kind == "certificate_kept" for n in engine.notifications())
    assert engine.replay(kept.id) == kept


def test_a_dossier_holding_a_certificate_is_not_closed_without_it(
    referring: tuple[Engine, Walk],
) -> None:
    """Central result below 3★: 'not recognised' would drop the province's certificate, and so
    would withdrawing the referral: both refused; keeping the certificate closes it."""
    engine, walk = referring
    d = referred(engine, walk, [44, 45, 46])
    assert d.outcome == "not_recognized"
    with pytest.raises(GuardRefused, match=r"certificate\.held"):
        engine.not_recognize(d.id, actor=walk.actor(Role.MINISTRY))
    with pytest.raises(GuardRefused, match=r"certificate\.held"):
        engine.withdraw(d.id, actor=walk.actor(Role.COMMUNE_OFFICER), reason="Rút")
    kept = engine.keep_certificate(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE))
    assert (kept.state, kept.certified_stars) == (S.CERTIFIED, 4)


def test_a_referral_not_yet_scored_may_be_dropped_with_the_certificate_kept(
    referring: tuple[Engine, Walk],
) -> None:
    """Forwarded but never scored (the producer gives up 5★): the certificate is kept."""
    engine, walk = referring
    d = certified_at_cap(engine, walk)
    d = engine.forward(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))
    d = engine.keep_certificate(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE))
    assert (d.state, d.certified_stars) == (S.CERTIFIED, 4)
    with pytest.raises(GuardRefused, match=r"score\.below_forward_threshold"):
        engine.forward(d.id, actor=walk.actor(Role.PROVINCE_OFFICE))  # referred once


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.PROVINCE_OFFICE, True), (Role.COMMUNE_OFFICER, False), (Role.PRODUCER, False)],
)
def test_who_refers_a_certified_dossier_is_the_tiers_forwarders(
    referring: tuple[Engine, Walk], role: Role, allowed: bool
) -> None:
    """Referring a certified dossier is the province tier's forward: its forwarders only."""
    engine, walk = referring
    dossier_id = certified_at_cap(engine, walk).id
    if allowed:
        assert engine.forward(dossier_id, actor=walk.actor(role)).state is S.FORWARDED_CENTRAL
    else:
        with pytest.raises(PermissionDenied):
            engine.forward(dossier_id, actor=walk.actor(role))


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.PROVINCE_COMMITTEE, True), (Role.MINISTRY, True), (Role.PRODUCER, False)],
)
def test_who_keeps_the_certificate_is_profile_data(
    referring: tuple[Engine, Walk], role: Role, allowed: bool
) -> None:
    """``keep_certificate`` is granted by the profile's permissions (province committee and
    ministry under qd1489-2025), not to the producer."""
    engine, walk = referring
    d = referred(engine, walk, [84, 85, 86])
    if allowed:
        assert engine.keep_certificate(d.id, actor=walk.actor(role)).state is S.CERTIFIED
    else:
        with pytest.raises(PermissionDenied):
            engine.keep_certificate(d.id, actor=walk.actor(role))


def test_the_graph_with_the_setting_on() -> None:
    """Setting on: certified → forwarded_central (forward) and back (keep_certificate), from
    the central council's states; the graph still checks."""
    machine = DossierMachine(rules(True).profile("qd1489-2025"))
    edges = {(s.trigger, s.source, s.dest) for s in machine.specs}
    assert ("forward", S.CERTIFIED, S.FORWARDED_CENTRAL) in edges
    assert {(s, d) for t, s, d in edges if t == "keep_certificate"} == {
        (S.FORWARDED_CENTRAL, S.CERTIFIED),
        (S.CENTRAL_SCORED, S.CERTIFIED),
    }
