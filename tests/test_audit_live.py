"""An audit of a store the engine goes on writing: every read of one verify (or replay) sees
the same moment, so a consistent store is never reported broken because a command committed
between two of its reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ocop_cycle import Engine, SettableClock
from ocop_cycle._storage.auditlog import AuditLog
from ocop_cycle.audit.auditor import Auditor
from tests.scenario import Walk


def commit_before_projections_are_read(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, clock: SettableClock
) -> None:
    """Have a command commit (through the engine, on another connection) just before the
    audit starts reading the projections, after it started reading the events: the moment a
    writer running beside the audit hits now and then."""
    walk = Walk(engine, clock)
    read = AuditLog.projections

    def projections(self: AuditLog, dossier_id: Any = None) -> Iterator[dict[str, Any]]:
        walk.register("Sản phẩm ghi trong lúc kiểm tra")
        yield from read(self, dossier_id)

    monkeypatch.setattr(AuditLog, "projections", projections)


@pytest.fixture
def audited(engine: Engine, clock: SettableClock) -> Engine:
    walk = Walk(engine, clock)
    for name in ("Trứng gà", "Mật ong", "Chè xanh"):
        walk.verified(name)
    return engine


def test_verify_of_a_store_written_meanwhile_is_intact(
    audited: Engine, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_before_projections_are_read(monkeypatch, audited, clock)
    report = Auditor(audited).verify()
    monkeypatch.undo()

    assert report.breaks == []
    assert report.dossiers == 3  # as the store stood when the audit began
    assert Auditor(audited).verify().dossiers == 4


def test_replay_of_a_store_written_meanwhile_matches(
    audited: Engine, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_before_projections_are_read(monkeypatch, audited, clock)
    report = Auditor(audited).replay()

    assert report.mismatches == []
    assert report.dossiers == 3


def test_streams_of_one_snapshot_see_one_moment(audited: Engine, clock: SettableClock) -> None:
    log = Auditor(audited).log
    with log.snapshot():
        events = log.event_rows()
        next(events)
        Walk(audited, clock).register("Sản phẩm mới")
        projections = list(log.projections())
        rest = list(events)
    assert len(projections) == 3
    assert len({r["dossier_id"] for r in rest}) == 3
    assert len(list(log.projections())) == 4  # outside: the store as it is now
