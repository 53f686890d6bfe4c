"""A store stopped at 30/06/2025, built through the public API on a settable clock: qd148-2023
dossiers in every open state (some in rounds), certified and finished ones, in two districts.

``build`` returns each dossier's id by a label saying where it stands; ``EXPECTED`` is where the
shipped qd1489-2025 mapping carries each open one.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ocop_cycle import Engine, Role, SettableClock
from ocop_cycle.testing import Place
from tests.scenario import Walk, at

#: Xã Tân Trung, huyện Tân Yên (216), tỉnh Bắc Giang (24): another district.
TAN_YEN = Place(commune="07309", district="216", province="24")
#: Phường Vũ Ninh, thành phố Bắc Ninh (256), the old tỉnh Bắc Ninh (27): merged into "24" on
#: 01/07/2025, so today's province office "24" acts for it.
BAC_NINH = Place(commune="09163", district="256", province="27")
#: When the store stops, and when the migration runs (Decision 1489 took effect on 06/07/2025).
STOP = at(2025, 6, 30, 17)
AFTER = at(2025, 7, 10, 9)
EFFECTIVE = date(2025, 7, 6)

#: Where the shipped mapping takes each open dossier of ``build``.
EXPECTED = {
    "registered": "registered",
    "returned": "returned",
    "verified": "commune_verified",
    "verified_in_round": "commune_verified",
    "district_3star": "commune_verified",
    "district_low": "commune_verified",
    "district_high": "commune_verified",
    "forwarded_province": "commune_verified",
    "forwarded_province_in_round": "commune_verified",
    "province_scored": "province_scored",
    "forwarded_central": "forwarded_central",
    "central_scored": "central_scored",
    "tan_yen_registered": "registered",
    "tan_yen_district_scored": "commune_verified",
    "bac_ninh_registered": "registered",
}
#: The open dossiers filed elsewhere than xã Xương Lâm (07426).
ELSEWHERE = ("tan_yen_registered", "tan_yen_district_scored", "bac_ninh_registered")
#: Dossiers a migration leaves under qd148-2023: a certificate, or a finished story.
KEPT = ("certified", "monitored", "withdrawn", "not_recognized")


def build(engine: Engine, clock: SettableClock) -> dict[str, UUID]:
    """Every dossier of the store, by label; the clock ends at ``STOP``."""
    clock.set(at(2025, 5, 15))
    walk = Walk(engine, clock)
    e, a = engine, walk.actor
    ids: dict[str, UUID] = {}
    ids["registered"] = walk.register("Trứng gà đã đăng ký").id
    ids["verified"] = walk.verified("Trứng gà đã xác nhận").id
    ids["verified_in_round"] = walk.in_round("Trứng gà trong đợt huyện").id
    ids["district_3star"] = walk.entry_scored([60, 61, 62], "Trứng gà 3 sao huyện").id
    ids["district_low"] = walk.entry_scored([40, 41, 42], "Trứng gà điểm thấp").id
    ids["district_high"] = walk.entry_scored([75, 76, 77], "Trứng gà điểm cao").id
    high = [walk.entry_scored([75, 76, 77], f"Trứng gà chuyển tỉnh {i}").id for i in range(4)]
    for dossier in high:
        e.forward(dossier, actor=a(Role.DISTRICT_OFFICE))
    ids["forwarded_province"] = high[0]
    province_round = walk.round_id("24")
    for dossier in high[1:]:
        e.assign_round(dossier, actor=a(Role.PROVINCE_OFFICE), round_id=province_round)
    ids["forwarded_province_in_round"] = high[1]
    ids["province_scored"] = walk.score(e.get(high[2]), [80, 81, 82], Role.PROVINCE_COUNCIL).id
    top = walk.score(e.get(high[3]), [92, 93, 94], Role.PROVINCE_COUNCIL)
    e.forward(top.id, actor=a(Role.PROVINCE_OFFICE))
    ids["forwarded_central"] = top.id
    other_top = walk.entry_scored([92, 93, 94], "Trứng gà trung ương")
    e.forward(other_top.id, actor=a(Role.DISTRICT_OFFICE))
    walk.score(e.get(other_top.id), [92, 93, 94], Role.PROVINCE_COUNCIL)
    e.forward(other_top.id, actor=a(Role.PROVINCE_OFFICE))
    e.assign_round(other_top.id, actor=a(Role.MINISTRY), round_id=walk.round_id("VN"))
    ids["central_scored"] = walk.score(e.get(other_top.id), [93, 94, 95], Role.CENTRAL_COUNCIL).id
    ids["certified"] = walk.certified(name="Trứng gà đã công nhận").id
    ids["monitored"] = walk.monitored(name="Trứng gà đang giám sát").id
    withdrawn = walk.register("Trứng gà rút hồ sơ")
    ids["withdrawn"] = e.withdraw(withdrawn.id, actor=a(Role.COMMUNE_OFFICER), reason="Rút").id
    low = walk.entry_scored([40, 41, 42], "Trứng gà không công nhận")
    ids["not_recognized"] = e.not_recognize(low.id, actor=a(Role.DISTRICT_COMMITTEE)).id
    tan_yen = Walk(engine, clock, place=TAN_YEN)
    ids["tan_yen_registered"] = tan_yen.register("Mì Chũ Tân Yên").id
    ids["tan_yen_district_scored"] = tan_yen.entry_scored([55, 56, 57], "Trứng gà Tân Yên").id
    ids["bac_ninh_registered"] = Walk(engine, clock, place=BAC_NINH).register("Bánh phu thê").id
    clock.set(at(2025, 6, 25))
    returned = walk.register("Trứng gà trả lại")
    ids["returned"] = e.return_for_supplement(
        returned.id,
        actor=a(Role.COMMUNE_OFFICER),
        guidance="Bổ sung phiếu tự đánh giá",
        due_on=date(2025, 7, 31),
    ).id
    clock.set(STOP)
    assert set(ids) == set(EXPECTED) | set(KEPT)
    return ids
