"""The plan report in four forms: tables for people (Vietnamese headings), JSON, CSV, .xlsx.

Every form is built from the same sections, so they cannot disagree.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from ocop_cycle.clock import to_vn
from ocop_cycle.plan.progress import PlanProgress
from ocop_cycle.text import format_vnd

__all__ = ["Section", "render_csv", "render_json", "render_table", "sections"]


@dataclass(frozen=True, slots=True)
class Section:
    """One table of the report: a key, a Vietnamese title, columns and rows."""

    key: str
    item: str  # the field that names a row in long-format CSV
    title_vi: str
    columns: tuple[tuple[str, str], ...]  # (field, Vietnamese heading)
    rows: list[dict[str, Any]]
    #: The workbook's sheet name (Excel allows 31 characters and no "/").
    sheet_vi: str = ""
    #: Fields added up in the workbook's totals row.
    sums: tuple[str, ...] = ()
    #: Fields holding money (VND), shown "#,##0".
    money: tuple[str, ...] = ()


def sections(p: PlanProgress) -> list[Section]:
    """The report's tables, in reading order."""
    return [
        Section(
            "targets",
            "id",
            "Mục tiêu kế hoạch",
            (
                ("label_vi", "Mục tiêu"),
                ("target", "Chỉ tiêu"),
                ("actual", "Thực hiện"),
                ("met", "Đạt"),
            ),
            [t.model_dump() for t in p.targets],
            sheet_vi="Mục tiêu",
            sums=("target", "actual"),
        ),
        Section(
            "rounds",
            "number",
            "Các đợt đánh giá, phân hạng",
            (
                ("name", "Đợt"),
                ("council_meeting_on", "Họp Hội đồng"),
                ("scoring_deadline", "Hạn chấm"),
                ("planned", "Theo kế hoạch"),
                ("assigned", "Xếp vào đợt"),
                ("carried_out", "Chuyển đợt sau"),
                ("certified", "Công nhận"),
                ("forwarded", "Chuyển cấp tỉnh"),
                ("not_recognized", "Không công nhận"),
            ),
            [r.model_dump() for r in p.rounds],
            sheet_vi="Đợt đánh giá",
            sums=("planned", "assigned", "carried_out", "certified", "forwarded", "not_recognized"),
        ),
        Section(
            "communes",
            "commune_code",
            "Theo xã, thị trấn",
            (
                ("commune_now", "Xã, thị trấn"),
                ("planned", "Theo kế hoạch"),
                ("registered", "Hồ sơ"),
                ("recognized", "Công nhận ≥3★"),
                ("new_recognized", "Sản phẩm mới ≥3★"),
                ("best_stars", "Hạng cao nhất"),
            ),
            [c.model_dump() for c in p.communes],
            sheet_vi="Theo xã",
            sums=("planned", "registered", "recognized", "new_recognized"),
        ),
        Section(
            "groups",
            "group",
            "Theo nhóm sản phẩm",
            (
                ("name_vi", "Nhóm"),
                ("planned", "Theo kế hoạch"),
                ("recognized", "Công nhận"),
                ("by_stars", "Theo hạng sao"),
            ),
            [
                {
                    **g.model_dump(),
                    "by_stars": ", ".join(f"{k}★: {v}" for k, v in g.by_stars.items()),
                }
                for g in p.groups
            ],
            sheet_vi="Theo nhóm sản phẩm",
            sums=("planned", "recognized"),
        ),
        Section(
            "open_dossiers",
            "dossier_id",
            "Hồ sơ đang xử lý",
            (
                ("product", "Sản phẩm"),
                ("commune", "Xã, thị trấn"),
                ("state_vi", "Trạng thái"),
                ("next_deadline", "Hạn tiếp theo"),
                ("next_due_at", "Đến hạn"),
                ("product_code", "Mã sản phẩm"),
                ("profile_id", "Bộ quy định"),
            ),
            [o.model_dump() for o in p.open_dossiers],
            sheet_vi="Hồ sơ đang xử lý",
        ),
        Section(
            "support",
            "dossier_id",
            "Hỗ trợ theo chính sách của tỉnh (sau quyết định công nhận)",
            (
                ("product", "Sản phẩm"),
                ("producer", "Chủ thể"),
                ("basis_vi", "Căn cứ"),
                ("stars", "Hạng sao"),
                ("amount", "Số tiền (đồng)"),
                ("product_code", "Mã sản phẩm"),
                ("profile_id", "Bộ quy định"),
            ),
            [s.model_dump() for s in p.support],
            sheet_vi="Hỗ trợ",
            sums=("amount",),
            money=("amount",),
        ),
        Section(
            "requests",
            "tt",
            "Đề nghị hỗ trợ (Biểu 2)",
            (
                ("tt", "TT"),
                ("producer", "Chủ thể"),
                ("product", "Sản phẩm"),
                ("trademark", "Nhãn hiệu"),
                ("packaging_stamps", "Bao bì, tem"),
                ("status_vi", "Tình trạng"),
                ("entitled_up_to", "Mức tối đa (đồng)"),
            ),
            [r.model_dump() for r in p.requests],
            sheet_vi="Đề nghị hỗ trợ (Biểu 2)",
            sums=("entitled_up_to",),
            money=("entitled_up_to",),
        ),
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, datetime):
        return to_vn(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return f"{value:,.0f}".replace(",", ".")
    return str(value)


def render_table(p: PlanProgress, console: Console) -> None:
    """The report as tables, for a terminal or a pager."""
    console.print(f"[bold]{p.plan_vi}[/bold]")
    console.print(f"Số liệu đến {_text(p.as_of)}")
    for s in sections(p):
        table = Table(title=s.title_vi, title_justify="left")
        for _, heading in s.columns:
            table.add_column(heading)
        for row in s.rows:
            table.add_row(*(_text(row[f]) for f, _ in s.columns))
        if not s.rows:
            table.add_row("(không có)", *[""] * (len(s.columns) - 1))
        console.print(table)
    console.print(f"Tổng hỗ trợ: {format_vnd(p.support_total)}")


def render_json(p: PlanProgress) -> str:
    """The report as one JSON document (amounts as strings, dates ISO 8601)."""
    return p.model_dump_json(indent=2)


def render_csv(p: PlanProgress) -> str:
    """The report as long-format CSV: section, item, field, value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "item", "field", "value"])
    for s in sections(p):
        for row in s.rows:
            item = _machine(row[s.item])
            for field, _ in s.columns:
                value = row[field]
                writer.writerow([s.key, item, field, _machine(value)])
    writer.writerow(["support", "total", "amount", str(p.support_total)])
    return out.getvalue()


def _machine(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
