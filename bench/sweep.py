"""Sweep time with 1,000 due deadlines among stores of growing size, next to the raw limit.

For each store size N (default 10k, 100k, 1M dossiers), on SQLite (file, WAL, FULL) and
PostgreSQL: N certified dossiers, each with one deadline far in the future, and 1,000 of them
with a renewal notice due now. Then:

- engine: ``Sweeper(engine).sweep()`` applies the 1,000 (claim, apply a reminder command with its
  event and outbox row, settle the deadline), one transaction each;
- raw: the bare driver does the same writes for the same kind of rows (select the earliest due
  row, UPDATE the projection and the deadline, INSERT the event and the outbox row, COMMIT).

The cost must follow what is due, not the size of the store: the 1M / 10k time ratio is printed.

Run: python bench/sweep.py [--pg URL] [--sizes 10000,100000,1000000] [--due 1000]
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/transitions.py shares its name with the `transitions` library: keep this folder off
# sys.path so the library, not the benchmark, is what ocop_cycle imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse
import json
import logging
import os
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import insert, text

from ocop_cycle import VN_TZ, Engine, SettableClock
from ocop_cycle._storage.fastpath import Prepared
from ocop_cycle._storage.schema import deadlines, dossiers, metadata, producers, products
from ocop_cycle.jobs.sweep import Sweeper

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=VN_TZ)
VALID_UNTIL = date(2026, 8, 30)  # the 90-day notice (2026-06-01 08:00) is due at NOW
FAR = datetime(2030, 1, 1, tzinfo=VN_TZ)
BATCH = 20_000


def _dossier(i: int, producer: uuid.UUID, product: uuid.UUID) -> dict[str, Any]:
    return {
        "id": uuid.UUID(int=i + 1),
        "version": 1,
        "state": "monitored",
        "profile_id": "qd148-2023",
        "kind": "new",
        "producer_id": producer,
        "producer_name": "Chủ thể",
        "producer_kind": "cooperative",
        "product_id": product,
        "product_name": f"Sản phẩm {i}",
        "product_group": "food",
        "product_set": "honey",
        "commune_code": "07426",
        "district_code": "217",
        "province_code": "24",
        "predecessor_id": None,
        "successor_id": None,
        "round_id": None,
        "level": "district",
        "score": None,
        "stars": 3,
        "outcome": "certify",
        "scored_on": None,
        "supplement_due_on": None,
        "certified_stars": 3,
        "certified_level": "district",
        "certificate_number": f"{i}/QĐ",
        "decision_number": f"{i}/QĐ",
        "issuing_body": "UBND huyện",
        "certified_on": date(2023, 8, 31),
        "valid_until": VALID_UNTIL,
        "last_inspection_on": None,
        "last_inspection_passed": None,
        "product_code": None,
        "registered_at": NOW - timedelta(days=1000),
        "updated_at": NOW - timedelta(days=1000),
        "last_hash": "0" * 64,
    }


def _deadline(i: int, due: bool) -> dict[str, Any]:
    dossier_id = uuid.UUID(int=i + 1)
    due_at = NOW - timedelta(hours=1) if due else FAR
    kind = "renewal_notice" if due else "inspection_due"
    return {
        "key": f"{kind}|{dossier_id}|{due_at.isoformat()}|90",
        "kind": kind,
        "dossier_id": dossier_id,
        "round_id": None,
        "due_at": due_at,
        "status": "pending",
        "detail": {"offset_days": 90, "statutory": False, "valid_until": VALID_UNTIL.isoformat()}
        if due
        else {"since": "2029-01-01"},
        "created_at": NOW - timedelta(days=1000),
    }


def fill(engine: Engine, size: int, due: int) -> None:
    """A store of ``size`` dossiers, ``due`` of them with a deadline due at NOW (bulk insert)."""
    sa = engine.sa_engine
    dialect = sa.dialect
    producer, product = uuid.uuid4(), uuid.uuid4()
    with sa.begin() as conn:
        conn.execute(
            insert(producers),
            {
                "id": producer,
                "name": "Chủ thể",
                "kind": "cooperative",
                "address": "",
                "commune_code": "07426",
                "district_code": "217",
                "province_code": "24",
                "created_at": NOW,
            },
        )
        conn.execute(
            insert(products),
            {
                "id": product,
                "producer_id": producer,
                "name": "Sản phẩm",
                "product_group": "food",
                "product_set": "honey",
                "created_at": NOW,
            },
        )
    p_dossier = Prepared(insert(dossiers), dialect, [c.name for c in dossiers.columns])
    p_deadline = Prepared(insert(deadlines), dialect, list(_deadline(0, True)))
    every = max(1, size // due)
    raw = sa.raw_connection()
    try:
        cur = raw.cursor()
        for start in range(0, size, BATCH):
            stop = min(size, start + BATCH)
            cur.executemany(
                p_dossier.sql,
                [p_dossier.params(_dossier(i, producer, product)) for i in range(start, stop)],
            )
            cur.executemany(
                p_deadline.sql,
                [
                    p_deadline.params(_deadline(i, i % every == 0 and i // every < due))
                    for i in range(start, stop)
                ],
            )
            raw.commit()
    finally:
        raw.close()


class RawSweep:
    """The same per-deadline writes with the bare driver: claim, read, update, insert, settle."""

    def __init__(self, engine: Engine) -> None:
        dialect = engine.sa_engine.dialect
        self.pg = dialect.name == "postgresql"
        self.raw = engine.sa_engine.raw_connection()
        # Values stored exactly as SQLAlchemy stores them (UUID text, UTC datetimes on SQLite).
        self.when = deadlines.c.due_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.uid = deadlines.c.dossier_id.type.dialect_impl(dialect).bind_processor(dialect)
        p = "%s" if self.pg else "?"
        lock = " FOR UPDATE SKIP LOCKED" if self.pg else ""
        self.claim = (
            "SELECT id, dossier_id FROM ocop_deadlines WHERE status = 'pending'"
            f" AND due_at <= {p} ORDER BY due_at, id LIMIT 1{lock}"
        )
        self.load = f"SELECT version, last_hash FROM ocop_dossiers WHERE id = {p}"
        self.update = (
            f"UPDATE ocop_dossiers SET version = {p}, updated_at = {p}, last_hash = {p}"
            f" WHERE id = {p} AND version = {p}"
        )
        self.event = (
            "INSERT INTO ocop_events (dossier_id, seq, type, schema_version, payload, actor_role,"
            " actor_jurisdiction, profile_id, occurred_at, recorded_at, prev_hash, hash)"
            f" VALUES ({', '.join([p] * 12)})"
        )
        self.outbox = (
            "INSERT INTO ocop_outbox (notification_id, dossier_id, seq, kind, recipient_role,"
            f" recipient_jurisdiction, message_vi, data, created_at) VALUES ({', '.join([p] * 9)})"
        )
        self.settle = (
            f"UPDATE ocop_deadlines SET status = 'done', applied_at = {p}"
            f" WHERE id = {p} AND status = 'pending'"
        )

    def _t(self, value: datetime) -> Any:
        return self.when(value) if self.when else value

    def sweep_one(self, now: datetime) -> bool:
        """Apply the earliest due deadline; False when none is due."""
        cur = self.raw.cursor()
        stamp = self._t(now)
        if not self.pg:
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(self.claim, (stamp,))
        row = cur.fetchone()
        if row is None:
            self.raw.rollback()
            return False
        deadline_id, dossier_id = row
        cur.execute(self.load, (dossier_id,))
        version, prev = cur.fetchone()
        digest = f"{version + 1:064x}"
        cur.execute(self.update, (version + 1, stamp, digest, dossier_id, version))
        payload = json.dumps({"kind": "renewal_notice", "due_at": now.isoformat()})
        cur.execute(
            self.event,
            (
                dossier_id,
                version + 1,
                "reminder_sent",
                1,
                payload,
                "system",
                "VN",
                "qd148-2023",
                stamp,
                stamp,
                prev,
                digest,
            ),
        )
        notification = uuid.uuid4()
        cur.execute(
            self.outbox,
            (
                self.uid(notification) if self.uid else notification,
                dossier_id,
                version + 1,
                "reminder_sent",
                "producer",
                "07426",
                "Nhắc hạn: giấy chứng nhận OCOP sắp hết hạn.",
                json.dumps({"dossier_id": str(dossier_id)}),
                stamp,
            ),
        )
        cur.execute(self.settle, (stamp, deadline_id))
        self.raw.commit()
        return True


def reset(url: str) -> None:
    """Drop and re-create the ocop-cycle schema."""
    engine = Engine.open(url)
    cascade = " CASCADE" if engine.sa_engine.dialect.name == "postgresql" else ""
    with engine.sa_engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(text(f"DROP TABLE IF EXISTS {table.name}{cascade}"))
        conn.execute(text("DROP TABLE IF EXISTS ocop_alembic_version"))
    engine.upgrade()
    engine.close()


def measure(url: str, size: int, due: int) -> dict[str, Any]:
    """Fill a store of ``size``, then apply its ``due`` deadlines: half engine, half raw,
    alternating in chunks so that both meet the same store."""
    reset(url)
    engine = Engine.open(url, clock=SettableClock(NOW))
    t0 = time.perf_counter()
    fill(engine, size, due)
    fill_s = time.perf_counter() - t0
    sweeper = Sweeper(engine)
    raw = RawSweep(engine)
    spent = {"engine": 0.0, "raw": 0.0}
    applied = {"engine": 0, "raw": 0}
    chunk = max(1, due // 10)
    while applied["engine"] + applied["raw"] < due:
        t = time.perf_counter()
        applied["engine"] += sweeper.sweep(now=NOW, limit=chunk).count
        spent["engine"] += time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(chunk):
            if not raw.sweep_one(NOW):
                break
            applied["raw"] += 1
        spent["raw"] += time.perf_counter() - t
    raw.raw.close()
    engine.close()
    per = {k: spent[k] / max(1, applied[k]) for k in spent}
    return {
        "dossiers": size,
        "due": due,
        "fill_s": round(fill_s, 1),
        "engine_ms_per_due": per["engine"] * 1000,
        "raw_ms_per_due": per["raw"] * 1000,
        "engine_s_for_all_due": per["engine"] * due,
        "raw_s_for_all_due": per["raw"] * due,
        "ratio": per["raw"] / per["engine"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("OCOP_BENCH_PG_URL"))
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        backends = [("sqlite (WAL, FULL)", f"sqlite:///{Path(tmp) / 'sweep.db'}")]
        if args.pg:
            backends.append(("postgresql", args.pg))
        for label, url in backends:
            for size in sizes:
                if url.startswith("sqlite"):
                    for suffix in ("", "-wal", "-shm"):
                        Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
                results.append({"backend": label, **measure(url, size, args.due)})
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'backend':<20} {'dossiers':>9} {'engine s':>9} {'raw s':>7} {'ratio':>6}")
    for r in results:
        print(
            f"{r['backend']:<20} {r['dossiers']:>9} {r['engine_s_for_all_due']:>9.2f}"
            f" {r['raw_s_for_all_due']:>7.2f} {r['ratio']:>6.2f}"
        )
    for label in {r["backend"] for r in results}:
        rows = [r for r in results if r["backend"] == label]
        if len(rows) > 1:
            growth = rows[-1]["engine_s_for_all_due"] / rows[0]["engine_s_for_all_due"]
            print(
                f"{label}: {rows[-1]['dossiers']} / {rows[0]['dossiers']} sweep time = {growth:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
