"""Biểu 1 tables as an office makes them (the seed's layout), written with openpyxl or as CSV."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

from openpyxl import Workbook

TITLE = [
    ["UBND HUYỆN PHÙ YÊN"],
    [
        "BIỂU 1: Các sản phẩm tham gia đánh giá mới, đánh giá lại, nâng hạng Chương trình OCOP "
        "năm 2024"
    ],
    ["(Kèm theo Kế hoạch số 25/KH-UBND ngày 20/02/2024 của Chủ tịch UBND huyện Phù Yên)"],
    [],
]
HEADER = [
    [
        "TT",
        "Tên DN, HTX, chủ thể",
        "Địa chỉ",
        "Tên sản phẩm tham gia",
        "Tổng số",
        "Lộ trình đánh giá, phân hạng",
        None,
        "Ghi chú",
    ],
    [None, None, None, None, None, "Tháng 6/2024", "Tháng 10/2024", None],
]
#: The header as a tired officer retypes it after a page break: other case, spacing, NFD.
HEADER_AGAIN = [
    [
        "tt",
        unicodedata.normalize("NFD", "TÊN DN,  HTX, CHỦ THỂ"),
        "Địa  chỉ",
        "Tên sản phẩm  tham gia",
        "Tổng số",
        "LỘ TRÌNH ĐÁNH GIÁ, PHÂN HẠNG",
        None,
        "Ghi chú",
    ],
    [None, None, None, None, None, "Tháng 6/2024", "Tháng 10/2024", None],
]
#: (TT, producer, address, product, total, June, October, note); None cells are blank.
BODY: list[list[object]] = [
    ["I", "Sản phẩm đăng ký đánh giá mới (05 sản phẩm)"],
    [1, "Hợp tác xã chè Suối Bau", "Bản Suối Bau, X. Suối Bau", "Chè Shan tuyết Suối Bau", 1, "X"],
    [
        2,
        "Hộ KD Lò Văn Minh",
        "Tiểu khu 4, TT Quang Huy",
        "Mật ong hoa rừng Quang Huy",
        1,
        None,
        "X",
    ],
    [3, "Công ty TNHH Nông sản Gia Phù", "bản Đá Mài, xã gia phù", "Gạo nếp Gia Phù", 1, "x"],
    [],
    [
        4,
        "Tổ hợp tác dệt thổ cẩm Mường Cơi",
        unicodedata.normalize("NFD", "Bản Bó, Xã Mường Cơi"),
        "Khăn thổ cẩm Mường Cơi",
        1,
        None,
        "X",
        "Bộ sản phẩm: thủ công mỹ nghệ",
    ],
    [5, "Nguyễn Văn Sơn", "Bản Mới - xã Tân Lang", "Măng khô Tân Lang", 1, "X"],
    ["II", "Sản phẩm đánh giá nâng hạng sao (từ 3 sao lên 4 sao)"],
    [1, "HTX Nông nghiệp Tường Phù", "Bản Văn Yên, Xã Tường Phù", "Mật ong Tường Phù", 1, "X"],
    "PAGE BREAK",
    ["III", "Sản phẩm đánh giá lại (03 sản phẩm)"],
    [1, "Hợp tác xã Huy Hạ", "Bản Ngọc, X.Huy Hạ", "Chè xanh Huy Hạ", 1, "X"],
    [None, None, None, "Mật ong bạc hà Huy Hạ", 1, None, "X"],
    [2, "Hội Nuôi ong xã Mường Do", "Bản Do", "Mật ong Mường Do", 1, None, "X"],
]


def rows(body: list[list[object]] | None = None) -> list[list[object]]:
    """Every row of the sheet, in order: title, header, body with the header repeated."""
    out: list[list[object]] = [list(r) for r in TITLE] + [list(r) for r in HEADER]
    for row in BODY if body is None else body:
        if row == "PAGE BREAK":
            out.append([])
            out += [list(r) for r in HEADER_AGAIN]
        else:
            out.append(list(row))  # type: ignore[arg-type]
    return out


def write_xlsx(path: Path, body: list[list[object]] | None = None) -> Path:
    """The table as an office's workbook: merged two-row header, bold, title rows above."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Biểu 1"
    for row in rows(body):
        sheet.append(row)
    top = len(TITLE) + 1
    for col in "ABCDEH":
        sheet.merge_cells(f"{col}{top}:{col}{top + 1}")
    sheet.merge_cells(f"F{top}:G{top}")
    book.save(path)
    return path


def write_csv(path: Path, body: list[list[object]] | None = None) -> Path:
    """The same table saved as "CSV UTF-8" from Excel (merged cells left blank)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for row in rows(body):
            writer.writerow(["" if c is None else c for c in row])
    return path
