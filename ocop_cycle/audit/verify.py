"""Verification: walk every chain, recompute every hash, check checkpoints and a published root,
and say exactly where anything is broken (projections are checked in ``projection``).

The walk is a stream over rows ordered by (dossier, seq): memory stays flat in the number of
events. The same checks run on the database and, offline, on an export.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from ocop_cycle._storage.auditlog import has_unreadable, unreadable_values
from ocop_cycle.errors import FieldProblem, InvalidCommand
from ocop_cycle.workflows.chain import GENESIS, event_hash, row_hash

__all__ = [
    "Break",
    "ChainWalker",
    "ExportDigest",
    "Head",
    "VerifyReport",
    "check_published_root",
    "checkpoint_root",
    "normalise_root",
    "row_hash",
]


@dataclass(frozen=True, slots=True)
class Break:
    """One broken link: where (dossier, seq) and what differs."""

    dossier_id: UUID | None
    seq: int | None
    problem: str
    detail: str

    def __str__(self) -> str:
        where = f"dossier {self.dossier_id}" if self.dossier_id else "store"
        if self.seq is not None:
            where += f" seq {self.seq}"
        return f"{where}: {self.problem}: {self.detail}"


@dataclass
class VerifyReport:
    """What a verification found."""

    events: int = 0
    dossiers: int = 0
    checkpoints: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """True when nothing is broken."""
        return not self.breaks


def stored_id(value: object) -> UUID | None:
    """A break's dossier: the id, or None where the stored id cannot be read (the detail
    says what is stored)."""
    return value if isinstance(value, UUID) else None


def _seq(value: object) -> int | None:
    return value if type(value) is int else None


def _short(value: object) -> str:
    """A stored hash as a report shows it: its first digits, or what is stored instead."""
    return f"{value[:12]}…" if isinstance(value, str) else repr(value)


def checkpoint_root(heads: Iterable[tuple[UUID, int, str]], key: bytes | None) -> str:
    """One hash over every chain head, in dossier order."""
    lines = "".join(f"{d}:{s}:{h}\n" for d, s, h in sorted(heads, key=lambda x: str(x[0])))
    return event_hash(lines.encode("utf-8"), key)


Head = tuple[UUID, int, str]


class ExportDigest:
    """One hash over an export's lines, as its end line records it (keyed when the export was
    made with the store's key): a copy cut short, or lines dropped, edited or added anywhere,
    no longer gives it. Lines are taken without their line ending, so a copy whose line
    endings a transfer changed (LF to CRLF) still verifies."""

    def __init__(self, key: bytes | None) -> None:
        self._hash: Any = (
            hashlib.sha256() if key is None else hmac.new(key, digestmod=hashlib.sha256)
        )

    def add(self, line: str) -> None:
        """Take one line (its ending, if any, is not hashed)."""
        self._hash.update(line.rstrip("\r\n").encode("utf-8") + b"\n")

    def hexdigest(self) -> str:
        return str(self._hash.hexdigest())


# A checkpoint root is a SHA-256 (or HMAC-SHA-256) digest in hex, as ``event_hash`` writes it.
_ROOT = re.compile(r"[0-9a-f]{64}")


def normalise_root(value: str) -> str:
    """A published root as the checkpoints store it: surrounding whitespace (a copied line, a
    trailing newline) removed and the hex digits in lower case.

    ``InvalidCommand`` naming ``published_root`` when what is left is not 64 hex digits: a
    mistyped or truncated root is the auditor's mistake to fix, not a break in the store."""
    root = value.strip().lower()
    if _ROOT.fullmatch(root) is None:
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise InvalidCommand(
            "published_root",
            [
                FieldProblem(
                    "published_root",
                    f"a checkpoint root is 64 hexadecimal digits; got {len(root)} characters "
                    f"({shown!r})",
                )
            ],
        )
    return root


class ChainWalker:
    """Consumes event rows in (dossier, seq) order, records every break, yields chain heads."""

    def __init__(self, key: bytes | None, report: VerifyReport) -> None:
        self.key = key
        self.report = report

    def walk(self, rows: Iterable[Mapping[str, Any]]) -> Iterator[Head]:
        """Check each row's place in its chain and its hash; yield each chain's head in turn."""
        report = self.report
        dossier: UUID | None = None
        expected, prev = 1, GENESIS
        for row in rows:
            report.events += 1
            dossier_id = row["dossier_id"]
            if dossier_id != dossier:
                if dossier is not None:
                    yield dossier, expected - 1, prev
                dossier = dossier_id
                expected, prev = 1, GENESIS
                report.dossiers += 1
            seq = row["seq"]
            recomputed = None
            if not has_unreadable(row) and type(seq) is int and type(row["hash"]) is str:
                try:
                    recomputed = row_hash(row, self.key)
                except Exception:  # a value of another type than the engine writes
                    recomputed = None
            if recomputed is None:
                # A value that is not of its column's type cannot be hashed as the engine
                # hashed it: the row is reported where it is, and the chain goes on past it.
                unreadable = unreadable_values(row)
                if type(seq) is not int or type(row["hash"]) is not str:
                    unreadable.append(f"seq {seq!r}, hash {row['hash']!r}")
                detail = "; ".join(unreadable) or "its values cannot be hashed as written"
                where = stored_id(dossier_id), _seq(seq)
                report.breaks.append(Break(*where, "row_unreadable", detail))
                if type(seq) is int:
                    expected = max(seq + 1, expected)
                if type(row["hash"]) is str:
                    prev = row["hash"]
                continue
            if seq != expected:
                problem = "seq_duplicate" if seq < expected else "seq_gap"
                report.breaks.append(
                    Break(dossier_id, seq, problem, f"expected seq {expected}, found {seq}")
                )
            if row["prev_hash"] != prev:
                report.breaks.append(
                    Break(
                        dossier_id,
                        seq,
                        "prev_hash_mismatch",
                        f"links to {row['prev_hash'][:12]}…, the previous event is {prev[:12]}…",
                    )
                )
            if recomputed != row["hash"]:
                report.breaks.append(
                    Break(
                        dossier_id,
                        seq,
                        "hash_mismatch",
                        f"stored {row['hash'][:12]}…, content hashes to {recomputed[:12]}…",
                    )
                )
            # Link on the stored hash, so one altered event is reported once, where it is. An
            # event out of place (a repeated or planted lower seq) leaves the count where it
            # was: the genuine events after it are not all reported as duplicates.
            prev = row["hash"]
            expected = max(seq + 1, expected)
        if dossier is not None:
            yield dossier, expected - 1, prev

    def check_heads(
        self, checkpoint_id: int, seen: Iterable[tuple[Any, Any, Any, Any]]
    ) -> tuple[list[Head], bool]:
        """Every head a checkpoint saw must still be in its chain with the same hash; the heads
        as stored, and whether each could be read. ``seen`` yields (dossier, seq, hash the
        checkpoint saw, hash found now or None).

        A head that is not a (UUID, int, text) as the engine writes it -- edited in place --
        is ``checkpoint_head_unreadable`` where it is, as the walk reports an event: it is
        found in no chain, and its seq counts nothing."""
        heads: list[Head] = []
        readable = True
        for dossier_id, seq, head_hash, found in seen:
            heads.append((dossier_id, seq, head_hash))
            if (
                not isinstance(dossier_id, UUID)
                or type(seq) is not int
                or type(head_hash) is not str
            ):
                readable = False
                self.report.breaks.append(
                    Break(
                        stored_id(dossier_id),
                        _seq(seq),
                        "checkpoint_head_unreadable",
                        f"checkpoint {checkpoint_id} records dossier {dossier_id!s}, seq "
                        f"{seq!r}, hash {_short(head_hash)}: not a chain head as written",
                    )
                )
            elif found is None:
                self.report.breaks.append(
                    Break(
                        dossier_id,
                        seq,
                        "checkpointed_event_missing",
                        f"checkpoint {checkpoint_id} saw this event; it is gone",
                    )
                )
            elif found != head_hash:
                self.report.breaks.append(
                    Break(
                        dossier_id,
                        seq,
                        "checkpointed_hash_changed",
                        f"checkpoint {checkpoint_id} saw {_short(head_hash)}, now {_short(found)}",
                    )
                )
        return heads, readable

    def check_checkpoint(
        self,
        checkpoint_id: int,
        root: str,
        seen: Iterable[tuple[Any, Any, Any, Any]],
        counts: tuple[int, int] | None = None,
        *,
        with_root: bool = True,
    ) -> bool:
        """Every head a checkpoint saw must still be in its chain with the same hash
        (``check_heads``), and the root must be the one those heads give; True when the
        checkpoint verifies.

        ``counts``, the checkpoint's recorded (dossier count, event count): the root does not
        cover them, so they must agree with its heads (one head per chain, each chain's head
        at its event count), else they were edited and say something the root never did. With
        a head that cannot be read, they are not judged: that head is the break. Without
        ``with_root`` (the auditor's key is not the store's) the root is not recomputed."""
        self.report.checkpoints += 1
        breaks_before = len(self.report.breaks)
        heads, readable = self.check_heads(checkpoint_id, seen)
        if with_root and checkpoint_root(heads, self.key) != root:
            self.report.breaks.append(
                Break(None, None, "checkpoint_root_mismatch", f"checkpoint {checkpoint_id}")
            )
        events = sum(seq for _, seq, _ in heads if type(seq) is int)
        if readable and counts is not None and counts != (len(heads), events):
            self.report.breaks.append(
                Break(
                    None,
                    None,
                    "checkpoint_counts_altered",
                    f"checkpoint {checkpoint_id} records {counts[0]!r} chains and {counts[1]!r} "
                    f"events; its heads give {len(heads)} and {events}",
                )
            )
        return len(self.report.breaks) == breaks_before


def check_published_root(
    report: VerifyReport,
    published_root: str,
    roots: Iterable[tuple[int, str]],
    verified: Mapping[int, bool],
) -> None:
    """A root published outside the database must be some stored checkpoint's root, and that
    checkpoint must have verified (``verified``: checkpoint id -> it did).

    ``roots`` are the stored checkpoints' (id, root). Deleting every checkpoint, or the one that
    was published, is caught here: the published root then matches nothing."""
    matching = [cp_id for cp_id, root in roots if root == published_root]
    if not matching:
        report.breaks.append(
            Break(
                None,
                None,
                "published_root_unmatched",
                f"no stored checkpoint has the published root {published_root[:12]}…",
            )
        )
    elif not any(verified.get(cp_id, False) for cp_id in matching):
        report.breaks.append(
            Break(
                None,
                None,
                "published_checkpoint_broken",
                f"checkpoint {matching[-1]} has the published root {published_root[:12]}… "
                "and no longer verifies",
            )
        )
