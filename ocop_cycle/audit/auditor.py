"""The auditor's operations on a database: verify, checkpoint, replay, as-of, export.

Reads stream: events come in (dossier, seq) order through a cursor, never all at once.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Generator, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO
from uuid import UUID

from sqlalchemy import and_, bindparam, func, insert, select

from ocop_cycle.audit.chain import iso
from ocop_cycle.audit.verify import Break, ChainWalker, Head, VerifyReport, checkpoint_root
from ocop_cycle.errors import DossierNotFound
from ocop_cycle.rules.scoring import CouncilSession, evaluate_session
from ocop_cycle.storage.fastpath import Prepared
from ocop_cycle.storage.schema import checkpoint_heads, checkpoints, dossiers, events
from ocop_cycle.storage.store import event_from_row
from ocop_cycle.workflows.fold import apply
from ocop_cycle.workflows.model import Dossier, Event

if TYPE_CHECKING:
    from ocop_cycle.engine import Engine

__all__ = ["Auditor", "Checkpoint", "ReplayReport"]

E = events.c
EVENT_COLUMNS = [
    E.id,
    E.dossier_id,
    E.seq,
    E.type,
    E.schema_version,
    E.payload,
    E.actor_role,
    E.actor_jurisdiction,
    E.actor_id,
    E.actor_name,
    E.profile_id,
    E.occurred_at,
    E.recorded_at,
    E.prev_hash,
    E.hash,
]
FETCH = 5000


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A stored checkpoint: publish ``root`` somewhere the database's administrators cannot edit."""

    id: int
    created_at: datetime
    max_event_id: int
    dossier_count: int
    event_count: int
    keyed: bool
    root: str


@dataclass
class ReplayReport:
    """Whole-store replay: every projection rebuilt from its events and compared."""

    dossiers: int = 0
    events: int = 0
    scores_checked: int = 0
    mismatches: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """True when every projection and score equals its recomputation."""
        return not self.mismatches


class Auditor:
    """Audit one engine's database, optionally with the HMAC key its chain is keyed with."""

    def __init__(self, engine: Engine, key: bytes | None = None) -> None:
        self.engine = engine
        self.key = key
        dialect = engine.sa_engine.dialect
        base = select(*EVENT_COLUMNS).order_by(E.dossier_id, E.seq)
        self._all_events = Prepared(base, dialect, result_columns=EVENT_COLUMNS)
        self._one_events = Prepared(
            base.where(E.dossier_id == bindparam("id")), dialect, result_columns=EVENT_COLUMNS
        )
        cols = [dossiers.c.id, dossiers.c.version, dossiers.c.last_hash]
        heads = select(*cols).order_by(dossiers.c.id)
        self._all_heads = Prepared(heads, dialect, result_columns=cols)
        self._one_head = Prepared(
            heads.where(dossiers.c.id == bindparam("id")), dialect, result_columns=cols
        )
        full = list(dossiers.c)
        self._projections = Prepared(
            select(*full).order_by(dossiers.c.id), dialect, result_columns=full
        )

    # -- streaming ----------------------------------------------------------------------------

    def _stream(
        self, prepared: Prepared, params: Mapping[str, Any]
    ) -> Generator[dict[str, Any], None, None]:
        raw = self.engine.sa_engine.raw_connection()
        try:
            if self.engine.sa_engine.dialect.name == "postgresql":
                # A server-side cursor: PostgreSQL sends rows as they are fetched.
                cursor = raw.driver_connection.cursor(name="ocop_audit_stream")  # type: ignore[union-attr]
            else:
                cursor = raw.cursor()
            try:
                cursor.execute(prepared.sql, prepared.params(dict(params)))
                while batch := cursor.fetchmany(FETCH):
                    for values in batch:
                        yield prepared.row(values, cursor)
            finally:
                cursor.close()
        finally:
            raw.rollback()
            raw.close()

    def event_rows(self, dossier_id: UUID | None = None) -> Generator[dict[str, Any], None, None]:
        """Stored event rows (as hashed), in (dossier, seq) order."""
        if dossier_id is None:
            return self._stream(self._all_events, {})
        return self._stream(self._one_events, {"id": dossier_id})

    def _projection_heads(self, dossier_id: UUID | None) -> Iterator[Head]:
        prepared, params = (
            (self._all_heads, {}) if dossier_id is None else (self._one_head, {"id": dossier_id})
        )
        for row in self._stream(prepared, params):
            yield row["id"], row["version"], row["last_hash"]

    # -- verify -------------------------------------------------------------------------------

    def verify(
        self, dossier_id: UUID | None = None, *, published_root: str | None = None
    ) -> VerifyReport:
        """Walk the chains (one, or all), check projections and checkpoints; list every break."""
        report = VerifyReport()
        walker = ChainWalker(self.key, report)
        heads = walker.walk(self.event_rows(dossier_id))
        walker.check_projections(heads, self._projection_heads(dossier_id))
        stored = self.checkpoints()
        for checkpoint in stored:
            if dossier_id is not None:
                self._check_one_head(walker, checkpoint.id, dossier_id)
                continue
            walker.check_checkpoint(
                checkpoint.id,
                checkpoint.root,
                self._checkpoint_seen(checkpoint.id, None),
                published_root if checkpoint is stored[-1] else None,
            )
        return report

    def _checkpoint_seen(
        self, checkpoint_id: int, dossier_id: UUID | None
    ) -> Iterator[tuple[UUID, int, str, str | None]]:
        h = checkpoint_heads.c
        stmt = (
            select(h.dossier_id, h.seq, h.hash, E.hash)
            .select_from(
                checkpoint_heads.outerjoin(
                    events, and_(E.dossier_id == h.dossier_id, E.seq == h.seq)
                )
            )
            .where(h.checkpoint_id == checkpoint_id)
            .order_by(h.dossier_id)
        )
        if dossier_id is not None:
            stmt = stmt.where(h.dossier_id == dossier_id)
        with self.engine.sa_engine.connect() as conn:
            for row in conn.execution_options(yield_per=FETCH).execute(stmt):
                yield row[0], row[1], row[2], row[3]

    def _check_one_head(self, walker: ChainWalker, checkpoint_id: int, dossier_id: UUID) -> None:
        for d, seq, saw, found in self._checkpoint_seen(checkpoint_id, dossier_id):
            if found != saw:
                walker.report.breaks.append(
                    Break(
                        d,
                        seq,
                        "checkpointed_event_missing"
                        if found is None
                        else "checkpointed_hash_changed",
                        f"checkpoint {checkpoint_id} saw {saw[:12]}…",
                    )
                )

    # -- checkpoints --------------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        """Record every chain's current head and one root over them (keyed when a key is set)."""
        with self.engine.sa_engine.begin() as conn:
            max_id = conn.execute(select(func.max(E.id))).scalar() or 0
            last = (
                select(E.dossier_id, func.max(E.seq).label("seq"))
                .where(E.id <= max_id)
                .group_by(E.dossier_id)
                .subquery()
            )
            rows = conn.execute(
                select(E.dossier_id, E.seq, E.hash).join(
                    last, and_(E.dossier_id == last.c.dossier_id, E.seq == last.c.seq)
                )
            ).all()
            heads = [(r[0], r[1], r[2]) for r in rows]
            count = conn.execute(select(func.count()).where(E.id <= max_id)).scalar() or 0
            row: dict[str, Any] = {
                "created_at": self.engine.clock.now(),
                "max_event_id": max_id,
                "dossier_count": len(heads),
                "event_count": count,
                "keyed": self.key is not None,
                "root": checkpoint_root(heads, self.key),
            }
            new_id = conn.execute(insert(checkpoints).returning(checkpoints.c.id), row).scalar_one()
            if heads:
                conn.execute(
                    insert(checkpoint_heads),
                    [
                        {"checkpoint_id": new_id, "dossier_id": d, "seq": s, "hash": h}
                        for d, s, h in heads
                    ],
                )
        return Checkpoint(id=new_id, **row)

    def checkpoints(self) -> list[Checkpoint]:
        """Every stored checkpoint, oldest first."""
        with self.engine.sa_engine.connect() as conn:
            rows = conn.execute(select(checkpoints).order_by(checkpoints.c.id)).mappings().all()
        return [Checkpoint(**dict(r)) for r in rows]

    # -- replay and as-of ---------------------------------------------------------------------

    def history(
        self,
        dossier_id: UUID,
        *,
        as_of: datetime | None = None,
        known_at: datetime | None = None,
        upto_seq: int | None = None,
    ) -> tuple[Dossier, list[Event]]:
        """A dossier as it stood: up to a seq, as of when things happened (``as_of``), or as the
        system knew it (``known_at``: decisions are often signed on one date, entered later)."""
        chosen: list[Event] = []
        with closing(self.event_rows(dossier_id)) as rows:
            for row in rows:
                event = event_from_row(row)
                if upto_seq is not None and event.seq > upto_seq:
                    break
                if as_of is not None and event.occurred_at > as_of:
                    break
                if known_at is not None and event.recorded_at > known_at:
                    break
                chosen.append(event)
        if not chosen:
            raise DossierNotFound(dossier_id)
        dossier: Dossier | None = None
        for event in chosen:
            dossier = apply(dossier, event)
        assert dossier is not None
        return dossier, chosen

    def replay(self) -> ReplayReport:
        """Rebuild every projection from its events and compare; recompute every council score
        from its stored member sheets under the dossier's profile and compare."""
        report = ReplayReport()
        projections = self._stream(self._projections, {})
        stored = next(projections, None)
        current: Dossier | None = None
        for row in self.event_rows():
            event = event_from_row(row)
            report.events += 1
            if current is not None and current.id != event.dossier_id:
                stored = self._compare(report, current, stored, projections)
                current = None
            try:
                current = apply(current, event)
            except ValueError as exc:
                report.mismatches.append(
                    Break(event.dossier_id, event.seq, "fold_failed", str(exc))
                )
                continue
            if event.type == "scored":
                self._check_score(report, current, event)
        if current is not None:
            stored = self._compare(report, current, stored, projections)
        while stored is not None:
            report.mismatches.append(
                Break(stored["id"], None, "projection_without_events", "no events to replay")
            )
            stored = next(projections, None)
        return report

    def _compare(
        self,
        report: ReplayReport,
        folded: Dossier,
        stored: dict[str, Any] | None,
        projections: Iterator[dict[str, Any]],
    ) -> dict[str, Any] | None:
        report.dossiers += 1
        while stored is not None and stored["id"] < folded.id:
            report.mismatches.append(
                Break(stored["id"], None, "projection_without_events", "no events to replay")
            )
            stored = next(projections, None)
        if stored is None or stored["id"] != folded.id:
            report.mismatches.append(
                Break(folded.id, folded.version, "projection_missing", "replayed, not stored")
            )
            return stored
        projection = Dossier.model_validate(stored)
        if projection != folded:
            fields = [
                name
                for name in Dossier.model_fields
                if getattr(projection, name) != getattr(folded, name)
            ]
            report.mismatches.append(
                Break(folded.id, folded.version, "projection_differs", ", ".join(fields))
            )
        return next(projections, None)

    def _check_score(self, report: ReplayReport, dossier: Dossier, event: Event) -> None:
        payload = event.payload
        profile = self.engine.rules.profile(event.profile_id)
        sheet = self.engine.rules.sheet(profile.id, dossier.product_set)
        result = evaluate_session(CouncilSession(**payload["session"]), sheet, profile)
        report.scores_checked += 1
        if (result.total, result.stars) != (Decimal(payload["total"]), payload["stars"]):
            report.mismatches.append(
                Break(
                    dossier.id,
                    event.seq,
                    "score_differs",
                    f"recorded {payload['total']} / {payload['stars']}★, sheets give "
                    f"{result.total} / {result.stars}★",
                )
            )

    # -- export -------------------------------------------------------------------------------

    def export(self, out: TextIO, fmt: str = "jsonl") -> int:
        """Write every stored event (and, in JSON Lines, the checkpoints with their heads)."""
        count = 0
        if fmt == "csv":
            writer = csv.writer(out)
            names = [c.key for c in EVENT_COLUMNS]
            writer.writerow(names)
            for row in self.event_rows():
                writer.writerow([_cell(row[n]) for n in names])
                count += 1
            return count
        for row in self.event_rows():
            out.write(json.dumps({"event": _jsonable(row)}, ensure_ascii=False) + "\n")
            count += 1
        for cp in self.checkpoints():
            heads = [[str(d), s, h] for d, s, h, _ in self._checkpoint_seen(cp.id, None)]
            doc = {
                "id": cp.id,
                "created_at": iso(cp.created_at),
                "max_event_id": cp.max_event_id,
                "dossier_count": cp.dossier_count,
                "event_count": cp.event_count,
                "keyed": cp.keyed,
                "root": cp.root,
                "heads": heads,
            }
            out.write(json.dumps({"checkpoint": doc}) + "\n")
        return count


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, datetime):
            out[name] = iso(value)
        elif isinstance(value, UUID):
            out[name] = str(value)
        else:
            out[name] = value
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, datetime):
        return iso(value)
    return "" if value is None else value
