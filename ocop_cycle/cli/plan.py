"""CLI: ``import-plan FILE`` — a district plan's Biểu 1 into dossiers, all rows or none."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from ocop_cycle.engine import Engine
from ocop_cycle.plan.importer import ImportSettings, import_plan, read_plan_csv

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Add ``import-plan`` to the top-level subparsers."""
    p = sub.add_parser(
        "import-plan",
        help="import a plan's Biểu 1 (CSV in UTF-8, or .xlsx): every row checked first; "
        "re-importing is a no-op",
    )
    p.add_argument("file", type=Path)
    p.add_argument(
        "--registered-on",
        type=date.fromisoformat,
        default=ImportSettings().registered_on,
        help="registration date of the plan's dossiers (default %(default)s)",
    )


def run(args: argparse.Namespace, key: bytes | None) -> int:
    """Validate, then import; exit 1 listing every bad row when any is bad."""
    entries, problems = read_plan_csv(args.file)
    if problems:
        for problem in problems:
            print(f"{args.file}: {problem}")
        print(f"{len(problems)} bad row(s): nothing imported")
        return 1
    with Engine.open(args.db, hmac_key=key) as engine:
        engine.check_schema()
        report = import_plan(engine, entries, ImportSettings(registered_on=args.registered_on))
    done = f"{report.registered} dossiers, {report.histories} earlier certificates"
    print(f"{len(entries)} rows: {done}")
    return 0
