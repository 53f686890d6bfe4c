"""Review: _with_key_check misdiagnoses."""

from __future__ import annotations

from sqlalchemy import delete, select, text, update

from ocop_cycle import Engine
from ocop_cycle._storage.schema import events, store_settings
from ocop_cycle.audit.auditor import Auditor
from tests.test_store_key import KEY, OTHER, _walked


def test_wrong_key_with_one_unreadable_row(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        return
    _walked(db_url, KEY)
    with Engine.open(db_url) as engine, engine.sa_engine.begin() as conn:
        conn.execute(text("UPDATE ocop_events SET occurred_at = 'yesterday' WHERE seq = 2"))
    with Engine.open(db_url) as engine:
        report = Auditor(engine, key=OTHER).verify()
    print(
        "\nwrong key + 1 unreadable row:",
        [(b.problem, b.detail[:70]) for b in report.breaks][:3],
        len(report.breaks),
    )


def test_old_store_without_fingerprint_one_dossier_altered(db_url: str) -> None:
    """An unkeyed store written before the fingerprint existed (no key_check row); one dossier's
    events all altered; verify --dossier of it, without a key (right: the store has none)."""
    _walked(db_url, None)
    with Engine.open(db_url) as engine, engine.sa_engine.begin() as conn:
        conn.execute(delete(store_settings))
        (target,) = conn.execute(select(events.c.dossier_id).distinct()).scalars()
        conn.execute(update(events).values(actor_name="Kẻ giả"))
    with Engine.open(db_url) as engine:
        report = Auditor(engine).verify(target)
        whole = Auditor(engine).verify()
    print("\n--dossier:", [(b.problem, b.detail[:80]) for b in report.breaks])
    print("whole:", [(b.problem, b.detail[:80]) for b in whole.breaks][:2])
