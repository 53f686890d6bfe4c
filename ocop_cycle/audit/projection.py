"""Replaying projections while streaming: fold each dossier's events as they pass, and merge the
folds with the stored projection rows, both in dossier order, so nothing is loaded whole.

A stored projection is derived data: whoever can write the database can edit it without touching
an event. Verification therefore folds every chain (the same ``apply`` the engine writes with)
and compares the result with every stored column, not only the version and head hash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any, TypeVar
from uuid import UUID

from pydantic import ValidationError

from ocop_cycle._storage.auditlog import PROJECTION_COLUMNS, by_dossier, unreadable_values
from ocop_cycle._storage.store import event_from_row
from ocop_cycle.audit.verify import Break, ChainWalker, Head, VerifyReport, stored_id
from ocop_cycle.clock import to_vn
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
    "by_dossier",
    "check_deadlines",
    "check_notices",
    "check_projections",
    "check_settled_early",
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
    """A deadline a chain's events planned: its kind and due time, and the event that did."""

    kind: str
    due_at: datetime
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
            self.planned.setdefault(
                spec.key, Planned(spec.kind, spec.due_at, event.seq, event.type)
            )

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


def check_deadlines(
    report: VerifyReport,
    chains: Iterator[tuple[UUID, tuple[Head, Fold]]],
    stored: Iterator[tuple[UUID, set[str]]],
) -> Iterator[tuple[UUID, tuple[Head, Fold]]]:
    """``chains`` passed on, the deadline queue checked against them on the way (it is derived
    data: an expiry deleted would never happen): each deadline a chain's events planned must be
    in the queue, in whatever status. Rows beyond what the events plan are not judged."""
    for dossier_id, chain, keys in merge_by_dossier(chains, stored):
        if chain is None:
            continue  # deadlines of a dossier with no events: its projection check reports it
        yield dossier_id, chain
        _, fold = chain
        if fold.failure is not None:
            continue  # the fold stopped: what it planned is partial
        found = keys or set()
        for key, planned in fold.planned.items():
            if key not in found:
                report.breaks.append(
                    Break(
                        dossier_id,
                        planned.seq,
                        "deadline_missing",
                        f"{planned.kind} due {to_vn(planned.due_at):%d/%m/%Y %H:%M}, planned by "
                        f"{planned.event_type}, is not in the deadline queue",
                    )
                )


def check_settled_early(report: VerifyReport, rows: Iterable[dict[str, Any]]) -> None:
    """Each deadline settled before it was due (or without a time) is a break: the sweep
    settles a deadline only once it is due, so one marked done early was altered (an expiry
    marked done would never happen)."""
    for row in rows:
        due, applied = row["due_at"], row["applied_at"]
        when = f"{to_vn(applied):%d/%m/%Y %H:%M}" if isinstance(applied, datetime) else "never"
        due_text = f"{to_vn(due):%d/%m/%Y %H:%M}" if isinstance(due, datetime) else repr(due)
        report.breaks.append(
            Break(
                stored_id(row["dossier_id"]),
                None,
                "deadline_settled_early",
                f"{str(row['key']).split('|', 1)[0]} due {due_text} is {row['status']} "
                f"(settled {when}): the sweep settles a deadline only once it is due",
            )
        )


#: What an outbox row must say as its event owed it (``data`` too: hosts read it).
_NOTICE_FIELDS = ("seq", "kind", "recipient_role", "recipient_jurisdiction", "message_vi", "data")


def check_notices(
    report: VerifyReport,
    chains: Iterator[tuple[UUID, tuple[Head, Fold]]],
    stored: Iterator[tuple[UUID, dict[Any, dict[str, Any]]]],
) -> Iterator[tuple[UUID, tuple[Head, Fold]]]:
    """``chains`` passed on, the outbox checked against them on the way: each notice an event
    owed (``notices_for``, as written with it) must be there, saying what it was written to say
    to whom it was written for (a notice deleted or edited never reaches, or misleads, its
    recipient). Rows no event owes are reported too (a notice planted in the outbox)."""
    for dossier_id, chain, rows in merge_by_dossier(chains, stored):
        found = rows or {}
        if chain is None:
            continue  # notices of a dossier with no events: its projection check reports it
        yield dossier_id, chain
        _, fold = chain
        if fold.failure is not None:
            continue  # the fold stopped: what it owed is partial
        for notice_id, (notice, seq, event_type) in fold.owed.items():
            row = found.get(notice_id)
            if row is None:
                report.breaks.append(
                    Break(
                        dossier_id,
                        seq,
                        "notice_missing",
                        f"the notice to {notice.recipient_role.value}@"
                        f"{notice.recipient_jurisdiction} owed by {event_type} is not in the "
                        "outbox",
                    )
                )
                continue
            expected = {
                "seq": seq,
                "kind": notice.kind,
                "recipient_role": notice.recipient_role.value,
                "recipient_jurisdiction": notice.recipient_jurisdiction,
                "message_vi": notice.message_vi,
                "data": notice.data,
            }
            differing = [name for name in _NOTICE_FIELDS if row[name] != expected[name]]
            if differing:
                report.breaks.append(Break(dossier_id, seq, "notice_altered", ", ".join(differing)))
        for notice_id, row in found.items():
            if notice_id not in fold.owed:
                report.breaks.append(
                    Break(
                        dossier_id,
                        row["seq"] if type(row["seq"]) is int else None,
                        "notice_unowed",
                        f"outbox row {notice_id} ({row['kind']}) was owed by no event",
                    )
                )


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


def differing_fields(folded: Dossier, stored: Mapping[str, Any]) -> list[str]:
    """The projection columns whose stored value is not the folded one."""
    # Enum fields are StrEnums, equal to the strings stored; datetimes compare as instants.
    values = folded.__dict__
    return [name for name in PROJECTION_COLUMNS if values[name] != stored[name]]


def check_projections(
    report: VerifyReport,
    chains: Iterator[tuple[UUID, tuple[Head, Fold]]],
    projections: Iterator[tuple[UUID, dict[str, Any]]],
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
            fields = differing_fields(fold.dossier, stored)
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
