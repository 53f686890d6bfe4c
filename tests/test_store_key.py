"""A store's hash chains are made with one key (or none): an engine with another key, or none
where the store has one, writes nothing, and a verification with the wrong key says so once."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete

from ocop_cycle import VN_TZ, Engine, KeyMismatch, SettableClock
from ocop_cycle._storage.schema import store_settings
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
