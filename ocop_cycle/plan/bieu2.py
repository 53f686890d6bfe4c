"""Biểu 2 as offices publish it: producers to be supported with trademark management and/or
packaging and traceability stamps, read into :class:`SupportRequest` rows linked to Biểu 1.

The seed's table is the model: a title ("BIỂU 2: Danh sách dự kiến hỗ trợ …"); a two-row header
— TT, Tên DN/HTX/chủ thể, Địa chỉ, Sản phẩm hỗ trợ, Nội dung đề xuất over two columns (Quản lý
nhãn hiệu; Bao bì, tem nhãn mác sản phẩm), each marked X on the row; the header repeated at page
breaks; blank rows. It may follow Biểu 1 on the same sheet, or come as its own file.
"""

from __future__ import annotations

from ocop_cycle.plan.build import producer_key
from ocop_cycle.plan.entries import PlanEntry, SupportRequest
from ocop_cycle.plan.furniture import is_signature
from ocop_cycle.plan.grid import Grid, LayoutProblem
from ocop_cycle.plan.layout import is_bieu2_title
from ocop_cycle.plan.places import fold

__all__ = ["is_bieu2_start", "is_bieu2_title", "read_bieu2"]

_MARKS = {"x", "✓", "✔", "v"}


def _same(a: str, b: str) -> bool:
    """The same producer, however its legal form is spelled ("HTX" / "Hợp tác xã")."""
    return producer_key(a) == producer_key(b)


def _columns(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        h = " ".join(fold(cell).replace(",", " ").split())
        name = (
            "tt"
            if h in {"tt", "stt"}
            else "producer"
            if "chu the" in h or h.startswith("ten dn")
            else "address"
            if h.startswith("dia chi")
            else "product"
            if h.startswith("san pham")
            else "trademark"
            if "nhan hieu" in h
            else "packaging"
            if h.startswith("bao bi") or "tem" in h.split()
            else None
        )
        if name is not None and name not in found:
            found[name] = i
    return found


def is_bieu2_start(cells: list[str]) -> bool:
    """Whether a row opens Biểu 2: its title; or, the title left off, its header -- TT, the
    producer, the product and the support asked for ("Nội dung đề xuất", "Quản lý nhãn hiệu",
    "Bao bì, tem …", "Sản phẩm hỗ trợ"), and no rounds (Biểu 1's "Lộ trình")."""
    if is_bieu2_title(cells):
        return True
    found = _columns(cells)
    if not {"tt", "producer", "product"} <= set(found):
        return False
    headings = [" ".join(fold(c).split()) for c in cells]
    return not any(h.startswith("lo trinh") for h in headings) and (
        "trademark" in found
        or "packaging" in found
        or any(h.startswith("noi dung de xuat") or "ho tro" in h for h in headings)
    )


def _signs(cells: list[str], columns: dict[str, int]) -> bool:
    """Whether a row opens the signature block: no number, no product, nothing marked."""
    unmarked = all(fold(cells[columns[k]]) not in _MARKS for k in ("trademark", "packaging"))
    product = cells[columns["product"]]
    return (
        unmarked
        and not cells[columns["tt"]]
        and (not product or is_signature([product]))
        and is_signature(cells)
    )


def read_bieu2(
    grid: Grid, entries: tuple[PlanEntry, ...], where: str = "Biểu 2"
) -> tuple[list[SupportRequest], list[LayoutProblem]]:
    """The requests of a Biểu 2 grid, each linked to the Biểu 1 row of the same product when
    there is one, and every problem with its line."""
    problems: list[LayoutProblem] = []
    requests: list[SupportRequest] = []
    columns: dict[str, int] = {}
    header_line = 0
    by_product: dict[str, list[PlanEntry]] = {}
    for e in entries:
        by_product.setdefault(fold(e.product), []).append(e)
    for line, raw in grid:
        cells = [" ".join(c.split()) for c in raw]
        if not any(cells) or is_bieu2_title(cells):
            continue
        found = _columns(cells)
        if {"tt", "producer", "product"} <= set(found):
            columns = {**columns, **found} if columns else found
            header_line = line
            continue
        if {"trademark", "packaging"} <= set(found) and columns:
            columns.update({k: found[k] for k in ("trademark", "packaging")})
            continue
        if not columns:
            continue  # title and notes above the header
        missing = [k for k in ("trademark", "packaging") if k not in columns]
        if missing:
            problems.append(
                LayoutProblem(
                    header_line,
                    "Biểu 2 header lacks the columns 'Quản lý nhãn hiệu' and "
                    "'Bao bì, tem nhãn mác' under 'Nội dung đề xuất'",
                    where,
                )
            )
            return [], problems
        cells += [""] * (max(columns.values()) + 1 - len(cells))
        if _signs(cells, columns):
            break  # the signature block: the table ended above it
        row_problems: list[str] = []
        producer, product = cells[columns["producer"]], cells[columns["product"]]
        marks = {k: fold(cells[columns[k]]) for k in ("trademark", "packaging")}
        if not producer:
            row_problems.append("empty producer (Tên DN, HTX, chủ thể)")
        if not product:
            row_problems.append("empty product (Sản phẩm hỗ trợ)")
        for k, mark in marks.items():
            if mark and mark not in _MARKS:
                row_problems.append(f"support cell {cells[columns[k]]!r} is not X")
        if not any(m in _MARKS for m in marks.values()) and all(
            not m or m in _MARKS for m in marks.values()
        ):
            row_problems.append("no support marked X")
        if row_problems:
            problems.extend(LayoutProblem(line, p, where) for p in row_problems)
            continue
        # The same product; else the producer's one row whose product begins with this name,
        # or its only row (offices shorten product names between the two tables: "Nấm rơm sơ
        # chế" for "Nấm rom sơ chế Tân Thanh").
        linked = [
            e for e in by_product.get(fold(product), []) if _same(e.producer, producer)
        ] or by_product.get(fold(product), [])
        if not linked:
            theirs = [e for e in entries if _same(e.producer, producer)]
            begun = [e for e in theirs if fold(e.product).startswith(fold(product))]
            linked = begun if len(begun) == 1 else theirs
        requests.append(
            SupportRequest(
                tt=cells[columns["tt"]],
                producer=producer,
                address=cells[columns["address"]] if "address" in columns else "",
                product=product,
                trademark=marks["trademark"] in _MARKS,
                packaging_stamps=marks["packaging"] in _MARKS,
                plan_ref=linked[0].ref if len(linked) == 1 else "",
                note="",
            )
        )
    if not columns and grid:
        problems.append(
            LayoutProblem(
                grid[0][0],
                "no Biểu 2 header found (TT, Tên DN/HTX/chủ thể, Địa chỉ, Sản phẩm hỗ trợ, "
                "Nội dung đề xuất)",
                where,
            )
        )
    return requests, problems
