"""An audit of a store the engine goes on writing: every read of one verify (or replay) sees
the same moment, so a consistent store is never reported broken because a command committed
between two of its reads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

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


def test_one_auditor_serves_several_threads(audited: Engine) -> None:
    """A host's health check may share one Auditor between request threads: each verify reads
    its own snapshot, none another's connection."""
    auditor = Auditor(audited)
    found: list[tuple[bool, int]] = []
    errors: list[BaseException] = []

    def verify_three_times() -> None:
        try:
            for _ in range(3):
                report = auditor.verify()
                found.append((report.intact, report.events))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=verify_three_times) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert set(found) == {(True, Auditor(audited).verify().events)}
    assert len(found) == 9


def test_a_stream_left_open_when_its_snapshot_ends_is_closed_with_it(audited: Engine) -> None:
    """A verify failing mid-walk leaves a stream unfinished: it is closed on the snapshot's
    connection as the snapshot ends, never later inside a transaction of whoever took that
    pooled connection next."""
    log = AuditLog(audited.sa_engine)
    kept: list[Any] = []

    def fails_mid_walk() -> None:
        with log.snapshot():
            rows = log.event_rows()
            next(rows)
            kept.append(rows)  # held on, as a traceback frame would
            raise RuntimeError("a failure mid-verify")

    with pytest.raises(RuntimeError):
        fails_mid_walk()
    with audited.sa_engine.connect() as host:
        host.execute(text("SELECT 1"))
        kept.pop().close()
        assert host.execute(text("SELECT 2")).scalar() == 2
