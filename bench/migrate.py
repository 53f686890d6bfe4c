"""Migrating N open qd148-2023 dossiers to qd1489-2025, next to the raw database limit.

The store holds 2N open dossiers (bulk-filled, every open state of qd148-2023 in turn, with the
rounds they would be in), filed under 2K communes. Half the communes are migrated by the engine,
half by the bare driver, alternating commune by commune so that drift on a shared machine hits
both:

- engine: ``Engine.migrate(from_profile="qd148-2023", to_profile="qd1489-2025", unit=commune)``
  -- lists the commune's open dossiers, then per dossier one transaction: read the projection
  (and its round), authorise, decide the mapping, build and hash the ``profile_migrated`` event,
  fold it, UPDATE the projection checked against the version, INSERT the event and the outbox
  rows (the producer's notice; the office's when the dossier now awaits a round), COMMIT;
- raw: the bare driver (``sqlite3`` / ``psycopg``) lists the same kind of dossiers, then per
  dossier one durable transaction with the same writes: the projection UPDATE checked against
  the version (profile, state, version, head hash, the cleared columns), the event INSERT and
  as many outbox INSERTs, COMMIT. No read, no decision, no hashing: the limit.

SQLite runs in WAL with ``synchronous=FULL`` (the engine's default); PostgreSQL with ``--pg``.

Run: python bench/migrate.py [--dossiers 100000] [--units 10] [--pg URL] [--json]
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
import sqlite3
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import insert, select, text

from ocop_cycle import VN_TZ, Engine, SettableClock
from ocop_cycle._storage.fastpath import Prepared
from ocop_cycle._storage.schema import dossiers, metadata, producers, products, rounds

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

REGISTERED = datetime(2025, 4, 1, 9, tzinfo=VN_TZ)
NOW = datetime(2025, 7, 10, 9, tzinfo=VN_TZ)
EFFECTIVE = date(2025, 7, 6)
BATCH = 20_000
ROUNDS = {"217": uuid.UUID(int=1), "24": uuid.UUID(int=2), "VN": uuid.UUID(int=3)}
SCORES = ("level", "score", "stars", "outcome", "scored_on")

#: Each open state as filled: its scoring fields and round; then what the shipped mapping
#: does to it (the state it goes to, the columns it clears, the outbox rows it writes).
STATES: dict[str, dict[str, Any]] = {
    "registered": {"fill": {}, "to": "registered", "clear": (), "notices": 1},
    "returned": {
        "fill": {"supplement_due_on": date(2025, 7, 31)},
        "to": "returned",
        "clear": (),
        "notices": 1,
    },
    "commune_verified": {
        "fill": {"round_id": ROUNDS["217"]},
        "to": "commune_verified",
        "clear": ("round_id",),
        "notices": 2,
    },
    "district_scored": {
        "fill": {"level": "district", "score": 61, "stars": 3, "outcome": "certify"},
        "round": "217",
        "to": "commune_verified",
        "clear": ("round_id", *SCORES),
        "notices": 2,
    },
    "forwarded_province": {
        "fill": {"level": "province", "score": 76, "stars": 4},
        "round": "24",
        "to": "commune_verified",
        "clear": SCORES,
        "notices": 1,
    },
    "province_scored": {
        "fill": {"level": "province", "score": 81, "stars": 4, "outcome": "certify"},
        "round": "24",
        "to": "province_scored",
        "clear": (),
        "notices": 1,
    },
    "forwarded_central": {
        "fill": {"level": "central", "score": 93, "stars": 5},
        "round": "24",
        "to": "forwarded_central",
        "clear": ("round_id",),
        "notices": 2,
    },
    "central_scored": {
        "fill": {"level": "central", "score": 94, "stars": 5, "outcome": "certify"},
        "round": "VN",
        "to": "central_scored",
        "clear": (),
        "notices": 1,
    },
}
ORDER = list(STATES)


def _dossier(i: int, commune: str, producer: uuid.UUID, product: uuid.UUID) -> dict[str, Any]:
    state = ORDER[i % len(ORDER)]
    spec = STATES[state]
    fill = dict(spec["fill"])
    if "round" in spec:
        fill["round_id"] = ROUNDS[spec["round"]]
        fill["scored_on"] = date(2025, 6, 1)
    if "score" in fill:
        fill["score"] = Decimal(fill["score"])
    row = {c.name: None for c in dossiers.columns}
    row.update(
        {
            "id": uuid.uuid4(),
            "version": 1,
            "state": state,
            "profile_id": "qd148-2023",
            "kind": "new",
            "producer_id": producer,
            "producer_name": "Chủ thể",
            "producer_kind": "cooperative",
            "product_id": product,
            "product_name": f"Sản phẩm {i}",
            "product_group": "food",
            "product_set": "eggs",
            "commune_code": commune,
            "district_code": "217",
            "province_code": "24",
            "registered_at": REGISTERED,
            "updated_at": REGISTERED,
            "last_hash": f"{i:064x}",
            **fill,
        }
    )
    return row


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


def fill(engine: Engine, units: list[str], per_unit: int) -> None:
    """``per_unit`` open dossiers in each commune of ``units`` (bulk insert)."""
    sa = engine.sa_engine
    producer, product = uuid.uuid4(), uuid.uuid4()
    with sa.begin() as conn:
        conn.execute(
            insert(producers),
            {
                "id": producer,
                "name": "Chủ thể",
                "kind": "cooperative",
                "address": "",
                "commune_code": units[0],
                "district_code": "217",
                "province_code": "24",
                "created_at": REGISTERED,
            },
        )
        for code, round_id in ROUNDS.items():
            conn.execute(
                insert(rounds),
                {
                    "id": round_id,
                    "year": 2025,
                    "number": 1,
                    "jurisdiction_code": code,
                    "name": "Đợt 1 năm 2025",
                    "registration_deadline": date(2025, 4, 30),
                    "council_meeting_on": date(2025, 7, 20),
                    "scoring_deadline": date(2025, 8, 15),
                    "created_at": REGISTERED,
                },
            )
    # One product per dossier: a product has one evaluation in progress at a time (the index
    # of migration 0006), as in the field.
    keyed = [
        (code, i, uuid.uuid5(product, f"{code}/{i}")) for code in units for i in range(per_unit)
    ]
    with sa.begin() as conn:
        for start in range(0, len(keyed), BATCH):
            conn.execute(
                insert(products),
                [
                    {
                        "id": item,
                        "producer_id": producer,
                        "name": f"Sản phẩm {code}/{i}",
                        "product_group": "food",
                        "product_set": "eggs",
                        "created_at": REGISTERED,
                    }
                    for code, i, item in keyed[start : start + BATCH]
                ],
            )
    prepared = Prepared(insert(dossiers), sa.dialect, [c.name for c in dossiers.columns])
    rows = (_dossier(i, code, producer, item) for code, i, item in keyed)
    raw = sa.raw_connection()
    try:
        cur = raw.cursor()
        batch: list[Any] = []
        for row in rows:
            batch.append(prepared.params(row))
            if len(batch) == BATCH:
                cur.executemany(prepared.sql, batch)
                raw.commit()
                batch = []
        if batch:
            cur.executemany(prepared.sql, batch)
        raw.commit()
    finally:
        raw.close()


class Raw:
    """The same writes per dossier through the bare driver: one durable transaction each."""

    def __init__(self, engine: Engine, url: str) -> None:
        dialect = engine.sa_engine.dialect
        self.pg = dialect.name == "postgresql"
        if self.pg:
            import psycopg

            self.conn: Any = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
            p = "%s"
        else:
            self.conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            p = "?"
        # Values stored exactly as SQLAlchemy stores them (UUID text, UTC datetimes on SQLite).
        self.uid = dossiers.c.id.type.dialect_impl(dialect).bind_processor(dialect)
        self.when = dossiers.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
        states = ", ".join(f"'{s}'" for s in STATES)
        self.list = (
            f"SELECT id, version, state, last_hash FROM ocop_dossiers WHERE profile_id = {p}"
            f" AND commune_code = {p} AND state IN ({states}) ORDER BY registered_at, id"
        )
        self.updates = {}
        for state, spec in STATES.items():
            cleared = "".join(f", {c} = NULL" for c in spec["clear"])
            self.updates[state] = (
                f"UPDATE ocop_dossiers SET profile_id = {p}, state = {p}, version = {p},"
                f" updated_at = {p}, last_hash = {p}{cleared} WHERE id = {p} AND version = {p}"
            )
        self.event = (
            "INSERT INTO ocop_events (dossier_id, seq, type, schema_version, payload, actor_role,"
            " actor_jurisdiction, actor_id, actor_name, profile_id, occurred_at, recorded_at,"
            f" prev_hash, hash) VALUES ({', '.join([p] * 14)})"
        )
        self.outbox = (
            "INSERT INTO ocop_outbox (notification_id, dossier_id, seq, kind, recipient_role,"
            f" recipient_jurisdiction, message_vi, data, created_at) VALUES ({', '.join([p] * 9)})"
        )

    def _u(self, value: uuid.UUID) -> Any:
        return self.uid(value) if self.uid else value

    def _t(self, value: datetime) -> Any:
        return self.when(value) if self.when else value

    def migrate(self, unit: str) -> int:
        """Migrate one commune's open dossiers, one transaction each; how many."""
        cur = self.conn.cursor()
        cur.execute(self.list, ("qd148-2023", unit))
        found = cur.fetchall()
        if self.pg:
            self.conn.commit()
        for dossier_id, version, state, prev in found:
            spec = STATES[state]
            now = datetime.now(UTC)
            stamp = self._t(now)
            digest = f"{version + 1:064x}"
            payload = json.dumps(
                {
                    "state": spec["to"],
                    "from_profile": "qd148-2023",
                    "to_profile": "qd1489-2025",
                    "from_state": state,
                    "rule": f"qd148-2023/{state}",
                    "rule_vi": "Đã chấm ở cấp huyện, chưa công nhận: chuyển Hội đồng cấp tỉnh",
                    "cleared": list(spec["clear"]),
                    "legal_basis_vi": "Quyết định 1489/QĐ-TTg ngày 06/7/2025",
                    "effective": EFFECTIVE.isoformat(),
                },
                ensure_ascii=False,
            )
            if not self.pg:
                cur.execute("BEGIN IMMEDIATE")
            cur.execute(
                self.updates[state],
                ("qd1489-2025", spec["to"], version + 1, stamp, digest, dossier_id, version),
            )
            if cur.rowcount != 1:
                raise RuntimeError("raw update lost the version race")
            cur.execute(
                self.event,
                (
                    dossier_id,
                    version + 1,
                    "profile_migrated",
                    1,
                    payload,
                    "system",
                    "VN",
                    "migration",
                    None,
                    "qd148-2023",
                    stamp,
                    stamp,
                    prev,
                    digest,
                ),
            )
            for n in range(spec["notices"]):
                cur.execute(
                    self.outbox,
                    (
                        self._u(uuid.uuid4()),
                        dossier_id,
                        version + 1,
                        "profile_migrated",
                        "producer" if n == 0 else "province_office",
                        unit if n == 0 else "24",
                        "Hồ sơ sản phẩm tiếp tục được đánh giá theo Quyết định 1489/QĐ-TTg.",
                        json.dumps({"dossier_id": str(dossier_id), "seq": version + 1}),
                        stamp,
                    ),
                )
            self.conn.commit() if self.pg else cur.execute("COMMIT")
        return len(found)


def outcome(engine: Engine, units: list[str]) -> Counter[tuple[Any, ...]]:
    """What the dossiers of ``units`` look like now (state, profile, round kept, level)."""
    d = dossiers.c
    stmt = select(d.state, d.profile_id, d.round_id.is_(None), d.level, d.version).where(
        d.commune_code.in_(units)
    )
    with engine.sa_engine.connect() as conn:
        return Counter(tuple(r) for r in conn.execute(stmt))


def measure(url: str, dossiers_per_side: int, units_per_side: int) -> dict[str, Any]:
    """Fill 2N open dossiers; migrate N with the engine and N raw, commune by commune."""
    reset(url)
    engine = Engine.open(url, clock=SettableClock(NOW))
    per_unit = max(1, dossiers_per_side // units_per_side)
    engine_units = [f"9{i:04d}" for i in range(units_per_side)]
    raw_units = [f"8{i:04d}" for i in range(units_per_side)]
    t0 = time.perf_counter()
    fill(engine, engine_units + raw_units, per_unit)
    fill_s = time.perf_counter() - t0
    raw = Raw(engine, url)
    spent = {"engine": 0.0, "raw": 0.0}
    done = {"engine": 0, "raw": 0}
    for engine_unit, raw_unit in zip(engine_units, raw_units, strict=True):
        t = time.perf_counter()
        report = engine.migrate(
            from_profile="qd148-2023",
            to_profile="qd1489-2025",
            effective=EFFECTIVE,
            unit=engine_unit,
        )
        spent["engine"] += time.perf_counter() - t
        done["engine"] += len(report.migrated)
        assert len(report.items) == len(report.migrated) == per_unit
        t = time.perf_counter()
        done["raw"] += raw.migrate(raw_unit)
        spent["raw"] += time.perf_counter() - t
    raw.conn.close()
    # Both sides left their dossiers the same way.
    same = outcome(engine, engine_units) == outcome(engine, raw_units)
    engine.close()
    assert same, "the raw loop does not do what the engine does"
    n = done["engine"]
    return {
        "dossiers": n,
        "units": units_per_side,
        "fill_s": round(fill_s, 1),
        "engine_s": spent["engine"],
        "raw_s": spent["raw"],
        "engine_per_s": n / spent["engine"],
        "raw_per_s": done["raw"] / spent["raw"],
        "ratio": (n / spent["engine"]) / (done["raw"] / spent["raw"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("OCOP_BENCH_PG_URL"))
    parser.add_argument(
        "--dossiers", type=int, default=100_000, help="dossiers migrated by each side"
    )
    parser.add_argument("--units", type=int, default=10, help="communes per side")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        backends = [("sqlite WAL synchronous=FULL", f"sqlite:///{Path(tmp) / 'migrate.db'}")]
        if args.pg:
            backends.append(("postgresql (fsync per commit)", args.pg))
        for label, url in backends:
            results.append({"backend": label, **measure(url, args.dossiers, args.units)})
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"{'backend':<30} {'dossiers':>9} {'engine s':>9} {'raw s':>7} "
        f"{'engine/s':>9} {'raw/s':>7} {'ratio':>6}"
    )
    for r in results:
        print(
            f"{r['backend']:<30} {r['dossiers']:>9} {r['engine_s']:>9.1f} {r['raw_s']:>7.1f}"
            f" {r['engine_per_s']:>9.0f} {r['raw_per_s']:>7.0f} {r['ratio']:>6.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
