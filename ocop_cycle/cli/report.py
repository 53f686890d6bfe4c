"""CLI: ``report plan --year Y [--unit CODE]`` — a plan's targets against what the store shows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from ocop_cycle.cli.options import year
from ocop_cycle.clock import SettableClock
from ocop_cycle.engine import Engine
from ocop_cycle.errors import FieldProblem, InvalidCommand
from ocop_cycle.plan.model import Plan, lang_giang_2024_plan
from ocop_cycle.plan.progress import PlanProgress, plan_progress
from ocop_cycle.plan.render import render_csv, render_json, render_table
from ocop_cycle.plan.stored import stored_plan, stored_units
from ocop_cycle.plan.workbook import write_xlsx

__all__ = ["add_parser", "as_of_store", "print_report", "run", "usage_problem"]

FORMATS = ["table", "json", "csv", "xlsx"]


def add_parser(sub: Any) -> None:
    """Add ``report plan`` to the top-level subparsers."""
    report = sub.add_parser("report", help="reports on plans")
    r_sub = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    plan = r_sub.add_parser(
        "plan",
        help="a year's plan: targets against actual, per round, commune and product group, "
        "open dossiers with their next deadline, support",
    )
    plan.add_argument("--year", type=year, default=2024, help="plan year (default %(default)s)")
    plan.add_argument(
        "--unit",
        help="the issuing district's or province's code (default: the year's only imported "
        "plan, else the shipped Lạng Giang plan for 2024)",
    )
    plan.add_argument("--format", choices=FORMATS, default="table")
    plan.add_argument(
        "--output", type=Path, help="write to this file (required for xlsx; default stdout)"
    )


def _plan_for(engine: Engine, year: int, unit: str | None) -> Plan:
    """The stored plan of ``unit`` for ``year``; without ``unit``, the year's only one; the
    shipped Lạng Giang 2024 plan when the store has none of its own."""
    shipped = lang_giang_2024_plan()
    if unit is None:
        units = stored_units(engine, year)
        if len(units) > 1:
            raise InvalidCommand(
                "report plan",
                [FieldProblem("--unit", f"{year} has plans of {', '.join(units)}: name one")],
            )
        unit = units[0] if units else shipped.unit_code
    found = stored_plan(engine, year, unit)
    if found is not None:
        return found
    if (year, unit) == (shipped.year, shipped.unit_code):
        return shipped
    imported = ", ".join(stored_units(engine, year)) or "none"
    raise InvalidCommand(
        "report plan",
        [
            FieldProblem(
                "--year" if unit == shipped.unit_code else "--unit",
                f"no plan for {year} of unit {unit} (imported for {year}: {imported}); "
                "import one with import-plan",
            )
        ],
    )


def as_of_store(engine: Engine) -> Engine:
    """``engine``, or, on a store a simulated clock drove (the demo), a view of it whose clock
    stands where that clock stopped: its report is as of the simulated end, not today."""
    simulated = engine.simulated_until()
    if simulated is None:
        return engine
    return Engine(engine.sa_engine, clock=SettableClock(simulated), rules=engine.rules)


def usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with how ``report``'s options go together (bad usage: the CLI exits 2)."""
    plan = args.command == "report" and args.report_command == "plan"
    if plan and args.format == "xlsx" and args.output is None:
        return "report plan --format xlsx: --output FILE is needed (a workbook is a file)"
    return None


def print_report(progress: PlanProgress, fmt: str, output: Path | None) -> None:
    """Write the report in ``fmt`` to ``output`` (stdout when None)."""
    if fmt == "xlsx":
        if output is None:
            raise InvalidCommand(
                "report plan", [FieldProblem("--output", "required with --format xlsx")]
            )
        write_xlsx(progress, output)
        return
    if fmt == "table":
        if output is None:
            render_table(progress, Console())
            return
        with output.open("w", encoding="utf-8") as fh:
            render_table(progress, Console(file=fh, width=160))
        return
    text = render_json(progress) + "\n" if fmt == "json" else render_csv(progress)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def run(args: argparse.Namespace, key: bytes | None) -> int:
    """Compute and print the report."""
    with Engine.open(args.db, hmac_key=key) as engine:
        engine.check_schema()
        progress = plan_progress(as_of_store(engine), _plan_for(engine, args.year, args.unit))
    print_report(progress, args.format, args.output)
    return 0
