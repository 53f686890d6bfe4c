"""CLI commands for auditors: verify, history, replay, export, checkpoint."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.audit.offline import verify_export
from ocop_cycle.audit.verify import VerifyReport, normalise_root
from ocop_cycle.cli.options import end_of
from ocop_cycle.cli.output import print_table, progress
from ocop_cycle.engine import Engine
from ocop_cycle.errors import InvalidCommand
from ocop_cycle.workflows.events import EVENT_LABELS_VI

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Add ``audit`` and its actions to the top-level subparsers."""
    audit = sub.add_parser(
        "audit",
        help="verify, replay and export dossier histories",
        description="Prove the record unaltered (hash chains, checkpoints), replay it, show any "
        "dossier as it stood on a date, export it. With an HMAC-keyed store, pass --key-file.",
    )
    a_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = a_sub.add_parser(
        "verify",
        help="exit 0 when intact, 1 listing every broken link",
        description="Walk every hash chain (or one dossier's), fold it into the projection it "
        "must give and compare with the stored one, replan the deadlines its events planned "
        "and check the queue holds them (none settled before due), rebuild the notices they "
        "owed and check the outbox says just that, check every checkpoint. "
        "Reads one "
        "snapshot: the engine may go on writing meanwhile. Exit 0: intact; 1: a break, each "
        "listed with its dossier, seq and what broke (or the database could not be read); "
        "2: bad usage.",
    )
    verify.add_argument(
        "--dossier", type=UUID, help="only this dossier's chain (and its checkpointed heads)"
    )
    verify.add_argument(
        "--from-export",
        type=Path,
        help="verify a JSON Lines export, offline, as a whole: its chains, its checkpoints, and "
        "its end line (nothing cut off, dropped or added)",
    )
    verify.add_argument(
        "--chains-only",
        action="store_true",
        help="check the chains, projections and checkpoints only, not the deadline queue and "
        "the outbox against the events (about a third faster on a large store)",
    )
    verify.add_argument(
        "--published-root",
        type=_published_root,
        help="a checkpoint root as published outside the database (64 hex digits; case and "
        "surrounding spaces do not matter): some stored checkpoint must have it, and it must "
        "still verify",
    )
    history = a_sub.add_parser(
        "history",
        help="a dossier's timeline (Vietnamese labels)",
        description="A dossier's events in order, and the dossier they give: all of them, as "
        "things happened by a date (--as-of), or as the system knew them then (--known-at).",
    )
    history.add_argument("id", type=UUID, help="the dossier's id")
    history.add_argument("--as-of", type=end_of, help="as things happened by this date/time")
    history.add_argument("--known-at", type=end_of, help="as the system knew it then")
    history.add_argument("--format", choices=["table", "json"], default="table")
    replay = a_sub.add_parser(
        "replay",
        help="rebuild projections from events and compare",
        description="Rebuild every projection (or one dossier's) from its events, recompute "
        "every council score from its member sheets, and compare with what is stored. Exit 0: "
        "all match; 1: a mismatch, each listed.",
    )
    replay.add_argument("--dossier", type=UUID, help="only this dossier")
    export = a_sub.add_parser(
        "export",
        help="every event (and checkpoints) to a file",
        description="Every event, as stored and hashed, then the checkpoints, then an end line "
        "(their counts and a hash of every line before it, keyed with --key-file): a JSON "
        "Lines file `audit verify --from-export` checks offline, whole -- a copy cut short or "
        "edited anywhere does not verify (verify with the key it was exported with). Or CSV, "
        "for a spreadsheet. Read from one snapshot of the store.",
    )
    export.add_argument(
        "--format", choices=["jsonl", "csv"], default="jsonl", help="jsonl (verifiable) or csv"
    )
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    a_sub.add_parser(
        "checkpoint",
        help="record one root over every chain's head; print it",
        description="Record every chain's head and one root over them (keyed with --key-file), "
        "and print the root: publish it outside the database, then `audit verify "
        "--published-root` proves nothing before it was deleted or rewritten.",
    )


def usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with how an audit command's options go together (exit 2), if anything."""
    if getattr(args, "audit_command", None) == "verify" and args.from_export and args.dossier:
        return (
            "audit verify: --dossier checks one chain of a database; an export is verified "
            "whole (drop --dossier, or verify the database)"
        )
    return None


def _published_root(text: str) -> str:
    """argparse type: the root normalised; a malformed one is a usage error (exit 2)."""
    try:
        return normalise_root(text)
    except InvalidCommand as exc:
        raise argparse.ArgumentTypeError("; ".join(p.message for p in exc.problems)) from None


def _print_report(report: VerifyReport, what: str) -> int:
    for b in report.breaks:
        print(f"BROKEN  {b}")
    state = "intact" if report.intact else f"{len(report.breaks)} broken link(s)"
    print(
        f"{what}: {report.events} events in {report.dossiers} dossiers, "
        f"{report.checkpoints} checkpoint(s): {state}"
    )
    return 0 if report.intact else 1


def run(args: argparse.Namespace, key: bytes | None) -> int:
    """Run an audit action; returns the exit status."""
    if args.audit_command == "verify" and args.from_export is not None:
        report = verify_export(args.from_export, key, published_root=args.published_root)
        return _print_report(report, str(args.from_export))
    with Engine.open(args.db, hmac_key=key) as engine:
        engine.check_schema()
        if args.audit_command in _LONG:
            # A bar on a terminal while the whole store is read; nothing when piped.
            with progress(f"audit {args.audit_command}", "sự kiện") as shown:
                return _LONG[args.audit_command](Auditor(engine, key, progress=shown), args)
        auditor = Auditor(engine, key)
        if args.audit_command == "checkpoint":
            cp = auditor.checkpoint()
            print(
                f"checkpoint {cp.id}: {cp.dossier_count} chains, {cp.event_count} events, "
                f"root {cp.root}{' (HMAC)' if cp.keyed else ''}"
            )
            return 0
        return _history(auditor, args)


def _verify(auditor: Auditor, args: argparse.Namespace) -> int:
    report = auditor.verify(
        args.dossier, published_root=args.published_root, derived=not args.chains_only
    )
    return _print_report(report, "database")


def _replay(auditor: Auditor, args: argparse.Namespace) -> int:
    result = auditor.replay(args.dossier)
    for m in result.mismatches:
        print(f"DIFFERS {m}")
    print(
        f"replayed {result.events} events into {result.dossiers} dossiers, "
        f"rechecked {result.scores_checked} scores: "
        + ("all equal" if result.intact else f"{len(result.mismatches)} difference(s)")
    )
    return 0 if result.intact else 1


def _export(auditor: Auditor, args: argparse.Namespace) -> int:
    out = args.out.open("w", encoding="utf-8", newline="") if args.out else sys.stdout
    try:
        count = auditor.export(out, args.format)
    finally:
        if args.out:
            out.close()
    print(f"exported {count} events", file=sys.stderr)
    return 0


#: The actions that read the whole store, with a progress bar on a terminal.
_LONG: dict[str, Callable[[Auditor, argparse.Namespace], int]] = {
    "verify": _verify,
    "replay": _replay,
    "export": _export,
}


def _history(auditor: Auditor, args: argparse.Namespace) -> int:
    dossier, events = auditor.history(args.id, as_of=args.as_of, known_at=args.known_at)
    if args.format == "json":
        doc = {
            "dossier": dossier.model_dump(mode="json"),
            "events": [e.model_dump(mode="json") for e in events],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    print(f"{dossier.product_name} — {dossier.producer_name} ({dossier.profile_id})")
    print(
        f"Trạng thái: {dossier.state.label_vi} ({dossier.state.value}), phiên bản {dossier.version}"
    )
    print_table(
        ["#", "Thời điểm", "Ghi nhận", "Sự kiện", "Người thực hiện", "Bộ quy tắc", "Quyết định"],
        (
            [
                e.seq,
                f"{e.occurred_at:%d/%m/%Y %H:%M}",
                f"{e.recorded_at:%d/%m/%Y}",
                EVENT_LABELS_VI.get(e.type, e.type),
                f"{e.actor.role.label_vi} [{e.actor.jurisdiction}]",
                e.profile_id,
                getattr(e.payload, "decision_number", None),
            ]
            for e in events
        ),
    )
    return 0
