"""Replaying projections while streaming: fold each dossier's events as they pass, and merge the
folds with the stored projection rows, both in dossier order, so nothing is loaded whole.

A stored projection is derived data: whoever can write the database can edit it without touching
an event. Verification therefore folds every chain (the same ``apply`` the engine writes with)
and compares the result with every stored column, not only the version and head hash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from typing import Any, TypeVar
from uuid import UUID

from pydantic import ValidationError

from ocop_cycle._storage.auditlog import PROJECTION_COLUMNS, by_dossier, unreadable_values
from ocop_cycle._storage.store import event_from_row
from ocop_cycle.audit.verify import Break, ChainWalker, Head, VerifyReport, stored_id
from ocop_cycle.workflows.chain import canonical_bytes
from ocop_cycle.workflows.deadlines import DeadlineSpec
from ocop_cycle.workflows.events import Event
from ocop_cycle.workflows.fold import apply
from ocop_cycle.workflows.model import Dossier
from ocop_cycle.workflows.notices import Notice

__all__ = [
    "Fold",
    "Notifier",
    "Planned",
    "Planner",
    "ScoreText",
    "by_dossier",
    "check_projections",
    "describe",
    "differing_fields",
    "fold_chains",
    "merge_by_dossier",
    "projections_by_id",
]

A = TypeVar("A")
B = TypeVar("B")


#: The deadlines an event plans, given the dossier it gives (``deadlines_for`` with the rules).
Planner = Callable[[Event, Dossier], Iterable[DeadlineSpec]]
#: The notices an event owes, given the dossier it gives (``notices_for`` with the units).
Notifier = Callable[[Event, Dossier], Iterable[Notice]]


@dataclass(frozen=True, slots=True)
class Planned:
    """A deadline a chain's events planned, as the write path stores it (kind, due time, round,
    detail), and the event that planned it first.

    ``details`` holds the canonical JSON of each detail planned under this natural key, the
    first first: the key fixes the rest, but two events can plan one key with details of their
    own (a dossier returned and resubmitted with the same last day), and which one the row keeps
    is the first written -- in event order, except where ``plan_statutory`` filled in an
    upgraded store's earlier events after later ones had been written."""

    kind: str
    due_at: datetime
    round_id: UUID | None
    details: tuple[bytes, ...]
    seq: int
    event_type: str


class Fold:
    """One dossier's events folded in turn; the first event that cannot be applied stops it.
    With a ``planner``, the deadlines each event planned are gathered too (``planned``, by
    natural key)."""

    __slots__ = ("dossier", "failure", "notifier", "owed", "planned", "planner")

    def __init__(self, planner: Planner | None = None, notifier: Notifier | None = None) -> None:
        self.dossier: Dossier | None = None
        self.failure: Break | None = None
        self.planner = planner
        self.planned: dict[str, Planned] = {}
        self.notifier = notifier
        #: The notices the events owe, by id, with the event that owed each (its seq, type).
        self.owed: dict[UUID, tuple[Notice, int, str]] = {}

    def feed(self, row: dict[str, Any]) -> Event | None:
        """Apply one stored event row (upcast first); the event, or None once the fold failed."""
        if self.failure is not None:
            return None
        try:
            event = event_from_row(row)
            self.dossier = apply(self.dossier, event)
        # A tampered row can fail to load or apply in any way (a wrong type, a payload missing a
        # key, an unknown event type): each is a finding to report, never a crash of the audit.
        except Exception as exc:
            self.failure = Break(
                stored_id(row["dossier_id"]),
                row["seq"] if type(row["seq"]) is int else None,
                "fold_failed",
                describe(exc),
            )
            return None
        if self.planner is not None:
            self._plan(self.planner, event, self.dossier)
        if self.notifier is not None:
            self._owe(self.notifier, event, self.dossier)
        return event

    # An event whose fields no rule knows (an altered profile id) plans and owes nothing here:
    # its hash reports it.
    def _plan(self, planner: Planner, event: Event, dossier: Dossier) -> None:
        try:
            specs = list(planner(event, dossier))
        except Exception:
            return
        for spec in specs:
            detail = canonical_bytes(spec.detail)
            found = self.planned.get(spec.key)
            if found is None:
                self.planned[spec.key] = Planned(
                    spec.kind, spec.due_at, spec.round_id, (detail,), event.seq, event.type
                )
            elif detail not in found.details:
                self.planned[spec.key] = replace(found, details=(*found.details, detail))

    def _owe(self, notifier: Notifier, event: Event, dossier: Dossier) -> None:
        try:
            notices = list(notifier(event, dossier))
        except Exception:
            return
        for notice in notices:
            self.owed[notice.id] = (notice, event.seq, event.type)

    def through(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Pass ``rows`` on unchanged, folding each on the way."""
        for row in rows:
            self.feed(row)
            yield row


def fold_chains(
    walker: ChainWalker,
    rows: Iterable[dict[str, Any]],
    planner: Planner | None = None,
    notifier: Notifier | None = None,
) -> Iterator[tuple[UUID, tuple[Head, Fold]]]:
    """Walk each dossier's chain and fold it in the same pass; per dossier, its head and fold."""
    for dossier_id, chain in groupby(rows, key=by_dossier):
        fold = Fold(planner, notifier)
        for head in walker.walk(fold.through(chain)):
            yield dossier_id, (head, fold)


def projections_by_id(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[UUID, dict[str, Any]]]:
    """Projection rows keyed by their dossier id."""
    for row in rows:
        yield row["id"], row


def merge_by_dossier(
    left: Iterator[tuple[UUID, A]], right: Iterator[tuple[UUID, B]]
) -> Iterator[tuple[UUID, A | None, B | None]]:
    """Two streams sorted by dossier id, merged: (id, left item or None, right item or None)."""
    a = next(left, None)
    b = next(right, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            assert a is not None
            yield a[0], a[1], None
            a = next(left, None)
        elif a is None or b[0] < a[0]:
            yield b[0], None, b[1]
            b = next(right, None)
        else:
            yield a[0], a[1], b[1]
            a = next(left, None)
            b = next(right, None)


#: The text a projection's score is stored as, given the folded score (``score_as_stored``).
ScoreText = Callable[[Decimal | None], str | None]


def differing_fields(
    folded: Dossier, stored: Mapping[str, Any], score_as_stored: ScoreText
) -> list[str]:
    """The projection columns whose stored value is not the folded one."""
    # Enum fields are StrEnums, equal to the strings stored; datetimes compare as instants.
    values = folded.__dict__
    fields = [name for name in PROJECTION_COLUMNS if values[name] != stored[name]]
    # Decimals compare equal however spelled ('6.0E+1' == '60.00'): the score is held to the
    # text the write path stored.
    if "score" not in fields and stored["score_text"] != score_as_stored(values["score"]):
        fields.append("score")
    return fields


def check_projections(
    report: VerifyReport,
    chains: Iterator[tuple[UUID, tuple[Head, Fold]]],
    projections: Iterator[tuple[UUID, dict[str, Any]]],
    score_as_stored: ScoreText,
) -> int:
    """Each projection must stand on its chain's head (catches deleted last events) and equal,
    column by column, the fold of its events (catches an edited projection). Returns how many
    projections were read."""
    breaks = report.breaks
    seen = 0
    for dossier_id, chain, stored in merge_by_dossier(chains, projections):
        seen += stored is not None
        if chain is None:
            breaks.append(
                Break(stored_id(dossier_id), None, "events_missing", "a projection with no events")
            )
            continue
        (_, seq, last_hash), fold = chain
        if fold.failure is not None:
            breaks.append(fold.failure)
        unreadable = unreadable_values(stored) if stored is not None else []
        if unreadable:
            breaks.append(
                Break(stored_id(dossier_id), None, "projection_unreadable", "; ".join(unreadable))
            )
        elif stored is None:
            breaks.append(
                Break(
                    stored_id(dossier_id), None, "projection_missing", "events with no projection"
                )
            )
        elif (stored["version"], stored["last_hash"]) != (seq, last_hash):
            breaks.append(
                Break(
                    stored_id(dossier_id),
                    seq,
                    "projection_head_mismatch",
                    f"projection at version {stored['version']} ({str(stored['last_hash'])[:12]}"
                    f"…), chain ends at seq {seq} ({last_hash[:12]}…)",
                )
            )
        elif fold.dossier is not None and fold.failure is None:
            fields = differing_fields(fold.dossier, stored, score_as_stored)
            if fields:
                breaks.append(Break(dossier_id, seq, "projection_differs", ", ".join(fields)))
    return seen


def describe(exc: Exception) -> str:
    """An error found in the record, on one line (a report lists one break per line):
    pydantic's validation errors as "field: message; …", without their help links."""
    if isinstance(exc, ValidationError):
        found = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(payload)'}: {err['msg']}"
            for err in exc.errors()
        )
        return f"{type(exc).__name__}: {found}"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"
