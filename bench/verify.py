"""Full-store verification rate next to the raw limit, memory as the store grows, as-of latency.

- engine: ``Auditor.verify()`` — streams every event in (dossier, seq) order, recomputes every
  hash, checks links and checkpoints, and folds each dossier's events (upcast, ``apply``) to
  compare with every column of its stored projection row (streamed alongside), and replans the
  deadlines and rebuilds the notices each event planned and owed to check the queue and the
  outbox (also reported without those: "chains only", ``derived=False``);
- raw: the bare driver reads the same rows in the same order and hashes the same canonical
  content (``json`` + ``hashlib``), with no engine. It does not fold or read projections, so
  the ratio also prices the projection check (measured on 2 cores, client CPU: the fold and
  the full projection rows add about 35 µs per event at 4 events per dossier, ~1.7x the cost
  of reading and hashing alone).

The store is filled with valid chains (4 events per dossier) written in bulk.

Run: python bench/verify.py [--pg URL] [--events 1000000]
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/transitions.py shares its name with the `transitions` library: keep this folder off
# sys.path so the library, not the benchmark, is what ocop_cycle imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse
import hashlib
import json
import logging
import os
import random
import statistics
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import insert, text

from ocop_cycle import VN_TZ, Auditor, Engine
from ocop_cycle._storage.fastpath import Prepared
from ocop_cycle._storage.schema import (
    deadlines,
    dossiers,
    events,
    metadata,
    outbox,
    producers,
    products,
)
from ocop_cycle._storage.store import event_from_row
from ocop_cycle.workflows.chain import GENESIS, canonical, event_hash, iso
from ocop_cycle.workflows.deadlines import DeadlineSpec, deadlines_for
from ocop_cycle.workflows.events import Event
from ocop_cycle.workflows.fold import apply
from ocop_cycle.workflows.notices import Notice, notices_for

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

START = datetime(2024, 1, 1, 9, tzinfo=VN_TZ)
ACTOR = {"role": "commune_officer", "jurisdiction": "07426", "id": None, "name": None}
STEPS = ["registered", "commune_verified", "returned", "resubmitted"]
STATES = ["registered", "commune_verified", "returned", "registered"]


def reset(url: str) -> None:
    engine = Engine.open(url)
    cascade = " CASCADE" if engine.sa_engine.dialect.name == "postgresql" else ""
    with engine.sa_engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(text(f"DROP TABLE IF EXISTS {table.name}{cascade}"))
        conn.execute(text("DROP TABLE IF EXISTS ocop_alembic_version"))
    engine.upgrade()
    engine.close()


def fill(engine: Engine, first: int, count: int) -> None:
    """Dossiers ``first`` .. ``first + count`` with 4 chained events each, and projections."""
    sa = engine.sa_engine
    dialect = sa.dialect
    producer = uuid.UUID(int=1)
    if first == 0:
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
                    "created_at": START,
                },
            )
    event_cols = [c.name for c in events.columns if c.name != "id"]
    p_event = Prepared(insert(events), dialect, event_cols)
    p_dossier = Prepared(insert(dossiers), dialect, [c.name for c in dossiers.columns])
    p_product = Prepared(insert(products), dialect, [c.name for c in products.columns])
    deadline_cols = ["key", "kind", "dossier_id", "round_id", "due_at", "status", "detail"]
    p_deadline = Prepared(insert(deadlines), dialect, [*deadline_cols, "created_at"])
    notice_cols = [c.name for c in outbox.columns if c.name != "id"]
    p_notice = Prepared(insert(outbox), dialect, notice_cols)
    raw = sa.raw_connection()
    cur = raw.cursor()
    batch_events: list[Any] = []
    batch_dossiers: list[Any] = []
    batch_products: list[Any] = []
    batch_deadlines: list[Any] = []
    batch_notices: list[Any] = []
    for n in range(first, first + count):
        dossier_id = uuid.UUID(int=(n + 1) << 64)
        # One product per dossier: a product has one evaluation at a time (a unique index).
        product = uuid.UUID(int=((n + 1) << 64) | 2)
        batch_products.append(
            p_product.params(
                {
                    "id": product,
                    "producer_id": producer,
                    "name": f"Sản phẩm {n}",
                    "product_group": "food",
                    "product_set": "honey",
                    "created_at": START,
                }
            )
        )
        prev = GENESIS
        at = START + timedelta(minutes=n)
        payloads = [
            {
                "kind": "new",
                "producer": {
                    "id": str(producer),
                    "name": "Chủ thể",
                    "kind": "cooperative",
                    "address": "",
                },
                "product": {
                    "id": str(product),
                    "name": f"Sản phẩm {n}",
                    "group": "food",
                    "product_set": "honey",
                },
                "commune_code": "07426",
                "district_code": "217",
                "province_code": "24",
                "predecessor_id": None,
                "note": "",
            },
            {"local_labour_share": None, "local_material_share": None, "note": ""},
            {"guidance": "Bổ sung", "due_on": "2024-02-01"},
            {"note": ""},
        ]
        chain: list[dict[str, Any]] = []
        for seq, (kind, payload) in enumerate(zip(STEPS, payloads, strict=True), start=1):
            when = at + timedelta(days=seq)
            content = canonical(
                dossier_id=dossier_id,
                seq=seq,
                type=kind,
                schema_version=1,
                payload=payload,
                actor=ACTOR,
                profile_id="qd148-2023",
                occurred_at=when,
                recorded_at=when,
                prev_hash=prev,
            )
            digest = event_hash(content)
            row = {
                "dossier_id": dossier_id,
                "seq": seq,
                "type": kind,
                "schema_version": 1,
                "payload": payload,
                "actor_role": ACTOR["role"],
                "actor_jurisdiction": ACTOR["jurisdiction"],
                "actor_id": None,
                "actor_name": None,
                "profile_id": "qd148-2023",
                "occurred_at": when,
                "recorded_at": when,
                "prev_hash": prev,
                "hash": digest,
            }
            chain.append(row)
            batch_events.append(p_event.params(row))
            prev = digest
        # The deadlines those events plan, as the engine writes them with each event (the
        # audit replans them and finds any missing): the same every dossier, but for its id.
        plan, owed = planned(engine, chain)
        for notice, event in owed:
            batch_notices.append(
                p_notice.params(
                    {
                        "notification_id": notice.id,
                        "dossier_id": dossier_id,
                        "seq": event.seq,
                        "kind": notice.kind,
                        "recipient_role": notice.recipient_role.value,
                        "recipient_jurisdiction": notice.recipient_jurisdiction,
                        "message_vi": notice.message_vi,
                        "data": notice.data,
                        "created_at": event.recorded_at,
                    }
                )
            )
        for spec, created in plan:
            batch_deadlines.append(
                p_deadline.params(
                    {
                        "key": spec.key,
                        "kind": spec.kind,
                        "dossier_id": dossier_id,
                        "round_id": None,
                        "due_at": spec.due_at,
                        "status": "pending",
                        "detail": spec.detail,
                        "created_at": created,
                    }
                )
            )
        batch_dossiers.append(
            p_dossier.params(
                {
                    "id": dossier_id,
                    "version": 4,
                    "state": STATES[-1],
                    "profile_id": "qd148-2023",
                    "kind": "new",
                    "producer_id": producer,
                    "producer_name": "Chủ thể",
                    "producer_kind": "cooperative",
                    "product_id": product,
                    "product_name": f"Sản phẩm {n}",
                    "product_group": "food",
                    "product_set": "honey",
                    "commune_code": "07426",
                    "district_code": "217",
                    "province_code": "24",
                    "predecessor_id": None,
                    "successor_id": None,
                    "round_id": None,
                    "level": None,
                    "score": None,
                    "stars": None,
                    "outcome": None,
                    "scored_on": None,
                    "supplement_due_on": None,
                    "certified_stars": None,
                    "certified_level": None,
                    "certificate_number": None,
                    "decision_number": None,
                    "issuing_body": None,
                    "certified_on": None,
                    "valid_until": None,
                    "last_inspection_on": None,
                    "last_inspection_passed": None,
                    "product_code": None,
                    "registered_at": at + timedelta(days=1),
                    "updated_at": at + timedelta(days=4),
                    "last_hash": prev,
                }
            )
        )
        if len(batch_dossiers) >= 5000:
            cur.executemany(p_product.sql, batch_products)
            cur.executemany(p_dossier.sql, batch_dossiers)
            cur.executemany(p_event.sql, batch_events)
            cur.executemany(p_deadline.sql, batch_deadlines)
            cur.executemany(p_notice.sql, batch_notices)
            raw.commit()
            batch_deadlines.clear()
            batch_notices.clear()
            batch_events.clear()
            batch_dossiers.clear()
            batch_products.clear()
    if batch_dossiers:
        cur.executemany(p_product.sql, batch_products)
        cur.executemany(p_dossier.sql, batch_dossiers)
        cur.executemany(p_event.sql, batch_events)
        cur.executemany(p_deadline.sql, batch_deadlines)
        cur.executemany(p_notice.sql, batch_notices)
        raw.commit()
    raw.close()


def planned(
    engine: Engine, chain: list[dict[str, Any]]
) -> tuple[list[tuple[DeadlineSpec, datetime]], list[tuple[Notice, Event]]]:
    """What ``chain``'s events plan and owe (``deadlines_for`` and ``notices_for``, as the write
    path calls them), each with the event that did."""
    deadlines_out, notices_out = [], []
    dossier = None
    for row in chain:
        event = event_from_row({**row, "id": None})
        dossier = apply(dossier, event)
        profile = engine.rules.profile(event.profile_id)
        for spec in deadlines_for(event, dossier, profile, None, engine.rules):
            deadlines_out.append((spec, event.recorded_at))
        for notice in notices_for(event, dossier, engine.rules.units):
            notices_out.append((notice, event))
    return deadlines_out, notices_out


def raw_verify(engine: Engine) -> int:
    """Read the same rows in the same order with the bare driver and hash them: no engine."""
    pg = engine.sa_engine.dialect.name == "postgresql"
    raw = engine.sa_engine.raw_connection()
    cursor = raw.driver_connection.cursor(name="raw_verify") if pg else raw.cursor()  # type: ignore[union-attr]
    cursor.execute(
        "SELECT dossier_id, seq, type, schema_version, payload, actor_role, actor_jurisdiction,"
        " actor_id, actor_name, profile_id, occurred_at, recorded_at, prev_hash, hash"
        " FROM ocop_events ORDER BY dossier_id, seq"
    )
    count = 0
    while rows := cursor.fetchmany(5000):
        for (
            d,
            seq,
            kind,
            version,
            payload,
            role,
            juris,
            aid,
            aname,
            profile,
            occ,
            rec,
            prev,
            stored,
        ) in rows:
            if not pg:
                payload = json.loads(payload)
                occ = datetime.fromisoformat(occ).replace(tzinfo=UTC)
                rec = datetime.fromisoformat(rec).replace(tzinfo=UTC)
                d = uuid.UUID(d)
            doc = {
                "actor": {"role": role, "jurisdiction": juris, "id": aid, "name": aname},
                "dossier_id": str(d),
                "occurred_at": iso(occ),
                "payload": payload,
                "prev_hash": prev,
                "profile": profile,
                "recorded_at": iso(rec),
                "schema_version": version,
                "seq": seq,
                "type": kind,
            }
            digest = hashlib.sha256(
                json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
            ).hexdigest()
            if digest != stored:
                raise RuntimeError(f"raw verify: {d} seq {seq} does not hash")
            count += 1
    cursor.close()
    raw.rollback()
    raw.close()
    return count


def measure(label: str, url: str, total_events: int, samples: int) -> dict[str, Any]:
    reset(url)
    engine = Engine.open(url)
    per = len(STEPS)
    small = max(1, total_events // 10 // per)
    full = total_events // per
    t = time.perf_counter()
    fill(engine, 0, small)
    tracemalloc.start()
    report = Auditor(engine).verify()
    peak_small = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.intact, report.breaks[:3]
    fill(engine, small, full - small)
    fill_s = time.perf_counter() - t
    tracemalloc.start()
    Auditor(engine).verify()
    peak_full = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t = time.perf_counter()
    report = Auditor(engine).verify()
    engine_s = time.perf_counter() - t
    assert report.intact
    assert report.events == full * per
    # Without the deadline queue and outbox checks (``--chains-only``): what the chains and
    # projections cost alone, comparable with the runs before those checks existed.
    t = time.perf_counter()
    assert Auditor(engine).verify(derived=False).intact
    chains_s = time.perf_counter() - t
    t = time.perf_counter()
    raw_n = raw_verify(engine)
    raw_s = time.perf_counter() - t
    assert raw_n == full * per
    auditor = Auditor(engine)
    rng = random.Random(7)
    latencies = []
    for _ in range(samples):
        n = rng.randrange(full)
        as_of = START + timedelta(minutes=n, days=2, hours=1)
        t = time.perf_counter()
        dossier, _ = auditor.history(uuid.UUID(int=(n + 1) << 64), as_of=as_of)
        latencies.append((time.perf_counter() - t) * 1000)
        assert dossier.state.value == "commune_verified"
    engine.close()
    return {
        "backend": label,
        "events": full * per,
        "fill_s": round(fill_s, 1),
        "engine_events_per_s": full * per / engine_s,
        "raw_events_per_s": raw_n / raw_s,
        "ratio": (full * per / engine_s) / (raw_n / raw_s),
        "chains_only_events_per_s": full * per / chains_s,
        "chains_only_ratio": (full * per / chains_s) / (raw_n / raw_s),
        "peak_kib_tenth": peak_small / 1024,
        "peak_kib_full": peak_full / 1024,
        "as_of_median_ms": statistics.median(latencies),
        "as_of_p95_ms": sorted(latencies)[int(0.95 * len(latencies)) - 1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("OCOP_BENCH_PG_URL"))
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        backends = [("sqlite (WAL)", f"sqlite:///{Path(tmp) / 'verify.db'}")]
        if args.pg:
            backends.append(("postgresql", args.pg))
        for label, url in backends:
            results.append(measure(label, url, args.events, args.samples))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        print(
            f"{r['backend']}: {r['events']} events; engine {r['engine_events_per_s']:.0f}/s, raw "
            f"{r['raw_events_per_s']:.0f}/s, ratio {r['ratio']:.2f} (chains only "
            f"{r['chains_only_events_per_s']:.0f}/s, {r['chains_only_ratio']:.2f}); peak memory "
            f"{r['peak_kib_tenth']:.0f} KiB at a tenth, {r['peak_kib_full']:.0f} KiB full; as-of "
            f"median {r['as_of_median_ms']:.2f} ms (p95 {r['as_of_p95_ms']:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
