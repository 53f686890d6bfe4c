"""Module-level functions run in child processes by the outbox race tests (spawn-safe).

Each child claims as one consumer at a fixed instant, in small batches, acknowledging what it
got (or, for a crashing consumer, not), and reports the ids it was handed and how many of its
acknowledgements counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from multiprocessing.synchronize import Barrier
from typing import Any

from ocop_cycle import Engine, SettableClock

LEASE = timedelta(minutes=5)


def claim_and_ack(url: str, now: str, consumer: str, ack: bool, barrier: Barrier, out: Any) -> None:
    """Claim in batches of 3 until nothing is left for ``consumer``; acknowledge each batch when
    ``ack`` (a consumer that crashes after claiming does not). Put (status, claimed ids, acked
    count, ``ack``)."""
    engine = Engine.open(url, clock=SettableClock(datetime.fromisoformat(now)))
    claimed: list[str] = []
    acked = 0
    try:
        barrier.wait(timeout=120)
        while batch := engine.claim_notifications(consumer, limit=3, lease=LEASE):
            claimed += [str(n.notification_id) for n in batch]
            if ack:
                acked += engine.ack_notifications(
                    [n.notification_id for n in batch], consumer=consumer
                )
        result: tuple[str, list[str], int, bool] = ("ok", claimed, acked, ack)
    except Exception as exc:  # reported to the parent, which fails the test
        result = ("crashed", [f"{type(exc).__name__}: {exc}"], 0, ack)
    finally:
        engine.close()
    out.put(result)


def first_claim(url: str, now: str, consumer: str, limit: int, barrier: Barrier, out: Any) -> None:
    """One claim of ``limit`` as ``consumer``, at the barrier; put (status, ids claimed)."""
    engine = Engine.open(url, clock=SettableClock(datetime.fromisoformat(now)))
    try:
        barrier.wait(timeout=120)
        batch = engine.claim_notifications(consumer, limit=limit, lease=LEASE)
        result: tuple[str, list[str]] = ("ok", [str(n.notification_id) for n in batch])
    except Exception as exc:  # reported to the parent, which fails the test
        result = ("crashed", [f"{type(exc).__name__}: {exc}"])
    finally:
        engine.close()
    out.put(result)
