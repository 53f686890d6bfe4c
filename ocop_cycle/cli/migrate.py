"""CLI: ``migrate --from P --to Q --effective DATE [--unit CODE] [--dry-run]`` -- carry the
dossiers still in evaluation under one rule profile over to its successor (the 2025 reform:
qd148-2023 -> qd1489-2025)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from ocop_cycle.cli.output import progress
from ocop_cycle.engine import Engine
from ocop_cycle.errors import InvalidCommand
from ocop_cycle.rules.authority import CENTRAL, Actor, Role
from ocop_cycle.workflows.migration import MigrationItem, migration_actor

__all__ = ["add_parser", "run"]

_DESCRIPTION = """\
Carry the dossiers still in evaluation under --from over to --to, as the newer profile's data
says (its migration_from section: where each state continues, what no longer holds, the legal
basis, who may do it). Each dossier gets one profile_migrated event, hashed into its chain, in
a transaction of its own. Dossiers holding a certificate (or whose certificate lapsed) and
finished ones keep their profile. A dossier no mapping carries over is listed with the reason
and left as it is.

Prints one line per dossier (id, product, from state -> to state, or why not), then a summary
with the counts. Running it again changes nothing and says so; two runs at once carry each
dossier over once; an interrupted run is finished by running it again.
"""

_EPILOG = """\
examples:
  ocop-cycle migrate --from qd148-2023 --to qd1489-2025 --effective 2025-07-06 --dry-run
  ocop-cycle migrate --from qd148-2023 --to qd1489-2025 --effective 2025-07-06 --unit 217
  ocop-cycle migrate --from qd148-2023 --to qd1489-2025 --effective 2025-07-06 \\
      --actor province_office@24

exit status: 0 done (dossiers left behind are listed, not an error), 1 an error (one line on
stderr: unknown profile, no migration defined, effective date refused, database), 2 bad usage.
"""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def _unit(text: str) -> str:
    if not (text.isdigit() and len(text) in {2, 3, 5}):
        raise argparse.ArgumentTypeError(
            f"not a unit code: {text!r} (province: 2 digits, district: 3, commune: 5)"
        )
    return text


def _actor(text: str) -> Actor:
    role, _, code = text.partition("@")
    if role == Role.SYSTEM.value and code in {"", CENTRAL}:
        return migration_actor()
    try:
        return Actor(role=role, jurisdiction=code or CENTRAL)
    except InvalidCommand as exc:
        raise argparse.ArgumentTypeError(f"not an actor {text!r}: {exc}") from None


def add_parser(sub: Any) -> None:
    """Add ``migrate`` to the top-level subparsers."""
    p = sub.add_parser(
        "migrate",
        help="carry open dossiers over to a new rule profile (qd148-2023 → qd1489-2025)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--from",
        dest="from_profile",
        required=True,
        metavar="PROFILE",
        help="the profile the dossiers are under now (e.g. qd148-2023)",
    )
    p.add_argument(
        "--to",
        dest="to_profile",
        required=True,
        metavar="PROFILE",
        help="the profile they continue under (e.g. qd1489-2025)",
    )
    p.add_argument(
        "--effective",
        required=True,
        type=_day,
        metavar="DATE",
        help="the day the change takes legal effect, recorded in each event (ISO date; "
        "2025-07-06 for Decision 1489): not before the profile data's date, not after today",
    )
    p.add_argument(
        "--unit",
        type=_unit,
        metavar="CODE",
        help="only dossiers filed under this commune (5 digits), district (3) or province (2): "
        "a code as registered, or a unit of today, which covers the units it succeeded",
    )
    p.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    p.add_argument(
        "--actor",
        type=_actor,
        metavar="ROLE@CODE",
        help="who carries the dossiers over: a role the profile data allows, acting within "
        "its jurisdiction (e.g. province_office@24); default: the system, for the operator",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only the dossiers left behind and the summary",
    )


def line(item: MigrationItem) -> str:
    """One dossier's line: the same in a dry run and in the run it forecasts."""
    where = f"{item.dossier_id}  «{item.product_name}»  {item.from_state.value}"
    if item.outcome == "migrated":
        assert item.to_state is not None
        return f"{where} → {item.to_state.value}"
    return f"{where}: {item.outcome} ({item.detail})"


def run(args: argparse.Namespace, key: bytes | None) -> int:
    """Migrate (or forecast it); 0 when done, whatever was left behind."""
    with Engine.open(args.db, hmac_key=key) as engine, progress("migrate", "hồ sơ") as shown:
        engine.check_schema()
        report = engine.migrate(
            from_profile=args.from_profile,
            to_profile=args.to_profile,
            effective=args.effective,
            unit=args.unit,
            dry_run=args.dry_run,
            actor=args.actor,
            progress=shown,
        )
    for item in report.items:
        if not (args.quiet and item.outcome == "migrated"):
            print(line(item))
    print(report.summary())
    return 0
