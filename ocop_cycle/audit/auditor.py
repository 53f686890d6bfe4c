"""The auditor's operations on a database: verify, checkpoint, replay, as-of, export.

Reads stream: events come in (dossier, seq) order through a cursor, never all at once. Every
statement is storage's (``AuditLog``); this module only reasons about what comes back.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import TYPE_CHECKING, Any, TextIO
from uuid import UUID

from ocop_cycle._storage.auditlog import EVENT_COLUMNS, AuditLog, Rows, Unreadable
from ocop_cycle._validation import uuid_argument
from ocop_cycle.audit.derived import check_deadlines, check_notices
from ocop_cycle.audit.projection import (
    Fold,
    Planner,
    by_dossier,
    check_projections,
    describe,
    differing_fields,
    fold_chains,
    merge_by_dossier,
    projections_by_id,
)
from ocop_cycle.audit.verify import (
    Break,
    ChainWalker,
    ExportDigest,
    VerifyReport,
    check_published_root,
    checkpoint_root,
    normalise_root,
)
from ocop_cycle.errors import (
    DossierNotFound,
    FieldProblem,
    InvalidCommand,
    RoundNotFound,
    StorageError,
)
from ocop_cycle.limits import count_problems, instant_problems
from ocop_cycle.rules.scoring import evaluate_session
from ocop_cycle.workflows.chain import iso, key_fingerprint
from ocop_cycle.workflows.deadlines import DeadlineSpec, deadlines_for
from ocop_cycle.workflows.events import Event, RoundAssigned, Scored
from ocop_cycle.workflows.model import Dossier, Round
from ocop_cycle.workflows.notices import notices_for

if TYPE_CHECKING:
    from ocop_cycle.engine import Engine

__all__ = ["Auditor", "Checkpoint", "ReplayReport"]

#: Breaks of an event whose hash was not matched with the auditor's key.
_UNHASHED = ("hash_mismatch", "row_unreadable")


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


def _optional_id(value: object) -> UUID | None:
    """A dossier id given to the auditor (a UUID or its text), or None for every dossier."""
    return None if value is None else uuid_argument(value, "dossier_id", "dossier id")


class Auditor:
    """Audit one engine's database, optionally with the HMAC key its chain is keyed with."""

    def __init__(
        self,
        engine: Engine,
        key: bytes | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """``progress(done, total)``, if given, is told how many events a whole-store verify,
        replay or export has read (every ``PROGRESS_EVERY`` events and at the end)."""
        self.engine = engine
        self.key = key
        self.progress = progress
        # The one seam to storage: the engine will hand this out as ``engine.audit_log``.
        self.log = AuditLog(engine.sa_engine)

    def event_rows(self, dossier_id: UUID | None = None) -> Rows:
        """Stored event rows (as hashed), in (dossier, seq) order."""
        return self.log.event_rows(_optional_id(dossier_id))

    def _rows(self, dossier_id: UUID | None) -> Rows:
        """``event_rows``, counted out to ``progress`` on a whole-store walk."""
        rows = self.log.event_rows(dossier_id)
        if self.progress is None or dossier_id is not None:
            return rows
        return _counted(rows, self.progress, self.engine.count_events())

    # -- verify -------------------------------------------------------------------------------

    def verify(
        self,
        dossier_id: UUID | None = None,
        *,
        published_root: str | None = None,
        derived: bool = True,
    ) -> VerifyReport:
        """Walk the chains (every one, or one dossier's), fold each into the projection it must
        give and compare with the stored one, check every checkpoint; list every break.

        With ``derived`` (the default), the deadline queue and the outbox are checked against
        the events too: what each event planned and owed, replanned and rebuilt by the write
        path's own pure functions, must be there as written, and nothing else must be
        (``deadline_missing``, ``deadline_altered``, ``deadline_unplanned``,
        ``deadline_settled_early``, ``notice_missing``, ``notice_altered``, ``notice_unowed``).
        ``derived=False`` leaves them out: about a third faster on a large store.

        ``published_root`` is a checkpoint root published outside the database. Some stored
        checkpoint must have exactly that root (``published_root_unmatched`` otherwise: the
        checkpoint was deleted, or never existed), and that checkpoint must verify in full --
        every head it saw still in its chain with the same hash, and its root recomputed from
        them (``published_checkpoint_broken`` otherwise). An older checkpoint is accepted on
        those terms: a root is published when it is made, so the latest published one may well
        precede the latest stored one; what the published root vouches for is the history up to
        that checkpoint, and the chains vouch for each dossier's events after it. With
        ``dossier_id`` the other checkpoints are checked for that dossier's head only, but the
        published checkpoint is still checked in full. The root is taken as ``normalise_root``
        gives it (trimmed, lower case); a malformed one raises ``InvalidCommand``.
        """
        dossier_id = _optional_id(dossier_id)
        if published_root is not None:
            if not isinstance(published_root, str):
                raise InvalidCommand(
                    "published_root", [FieldProblem("published_root", "must be text")]
                )
            published_root = normalise_root(published_root)
        report = VerifyReport()
        walker = ChainWalker(self.key, report)
        # One snapshot for every read: the engine may go on writing while the audit runs.
        with self.log.snapshot():
            units = self.engine.rules.units
            chains = fold_chains(
                walker,
                self._rows(dossier_id),
                self._planner() if derived else None,
                (lambda event, dossier: notices_for(event, dossier, units)) if derived else None,
            )
            if derived:
                chains = check_deadlines(
                    report, chains, self.log.deadline_rows(dossier_id), self._settled_by()
                )
                chains = check_notices(report, chains, self.log.notice_rows(dossier_id))
            projections = check_projections(
                report,
                chains,
                projections_by_id(self.log.projections(dossier_id)),
                self.log.score_as_stored,
            )
            if dossier_id is not None and report.dossiers == 0 and projections == 0:
                report.breaks.append(
                    Break(dossier_id, None, "dossier_unknown", "no events and no projection")
                )
            # Decided on the events' hashes, before the checkpoints: with another key than the
            # store's, no root can be recomputed either, and only their heads are checked.
            wrong_key = self._wrong_key(report, whole=dossier_id is None)
            stored = self.checkpoints()
            verified: dict[int, bool] = {}
            for cp in stored:
                if dossier_id is None or cp.root == published_root:
                    verified[cp.id] = walker.check_checkpoint(
                        cp.id,
                        cp.root,
                        self.log.checkpoint_seen(cp.id),
                        (cp.dossier_count, cp.event_count),
                        with_root=wrong_key is None,
                    )
                else:
                    self._check_one_head(walker, cp.id, dossier_id)
        if published_root is not None:
            roots = [(cp.id, cp.root) for cp in stored]
            check_published_root(report, published_root, roots, verified)
        return self._with_key_check(report, wrong_key)

    def _settled_by(self) -> datetime:
        """The latest time the store has seen: its latest event, where a simulated clock left
        it (``simulated_until``), or this auditor's clock. No sweep settles a deadline later,
        so none is settled at, or for, a later time. Read in the audit's snapshot, the clock
        last: whatever the snapshot holds was settled before the clock is read."""
        seen = [self.log.last_recorded_at(), self.log.simulated_until(), self.engine.clock.now()]
        return max(at for at in seen if at is not None)

    def _planner(self) -> Planner:
        """What each event plans, as the engine planned it when it wrote the event: the pure
        ``deadlines_for``, under the event's profile, with the round it was assigned to."""
        rules = self.engine.rules
        rounds: dict[UUID, Round | None] = {}

        def plan(event: Event, dossier: Dossier) -> list[DeadlineSpec]:
            round_ = None
            if isinstance(event.payload, RoundAssigned):
                round_id = event.payload.round_id
                if round_id not in rounds:
                    try:
                        rounds[round_id] = self.engine.get_round(round_id)
                    except RoundNotFound:
                        rounds[round_id] = None
                round_ = rounds[round_id]
            return deadlines_for(event, dossier, rules.profile(event.profile_id), round_, rules)

        return plan

    def _wrong_key(self, report: VerifyReport, *, whole: bool) -> str | None:
        """What to say when the key is what differs, from the walked chains and what the
        store's key fingerprint says, or None. The chains are walked whatever the fingerprint
        says: it is one edit away, and must not be able to stop the audit from checking
        anything. When no event's hash matches with the key given (or without one) and the
        fingerprint differs -- or a whole store's fingerprint is missing (a keyed store
        verified without its key) -- the key differs, not every event."""
        recorded = self.log.key_check()
        differs = recorded is not None and recorded != key_fingerprint(self.key)
        verified = report.events - sum(1 for b in report.breaks if b.problem in _UNHASHED)
        if not (verified == 0 and (differs or (recorded is None and whole and report.events > 1))):
            return None
        if self.key is None:
            detail = "the store's hash chains are made with a key: verify with it (--key-file)"
        else:
            detail = "the store's hash chains are made with another key than the one given"
        if recorded is None:  # no record of its key to go by: say what else it may be
            detail += (
                f" (the store has no record of its key; no event of {report.events} "
                "verifies: either that, or every event was altered)"
            )
        return detail

    def _with_key_check(self, report: VerifyReport, wrong_key: str | None) -> VerifyReport:
        """The report, told what the key check found. With another key than the store's, one
        break says so (``key_mismatch``), not one per event: the hash mismatches, which that
        key alone explains, are left out, and everything the key does not decide is kept --
        projections, the queue and outbox, rows that cannot be read, links, checkpoints'
        heads and counts, a published root. When hashes match and the fingerprint does not,
        the fingerprint was altered (``key_fingerprint_changed``)."""
        if wrong_key is not None:
            kept = [b for b in report.breaks if b.problem != "hash_mismatch"]
            report.breaks = [Break(None, None, "key_mismatch", wrong_key), *kept]
            return report
        recorded = self.log.key_check()
        if recorded is not None and recorded != key_fingerprint(self.key):
            report.breaks.insert(
                0,
                Break(
                    None,
                    None,
                    "key_fingerprint_changed",
                    "the chains verify with the key given, but the store's record of its key "
                    "(ocop_store_settings.key_check) says another: that record was altered",
                ),
            )
        return report

    def _check_one_head(self, walker: ChainWalker, checkpoint_id: int, dossier_id: UUID) -> None:
        walker.report.checkpoints += 1  # checked, for this dossier's head
        walker.check_heads(checkpoint_id, self.log.checkpoint_seen(checkpoint_id, dossier_id))

    # -- checkpoints --------------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        """Record every chain's current head and one root over them (keyed when a key is set)."""
        row = self.log.write_checkpoint(
            self.engine.clock.now(),
            self.key is not None,
            lambda heads: checkpoint_root(heads, self.key),
        )
        return Checkpoint(**row)

    def checkpoints(self) -> list[Checkpoint]:
        """Every stored checkpoint, oldest first."""
        return [Checkpoint(**row) for row in self.log.checkpoints()]

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
        system knew it (``known_at``: decisions are often signed on one date, entered later).

        ``StorageError`` naming the event when one of those events cannot be read or applied
        (the record was tampered with)."""
        dossier_id = uuid_argument(dossier_id, "dossier_id", "dossier id")
        problems = [
            *(instant_problems("as_of", as_of) if as_of is not None else []),
            *(instant_problems("known_at", known_at) if known_at is not None else []),
            *(count_problems("upto_seq", upto_seq) if upto_seq is not None else []),
        ]
        if problems:
            raise InvalidCommand("history", problems)
        chosen: list[Event] = []
        fold = Fold()
        with closing(self.event_rows(dossier_id)) as rows:
            for row in rows:
                if upto_seq is not None and row["seq"] > upto_seq:
                    break
                if as_of is not None and row["occurred_at"] > as_of:
                    break
                if known_at is not None and row["recorded_at"] > known_at:
                    break
                event = fold.feed(row)
                if event is None:  # a tampered event: say which, never a traceback
                    assert fold.failure is not None
                    raise StorageError(
                        f"dossier {dossier_id} cannot be replayed: {fold.failure}; "
                        "`ocop-cycle audit verify` lists everything that is broken",
                        dossier_id=str(dossier_id),
                        seq=fold.failure.seq,
                    )
                chosen.append(event)
        if not chosen:
            if fold.dossier is None and (as_of or known_at or upto_seq) is not None:
                self._before_first_event(dossier_id, as_of, known_at)
            raise DossierNotFound(dossier_id)
        assert fold.dossier is not None
        return fold.dossier, chosen

    def _before_first_event(
        self, dossier_id: UUID, as_of: datetime | None, known_at: datetime | None
    ) -> None:
        """Raise ``InvalidCommand`` naming the dossier's first event when it exists but the
        moment asked for comes before it (not "no such dossier")."""
        with closing(self.event_rows(dossier_id)) as rows:
            first = next(rows, None)
        if first is None:
            return
        if as_of is not None and first["occurred_at"] > as_of:
            field, when = "as_of", first["occurred_at"]
        elif known_at is not None and first["recorded_at"] > known_at:
            field, when = "known_at", first["recorded_at"]
        else:
            field, when = "upto_seq", None
        told = f"{when:%d/%m/%Y %H:%M}" if isinstance(when, datetime) else f"seq {first['seq']}"
        raise InvalidCommand(
            "history",
            [FieldProblem(field, f"is before dossier {dossier_id}'s first event ({told})")],
        )

    def replay(self, dossier_id: UUID | None = None) -> ReplayReport:
        """Rebuild every projection (or one dossier's) from its events and compare; recompute
        every council score from its stored member sheets under the dossier's profile and
        compare.

        A tampered event never stops the replay: an event that cannot be read or applied, or a
        ``scored`` event whose score cannot be recomputed from what it stores, is reported as
        ``fold_failed`` at that event, and the replay goes on with the next dossier."""
        dossier_id = _optional_id(dossier_id)
        report = ReplayReport()
        with self.log.snapshot():  # the engine may go on writing meanwhile
            merged = merge_by_dossier(
                self._replayed(report, dossier_id),
                projections_by_id(self.log.projections(dossier_id)),
            )
            seen = False
            for found_id, fold, stored in merged:
                seen = True
                if fold is None:
                    report.mismatches.append(
                        Break(found_id, None, "projection_without_events", "no events to replay")
                    )
                    continue
                report.dossiers += 1
                if fold.failure is not None:
                    report.mismatches.append(fold.failure)
                    continue
                assert fold.dossier is not None
                if stored is None:
                    report.mismatches.append(
                        Break(
                            found_id,
                            fold.dossier.version,
                            "projection_missing",
                            "replayed, not stored",
                        )
                    )
                elif fields := differing_fields(fold.dossier, stored, self.log.score_as_stored):
                    report.mismatches.append(
                        Break(
                            found_id, fold.dossier.version, "projection_differs", ", ".join(fields)
                        )
                    )
        if dossier_id is not None and not seen:
            report.mismatches.append(
                Break(dossier_id, None, "dossier_unknown", "no events and no projection")
            )
        return report

    def _replayed(
        self, report: ReplayReport, dossier_id: UUID | None
    ) -> Iterator[tuple[UUID, Fold]]:
        for found_id, rows in groupby(self._rows(dossier_id), key=by_dossier):
            fold = Fold()
            for row in rows:
                report.events += 1
                event = fold.feed(row)
                if event is not None and event.type == "scored":
                    assert fold.dossier is not None
                    try:
                        self._check_score(report, fold.dossier, event)
                    # The payload is the record's, not ours: a session edited away or into
                    # nonsense stops this dossier's replay there, reported like a failed fold.
                    except Exception as exc:
                        fold.failure = Break(
                            found_id,
                            event.seq,
                            "fold_failed",
                            f"the score of this scored event cannot be recomputed: {describe(exc)}",
                        )
            yield found_id, fold

    def _check_score(self, report: ReplayReport, dossier: Dossier, event: Event) -> None:
        payload = event.payload
        assert isinstance(payload, Scored)
        profile = self.engine.rules.profile(event.profile_id)
        sheet = self.engine.rules.sheet(profile.id, dossier.product_set)
        result = evaluate_session(payload.session, sheet, profile, payload.level)
        report.scores_checked += 1
        if (result.total, result.stars) != (payload.total, payload.stars):
            report.mismatches.append(
                Break(
                    dossier.id,
                    event.seq,
                    "score_differs",
                    f"recorded {payload.total} / {payload.stars}★, sheets give "
                    f"{result.total} / {result.stars}★",
                )
            )

    # -- export -------------------------------------------------------------------------------

    def export(self, out: TextIO, fmt: str = "jsonl") -> int:
        """Write every stored event (and, in JSON Lines, the checkpoints with their heads and an
        end line); returns how many events. Everything is read from one snapshot: a checkpoint
        in the export never names an event the export lacks."""
        if fmt not in ("jsonl", "csv"):
            raise InvalidCommand("export", [FieldProblem("fmt", f"jsonl or csv, not {fmt!r}")])
        with self.log.snapshot():
            if fmt == "csv":
                return self._export_csv(out)
            return self._export_jsonl(out)

    def _export_csv(self, out: TextIO) -> int:
        count = 0
        writer = csv.writer(out)
        writer.writerow(EVENT_COLUMNS)
        for row in self._rows(None):
            writer.writerow([_cell(row[n]) for n in EVENT_COLUMNS])
            count += 1
        return count

    def _export_jsonl(self, out: TextIO) -> int:
        # The events, the checkpoints, then one end line with their counts and a hash over
        # every line before it (keyed with the store's key when the auditor has it), so that a
        # copy cut short or edited anywhere is told from a complete one.
        digest = ExportDigest(self.key)

        def put(doc: dict[str, Any], *, ascii_only: bool = False) -> None:
            line = json.dumps(doc, ensure_ascii=ascii_only)
            digest.add(line)
            out.write(line + "\n")

        count = 0
        for row in self._rows(None):
            put({"event": _jsonable(row)})
            count += 1
        stored = self.checkpoints()
        for cp in stored:
            heads = [
                [_exported(d), _exported(s), _exported(h)]
                for d, s, h, _ in self.log.checkpoint_seen(cp.id)
            ]
            doc = {
                "id": cp.id,
                "created_at": _exported(cp.created_at),
                "max_event_id": _exported(cp.max_event_id),
                "dossier_count": _exported(cp.dossier_count),
                "event_count": _exported(cp.event_count),
                "keyed": _exported(cp.keyed),
                "root": _exported(cp.root),
                "heads": heads,
            }
            put({"checkpoint": doc}, ascii_only=True)
        end = {
            "events": count,
            "checkpoints": len(stored),
            "keyed": self.key is not None,
            "digest": digest.hexdigest(),
        }
        out.write(json.dumps({"end": end}) + "\n")
        return count


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _exported(value) for name, value in row.items()}


def _exported(value: Any) -> Any:
    """A stored value as an export writes it: times in the canonical text, ids dashed, and a
    value that cannot be read as its column's type (``Unreadable``) as it is stored -- the
    export is the record, and ``verify_export`` then finds the break where it is (a blob,
    which JSON cannot hold, as its hex digits)."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Unreadable):
        stored = value.stored
        return stored.hex() if isinstance(stored, bytes) else stored
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    value = _exported(value)
    return "" if value is None else value


#: How often (in events) a long walk reports its progress.
PROGRESS_EVERY = 1000


def _counted(rows: Rows, progress: Callable[[int, int], None], total: int) -> Rows:
    """``rows`` unchanged, with ``progress(done, total)`` every ``PROGRESS_EVERY`` and at the end
    (``total`` counted before the walk; rows added since only raise ``done`` past it)."""
    done = 0
    progress(0, total)
    for row in rows:
        yield row
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(done, max(total, done))
    progress(done, max(total, done))
