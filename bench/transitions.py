"""Persisted transitions per second: the engine's public API next to the raw database limit.

Both sides do the same durable work per transition, in one transaction each, on the same schema
and the same durability settings:

- raw: the bare driver (sqlite3 / psycopg) runs the projection UPDATE checked against the
  version, the event INSERT, and (for "returned") the outbox INSERT and the supplement deadline's
  INSERT ... ON CONFLICT DO NOTHING, then COMMIT;
- engine: ``Engine.return_for_supplement`` / ``Engine.resubmit`` through the public API, which
  also validates, authorises, reads the projection, fires the shared machine, hashes the event.

Each dossier alternates registered -> returned -> registered. Raw and engine run in alternating
blocks; rates are the median block's, and each ratio is the median over rounds of the ratio of
the two sides' blocks in that round (run one after the other, on PostgreSQL with the pipelined
raw block between them), so drift on a shared machine hits both sides alike.

With the bench extra installed (``pip install -e '.[bench]'``), a third side runs in the same
alternating blocks on the same database: the `eventsourcing` library doing load + transition +
save of one aggregate per operation (``bench/eventsourcing_compare.py``), and engine ÷
eventsourcing is printed. Without it, that side is skipped with a message.

Memory: after a warm-up, traced Python memory is measured before and after one transition on
each of N distinct dossiers, for growing N; flat bytes per dossier means nothing is kept per
dossier.

Run: python bench/transitions.py [--pg URL] [--transitions N] [--dossiers N] [--no-eventsourcing]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the `transitions` package it measures; run as a script, its folder
# would come first on sys.path and shadow the library. Drop it before importing anything else.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse
import contextlib
import gc
import importlib.util
import json
import logging
import os
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from ocop_cycle import VN_TZ, Engine, Role, SettableClock, SqliteSettings
from ocop_cycle.testing import Place

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

PLACE = Place()
OFFICER = PLACE.actor(Role.COMMUNE_OFFICER)
START = datetime(2024, 3, 1, 9, tzinfo=VN_TZ)


def _load_eventsourcing_side() -> Any:
    # A sibling file, loaded by path: this folder is off sys.path (see above).
    path = Path(__file__).with_name("eventsourcing_compare.py")
    spec = importlib.util.spec_from_file_location("ocop_bench_eventsourcing", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # eventsourcing finds event classes by module name (its "topics"): make the name resolvable.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ES = _load_eventsourcing_side()


class TickingClock(SettableClock):
    """A settable clock that moves one millisecond per reading (distinct, increasing times)."""

    def now(self) -> datetime:
        self.advance(timedelta(milliseconds=1))
        return super().now()


def register(engine: Engine, n: int, tag: str) -> list[uuid.UUID]:
    ids = []
    for i in range(n):
        d = engine.register(
            actor=OFFICER,
            producer={"name": f"Chủ thể {tag} {i}", "kind": "cooperative"},
            product={"name": f"Sản phẩm {tag} {i}", "group": "food", "product_set": "eggs"},
            commune_code=PLACE.commune,
            district_code=PLACE.district,
            province_code=PLACE.province,
        )
        ids.append(d.id)
    return ids


def engine_block(
    engine: Engine, ids: list[uuid.UUID], count: int, state: dict[uuid.UUID, int]
) -> float:
    """Run ``count`` transitions through the API; returns seconds."""
    t0 = time.perf_counter()
    for i in range(count):
        dossier_id = ids[i % len(ids)]
        if state[dossier_id] % 2 == 0:
            engine.return_for_supplement(dossier_id, actor=OFFICER, guidance="Bổ sung hồ sơ")
        else:
            engine.resubmit(dossier_id, actor=OFFICER)
        state[dossier_id] += 1
    return time.perf_counter() - t0


class Raw:
    """The same statements through the bare driver, no engine."""

    UPDATE = (
        "UPDATE ocop_dossiers SET state={p}, version={p}, supplement_due_on={p}, updated_at={p},"
        " last_hash={p} WHERE id={p} AND version={p}"
    )
    EVENT = (
        "INSERT INTO ocop_events (dossier_id, seq, type, schema_version, payload, actor_role,"
        " actor_jurisdiction, actor_id, actor_name, profile_id, occurred_at, recorded_at,"
        " prev_hash, hash) VALUES ({v})"
    )
    OUTBOX = (
        "INSERT INTO ocop_outbox (notification_id, dossier_id, seq, kind, recipient_role,"
        " recipient_jurisdiction, message_vi, data, created_at) VALUES ({v})"
    )
    # The engine plans the supplement deadline with each "returned" (the same natural key each
    # time here, as the due date does not move: later ones conflict and write nothing).
    DEADLINE = (
        'INSERT INTO ocop_deadlines ("key", kind, dossier_id, round_id, due_at, status, detail,'
        " created_at) VALUES ({v}) ON CONFLICT DO NOTHING"
    )
    DUE_AT = datetime(2024, 3, 17, tzinfo=VN_TZ)

    def __init__(self, url: str, synchronous: str | None) -> None:
        self.pg = url.startswith("postgresql")
        if self.pg:
            import psycopg

            self.conn: Any = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
            p = "%s"
        else:
            path = url.removeprefix("sqlite:///")
            self.conn = sqlite3.connect(path, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute(f"PRAGMA synchronous={synchronous}")
            self.conn.execute("PRAGMA foreign_keys=ON")
            p = "?"
        self.update = self.UPDATE.format(p=p)
        self.event = self.EVENT.format(v=", ".join([p] * 14))
        self.outbox = self.OUTBOX.format(v=", ".join([p] * 9))
        self.deadline = self.DEADLINE.format(v=", ".join([p] * 8))

    def _id(self, value: uuid.UUID) -> Any:
        return value if self.pg else value.hex

    def _time(self, value: datetime) -> Any:
        return value if self.pg else value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    def block(
        self,
        ids: list[uuid.UUID],
        count: int,
        versions: dict[uuid.UUID, int],
        pipelined: bool = False,
    ) -> float:
        """``count`` transitions; ``pipelined`` (PostgreSQL): each transaction's writes sent in
        one psycopg pipeline flush, the UPDATE's row count checked before the COMMIT, as the
        engine does since 2026-11-29 (late)."""
        t0 = time.perf_counter()
        cur = self.conn.cursor()
        pipe = self.conn.pipeline if pipelined else contextlib.nullcontext
        check = self.conn.cursor() if pipelined else cur
        payload_r = json.dumps(
            {"guidance": "Bổ sung hồ sơ", "due_on": "2024-03-16"}, ensure_ascii=False
        )
        payload_s = json.dumps({"note": ""})
        for i in range(count):
            dossier_id = ids[i % len(ids)]
            version = versions[dossier_id]
            returning = version % 2 == 1  # versions start at 1 (registered)
            now = datetime.now(UTC)
            digest = f"{version + 1:064x}"
            if not self.pg:
                cur.execute("BEGIN IMMEDIATE")
            batch = pipe()
            batch.__enter__()
            check.execute(
                self.update,
                (
                    "returned" if returning else "registered",
                    version + 1,
                    "2024-03-16" if returning else None,
                    self._time(now),
                    digest,
                    self._id(dossier_id),
                    version,
                ),
            )
            if not pipelined and check.rowcount != 1:
                raise RuntimeError("raw update lost the version race")
            cur.execute(
                self.event,
                (
                    self._id(dossier_id),
                    version + 1,
                    "returned" if returning else "resubmitted",
                    1,
                    payload_r if returning else payload_s,
                    "commune_officer",
                    PLACE.commune,
                    None,
                    None,
                    "qd148-2023",
                    self._time(now),
                    self._time(now),
                    f"{version:064x}",
                    digest,
                ),
            )
            if returning:
                cur.execute(
                    self.outbox,
                    (
                        self._id(uuid.uuid4()),
                        self._id(dossier_id),
                        version + 1,
                        "returned",
                        "producer",
                        PLACE.commune,
                        "Hồ sơ sản phẩm được trả lại để bổ sung.",
                        json.dumps({"dossier_id": str(dossier_id)}),
                        self._time(now),
                    ),
                )
                cur.execute(
                    self.deadline,
                    (
                        f"supplement_due|{dossier_id}|{self.DUE_AT.isoformat()}|",
                        "supplement_due",
                        self._id(dossier_id),
                        None,
                        self._time(self.DUE_AT),
                        "pending",
                        json.dumps({"due_on": "2024-03-16", "returned_seq": version + 1}),
                        self._time(now),
                    ),
                )
            batch.__exit__(None, None, None)
            if pipelined and check.rowcount != 1:
                raise RuntimeError("raw update lost the version race")
            self.conn.commit() if self.pg else cur.execute("COMMIT")
            versions[dossier_id] = version + 1
        return time.perf_counter() - t0


def measure(
    label: str,
    url: str,
    synchronous: str | None,
    dossiers: int,
    transitions: int,
    blocks: int,
    eventsourcing: bool = False,
) -> dict[str, Any]:
    settings = SqliteSettings(synchronous=synchronous) if synchronous else None  # type: ignore[arg-type]
    engine = Engine.open(url, clock=TickingClock(START), sqlite=settings)
    engine.upgrade()
    engine_ids = register(engine, dossiers, f"engine-{uuid.uuid4().hex[:6]}")
    raw_ids = register(engine, dossiers, f"raw-{uuid.uuid4().hex[:6]}")
    raw = Raw(url, synchronous)
    es = None
    if eventsourcing:
        place = {
            "commune_code": PLACE.commune,
            "district_code": PLACE.district,
            "province_code": PLACE.province,
        }
        actor = {"role": OFFICER.role.value, "jurisdiction": OFFICER.jurisdiction}
        es = ES.EsSide(url, synchronous, dossiers, place, actor)
    engine_state = dict.fromkeys(engine_ids, 0)
    raw_versions = dict.fromkeys(raw_ids, 1)
    per_block = max(1, transitions // blocks)
    engine_block(engine, engine_ids, min(200, per_block), engine_state)  # warm-up
    raw.block(raw_ids, min(200, per_block), raw_versions)
    if es is not None:
        es.block(min(200, per_block))
    pipe_rates: list[float] = []
    if raw.pg:  # the same statements with pipelined writes: what the driver allows at best
        pipe_ids = register(engine, dossiers, f"pipe-{uuid.uuid4().hex[:6]}")
        pipe_versions = dict.fromkeys(pipe_ids, 1)
        raw.block(pipe_ids, min(200, per_block), pipe_versions, pipelined=True)
    raw_rates, engine_rates, es_rates = [], [], []
    for _ in range(blocks):
        raw_rates.append(per_block / raw.block(raw_ids, per_block, raw_versions))
        if raw.pg:
            pipe_rates.append(
                per_block / raw.block(pipe_ids, per_block, pipe_versions, pipelined=True)
            )
        engine_rates.append(per_block / engine_block(engine, engine_ids, per_block, engine_state))
        if es is not None:
            es_rates.append(per_block / es.block(per_block))
    raw.conn.close()
    engine.close()
    raw_rate, engine_rate = statistics.median(raw_rates), statistics.median(engine_rates)
    row = {
        "backend": label,
        "raw_per_s": raw_rate,
        "engine_per_s": engine_rate,
        "ratio": _paired(engine_rates, raw_rates),
        "transitions": per_block * blocks,
        "rounds": {"raw": raw_rates, "engine": engine_rates},
    }
    if pipe_rates:
        row["raw_pipelined_per_s"] = statistics.median(pipe_rates)
        row["ratio_to_pipelined"] = _paired(engine_rates, pipe_rates)
        row["rounds"]["raw_pipelined"] = pipe_rates
    if es is not None:
        row["rounds"]["eventsourcing"] = es_rates
        es_rate = statistics.median(es_rates)
        row["eventsourcing_per_s"] = es_rate
        row["engine_vs_eventsourcing"] = _paired(engine_rates, es_rates)
        row["eventsourcing_events_per_load"] = es.events_per_aggregate()
        es.close()
    return row


def _paired(ours: list[float], theirs: list[float]) -> float:
    """The median of the ratios of each round's blocks (run within a few seconds of each other):
    a machine whose speed drifts (a shared host) moves both blocks of a round alike, and the
    ratio less than either rate."""
    return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def memory(url: str, sizes: list[int]) -> list[dict[str, Any]]:
    """Traced memory growth for one transition on each of N distinct dossiers."""
    engine = Engine.open(
        url, clock=TickingClock(START), sqlite=SqliteSettings(synchronous="NORMAL")
    )
    engine.upgrade()
    rows = []
    existing: list[uuid.UUID] = []
    state: dict[uuid.UUID, int] = {}
    warm = register(engine, 50, "warm")
    engine_block(engine, warm, 100, dict.fromkeys(warm, 0))
    for size in sizes:
        fresh = register(engine, size - len(existing), f"m{size}")
        existing += fresh
        state.update(dict.fromkeys(fresh, 0))
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        engine_block(engine, existing, size, state)
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(
            {
                "dossiers": size,
                "retained_bytes": after - before,
                "bytes_per_dossier": (after - before) / size,
                "peak_kib": (peak - before) / 1024,
            }
        )
    engine.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("OCOP_BENCH_PG_URL") or os.environ.get("OCOP_TEST_DATABASE_URL"),
    )
    parser.add_argument("--transitions", type=int, default=3000)
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--memory-sizes", default="1000,4000", help="comma-separated store sizes")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--no-eventsourcing",
        action="store_true",
        help="leave out the eventsourcing library's side even when it is installed",
    )
    args = parser.parse_args()
    es_version = None if args.no_eventsourcing else ES.version()
    if es_version is None and not args.no_eventsourcing:
        print(ES.MISSING, file=sys.stderr)
    with_es = es_version is not None

    results = []
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        for sync in ("FULL", "NORMAL"):
            url = f"sqlite:///{Path(tmp) / f'bench-{sync.lower()}.db'}"
            results.append(
                measure(
                    f"sqlite WAL synchronous={sync}",
                    url,
                    sync,
                    args.dossiers,
                    args.transitions,
                    args.blocks,
                    with_es,
                )
            )
        if args.pg:
            results.append(
                measure(
                    "postgresql (fsync per commit)",
                    args.pg,
                    None,
                    args.dossiers,
                    args.transitions,
                    args.blocks,
                    with_es,
                )
            )
        sizes = [int(s) for s in args.memory_sizes.split(",") if s]
        mem = memory(f"sqlite:///{Path(tmp) / 'memory.db'}", sizes) if sizes else []
    es_doc = {"version": es_version} if with_es else {"skipped": ES.MISSING}
    if args.json:
        doc = {"throughput": results, "memory": mem, "eventsourcing": es_doc}
        print(json.dumps(doc, indent=2))
        return 0
    es_head = f" {'es/s':>9} {'eng÷es':>6} {'es ev/load':>10}" if with_es else ""
    print(f"{'backend':<32} {'raw/s':>9} {'engine/s':>9} {'ratio':>6}{es_head}")
    for r in results:
        rates = f"{r['raw_per_s']:>9.0f} {r['engine_per_s']:>9.0f}"
        es_cols = ""
        if with_es:
            es_cols = (
                f" {r['eventsourcing_per_s']:>9.0f} {r['engine_vs_eventsourcing']:>6.2f}"
                f" {r['eventsourcing_events_per_load']:>10.1f}"
            )
        print(f"{r['backend']:<32} {rates} {r['ratio']:>6.2f}{es_cols}")
    if with_es:
        print(f"(es: eventsourcing {es_version}, load + transition + save per operation)")
    for r in results:
        if "raw_pipelined_per_s" in r:
            print(
                f"{r['backend']}: raw with pipelined writes {r['raw_pipelined_per_s']:.0f}/s,"
                f" engine ÷ that {r['ratio_to_pipelined']:.2f}"
            )
    if mem:
        print()
        print(f"{'dossiers':>9} {'retained B':>11} {'B/dossier':>10} {'peak KiB':>9}")
        for m in mem:
            per = f"{m['bytes_per_dossier']:>10.1f} {m['peak_kib']:>9.1f}"
            print(f"{m['dossiers']:>9} {m['retained_bytes']:>11} {per}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
