"""Write the sample scoring sheets shipped in ocop_cycle/rules/data/sheets/.

No complete official sheet for Decision 148/2023 (or 1489/2025) was available to this project,
so these follow the shape of the published 1048-era sheets (criteria, fixed levels, parts A/B/C
at the profile's maxima) and are marked ``"sample": true``. Replace a file with the official
sheet when a province supplies it; the loader validates whatever is there.

Run: python scripts/gen_sample_sheets.py
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "ocop_cycle" / "rules" / "data" / "sheets"
LETTERS = "abcdefgh"


def levels(
    lo: int, hi: int, labels: list[tuple[str, str]] | None = None
) -> list[dict[str, object]]:
    out = []
    for i, points in enumerate(range(lo, hi + 1)):
        vi, en = labels[i] if labels else (f"Đạt mức {points} điểm", f"Level worth {points} points")
        out.append({"code": LETTERS[i], "points": str(points), "label_vi": vi, "label_en": en})
    return out


def crit(code, part, section, name_vi, name_en, lo, hi, labels=None, minimum=None):
    c = {
        "code": code,
        "part": part,
        "section_vi": section,
        "name_vi": name_vi,
        "name_en": name_en,
        "levels": levels(lo, hi, labels),
    }
    if minimum:
        c["minimum_for_stars"] = minimum
    return c


def part_a(profile: str) -> list[dict[str, object]]:
    org, dev, com = "Tổ chức sản xuất", "Phát triển sản phẩm", "Sức mạnh cộng đồng"
    a = [
        crit(
            "A1",
            "A",
            org,
            "Nguồn nguyên liệu",
            "Raw-material origin",
            1,
            3,
            [
                ("Dưới 50% nguyên liệu trong tỉnh", "Under 50% in-province"),
                ("Từ 50% đến dưới 75% trong tỉnh", "50-75% in-province"),
                ("Từ 75% trở lên trong tỉnh", "75% or more in-province"),
            ],
        ),
        crit("A2", "A", org, "Gia tăng giá trị", "Value adding", 0, 3),
        crit("A3", "A", org, "Công suất sản xuất", "Capacity", 1, 4),
        crit("A4", "A", org, "Liên kết sản xuất", "Production linkage", 0, 2),
        crit("A5", "A", org, "Bảo vệ môi trường", "Environmental protection", 1, 5),
        crit("A6", "A", org, "Công nghệ sản xuất sạch", "Clean technology", 0, 1),
        crit("A7", "A", dev, "Nguồn gốc ý tưởng sản phẩm", "Origin of the product idea", 0, 3),
        crit("A8", "A", dev, "Hoàn thiện bao bì", "Packaging completeness", 0, 3),
        crit(
            "A9",
            "A",
            com,
            "Loại hình tổ chức sản xuất",
            "Organisation type",
            1,
            3,
            [
                ("Hộ gia đình, tổ hợp tác", "Household or cooperative group"),
                ("Công ty TNHH, cổ phần", "LLC or joint-stock company"),
                (
                    "Hợp tác xã hoặc doanh nghiệp có vốn địa phương từ 51%",
                    "Cooperative or >=51% local",
                ),
            ],
        ),
        crit("A10", "A", com, "Sử dụng lao động địa phương", "Local labour", 1, 3),
        crit("A11", "A", com, "Kế toán", "Accounting", 0, 2),
        crit("A12", "A", com, "Tăng trưởng doanh thu", "Revenue growth", 0, 3),
    ]
    if profile != "qd1048-2019":
        # 148/2023 adds points for women and ethnic-minority producers and for management.
        a.append(
            crit(
                "A13",
                "A",
                com,
                "Chủ thể là nữ hoặc người dân tộc thiểu số",
                "Woman or ethnic-minority producer",
                0,
                1,
            )
        )
        a.append(crit("A14", "A", com, "Năng lực quản lý", "Management capacity", 1, 4))
    return a


def part_b() -> list[dict[str, object]]:
    mk, st = "Tiếp thị", "Câu chuyện sản phẩm"
    return [
        crit("B1", "B", mk, "Khu vực phân phối chính", "Main distribution area", 1, 5),
        crit("B2", "B", mk, "Tổ chức phân phối", "Distribution organisation", 0, 5),
        crit("B3", "B", mk, "Quảng bá sản phẩm", "Promotion", 0, 5),
        crit("B4", "B", st, "Câu chuyện về sản phẩm", "Product story", 0, 5),
        crit("B5", "B", st, "Bản sắc địa phương", "Local identity", 0, 3),
        crit("B6", "B", st, "Cấu trúc câu chuyện", "Story structure", 1, 2),
    ]


SENSORY = {
    "eggs": (
        ("Hình thái, màu sắc vỏ trứng", "Shell shape and colour"),
        ("Màu lòng đỏ, độ đặc", "Yolk colour and firmness"),
    ),
    "spirits": (
        ("Màu sắc, độ trong", "Colour and clarity"),
        ("Mùi, vị đặc trưng", "Aroma and taste"),
    ),
    "noodles": (
        ("Hình dạng, màu sắc sợi", "Strand shape and colour"),
        ("Độ dai, vị khi nấu", "Texture and taste when cooked"),
    ),
    "rice": (
        ("Hình dạng, màu sắc hạt", "Grain shape and colour"),
        ("Mùi thơm, độ dẻo cơm", "Aroma and stickiness"),
    ),
    "honey": (
        ("Màu sắc, độ sánh", "Colour and viscosity"),
        ("Mùi, vị đặc trưng", "Aroma and taste"),
    ),
    "mushrooms": (
        ("Hình dạng, kích thước, màu sắc", "Shape, size and colour"),
        ("Độ tươi, mùi vị", "Freshness and taste"),
    ),
    "processed_meat": (
        ("Màu sắc, trạng thái", "Colour and texture"),
        ("Mùi, vị đặc trưng", "Aroma and taste"),
    ),
    "vegetables": (
        ("Kích thước, màu sắc", "Size and colour"),
        ("Độ tươi, mùi vị", "Freshness and taste"),
    ),
    "cordyceps": (
        ("Hình thái, màu sắc quả thể", "Fruiting-body shape and colour"),
        ("Mùi đặc trưng, độ khô", "Aroma and dryness"),
    ),
    "rice_cakes": (
        ("Hình dạng, màu sắc", "Shape and colour"),
        ("Độ dẻo, hương vị", "Texture and flavour"),
    ),
}


def part_c(product_set: str, profile: str) -> list[dict[str, object]]:
    q = "Chất lượng sản phẩm"
    if product_set == "community_tourism":
        c = [
            crit(
                "C1",
                "C",
                q,
                "Cảnh quan, môi trường điểm du lịch",
                "Landscape and environment",
                1,
                5,
            ),
            crit("C2", "C", q, "Chất lượng dịch vụ", "Service quality", 1, 5),
            crit("C3", "C", q, "An toàn cho du khách", "Visitor safety", 0, 2, minimum={"3": "b"}),
        ]
    else:
        (s1, s2) = SENSORY[product_set]
        c = [
            crit("C1", "C", q, s1[0], s1[1], 1, 5),
            crit("C2", "C", q, s2[0], s2[1], 1, 5),
            crit("C3", "C", q, "Giá trị dinh dưỡng", "Nutrition", 0, 2),
        ]
    c += [
        crit("C4", "C", q, "Tính độc đáo", "Uniqueness", 0, 5),
        crit("C5", "C", q, "Tiêu chuẩn công bố", "Declared standard", 0, 2),
        crit(
            "C6",
            "C",
            q,
            "Kiểm tra an toàn định kỳ",
            "Periodic safety tests",
            0,
            3,
            minimum={"3": "b", "4": "c"},
        ),
        crit("C7", "C", q, "Hệ thống quản lý chất lượng", "Quality management", 0, 5),
        crit("C8", "C", q, "Thị trường quốc tế", "Global market", 1, 5),
        crit("C9", "C", q, "Ghi nhãn, truy xuất nguồn gốc", "Labelling and traceability", 0, 3),
    ]
    if profile == "qd1048-2019":
        c.append(
            crit(
                "C10", "C", q, "Chỉ tiêu đặc trưng của sản phẩm", "Product-specific indicator", 0, 5
            )
        )
    return c


def main() -> None:
    sets = [*SENSORY, "community_tourism"]
    for profile in ("qd1048-2019", "qd148-2023", "qd1489-2025"):
        folder = OUT / profile
        folder.mkdir(parents=True, exist_ok=True)
        for product_set in sets:
            sheet = {
                "profile": profile,
                "product_set": product_set,
                "sample": True,
                "source": "Sample in the shape of published OCOP sheets; not the official text.",
                "criteria": part_a(profile) + part_b() + part_c(product_set, profile),
            }
            path = folder / f"{product_set}.json"
            path.write_text(
                json.dumps(sheet, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )


if __name__ == "__main__":
    main()
