"""The ``ocop-cycle`` command: thin — it parses, calls the library, prints.

Exit status: 0 success, 1 an ocop-cycle error (message on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import structlog

from ocop_cycle import __version__
from ocop_cycle._storage.database import DEFAULT_URL, safe_url, sqlite_path
from ocop_cycle._storage.listing import ListCounts
from ocop_cycle._storage.reports import ReportQueries
from ocop_cycle.cli import audit as audit_cli
from ocop_cycle.cli import demo as demo_cli
from ocop_cycle.cli import jobs as jobs_cli
from ocop_cycle.cli import migrate as migrate_cli
from ocop_cycle.cli import plan as plan_cli
from ocop_cycle.cli import report as report_cli
from ocop_cycle.cli import units as units_cli
from ocop_cycle.cli.options import add_limit_options
from ocop_cycle.cli.output import cut_line, print_table, rows_to_fetch
from ocop_cycle.clock import SystemClock, to_vn
from ocop_cycle.engine import Engine
from ocop_cycle.errors import FieldProblem, InvalidCommand, OcopCycleError, SchemaNotReady
from ocop_cycle.rules.book import default_rule_book
from ocop_cycle.workflows.events import EVENT_LABELS_VI, Event
from ocop_cycle.workflows.jurisdiction import territory
from ocop_cycle.workflows.model import Dossier
from ocop_cycle.workflows.states import DossierState

__all__ = ["build_parser", "main"]

_FIELDS_VI = [
    ("id", "Mã hồ sơ"),
    ("product_code", "Mã sản phẩm OCOP"),
    ("state", "Trạng thái"),
    ("kind", "Loại"),
    ("profile_id", "Bộ quy tắc"),
    ("producer_name", "Chủ thể"),
    ("product_name", "Sản phẩm"),
    ("product_set", "Bộ sản phẩm"),
    ("commune_code", "Mã xã"),
    ("district_code", "Mã huyện"),
    ("province_code", "Mã tỉnh"),
    ("score", "Điểm"),
    ("stars", "Hạng sao (chấm)"),
    ("certified_stars", "Hạng sao công nhận"),
    ("decision_number", "Số quyết định"),
    ("certified_on", "Ngày công nhận"),
    ("valid_until", "Hiệu lực đến"),
    ("predecessor_id", "Hồ sơ trước"),
    ("successor_id", "Hồ sơ thay thế"),
    ("version", "Phiên bản"),
]


def configure_logging(verbosity: int, *, base: int = logging.WARNING, fmt: str = "auto") -> None:
    """Log lines on stderr: ``console`` (for people), ``json`` (one object a line, for
    collectors); ``auto`` picks console on a terminal, JSON otherwise."""
    level = max(logging.DEBUG, base - 10 * verbosity)
    console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if console
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Resolve sys.stderr per logger, not once: an embedding host may swap it.
        logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="ocop-cycle",
        description=(
            "Workflow engine for Vietnam's OCOP programme (Chương trình Mỗi xã một sản phẩm): "
            "dossiers, councils, certificates and their deadlines, with an audit trail."
        ),
    )
    parser.add_argument(
        "--db",
        default=os.environ.get("OCOP_DATABASE_URL", DEFAULT_URL),
        help="database URL (default: $OCOP_DATABASE_URL or %(default)s)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument(
        "--log-format",
        choices=["auto", "console", "json"],
        default="auto",
        help="log lines on stderr: console, json, or auto (console on a terminal; default)",
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        default=os.environ.get("OCOP_HMAC_KEY_FILE"),
        help="HMAC key for keyed hash chains (default: $OCOP_HMAC_KEY_FILE; never stored in "
        "the database)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo_cli.add_parser(sub)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="create or migrate the ocop-cycle tables")
    db_sub.add_parser("current", help="print the schema revision")

    diagram = sub.add_parser(
        "diagram", help="print the dossier workflow as a Mermaid stateDiagram-v2"
    )
    diagram.add_argument(
        "--profile",
        help="rule profile (qd1048-2019, qd148-2023, qd1489-2025, qd26-2026); default: in "
        "force today",
    )

    jobs_cli.add_parsers(sub)
    audit_cli.add_parser(sub)
    plan_cli.add_parser(sub)
    report_cli.add_parser(sub)
    units_cli.add_parser(sub)
    migrate_cli.add_parser(sub)

    dossier = sub.add_parser("dossier", help="look at dossiers")
    d_sub = dossier.add_subparsers(dest="dossier_command", required=True, metavar="ACTION")
    show = d_sub.add_parser("show", help="a dossier and its history")
    show.add_argument("id", type=UUID, help="dossier id")
    show.add_argument("--format", choices=["table", "json"], default="table")
    listing = d_sub.add_parser(
        "list",
        help="dossiers, newest first: in a state, or within a unit as it is today (with those "
        "filed under the units it succeeded)",
    )
    listing.add_argument("--unit", help='a unit code of today: "24" (tỉnh Bắc Ninh), "07375"')
    listing.add_argument(
        "--state", choices=[s.value for s in DossierState if s is not DossierState.NEW]
    )
    add_limit_options(listing, 100)
    for leaf in _leaves(parser):
        # `ocop-cycle demo --db URL` reads as naturally as `ocop-cycle --db URL demo`.
        if "--db" not in leaf._option_string_actions:
            leaf.add_argument(
                "--db",
                default=argparse.SUPPRESS,
                help=f"database URL (default: $OCOP_DATABASE_URL or {DEFAULT_URL}); may also "
                "come before the command",
            )
    return parser


def _leaves(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers that parse a command's own arguments (no further subcommand)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [parser]
    return [leaf for a in subs for child in a.choices.values() for leaf in _leaves(child)]


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


def _print_dossier(dossier: Dossier, events: Sequence[Event]) -> None:
    width = max(len(label) for _, label in _FIELDS_VI)
    for name, label in _FIELDS_VI:
        value = getattr(dossier, name)
        if name == "state":
            print(f"{label:<{width}}  {dossier.state.value} — {dossier.state.label_vi}")
        else:
            print(f"{label:<{width}}  {_plain(value)}")
    print()
    print("Lịch sử / history")
    print_table(
        ["#", "Thời điểm", "Sự kiện", "Loại", "Người thực hiện"],
        (
            [
                e.seq,
                f"{e.occurred_at:%d/%m/%Y %H:%M}",
                EVENT_LABELS_VI.get(e.type, e.type),
                e.type,
                e.actor,
            ]
            for e in events
        ),
    )


def _run(args: argparse.Namespace) -> int:
    if args.command == "diagram":
        book = default_rule_book()
        profile = (
            book.profile(args.profile)
            if args.profile
            else book.profile_in_force(SystemClock().now().date())
        )
        from ocop_cycle.workflows.machine import DossierMachine

        sys.stdout.write(DossierMachine(profile).mermaid())
        return 0
    if args.command == "demo":
        return demo_cli.run(args, _key(args.key_file))
    if args.command == "report":
        return report_cli.run(args, _key(args.key_file))
    if args.command == "import-plan":
        return plan_cli.run(args, _key(args.key_file))
    if args.command == "units":
        return units_cli.run(args)
    if args.command == "migrate":
        return migrate_cli.run(args, _key(args.key_file))
    if args.command == "audit":
        return audit_cli.run(args, _key(args.key_file))
    if args.command in jobs_cli.COMMANDS:
        return jobs_cli.run(args, _key(args.key_file))
    with Engine.open(args.db) as engine:
        if args.command == "db":
            # Seam: the Engine will expose its ReportQueries as an attribute; built here until then.
            queries = ReportQueries(engine.sa_engine)
            if args.db_command == "upgrade":
                before = engine.upgrade()
                now = queries.schema_revision()
                done = (
                    f"schema created at {now}"
                    if before is None
                    else f"schema already at {now}"
                    if before == now
                    else f"schema upgraded from {before} to {now}"
                )
                print(f"{done} in {safe_url(args.db)}")
            else:
                print(queries.schema_revision() or "none")
            return 0
        engine.check_schema()
        if args.dossier_command == "list":
            return _list_dossiers(engine, args)
        dossier = engine.get(args.id)
        events = engine.history(args.id)
        if args.format == "json":
            doc = {
                "dossier": dossier.model_dump(mode="json"),
                "events": [e.model_dump(mode="json") for e in events],
            }
            print(json.dumps(doc, ensure_ascii=False, indent=2))
        else:
            _print_dossier(dossier, events)
        return 0


def _list_dossiers(engine: Engine, args: argparse.Namespace) -> int:
    state = DossierState(args.state) if args.state else None
    codes = None
    if args.unit is not None:
        codes = territory(engine.rules.units, args.unit, to_vn(engine.clock.now()).date())
    total = ListCounts(engine.sa_engine).dossiers(args.state, codes)
    limit = rows_to_fetch(args.limit, args.all, total)
    found = engine.dossiers(state=state, unit=args.unit, limit=limit) if limit else []
    print_table(
        ["Mã hồ sơ", "Mã sản phẩm", "Trạng thái", "Xã/huyện/tỉnh", "Sản phẩm — chủ thể"],
        (
            [
                d.id,
                d.product_code,
                d.state.value,
                f"{d.commune_code or '—'}/{d.district_code or '—'}/{d.province_code}",
                f"{d.product_name} — {d.producer_name}",
            ]
            for d in found
        ),
    )
    print(cut_line(len(found), max(total, len(found)), "dossiers"))
    return 0


def _key(path: Path | None) -> bytes | None:
    """The HMAC key: from the file named, else $OCOP_HMAC_KEY, else none."""
    if path is not None:
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise InvalidCommand("--key-file", [FieldProblem("--key-file", str(exc))]) from None
        if not key:
            # An empty key would hash every chain "with a key" no one holds.
            problem = FieldProblem("--key-file", f"{path} is empty: it holds no key")
            raise InvalidCommand("--key-file", [problem])
        return key
    # Used as given (not trimmed): stores keyed through it by earlier versions keep their key.
    value = os.environ.get("OCOP_HMAC_KEY")
    return value.encode("utf-8") if value else None


#: Commands that may create the database they are pointed at; every other one needs it.
_CREATING = {("db", "upgrade"), ("demo", None)}
#: Commands that never open the database.
_OFFLINE = {"diagram", "units"}


def _database_needed(args: argparse.Namespace) -> bool:
    if args.command in _OFFLINE:
        return False
    return not (args.command == "audit" and getattr(args, "from_export", None) is not None)


def _refuse_missing_sqlite(args: argparse.Namespace) -> None:
    """A command that only reads or adds to an existing store never creates an empty SQLite
    file where none was (a mistyped path would otherwise leave one behind)."""
    if not _database_needed(args):
        return
    action = getattr(args, f"{args.command.replace('-', '_')}_command", None)
    if (args.command, action) in _CREATING:
        return
    path = sqlite_path(args.db)
    if path is not None and not path.exists():
        raise SchemaNotReady(
            f"no database at {path}: run `ocop-cycle --db {args.db} db upgrade` to create one"
        )


def _os_error(exc: OSError) -> str:
    """An operating-system error as one line: what failed, on which file."""
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    what = exc.strerror or str(exc) or type(exc).__name__
    return f"{' → '.join(names)}: {what}" if names else what


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    0 success; 1 an operational error (refused command, database unreachable or without the
    schema, file missing or unwritable), one line on stderr, never a traceback (``-vv`` adds
    it for an unexpected error); 2 bad usage (argparse); 130 interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    misuse = (
        jobs_cli.usage_problem(args)
        or audit_cli.usage_problem(args)
        or report_cli.usage_problem(args)
        or plan_cli.usage_problem(args)
    )
    if misuse is not None:
        parser.error(misuse)  # exits 2, as argparse does for its own checks
    daemon = args.command == "scheduler"
    configure_logging(
        args.verbose, base=logging.INFO if daemon else logging.WARNING, fmt=args.log_format
    )
    try:
        _refuse_missing_sqlite(args)
        return _run(args)
    except OcopCycleError as exc:
        print(f"ocop-cycle: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader (`| head`) left: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        print(f"ocop-cycle: {_one_line(_os_error(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ocop-cycle: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # A bug, not the operator's doing: one line still, the traceback only when asked for.
        if args.verbose >= 2:
            traceback.print_exc()
        print(
            f"ocop-cycle: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
            "(-vv shows the traceback)",
            file=sys.stderr,
        )
        return 1


def _one_line(text: str) -> str:
    return " ".join(text.split())
