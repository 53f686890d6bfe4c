"""The outbox: each named consumer receives every notification, at least once, with leases,
acknowledgements of its own and stable ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from ocop_cycle import Engine, InvalidCommand, SettableClock
from ocop_cycle._storage.database import create_database_engine, upgrade
from tests import outbox_workers
from tests.scenario import Walk
from tests.test_exactly_once import in_processes
from tests.test_storage import downgrade_to


def certified(engine: Engine, clock: SettableClock, products: int = 1) -> None:
    """``products`` certified products: their registration, round and certificate notices."""
    walk = Walk(engine, clock)
    for i in range(products):
        walk.certified(name=f"Trứng gà {i}" if products > 1 else "Trứng gà")


def test_claim_lease_and_ack(engine: Engine, clock: SettableClock) -> None:
    """Claimed notifications are not handed to the same consumer again during the lease, are
    after it, and never again once it acknowledged them."""
    certified(engine, clock)
    first = engine.claim_notifications("portal", lease=timedelta(minutes=5))
    assert first
    assert {n.claimed_by for n in first} == {"portal"}
    cert = [n for n in first if n.kind == "certified"]
    assert cert[0].message_vi.startswith("Sản phẩm «Trứng gà» được công nhận 3 sao")
    assert cert[0].data["state"] == "certified"
    assert engine.claim_notifications("portal") == []  # leased
    clock.advance(timedelta(minutes=6))
    again = engine.claim_notifications("portal")
    assert [n.notification_id for n in again] == [n.notification_id for n in first]
    ids = [n.notification_id for n in again]
    assert engine.ack_notifications(ids, consumer="portal") == len(again)
    assert engine.ack_notifications(ids, consumer="portal") == 0
    clock.advance(timedelta(minutes=6))
    assert engine.claim_notifications("portal") == []
    assert engine.notifications(consumer="portal") == []
    assert len(engine.notifications(consumer="portal", include_acked=True)) == len(first)
    assert engine.notifications() == []  # acknowledged by a consumer
    assert len(engine.notifications(include_acked=True)) == len(first)


def test_each_consumer_receives_every_notification(engine: Engine, clock: SettableClock) -> None:
    """ "portal" and "sms" each receive all notifications with the same stable ids; one
    consumer's claim or acknowledgement does not hide them from the other."""
    certified(engine, clock, products=3)
    portal = engine.claim_notifications("portal", limit=1000)
    assert engine.ack_notifications([n.notification_id for n in portal], consumer="portal")
    sms = engine.claim_notifications("sms", limit=1000)
    assert len(portal) == len(engine.notifications(include_acked=True)) > 3
    assert [n.notification_id for n in sms] == [n.notification_id for n in portal]
    assert [n.message_vi for n in sms] == [n.message_vi for n in portal]
    assert engine.notifications(consumer="portal") == []
    assert len(engine.notifications(consumer="sms")) == len(sms)  # claimed, not acknowledged
    assert engine.ack_notifications([n.notification_id for n in sms[:1]], consumer="portal") == 0


def test_one_consumer_claiming_in_turn_gets_disjoint_batches(
    engine: Engine, clock: SettableClock
) -> None:
    """Two claims of one consumer during a lease get different notifications, oldest first."""
    certified(engine, clock, products=3)
    a = engine.claim_notifications("portal", limit=2)
    b = engine.claim_notifications("portal", limit=100)
    ids_a = {n.notification_id for n in a}
    ids_b = {n.notification_id for n in b}
    assert len(a) == 2
    assert ids_a.isdisjoint(ids_b)
    assert len(ids_a | ids_b) == len(engine.notifications())
    assert [n.notification_id for n in a + b] == [n.notification_id for n in engine.notifications()]


def test_an_acknowledgement_needs_the_consumer_s_claim(
    engine: Engine, clock: SettableClock
) -> None:
    """Acknowledging what a consumer never claimed counts nothing and hides nothing from it."""
    certified(engine, clock)
    everything = engine.notifications()
    ids = [n.notification_id for n in everything]
    assert engine.ack_notifications(ids, consumer="sms") == 0
    assert len(engine.claim_notifications("sms", limit=1000)) == len(everything)


@pytest.mark.slow
def test_concurrent_claimers_of_one_consumer_lose_nothing(
    engine: Engine, clock: SettableClock, db_url: str
) -> None:
    """Four processes claim as "portal" at once, one of them crashing before it acknowledges:
    during the lease no notification goes to two of them; after it, the crashed one's come back;
    in the end every notification is acknowledged exactly once, and "sms" still gets them all."""
    certified(engine, clock, products=8)
    total = {str(n.notification_id) for n in engine.notifications(limit=10_000)}
    now = clock.now().isoformat()
    racers = [(db_url, now, "portal", i != 0) for i in range(4)]  # racer 0 crashes
    results = in_processes(outbox_workers.claim_and_ack, racers)
    handed = [nid for _, claimed, _, _ in results for nid in claimed]
    assert len(handed) == len(set(handed)) == len(total)  # all handed out, none twice
    crashed = {nid for _, claimed, _, acks in results if not acks for nid in claimed}
    assert sum(acked for _, _, acked, _ in results) == len(total) - len(crashed)
    later = (clock.now() + outbox_workers.LEASE + timedelta(seconds=1)).isoformat()
    (rest,) = in_processes(outbox_workers.claim_and_ack, [(db_url, later, "portal", True)])
    assert set(rest[1]) == crashed
    assert rest[2] == len(crashed)
    assert engine.notifications(consumer="portal") == []
    assert {str(n.notification_id) for n in engine.claim_notifications("sms", limit=10_000)} == (
        total
    )


@pytest.mark.slow
def test_racing_claimers_each_get_a_full_batch_while_rows_are_free(
    engine: Engine, clock: SettableClock, db_url: str
) -> None:
    """Six processes claim 2 notifications each as "portal" at once, with more than 12 free:
    each gets 2, none shared. (On PostgreSQL they all read the same first rows; the losers used
    to come back empty-handed, and a consumer that stops on an empty claim stopped early.)"""
    certified(engine, clock, products=8)
    free = {str(n.notification_id) for n in engine.notifications(limit=10_000)}
    assert len(free) > 12
    now = clock.now().isoformat()
    results = in_processes(outbox_workers.first_claim, [(db_url, now, "portal", 2)] * 6)
    assert [len(claimed) for _, claimed in results] == [2] * 6
    handed = [nid for _, claimed in results for nid in claimed]
    assert len(set(handed)) == 12
    assert set(handed) <= free


def test_migration_0009_keeps_each_consumer_s_claims_and_acknowledgements(
    engine: Engine, clock: SettableClock, db_url: str
) -> None:
    """Down to 0008 (one shared lease per notification) and up again: what "portal"
    acknowledged stays acknowledged for it, its running lease holds, and "sms" gets them all."""
    certified(engine, clock, products=2)
    portal = engine.claim_notifications("portal", limit=1000)
    acked = [n.notification_id for n in portal[:3]]
    assert engine.ack_notifications(acked, consumer="portal") == 3
    sa_engine = create_database_engine(db_url)
    try:
        downgrade_to(sa_engine, "0008")
        with sa_engine.connect() as conn:
            shared = conn.execute(text("SELECT claimed_by, acked_at FROM ocop_outbox")).all()
        assert {by for by, _ in shared} == {"portal"}
        assert sum(at is not None for _, at in shared) == 3
    finally:  # leave the (shared PostgreSQL) database at head for the tests after this one
        upgrade(sa_engine)
        sa_engine.dispose()
    left = [n.notification_id for n in engine.notifications(consumer="portal")]
    assert left == [n.notification_id for n in portal[3:]]
    assert engine.claim_notifications("portal") == []  # the lease still runs
    assert len(engine.claim_notifications("sms", limit=1000)) == len(portal)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda e: e.claim_notifications(" "), "consumer"),
        (lambda e: e.claim_notifications("portal", limit=0), "limit"),
        (lambda e: e.claim_notifications("portal", lease=timedelta(0)), "lease"),
        (lambda e: e.ack_notifications([], consumer=""), "consumer"),
        (lambda e: e.claim_notifications("p" * 201), "consumer"),
        (lambda e: e.ack_notifications([], consumer="p" * 201), "consumer"),
        (lambda e: e.claim_notifications("portal", limit=2**63), "limit"),
    ],
)
def test_a_claim_or_ack_with_bad_arguments_is_refused(
    engine: Engine, call: Any, field: str
) -> None:
    """A blank consumer would be a consumer of its own, a lease of no time a claim that frees
    at once: refused with ``InvalidCommand`` naming the argument."""
    with pytest.raises(InvalidCommand) as caught:
        call(engine)
    assert [p.field for p in caught.value.problems] == [field]
