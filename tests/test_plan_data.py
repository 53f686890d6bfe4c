"""The shipped Lạng Giang 2024 plan equals the seed's tables, row by row."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocop_cycle.plan.entries import lang_giang_2024, lang_giang_communes

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_ffe4850c18d5b9c6.txt"
SECTIONS = {"I": "new", "II": "upgrade", "III": "re_evaluation"}


def seed_tables() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Biểu 1 and Biểu 2 parsed from the seed's tab-separated text."""
    if not SEED.exists():
        pytest.skip("../shared is not on this machine")
    lines = SEED.read_text(encoding="utf-8").split("\n")
    b1 = next(i for i, line in enumerate(lines) if "BIỂU 1" in line)
    b2 = next(i for i, line in enumerate(lines) if "BIỂU 2" in line)
    first: list[tuple[str, ...]] = []
    section, producer, address = "", "", ""
    for line in lines[b1 + 1 : b2]:
        cells = line.split("\t")
        if len(cells) < 4 or cells[0] == "TT" or not cells[3]:
            if cells[0] in SECTIONS:
                section = SECTIONS[cells[0]]
            continue
        if cells[1]:
            producer, address = cells[1], cells[2]
        round_ = "2024-06" if cells[5] == "X" else "2024-10"
        first.append((section, cells[0], producer, address, cells[3], round_))
    second = [
        (c[0], c[1], c[2], c[3], "yes" if c[4] == "X" else "no", "yes" if c[5] == "X" else "no")
        for c in (line.split("\t") for line in lines[b2 + 1 :])
        if len(c) >= 6 and c[0] not in {"TT", ""}
    ]
    return first, second


def test_bieu_1_matches_the_seed() -> None:
    """10 new, 1 upgrade, 12 re-evaluated products (11 producers), as the seed writes them."""
    seed, _ = seed_tables()
    entries, _ = lang_giang_2024()
    shipped = [(e.section, e.tt, e.producer, e.address, e.product, e.round) for e in entries]
    assert shipped == seed
    assert [sum(e.section == s for e in entries) for s in SECTIONS.values()] == [10, 1, 12]
    assert len({e.producer for e in entries if e.section == "re_evaluation"}) == 11


def test_bieu_2_matches_the_seed() -> None:
    """Biểu 2's 15 support rows (numbered 1–7 and 9–16), as the seed writes them."""
    _, seed = seed_tables()
    _, support = lang_giang_2024()
    shipped = [
        (
            s.tt,
            s.producer,
            s.address,
            s.product,
            "yes" if s.trademark else "no",
            "yes" if s.packaging_stamps else "no",
        )
        for s in support
    ]
    assert shipped == seed


def test_spelling_variants_are_noted() -> None:
    """Where the two tables spell a name two ways, both rows say so."""
    entries, support = lang_giang_2024()
    assert "Núi Hân" in next(e.note for e in entries if "Núi Hản" in e.producer)
    assert "Núi Hản" in next(s.note for s in support if "Núi Hân" in s.producer)
    assert "Thôn Lê" in next(e.note for e in entries if e.village == "Thôn Lẻ")


def test_every_commune_has_its_official_codes() -> None:
    """Each commune or town the plan names has its 2024 code (huyện 217, tỉnh 24) and its
    successor after the 2025 merger (xã Xương Lâm 07426 → xã Lạng Giang 07375)."""
    entries, _ = lang_giang_2024()
    communes = lang_giang_communes()
    assert {e.commune for e in entries if e.commune} <= communes.keys()
    assert (
        communes["xã Xương Lâm"].commune_code,
        communes["xã Xương Lâm"].successor_2025_code,
    ) == (
        "07426",
        "07375",
    )
    assert communes["thị trấn Kép"].successor_2025_name == "Xã Kép"
    assert all(c.district_code == "217" and c.province_code == "24" for c in communes.values())


def test_the_district_has_nineteen_communes_and_towns() -> None:
    """ "Every commune and town" counts all 19 units of Lạng Giang in 2024 (17 xã, 2 thị trấn),
    including the two the plan does not name (xã Đào Mỹ, xã Hương Lạc)."""
    communes = lang_giang_communes()
    assert len(communes) == 19
    assert sum(name.startswith("thị trấn") for name in communes) == 2
    named = {e.commune for e in lang_giang_2024()[0]}
    assert set(communes) - named == {"xã Đào Mỹ", "xã Hương Lạc"}
