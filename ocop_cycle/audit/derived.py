"""The deadline queue and the outbox checked against the events that planned and owed them.

Both are derived data, written in the same transaction as their event, and both act on the
world: a deadline makes the sweep write an event when it falls due, a notice reaches a person.
Whoever can write the database can edit either without touching an event, so verification
replans what each event planned and rebuilds what it owed (the write path's own pure
functions, gathered by ``Fold``) and compares them with the stored rows. Each check takes the
folded chains and the stored rows as two streams in dossier order and passes the chains on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from ocop_cycle.audit.projection import Fold, Planned, merge_by_dossier
from ocop_cycle.audit.verify import Break, Head, VerifyReport, stored_id
from ocop_cycle.clock import to_vn
from ocop_cycle.workflows.chain import canonical_bytes

__all__ = ["Chains", "check_deadlines", "check_notices", "settled_early"]

#: Folded chains, by dossier: each chain's head and fold.
Chains = Iterator[tuple[UUID, tuple[Head, Fold]]]


def _json(value: Any) -> bytes | None:
    """A stored JSON value in the canonical form (sorted keys, an integer told from a float),
    or None when it has none (NaN, a value read as ``Unreadable``): it then equals nothing."""
    try:
        return canonical_bytes(value)
    except (TypeError, ValueError, RecursionError):
        return None


def _when(value: object) -> str:
    """A stored time as a report shows it (what is stored, when it cannot be read)."""
    return f"{to_vn(value):%d/%m/%Y %H:%M}" if isinstance(value, datetime) else str(value)


def check_deadlines(
    report: VerifyReport,
    chains: Chains,
    stored: Iterator[tuple[UUID, dict[Any, dict[str, Any]]]],
    settled_by: datetime,
) -> Chains:
    """``chains`` passed on, the deadline queue checked against them on the way. The queue is
    derived data the sweep acts on, so it must be just what the events planned:

    - each deadline a chain's events planned is in the queue (``deadline_missing``: an expiry
      deleted would never happen), in whatever status, as the event planned it -- kind, round,
      due time and detail (``deadline_altered``: an expiry moved later, or its detail changed
      so that the sweep finds it moot);
    - each row was planned by an event of its dossier (``deadline_unplanned``: a planted row
      makes the sweep write a genuine event when it falls due), a dossier with no events at
      all included;
    - a row settled was settled when it was due (``deadline_settled_early``, see
      ``settled_early``; ``settled_by`` is the latest time the store has seen).

    Where the fold stopped, what it planned is partial: only the settling is checked."""
    for dossier_id, chain, found in merge_by_dossier(chains, stored):
        rows = found or {}
        if chain is None:
            for row in rows.values():
                report.breaks.append(_unplanned(dossier_id, row, "the dossier has no events"))
            continue
        yield dossier_id, chain
        _, fold = chain
        whole = fold.failure is None
        planned_by: dict[Any, Planned] = fold.planned if whole else {}
        for key, planned in planned_by.items():
            match = rows.get(key)
            if match is None:
                report.breaks.append(
                    Break(
                        dossier_id,
                        planned.seq,
                        "deadline_missing",
                        f"{planned.kind} due {_when(planned.due_at)}, planned by "
                        f"{planned.event_type}, is not in the deadline queue",
                    )
                )
            elif altered := _altered(planned, match):
                report.breaks.append(
                    Break(
                        dossier_id,
                        planned.seq,
                        "deadline_altered",
                        f"{', '.join(altered)} of the {planned.kind} due "
                        f"{_when(planned.due_at)} not as {planned.event_type} planned it",
                    )
                )
        for key, row in rows.items():
            planned_row = planned_by.get(key)
            if planned_row is None and whole:
                report.breaks.append(
                    _unplanned(dossier_id, row, "no event of the dossier planned it")
                )
                continue  # one break for a planted row, however it was settled
            early = settled_early(row, settled_by)
            if early is not None:
                seq = None if planned_row is None else planned_row.seq
                report.breaks.append(
                    Break(stored_id(dossier_id), seq, "deadline_settled_early", early)
                )


def _unplanned(dossier_id: object, row: dict[str, Any], why: str) -> Break:
    """A deadline row no event planned, for a dossier (or an id that cannot be read: the
    detail says what is stored)."""
    whose = "" if isinstance(dossier_id, UUID) else f"dossier id {dossier_id}: "
    return Break(
        stored_id(dossier_id),
        None,
        "deadline_unplanned",
        f"{whose}{row['kind']} due {_when(row['due_at'])} ({row['status']}) is in the deadline "
        f"queue, and {why}",
    )


def _altered(planned: Planned, row: dict[str, Any]) -> list[str]:
    """The columns of a deadline row that are not as its event planned them (the write path
    copies them from the plan)."""
    # A time is compared as an instant, an id as a UUID: what was read, not how it is spelled.
    altered = [
        name
        for name, value in (
            ("kind", planned.kind),
            ("round_id", planned.round_id),
            ("due_at", planned.due_at),
        )
        if row[name] != value
    ]
    if _json(row["detail"]) not in planned.details:
        altered.append("detail")
    # Where it was moved to is what the auditor asks next.
    return [f"due_at (now {_when(row['due_at'])})" if a == "due_at" else a for a in altered]


def settled_early(row: dict[str, Any], settled_by: datetime) -> str | None:
    """Why a deadline row was settled before it was due, or None when it was not (or is still
    pending). The sweep settles a deadline (done, skipped, failed) only once it is due, at the
    time of its clock: settled without a time, or before its due time, or at a time later than
    ``settled_by`` -- the latest the store has seen: its latest event, where a simulated clock
    left it, the auditor's own clock -- the row was altered (an expiry marked done would never
    happen). Times are compared as instants, never as the text SQLite keeps."""
    status = row["status"]
    if status == "pending":
        return None
    due, applied = row["due_at"], row["applied_at"]
    what = f"{str(row['key']).split('|', 1)[0]} due {_when(due)} is {status}"
    if not isinstance(applied, datetime):
        return f"{what} with no time of settling ({applied!s}): the sweep records when it settles"
    if isinstance(due, datetime) and applied < due:
        return (
            f"{what} (settled {_when(applied)}): the sweep settles a deadline only once it is due"
        )
    if applied > settled_by or (isinstance(due, datetime) and due > settled_by):
        return (
            f"{what} (settled {_when(applied)}), later than any time the store has seen "
            f"({_when(settled_by)}: its latest event, its simulated clock, the auditor's clock)"
        )
    return None


#: What an outbox row must say as its event owed it (``data`` too: hosts read it).
_NOTICE_FIELDS = ("seq", "kind", "recipient_role", "recipient_jurisdiction", "message_vi", "data")


def check_notices(
    report: VerifyReport,
    chains: Chains,
    stored: Iterator[tuple[UUID, dict[Any, dict[str, Any]]]],
) -> Chains:
    """``chains`` passed on, the outbox checked against them on the way: each notice an event
    owed (``notices_for``, as written with it) must be there, saying what it was written to say
    to whom it was written for (a notice deleted or edited never reaches, or misleads, its
    recipient). Rows no event owes are reported too (a notice planted in the outbox, or left
    by a dossier whose events are gone)."""
    for dossier_id, chain, rows in merge_by_dossier(chains, stored):
        found = rows or {}
        if chain is None:  # a dossier with no events owes nothing: each of its rows is planted
            for notice_id, orphan in found.items():
                report.breaks.append(
                    _unowed(dossier_id, notice_id, orphan, "the dossier has no events")
                )
            continue
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
            # Equal in Python is not written alike (3 == 3.0 == True): as its canonical JSON.
            if "data" not in differing and _json(row["data"]) != canonical_bytes(notice.data):
                differing.append("data")
            if differing:
                report.breaks.append(Break(dossier_id, seq, "notice_altered", ", ".join(differing)))
        for notice_id, row in found.items():
            if notice_id not in fold.owed:
                report.breaks.append(_unowed(dossier_id, notice_id, row, "no event owed it"))


def _unowed(dossier_id: object, notice_id: object, row: dict[str, Any], why: str) -> Break:
    """An outbox row no event owed (the detail names an id that cannot be read)."""
    whose = "" if isinstance(dossier_id, UUID) else f"dossier id {dossier_id}: "
    return Break(
        stored_id(dossier_id),
        row["seq"] if type(row["seq"]) is int else None,
        "notice_unowed",
        f"{whose}outbox row {notice_id} ({row['kind']}) is in the outbox, and {why}",
    )
