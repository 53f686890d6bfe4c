"""The outbox: at-least-once delivery with leases and stable ids."""

from __future__ import annotations

from datetime import timedelta

from ocop_cycle import Engine, SettableClock
from tests.scenario import Walk


def test_claim_lease_and_ack(engine: Engine, clock: SettableClock) -> None:
    """Claimed notifications are not handed out again during the lease, are after it, and never
    again once acknowledged."""
    walk = Walk(engine, clock)
    walk.certified()
    first = engine.claim_notifications("portal", lease=timedelta(minutes=5))
    assert first
    assert {n.claimed_by for n in first} == {"portal"}
    certified = [n for n in first if n.kind == "certified"]
    assert certified[0].message_vi.startswith("Sản phẩm «Trứng gà» được công nhận 3 sao")
    assert certified[0].data["state"] == "certified"
    assert engine.claim_notifications("other") == []  # leased to portal
    clock.advance(timedelta(minutes=6))
    again = engine.claim_notifications("other")
    assert [n.notification_id for n in again] == [n.notification_id for n in first]
    assert engine.ack_notifications([n.notification_id for n in again]) == len(again)
    assert engine.ack_notifications([n.notification_id for n in again]) == 0
    clock.advance(timedelta(minutes=6))
    assert engine.claim_notifications("portal") == []
    assert len(engine.notifications(include_acked=True)) == len(first)
    assert engine.notifications() == []


def test_claims_are_disjoint(engine: Engine, clock: SettableClock) -> None:
    """Two consumers claiming in turn get different notifications, oldest first."""
    walk = Walk(engine, clock)
    for i in range(3):
        walk.certified(name=f"Sản phẩm {i}")
    a = engine.claim_notifications("a", limit=2)
    b = engine.claim_notifications("b", limit=100)
    ids_a = {n.notification_id for n in a}
    ids_b = {n.notification_id for n in b}
    assert len(a) == 2
    assert ids_a.isdisjoint(ids_b)
    assert len(ids_a | ids_b) == len(engine.notifications())
