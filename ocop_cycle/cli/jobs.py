"""CLI commands for operators: the scheduler, deadlines, the outbox."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ocop_cycle._storage.listing import ListCounts
from ocop_cycle.cli.options import (
    add_limit_options,
    end_of,
    identifier,
    instant,
    name,
    positive_int,
    seconds,
)
from ocop_cycle.cli.output import cut_line, print_table, rows_to_fetch
from ocop_cycle.clock import SettableClock
from ocop_cycle.engine import Engine

if TYPE_CHECKING:
    from ocop_cycle.jobs.sweep import Applied

__all__ = ["COMMANDS", "add_parsers", "run"]

COMMANDS = {"scheduler", "deadlines", "outbox"}


def add_parsers(sub: Any) -> None:
    """Add the operator commands to the top-level subparsers."""
    sched = sub.add_parser(
        "scheduler",
        help="run the deadline scheduler",
        description="Apply due deadlines (supplement, council reminders, round deadlines, renewal "
        "notices, expiry, inspections): each exactly once, even with several schedulers.",
    )
    s_sub = sched.add_subparsers(dest="scheduler_command", required=True, metavar="ACTION")
    run_p = s_sub.add_parser("run", help="sweep on an interval until SIGTERM/SIGINT")
    run_p.add_argument("--once", action="store_true", help="sweep once, then exit")
    run_p.add_argument(
        "--interval", type=seconds, help="seconds between sweeps, at most a day (60)"
    )
    run_p.add_argument(
        "--name", type=identifier, default="default", help="scheduler name (in its log lines)"
    )
    run_p.add_argument(
        "--simulated",
        action="store_true",
        help="simulated clock: move from --from to --until applying what falls due, no sleeping",
    )
    run_p.add_argument(
        "--from",
        dest="start",
        type=instant,
        help="simulation start (ISO date or instant, Asia/Ho_Chi_Minh unless it names a zone)",
    )
    run_p.add_argument(
        "--until",
        type=end_of,
        help="simulation end (ISO; a date alone means the end of that day: what falls due on "
        "it is applied)",
    )
    retry_p = s_sub.add_parser(
        "retry",
        help="put deadlines that failed back in the queue",
        description="A deadline whose application failed with an unexpected error is set aside "
        "as failed (listed by `deadlines --failed`, with the error) so that it stops nothing "
        "else. Once the cause is fixed, put it back: the next sweep applies it, late and in due "
        "order. Exits 1 if an id is not a failed deadline.",
    )
    retry_p.add_argument("ids", nargs="+", type=positive_int, metavar="DEADLINE_ID")

    dl = sub.add_parser("deadlines", help="list pending deadlines in due order")
    dl.add_argument("--due-before", type=instant, help="only those due before this (ISO)")
    dl.add_argument(
        "--failed",
        action="store_true",
        help="list the deadlines whose application failed, with the error, instead "
        "(put them back with `scheduler retry`)",
    )
    add_limit_options(dl, 1000)
    dl.add_argument("--format", choices=["table", "json"], default="table")

    ob = sub.add_parser("outbox", help="notifications for hosts to deliver")
    o_sub = ob.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    o_list = o_sub.add_parser(
        "list", help="undelivered notifications (--all: every one, delivered too, no limit)"
    )
    o_list.add_argument(
        "--all", action="store_true", help="every notification, acknowledged too; no limit"
    )
    o_list.add_argument(
        "--consumer", help="one consumer's view: what it has not acknowledged, with its lease"
    )
    o_list.add_argument(
        "--limit", type=positive_int, default=100, help="show at most this many (100)"
    )
    o_list.add_argument("--format", choices=["table", "json"], default="table")
    o_claim = o_sub.add_parser("claim", help="lease notifications to a consumer (JSON lines)")
    o_claim.add_argument("--consumer", type=name, required=True)
    o_claim.add_argument("--limit", type=positive_int, default=100)
    o_claim.add_argument(
        "--lease", type=seconds, default=300.0, help="seconds, at most a day (300)"
    )
    o_ack = o_sub.add_parser("ack", help="acknowledge delivered notifications")
    o_ack.add_argument(
        "--consumer", type=name, required=True, help="the consumer that delivered them"
    )
    o_ack.add_argument("ids", nargs="+", type=UUID, metavar="NOTIFICATION_ID")


def usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with how the options of an operator command go together, if anything
    (bad usage: the CLI exits 2)."""
    if args.command != "scheduler" or args.scheduler_command != "run":
        return None
    if args.simulated:
        for given, option in ((args.once, "--once"), (args.interval is not None, "--interval")):
            if given:
                return f"scheduler run --simulated: {option} means nothing to a simulation"
        if args.start is None or args.until is None:
            return "scheduler run --simulated: --from and --until are both needed"
        if args.until < args.start:
            return "scheduler run --simulated: --until is before --from"
    elif args.start is not None or args.until is not None:
        return "scheduler run: --from and --until set a simulation: add --simulated"
    return None


def run(args: argparse.Namespace, key: bytes | None = None) -> int:
    """Run an operator command (``key``: the HMAC key of a keyed store); returns the status."""
    if args.command == "scheduler":
        return _scheduler(args, key)
    with Engine.open(args.db, hmac_key=key) as engine:
        engine.check_schema()
        if args.command == "deadlines":
            return _deadlines(engine, args)
        return _outbox(engine, args)


def _scheduler(args: argparse.Namespace, key: bytes | None) -> int:
    from ocop_cycle.jobs.scheduler import CycleScheduler
    from ocop_cycle.jobs.simulation import run_until
    from ocop_cycle.jobs.sweep import Sweeper

    if args.scheduler_command == "retry":
        with Engine.open(args.db, hmac_key=key) as engine:
            engine.check_schema()
            put_back = Sweeper(engine).retry(args.ids)
        print(f"{len(put_back)} deadlines back in the queue")
        missing = sorted(set(args.ids) - set(put_back))
        if missing:
            listed = ", ".join(map(str, missing))
            print(f"not failed deadlines, left as they are: {listed}", file=sys.stderr)
            return 1
        return 0
    if args.simulated:
        with Engine.open(args.db, clock=SettableClock(args.start), hmac_key=key) as engine:
            engine.check_schema()
            settled = run_until(engine, args.until)
        failed = [a for a in settled if a.status == "failed"]
        print(
            f"simulated {args.start.isoformat()} → {args.until.isoformat()}: "
            f"{len(settled) - len(failed)} deadlines settled"
        )
        return _failures(failed)
    with Engine.open(args.db, hmac_key=key) as engine:
        engine.check_schema()
        if args.once:
            report = Sweeper(engine).sweep()
            print(f"{report.count} deadlines settled")
            return _failures(report.failed)
        interval = 60.0 if args.interval is None else args.interval
        CycleScheduler(engine, interval=interval, name=args.name).run_forever()
    return 0


def _failures(failed: Sequence[Applied]) -> int:
    """Tell which deadlines failed to apply (on stderr); the exit status: 1 if any did."""
    for a in failed:
        print(
            f"deadline {a.deadline_id} ({a.kind}, dossier {a.dossier_id}) {a.outcome}",
            file=sys.stderr,
        )
    if failed:
        print(
            f"{len(failed)} deadlines failed and were set aside: `deadlines --failed` lists "
            "them, `scheduler retry ID…` puts them back once the cause is fixed",
            file=sys.stderr,
        )
    return 1 if failed else 0


def _deadlines(engine: Engine, args: argparse.Namespace) -> int:
    """Pending deadlines in due order, or (``--failed``) those set aside, with their errors."""
    from ocop_cycle.jobs.sweep import Sweeper

    status = "failed" if args.failed else "pending"
    total = ListCounts(engine.sa_engine).pending_deadlines(args.due_before, status=status)
    limit = rows_to_fetch(args.limit, args.all, total)
    sweeper = Sweeper(engine)
    listed = sweeper.failed if args.failed else sweeper.pending
    rows = listed(due_before=args.due_before, limit=limit) if limit else []
    line = cut_line(len(rows), max(total, len(rows)), status)
    if args.format == "json":
        for r in rows:
            print(r.model_dump_json())
        if len(rows) < total:
            print(line, file=sys.stderr)
        return 0
    header = ["Hạn (Asia/Ho_Chi_Minh)", "Loại", "Hồ sơ"]
    if args.failed:
        print_table(
            ["Mã", *header, "Lỗi"],
            ([r.id, f"{r.due_at:%Y-%m-%d %H:%M}", r.kind, r.dossier_id, r.outcome] for r in rows),
        )
    else:
        print_table(header, ([f"{r.due_at:%Y-%m-%d %H:%M}", r.kind, r.dossier_id] for r in rows))
    print(line)
    return 0


def _outbox(engine: Engine, args: argparse.Namespace) -> int:
    if args.outbox_command == "ack":
        done = engine.ack_notifications(args.ids, consumer=args.consumer)
        print(f"{done} acknowledged")
        return 0
    if args.outbox_command == "claim":
        for n in engine.claim_notifications(
            args.consumer, limit=args.limit, lease=timedelta(seconds=args.lease)
        ):
            print(n.model_dump_json())
        return 0
    total = ListCounts(engine.sa_engine).notifications(
        consumer=args.consumer, include_acked=args.all
    )
    limit = rows_to_fetch(args.limit, args.all, total)
    rows = (
        engine.notifications(consumer=args.consumer, include_acked=args.all, limit=limit)
        if limit
        else []
    )
    line = cut_line(len(rows), max(total, len(rows)), "notifications")
    if args.format == "json":
        print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2))
        if len(rows) < total:
            print(line, file=sys.stderr)
        return 0
    # Delivered or not is a consumer's matter: shown for the consumer asked about.
    print_table(
        ["Mã thông báo", "Loại", "Người nhận", "Tình trạng", "Nội dung"],
        (
            [
                r.notification_id,
                r.kind,
                f"{r.recipient_role}@{r.recipient_jurisdiction}",
                None if args.consumer is None else "đã nhận" if r.acked_at else "chờ gửi",
                r.message_vi,
            ]
            for r in rows
        ),
    )
    print(line)
    return 0
