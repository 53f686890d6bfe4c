"""CLI: ``units show CODE [--on DATE]`` and ``units successors CODE [--on DATE]`` — Vietnam's
administrative units before and after the reform of 01/07/2025, in Vietnamese."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from ocop_cycle.errors import UnitNotFound
from ocop_cycle.rules.units import AdminUnit, UnitRegistry, default_unit_registry

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Add ``units show`` and ``units successors`` to the top-level subparsers."""
    units = sub.add_parser(
        "units", help="administrative units (đơn vị hành chính) before and after 01/07/2025"
    )
    u_sub = units.add_subparsers(dest="units_command", required=True, metavar="ACTION")
    show = u_sub.add_parser(
        "show", help="a unit by its official code: every meaning the code has had, or one date's"
    )
    show.add_argument("code", help="official code: 2 digits (province), 3 (district), 5 (commune)")
    show.add_argument(
        "--on", type=date.fromisoformat, help="only the unit the code named on this day (ISO)"
    )
    successors = u_sub.add_parser(
        "successors", help="the units that took a unit over (several when it was split)"
    )
    successors.add_argument("code", help="official code of the unit")
    successors.add_argument(
        "--on",
        type=date.fromisoformat,
        help="the unit the code named on this day (default: the code's first meaning)",
    )


def run(args: argparse.Namespace) -> int:
    """Print what was asked; an unknown code raises UnitNotFound (exit 1 in ``main``)."""
    registry = default_unit_registry()
    if args.units_command == "show":
        if args.on is not None:
            found = registry.unit(args.code, on=args.on)
            records: Sequence[AdminUnit] = (found,) if found is not None else ()
        else:
            records = registry.records(args.code)
        if not records and registry.records(args.code):
            periods = "; ".join(_period(u) for u in registry.records(args.code))
            print(
                f"ocop-cycle: mã {args.code} không có hiệu lực ngày {args.on:%d/%m/%Y} "
                f"(hiệu lực: {periods}; xem `units successors {args.code}`)",
                file=sys.stderr,
            )
            return 1
        if not records:
            raise UnitNotFound(args.code, args.on)
        for i, unit in enumerate(records):
            if i:
                print()
            _show(registry, unit)
        return 0
    succession = registry.successors(args.code, on=args.on)
    unit = succession.unit
    print(f"{_placed(registry, unit)} — {_period(unit)}")
    if unit.valid_until is None:
        print("Còn hiệu lực: không có đơn vị kế thừa.")
        return 0
    since = (unit.valid_until + timedelta(days=1)).strftime("%d/%m/%Y")
    if succession.ambiguous:
        count = len(succession.successors)
        print(
            f"Từ {since}, bị chia cho {count} đơn vị (không xác định duy nhất; "
            "đơn vị đầu là mặc định của nguồn dữ liệu):"
        )
    else:
        print(f"Từ {since}:")
    for i, successor in enumerate(succession.successors):
        mark = "  [mặc định]" if succession.ambiguous and i == 0 else ""
        print(f"  {_placed(registry, successor)}{mark}")
    return 0


_LABELS = ("Mã", "Tên", "Loại", "Trực thuộc", "Hiệu lực", "Đơn vị kế thừa", "Đơn vị tiền thân")
_WIDTH = max(len(label) for label in _LABELS)


def _show(registry: UnitRegistry, unit: AdminUnit) -> None:
    above = _above(registry, unit)
    rows = [
        ("Mã", unit.code),
        ("Tên", unit.full_name),
        ("Loại", f"{unit.type.label_vi} ({unit.level.label_vi})"),
        ("Trực thuộc", ", ".join(_named(a) for a in above) or "—"),
        ("Hiệu lực", _period(unit)),
    ]
    if unit.valid_until is not None:
        succession = registry.successors(unit.code, on=unit.valid_until)
        text = ", ".join(_named(s) for s in succession.successors) or "—"
        if succession.ambiguous:
            text += " (bị chia: không xác định duy nhất; đơn vị đầu là mặc định)"
        rows.append(("Đơn vị kế thừa", text))
    before = registry.predecessors(unit.code, on=unit.valid_from or unit.valid_until or date.min)
    if before:
        # A new province took over whole districts too: count those rather than list them.
        same = [p for p in before if p.level is unit.level]
        text = ", ".join(_named(p) for p in same)
        others = Counter(p.level.label_vi for p in before if p.level is not unit.level)
        if others:
            text += " (và " + ", ".join(f"{n} đơn vị {lv}" for lv, n in others.items()) + ")"
        rows.append(("Đơn vị tiền thân", text))
    for label, value in rows:
        print(f"{label:<{_WIDTH}}  {value}")


def _named(unit: AdminUnit) -> str:
    return f"{unit.full_name} ({unit.code})"


def _placed(registry: UnitRegistry, unit: AdminUnit) -> str:
    """The unit and the units above it: "Xã Kép (07399), Tỉnh Bắc Ninh (24)"."""
    return ", ".join(_named(u) for u in (unit, *_above(registry, unit)))


def _above(registry: UnitRegistry, unit: AdminUnit) -> list[AdminUnit]:
    """The units containing ``unit`` over its period, nearest first."""
    chain = []
    while (parent := registry.parent(unit)) is not None:
        chain.append(unit := parent)
    return chain


def _period(unit: AdminUnit) -> str:
    start = unit.valid_from.strftime("%d/%m/%Y") if unit.valid_from else None
    end = unit.valid_until.strftime("%d/%m/%Y") if unit.valid_until else None
    if start and end:
        return f"từ {start} đến {end}"
    if end:
        return f"đến {end}"
    return f"từ {start}" if start else "—"
