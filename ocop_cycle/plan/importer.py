"""``import-plan``: a district plan's Biểu 1 (CSV, UTF-8) into dossiers, all rows or none.

Every row is validated first and every bad row is reported with its line; only a clean file is
written. Each command carries an idempotency key derived from its row, so importing the same file
again changes nothing. Plan rows become: new → a registered dossier; re-evaluation → the earlier
certificate imported as history under the profile then in force, and a re-evaluation dossier
linked to it; upgrade → the same with an upgrade dossier.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import ValidationError

from ocop_cycle.clock import VN_TZ
from ocop_cycle.plan.entries import PlanEntry, lang_giang_communes
from ocop_cycle.rules.authority import Actor, Role

if TYPE_CHECKING:
    from ocop_cycle.engine import Engine

__all__ = ["ImportSettings", "PlanProblem", "PlanReport", "import_plan", "read_plan_csv"]

REQUIRED = [
    "section",
    "producer",
    "address",
    "commune",
    "product",
    "product_group",
    "product_set",
    "round",
]


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """A bad row: its line in the file and what is wrong."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportSettings:
    """[open] Dates the plan does not give, as settings."""

    #: When the plan's dossiers count as registered (pins them to the profile then in force).
    registered_on: date = date(2024, 3, 1)
    #: The decision date assumed for certificates being re-evaluated (the plan says "2021").
    reevaluated_certificates_on: date = date(2021, 6, 30)
    #: The decision date assumed for the certificate an upgrade starts from.
    upgraded_certificates_on: date = date(2022, 6, 30)


@dataclass
class PlanReport:
    """What an import did (or, with problems, why it did nothing)."""

    problems: list[PlanProblem] = field(default_factory=list)
    registered: int = 0
    histories: int = 0
    #: The dossier each plan row became, by ``PlanEntry.ref`` (the same on a re-import).
    dossiers: dict[str, UUID] = field(default_factory=dict)


def _kind_of(producer: str) -> str:
    name = producer.casefold()
    for prefix, kind in (
        ("hợp tác xã", "cooperative"),
        ("htx", "cooperative"),
        ("hộ kd", "household_business"),
        ("hộ kinh doanh", "household_business"),
        ("công ty", "enterprise"),
        ("tổ hợp tác", "cooperative_group"),
        ("hội", "association"),
    ):
        if name.startswith(prefix):
            return kind
    return ""


def _csv_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]] | PlanProblem:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return PlanProblem(
            line,
            f"the file is not UTF-8 ({exc.reason} at byte {exc.start}); save it as "
            "'CSV UTF-8' (Excel) or import the .xlsx",
        )
    reader = csv.DictReader(io.StringIO(text))
    rows = [(reader.line_num, {k: v or "" for k, v in r.items() if k is not None}) for r in reader]
    return list(reader.fieldnames or []), rows


def _xlsx_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]] | PlanProblem:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        return PlanProblem(0, f"not a readable .xlsx workbook: {exc}")
    try:  # a read-only workbook keeps its file open until closed
        cells = [
            [("" if v is None else str(v)) for v in row]
            for row in book.worksheets[0].iter_rows(values_only=True)
        ]
    finally:
        book.close()
    if not cells:
        return PlanProblem(1, "the sheet is empty")
    header = [h.strip() for h in cells[0]]
    rows = [
        (number, dict(zip(header, values, strict=False)))
        for number, values in enumerate(cells[1:], start=2)
        if any(v.strip() for v in values)
    ]
    return header, rows


def read_plan_csv(path: Path | str) -> tuple[list[PlanEntry], list[PlanProblem]]:
    """Parse and validate every row of a CSV (UTF-8) or .xlsx plan; the entries are usable only
    when there are no problems. Lines are the file's lines (the sheet's rows for .xlsx)."""
    path = Path(path)
    read = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
    if isinstance(read, PlanProblem):
        return [], [read]
    header, rows = read
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [PlanProblem(1, f"missing columns: {', '.join(missing)}")]
    communes = lang_giang_communes()
    entries: list[PlanEntry] = []
    problems: list[PlanProblem] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in rows:
        values = {k: v.strip() for k, v in row.items()}
        values.setdefault("tt", "")
        values.setdefault("village", "")
        values.setdefault("note", "")
        if not values.get("producer_kind"):
            values["producer_kind"] = _kind_of(values["producer"])
        if not values["producer"]:
            problems.append(PlanProblem(line, "empty producer"))
            continue
        if not values["round"]:
            problems.append(PlanProblem(line, "missing round (2024-06 or 2024-10)"))
            continue
        if values["commune"] not in communes:
            problems.append(PlanProblem(line, f"unknown commune {values['commune']!r}"))
            continue
        key = (values["producer"].casefold(), values["product"].casefold())
        if key in seen:
            problems.append(
                PlanProblem(line, f"duplicated product {values['product']!r} (line {seen[key]})")
            )
            continue
        seen[key] = line
        try:
            entries.append(PlanEntry.model_validate(values))
        except ValidationError as exc:
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            problems.append(PlanProblem(line, detail))
    return entries, problems


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=VN_TZ)


def import_plan(
    engine: Engine, entries: list[PlanEntry], settings: ImportSettings | None = None
) -> PlanReport:
    """Write a validated plan. Idempotent: each command's key comes from its row."""
    settings = settings or ImportSettings()
    report = PlanReport()
    communes = lang_giang_communes()
    office = Actor(role=Role.DISTRICT_OFFICE, jurisdiction="217")
    for e in entries:
        c = communes[e.commune]
        officer = Actor(role=Role.COMMUNE_OFFICER, jurisdiction=c.commune_code)
        key = f"plan:{e.section}:{e.producer}:{e.product}"
        common: dict[str, Any] = {
            "producer": {"name": e.producer, "kind": e.producer_kind.value, "address": e.address},
            "product": {"name": e.product, "group": e.product_group, "product_set": e.product_set},
            "commune_code": c.commune_code,
            "district_code": c.district_code,
            "province_code": c.province_code,
        }
        if e.section == "new":
            report.dossiers[e.ref] = engine.register(
                actor=officer,
                occurred_at=_at(settings.registered_on),
                idempotency_key=key,
                note=f"Kế hoạch 2024, đợt {e.round}",
                **common,
            ).id
            report.registered += 1
            continue
        issued = (
            settings.upgraded_certificates_on
            if e.section == "upgrade"
            else settings.reevaluated_certificates_on
        )
        profile = engine.rules.profile_in_force(issued)
        level = next(t.level for t in profile.tiers if t.certifies_up_to >= 3)
        old = engine.import_certificate(
            actor=office,
            profile_id=profile.id,
            stars=3,
            level=level.value,
            decision_number=f"lịch sử/{e.tt or '-'}/{issued.year}",
            decision_date=issued,
            issuing_body="UBND tỉnh Bắc Giang" if level.value == "province" else "UBND huyện",
            occurred_at=_at(issued),
            idempotency_key=f"{key}:certificate",
            **common,
        )
        report.histories += 1
        report.dossiers[e.ref] = engine.register_reevaluation(
            old.id,
            actor=officer,
            kind=e.section,
            occurred_at=_at(settings.registered_on),
            idempotency_key=key,
            note=f"Kế hoạch 2024, đợt {e.round}",
        ).id
        report.registered += 1
    return report
