"""CLI: ``demo`` — the Lạng Giang 2024 plan played from 2024 to 2027, then its report and an
audit verify. Deterministic: the same seed gives the same numbers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ocop_cycle._storage.database import sqlite_path
from ocop_cycle._storage.reports import ReportQueries
from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.cli.report import FORMATS, print_report
from ocop_cycle.clock import SettableClock
from ocop_cycle.demo.listing import DemoDossier, demo_dossiers
from ocop_cycle.demo.runner import DEMO_START, run_demo
from ocop_cycle.engine import Engine
from ocop_cycle.errors import FieldProblem, InvalidCommand
from ocop_cycle.plan.progress import plan_progress
from ocop_cycle.testing import seeded_ids

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Add ``demo`` to the top-level subparsers."""
    p = sub.add_parser(
        "demo",
        help="play the Lạng Giang 2024 plan from March 2024 to the end of 2027 on a simulated "
        "clock, then print the plan report and verify the audit chains",
        description="Creates the schema, imports the shipped plan, then runs 2024 → 2027 "
        "through the scheduler's sweep on a simulated clock: commune verification, both "
        "rounds with council sessions, certifications and support, renewal notices, an "
        "inspection that ends in revocation, expiry. The database must be empty "
        "(or use --reset on a SQLite file).",
    )
    p.add_argument("--seed", type=int, default=2024, help="scenario seed (default %(default)s)")
    p.add_argument(
        "--reset",
        action="store_true",
        help="delete the SQLite database file first (refused for other databases)",
    )
    p.add_argument("--format", choices=FORMATS, default="table", help="report format")
    p.add_argument("--output", type=Path, help="write the report to this file")


def _print_listing(listing: list[DemoDossier], console: Console) -> None:
    """Each dossier the demo played: profile, product code, state at the end."""
    table = Table(title="Hồ sơ trong demo (cuối 2027)", title_justify="left")
    for heading in ("Mã dòng", "Sản phẩm", "Bộ quy định", "Mã sản phẩm", "Trạng thái", "Sao"):
        table.add_column(heading)
    table.add_column("Hiệu lực đến")
    for d in listing:
        table.add_row(
            d.ref,
            d.product,
            d.profile_id,
            d.product_code or "—",
            d.state.label_vi,
            f"{d.stars}★" if d.stars else "",
            f"{d.valid_until:%d/%m/%Y}" if d.valid_until else "",
        )
    console.print(table)


def _reset(url: str) -> None:
    path = sqlite_path(url)
    if path is None:
        raise InvalidCommand(
            "demo", [FieldProblem("--reset", "only a SQLite database file can be reset")]
        )
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run(args: argparse.Namespace, key: bytes | None) -> int:
    """Run the demo; exit 0 when it ran and every chain verifies."""
    if args.reset:
        _reset(args.db)
    err = Console(stderr=True)
    clock = SettableClock(DEMO_START)
    # Ids from the seed: the same seed gives the same dossiers, hashes and checkpoint root.
    ids = seeded_ids(args.seed)
    with Engine.open(args.db, clock=clock, hmac_key=key, ids=ids) as engine:
        engine.upgrade()
        # Seam: the Engine will expose its ReportQueries as an attribute; built here until then.
        held = ReportQueries(engine.sa_engine).dossier_count()
        if held:
            raise InvalidCommand(
                "demo",
                [FieldProblem("--db", f"the database already holds {held} dossiers; use --reset")],
            )
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[deadlines]} thời hạn"),
            TextColumn("{task.fields[day]}"),
            TimeElapsedColumn(),
        )
        # A bar on a terminal only: piped output stays clean.
        with Progress(*columns, console=err, disable=not err.is_terminal) as bar:
            task = bar.add_task("Kế hoạch OCOP 2024", total=None, day="", deadlines=0)
            settled = 0

            def deadline(_: str) -> None:
                nonlocal settled
                settled += 1
                bar.update(task, deadlines=settled)

            def step(label: str) -> None:
                bar.update(task, advance=1, day=f"{clock.now():%d/%m/%Y} {label}")

            def start(total: int) -> None:
                bar.update(task, total=total)

            result = run_demo(
                engine, seed=args.seed, on_start=start, on_step=step, on_deadline=deadline
            )
        progress = plan_progress(engine)
        listing = demo_dossiers(engine, result.dossiers)
        verified = Auditor(engine, key).verify()
    print_report(progress, args.format, args.output)
    # The listing goes with the summary: on stdout under a table, else on stderr, so a JSON or
    # CSV report on stdout stays one document.
    _print_listing(listing, Console(stderr=args.format != "table", width=160))
    kinds = ", ".join(f"{k} {v}" for k, v in result.deadline_kinds.items())
    print(
        f"Demo seed {args.seed}: {result.steps} steps by people; the scheduler settled "
        f"{result.deadlines} deadlines, acting on {sum(result.deadline_kinds.values())} "
        f"({kinds}).",
        file=sys.stderr if args.format != "table" else sys.stdout,
    )
    status = "intact" if verified.intact else f"{len(verified.breaks)} break(s)"
    print(
        f"Audit verify: {verified.events} events in {verified.dossiers} dossiers, {status}.",
        file=sys.stderr if args.format != "table" else sys.stdout,
    )
    return 0 if verified.intact else 1
