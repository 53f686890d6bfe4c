"""The demo from 22/05/2026: what people do under Decision 26/2026/QĐ-TTg (``qd26-2026``).

New products of the merged communes are registered, proposed by the commune (which gives them
their product code T-X-STT-year), placed in the province's round before 30/12/2026 by the Art. 5
cut-off, scored on the official criteria sheets and certified by the province. Two 2024
certificates that expire in 2027 are re-evaluated inside their filing window (E − 180 to
E − 120 days) by a council deciding on written opinions (Art. 7.6d), in the province's round of
March 2027; the others miss their window, which the scheduler flags. Pure calendar: the runner
supplies the engine calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "NEW_PRODUCTS",
    "NEW_PRODUCT_DATES",
    "REEVALUATED",
    "REEVALUATION",
    "ROUNDS_QD26",
    "NewProduct",
    "ReevaluationDates",
    "RoundPlan",
]

#: Plan rows whose 2024 certificates are re-evaluated in their window in 2027 (both certified
#: in the first 2024 round, so their certificates expire in June or July 2027).
REEVALUATED = ("new/2", "re_evaluation/3")


@dataclass(frozen=True, slots=True)
class NewProduct:
    """A product registered under ``qd26-2026`` in 2026 at a (pre-2025) commune's successor."""

    ref: str
    commune: str  # the plan's commune name; the demo acts at its successor
    producer: str
    product: str
    product_set: str  # a set of Decision 26/2026's Phụ lục I
    #: Each council member's total is this ±1; the options follow the stars of the mean.
    score: int


NEW_PRODUCTS = (
    NewProduct(
        "qd26/1",
        "xã Hương Sơn",
        "Hợp tác xã Ong mật Hương Sơn",
        "Mật ong hoa vải Hương Sơn",
        "honey_other_agrifood",
        62,
    ),
    NewProduct(
        "qd26/2",
        "xã Tân Dĩnh",
        "Hợp tác xã Nông nghiệp Tân Dĩnh",
        "Gạo nếp cái hoa vàng Tân Dĩnh",
        "rice_cereals_grains",
        78,
    ),
    NewProduct(
        "qd26/3",
        "xã Tiên Lục",
        "Hộ kinh doanh Nguyễn Văn Lục",
        "Bánh chưng Tiên Lục",
        "fast_food",
        58,
    ),
)


@dataclass(frozen=True, slots=True)
class RoundPlan:
    """A province round of 2026–2027, held before an Art. 5 date."""

    key: str
    year: int
    number: int
    name: str
    registration_deadline: date
    council_meeting_on: date
    scoring_deadline: date


ROUNDS_QD26 = (
    # Before 30/12/2026: proposals before 30/10/2026.
    RoundPlan(
        "2026-12",
        2026,
        2,
        "Đợt 02 năm 2026 (trước ngày 30/12)",
        registration_deadline=date(2026, 10, 30),
        council_meeting_on=date(2026, 11, 20),
        scoring_deadline=date(2026, 12, 15),
    ),
    # Before 30/06/2027: proposals before 30/04/2027; its council meets in March for the
    # re-evaluations, whose certificates expire in June and July.
    RoundPlan(
        "2027-06",
        2027,
        1,
        "Đợt 01 năm 2027 (trước ngày 30/6)",
        registration_deadline=date(2027, 2, 28),
        council_meeting_on=date(2027, 3, 10),
        scoring_deadline=date(2027, 3, 20),
    ),
)


@dataclass(frozen=True, slots=True)
class NewProductDates:
    """When the 2026 products move."""

    rounds_opened: date = date(2026, 6, 1)
    registered: date = date(2026, 6, 15)
    proposed: date = date(2026, 7, 1)  # within the commune's 15 working days
    assigned: date = date(2026, 7, 6)
    certified: date = date(2026, 12, 5)
    monitored: date = date(2026, 12, 12)


@dataclass(frozen=True, slots=True)
class ReevaluationDates:
    """When the 2027 re-evaluations move: filed inside every window of a June/July 2027
    expiry (22/12/2026 – 20/02/2027 for 20/06/2027), decided within 45 days of the proposal."""

    filed: date = date(2027, 2, 10)
    proposed: date = date(2027, 2, 12)
    assigned: date = date(2027, 2, 15)
    certified: date = date(2027, 3, 20)
    monitored: date = date(2027, 3, 27)


NEW_PRODUCT_DATES = NewProductDates()
REEVALUATION = ReevaluationDates()
