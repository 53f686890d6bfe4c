"""CLI: ``import-plan FILE`` — a plan's Biểu 1 into a stored plan and dossiers, all rows or none."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from ocop_cycle.cli.options import year
from ocop_cycle.cli.output import progress
from ocop_cycle.clock import SystemClock, to_vn
from ocop_cycle.engine import Engine
from ocop_cycle.errors import ProfileNotFound
from ocop_cycle.plan.importer import ImportSettings, import_plan, read_plan
from ocop_cycle.rules.book import default_rule_book

__all__ = ["add_parser", "run", "usage_problem"]


def add_parser(sub: Any) -> None:
    """Add ``import-plan`` to the top-level subparsers."""
    p = sub.add_parser(
        "import-plan",
        help="import a plan's Biểu 1 as the office publishes it (.xlsx, or CSV in UTF-8, "
        "UTF-16 or Windows-1258), for "
        "any district or province: every row checked first; re-importing is a no-op",
    )
    p.add_argument("file", type=Path)
    p.add_argument(
        "--unit",
        help="the issuing district's or province's code (default: the unit the title names)",
    )
    p.add_argument("--year", type=year, help="the plan's year (default: the title's)")
    p.add_argument(
        "--sheet",
        metavar="NAME",
        help="the workbook's sheet holding Biểu 1 (default: the one visible sheet with its "
        "header; hidden sheets are skipped unless named here)",
    )
    p.add_argument(
        "--bieu2",
        type=Path,
        help="Biểu 2 (support requests) as its own file, when it does not follow Biểu 1",
    )
    p.add_argument(
        "--plan-date",
        type=date.fromisoformat,
        help="the day the plan's places are read on (default: 1 March of the year)",
    )
    p.add_argument(
        "--registered-on",
        type=date.fromisoformat,
        help="registration date of the plan's dossiers (default: 1 March of the year; today "
        "for this year's or a later plan when that day is to come or its rules no longer "
        "register dossiers, Decision 26/2026 Art. 11.2)",
    )


#: An official code's length by tier: 2 digits a province, 3 a district, 5 a commune.
_COMMUNE_CODE_LENGTH = 5


def usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with ``import-plan``'s options before any file is read (bad usage: the
    CLI exits 2): a commune's code for the issuing unit; a registration day that no dossier
    can have -- ahead of today, or before any OCOP rules -- refused once, not on every row."""
    if args.command != "import-plan":
        return None
    unit = args.unit or ""
    if unit.isdigit() and len(unit) == _COMMUNE_CODE_LENGTH:
        return (
            f"import-plan --unit {unit}: a commune's code; a plan is issued by a district "
            "(3 digits) or a province (2 digits)"
        )
    day = args.registered_on
    if day is None:
        return None
    if day > to_vn(SystemClock().now()).date():
        return f"import-plan --registered-on {day:%d/%m/%Y}: a day still to come"
    try:
        default_rule_book().profile_in_force(day)
    except ProfileNotFound:
        return f"import-plan --registered-on {day:%d/%m/%Y}: no OCOP rules were in force then"
    return None


def run(args: argparse.Namespace, key: bytes | None) -> int:
    """Validate, then import; exit 1 listing every problem of every row when any is bad."""
    for path in (args.file, args.bieu2):
        if path is not None:
            # A file that cannot be opened is an operational error, one line from `main`
            # (the OSError names it), not a problem of the plan's rows.
            path.open("rb").close()
    read = read_plan(
        args.file,
        unit=args.unit,
        year=args.year,
        on=args.plan_date,
        bieu2=args.bieu2,
        sheet=args.sheet,
    )
    if read.plan is None:
        for line, notice in read.notices:
            if not line:  # the file as a whole (the sheet read): the problems' lines are its
                print(f"{args.file}: {notice}")
        for problem in read.problems:
            print(f"{args.file}: {problem}")
        print(f"{len(read.problems)} problem(s): nothing imported")
        return 1
    plan = read.plan
    for line, notice in read.notices:
        print(f"{args.file}: line {line}: {notice}" if line else f"{args.file}: {notice}")
    with Engine.open(args.db, hmac_key=key) as engine:
        engine.check_schema()
        settings = ImportSettings(registered_on=args.registered_on)
        with progress("import-plan", "dòng") as shown:
            report = import_plan(
                engine,
                plan,
                settings,
                progress=shown,
                lines=read.lines,
                withdrawn=read.withdrawn,
            )
    if report.problems:
        for problem in report.problems:
            print(f"{args.file}: {problem if problem.line else problem.message}")
        print(f"{len(report.problems)} problem(s): nothing imported")
        return 1
    for line, renamed in report.renamed:
        print(f"{args.file}: line {line}: {renamed}" if line else f"{args.file}: {renamed}")
    for left in report.left:
        print(f"{args.file}: line {left.line}: {left}" if left.line else f"{args.file}: {left}")
    for entry, missing in report.to_complete:
        print(
            f"cần bổ sung trước khi chấm điểm (to be completed before scoring): "
            f"{entry.producer} — {entry.product}: {', '.join(missing)}"
        )
    where = f"{plan.unit_name} ({plan.unit_code}), {plan.year}"
    if report.nothing_new:
        print(f"{where}: already imported — nothing new written ({len(plan.entries)} rows)")
        return 0
    print(
        f"{where}: plan {report.plan}; {len(plan.entries)} rows: {report.registered} dossiers, "
        f"{report.histories} earlier certificates, {len(report.to_complete)} to complete, "
        f"{len(plan.support)} support requests (Biểu 2); {report.written} new writes"
        + (
            f"; {len(report.left)} dossier(s) no longer in the plan, untouched"
            if report.left
            else ""
        )
    )
    return 0
