"""A store's hash chains are made with one key (or none): an engine with another key, or none
where the store has one, writes nothing, and a verification with the wrong key says so once."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete, func, select, text, update

from ocop_cycle import VN_TZ, Engine, KeyMismatch, SettableClock, StorageError
from ocop_cycle._storage.database import create_database_engine
from ocop_cycle._storage.schema import (
    checkpoint_heads,
    checkpoints,
    deadlines,
    dossiers,
    events,
    store_settings,
)
from ocop_cycle._storage.store import Store
from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.cli import main
from tests.scenario import Walk, snapshot

KEY = b"k" * 32
OTHER = b"o" * 32
START = datetime(2024, 3, 1, 9, tzinfo=VN_TZ)


def _walked(db_url: str, key: bytes | None, name: str = "Trứng gà") -> None:
    clock = SettableClock(START)
    with Engine.open(db_url, clock=clock, hmac_key=key) as engine:
        Walk(engine, clock).verified(name)


def _refused(db_url: str, key: bytes | None) -> None:
    clock = SettableClock(START)
    with Engine.open(db_url, clock=clock, hmac_key=key) as engine:
        before = snapshot(engine)
        with pytest.raises(KeyMismatch):
            Walk(engine, clock).register("Mật ong")
        assert snapshot(engine) == before


@pytest.mark.parametrize(("store_key", "engine_key"), [(KEY, None), (KEY, OTHER), (None, KEY)])
def test_an_engine_keyed_otherwise_than_the_store_writes_nothing(
    db_url: str, store_key: bytes | None, engine_key: bytes | None
) -> None:
    _walked(db_url, store_key)
    _refused(db_url, engine_key)
    _walked(db_url, store_key, "Chè")  # the store's own key still writes
    with Engine.open(db_url, hmac_key=store_key) as engine:
        assert Auditor(engine, key=store_key).verify().intact


def test_a_store_written_before_it_recorded_its_key_is_judged_by_its_last_event(
    db_url: str,
) -> None:
    """Stores written before the record existed have none: the last event's hash tells which
    key made the chains; the right key then records it."""
    _walked(db_url, KEY)
    with Engine.open(db_url) as engine, engine.sa_engine.begin() as conn:
        conn.execute(delete(store_settings))
    _refused(db_url, None)
    _walked(db_url, KEY, "Chè")
    with Engine.open(db_url) as engine:
        assert Auditor(engine, key=KEY).verify().intact


def test_verifying_a_keyed_store_without_its_key_says_so_once(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _walked(db_url, KEY)
    with Engine.open(db_url) as engine:
        report = Auditor(engine).verify()
    assert [b.problem for b in report.breaks] == ["key_mismatch"]
    assert main(["--db", db_url, "audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "key_mismatch" in out
    assert "--key-file" in out


def test_a_key_check_rolled_back_with_the_hosts_transaction_is_asked_again(db_url: str) -> None:
    """An unkeyed engine on a host's connection writes first, and the host rolls back: the
    store records no key. A keyed engine then writes and records its key; the unkeyed one,
    in its next transaction, is refused (it once trusted a check that was rolled back)."""
    clock = SettableClock(START)
    host = create_database_engine(db_url)
    try:
        with host.connect() as conn:
            unkeyed = Engine(conn, clock=clock)
            first = conn.begin()
            Walk(unkeyed, clock).register("A1")
            first.rollback()
            _walked(db_url, KEY)
            conn.begin()
            with pytest.raises(KeyMismatch):
                Walk(unkeyed, clock).register("A2")
            conn.rollback()
    finally:
        host.dispose()
    with Engine.open(db_url, hmac_key=KEY) as engine:
        assert Auditor(engine, key=KEY).verify().intact


def test_a_key_check_in_a_command_that_failed_is_asked_again(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine's first command records its key, then fails before its commit (the database
    refuses its last write): nothing of it stays, the record included. Another key's engine
    then records its own; the first engine's next command is refused, not let through on the
    strength of the check that was rolled back."""
    clock = SettableClock(START)
    with Engine.open(db_url, clock=clock) as unkeyed:
        walk = Walk(unkeyed, clock)

        def refused(*_: object) -> None:
            raise StorageError("the database refused the write")

        with monkeypatch.context() as patched:
            patched.setattr(Store, "add_deadlines", refused)
            with pytest.raises(StorageError):
                walk.register("Mật ong")
        assert snapshot(unkeyed) == (0, 0, 0, 0)
        _walked(db_url, KEY)
        with pytest.raises(KeyMismatch):
            walk.register("Chè")


def _set_fingerprint(db_url: str, value: str | None) -> None:
    with Engine.open(db_url) as engine, engine.sa_engine.begin() as conn:
        conn.execute(delete(store_settings).where(store_settings.c.name == "key_check"))
        if value is not None:
            conn.execute(store_settings.insert().values(name="key_check", value=value))


def _alter_one_event(db_url: str) -> None:
    with Engine.open(db_url) as engine, engine.sa_engine.begin() as conn:
        first = conn.execute(select(events.c.id).order_by(events.c.id).limit(1)).scalar_one()
        conn.execute(update(events).where(events.c.id == first).values(actor_name="Kẻ giả"))


@pytest.mark.parametrize("store_key", [KEY, None], ids=["keyed", "unkeyed"])
def test_an_altered_key_fingerprint_does_not_stop_the_audit(
    db_url: str, store_key: bytes | None
) -> None:
    """One settings row edited: the chains are still walked with the key given; an altered
    event is still found, and the fingerprint is reported as altered (not the auditor's key)."""
    _walked(db_url, store_key)
    _alter_one_event(db_url)
    _set_fingerprint(db_url, "0" * 64)
    with Engine.open(db_url) as engine:
        report = Auditor(engine, key=store_key).verify()
    problems = [b.problem for b in report.breaks]
    assert problems[0] == "key_fingerprint_changed"
    assert "hash_mismatch" in problems
    assert "key_mismatch" not in problems
    assert report.events > 1


def test_a_keyed_store_whose_fingerprint_is_gone_verified_without_its_key_says_so_once(
    db_url: str,
) -> None:
    _walked(db_url, KEY)
    _set_fingerprint(db_url, None)
    with Engine.open(db_url) as engine:
        report = Auditor(engine).verify()
    assert [b.problem for b in report.breaks] == ["key_mismatch"]


def test_every_event_altered_under_an_agreeing_fingerprint_is_told_event_by_event(
    db_url: str,
) -> None:
    _walked(db_url, KEY)
    with Engine.open(db_url) as engine, engine.sa_engine.begin() as conn:
        conn.execute(update(events).values(actor_name="Kẻ giả"))
    with Engine.open(db_url) as engine:
        report = Auditor(engine, key=KEY).verify()
    problems = [b.problem for b in report.breaks]
    assert problems.count("hash_mismatch") == report.events
    assert "key_mismatch" not in problems


def test_a_wrong_key_with_an_unreadable_row_is_still_a_wrong_key(db_url: str) -> None:
    """Rows that cannot be hashed do not count as verified: with the wrong key the store is
    not accused of an altered fingerprint."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL refuses a value of another type than its column's")
    _walked(db_url, KEY)
    with Engine.open(db_url) as engine, engine.sa_engine.begin() as conn:
        conn.execute(text("UPDATE ocop_events SET occurred_at = 'yesterday' WHERE seq = 2"))
    with Engine.open(db_url) as engine:
        report = Auditor(engine, key=OTHER).verify()
    problems = [b.problem for b in report.breaks]
    assert problems[0] == "key_mismatch"
    assert "key_fingerprint_changed" not in problems
    assert "hash_mismatch" not in problems
    assert "row_unreadable" in problems  # what the key does not decide is kept


def test_one_dossier_altered_in_a_store_without_a_key_record_is_told_event_by_event(
    db_url: str,
) -> None:
    """A store written before the key record existed: `verify --dossier` of an altered
    dossier lists its breaks (it cannot be a question of the key for one dossier alone)."""
    _walked(db_url, None)
    _set_fingerprint(db_url, None)
    with Engine.open(db_url) as engine, engine.sa_engine.begin() as conn:
        (target,) = conn.execute(select(events.c.dossier_id).distinct()).scalars()
        conn.execute(update(events).values(actor_name="Kẻ giả"))
    with Engine.open(db_url) as engine:
        report = Auditor(engine).verify(target)
    assert {b.problem for b in report.breaks} == {"hash_mismatch"}


@pytest.mark.parametrize("auditor_key", [None, OTHER], ids=["no_key", "another_key"])
def test_a_wrong_key_keeps_every_break_the_key_does_not_decide(
    db_url: str, auditor_key: bytes | None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Verified with the wrong key, a keyed store whose projection was edited, whose expiry
    was deleted and whose published checkpoint is gone: key_mismatch first, then each of those
    (none depends on the key), and no break per event nor per checkpoint root."""
    clock = SettableClock(START)
    with Engine.open(db_url, clock=clock, hmac_key=KEY) as engine:
        walk = Walk(engine, clock)
        certified = walk.certified(name="Trứng gà")
        auditor = Auditor(engine, key=KEY)
        published = auditor.checkpoint().root
        walk.register("Mật ong")
        auditor.checkpoint()
        with engine.sa_engine.begin() as conn:
            conn.execute(
                update(dossiers).where(dossiers.c.id == certified.id).values(certified_stars=5)
            )
            conn.execute(
                delete(deadlines).where(
                    deadlines.c.dossier_id == certified.id, deadlines.c.kind == "expiry"
                )
            )
            first = select(func.min(checkpoints.c.id)).scalar_subquery()
            conn.execute(delete(checkpoint_heads).where(checkpoint_heads.c.checkpoint_id == first))
            conn.execute(delete(checkpoints).where(checkpoints.c.id == first))
        assert [b.problem for b in auditor.verify(published_root=published).breaks] == [
            "projection_differs",
            "deadline_missing",
            "published_root_unmatched",
        ]
    with Engine.open(db_url) as engine:
        report = Auditor(engine, key=auditor_key).verify(published_root=published)
    assert [b.problem for b in report.breaks] == [
        "key_mismatch",
        "projection_differs",
        "deadline_missing",
        "published_root_unmatched",
    ]
    assert report.checkpoints == 1
