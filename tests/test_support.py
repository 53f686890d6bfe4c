"""Support amounts under Bắc Giang Resolution 67/2023 (policy data)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ocop_cycle.rules.support import bac_giang_67_2023

M = Decimal(1_000_000)
D2024 = date(2024, 7, 1)


@pytest.mark.parametrize(
    ("kind", "stars", "previous", "millions"),
    [
        ("new", 3, None, 50),
        ("new", 4, None, 150),
        ("new", 5, None, 300),
        ("re_evaluation", 3, 3, 20),
        ("re_evaluation", 4, 4, 60),
        ("upgrade", 4, 3, 150),
        ("upgrade", 5, 4, 300),
        ("upgrade", 3, 3, 0),  # an upgrade that keeps the star earns nothing
        ("re_evaluation", 3, 4, 0),  # downgraded
    ],
)
def test_recognition_support(kind: str, stars: int, previous: int | None, millions: int) -> None:
    """First recognition 50/150/300 M; kept 20/60 M; upgraded to 4★/5★ 150/300 M."""
    policy = bac_giang_67_2023()
    assert policy.recognition_support(kind, stars, previous, D2024, "24") == millions * M  # type: ignore[arg-type]


def test_outside_province_or_period_earns_nothing() -> None:
    """Another province, or a decision outside 2024–2025, is not covered."""
    policy = bac_giang_67_2023()
    assert policy.recognition_support("new", 3, None, D2024, "01") == 0
    assert policy.recognition_support("new", 3, None, date(2023, 12, 31), "24") == 0


def test_packaging_share_is_capped() -> None:
    """Half the cost, at most 30/50/100 M for 3★/4★/5★."""
    policy = bac_giang_67_2023()
    assert policy.packaging_support(3, 40 * M) == 20 * M
    assert policy.packaging_support(3, 100 * M) == 30 * M
    assert policy.packaging_support(5, 300 * M) == 100 * M
