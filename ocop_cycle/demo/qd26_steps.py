"""The demo's steps under ``qd26-2026``: the engine calls behind ``ocop_cycle.demo.qd26``'s
calendar (new products of 2026, re-evaluations of 2024 certificates in 2027)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from uuid import UUID

from ocop_cycle.clock import VN_TZ
from ocop_cycle.demo.qd26 import (
    NEW_PRODUCT_DATES,
    NEW_PRODUCTS,
    REEVALUATED,
    REEVALUATION,
    ROUNDS_QD26,
    NewProduct,
)
from ocop_cycle.demo.scenario import Fate
from ocop_cycle.engine import Engine
from ocop_cycle.rules.authority import Actor, Role
from ocop_cycle.rules.scoring import CouncilSession
from ocop_cycle.rules.units import REFORM_DATE
from ocop_cycle.testing import Place, session_for
from ocop_cycle.workflows.states import HOLDING_CERTIFICATE

__all__ = ["Qd26Steps", "QdStep"]

#: Each member's total around the mean a fate's stars call for (re-evaluations).
_REEVALUATION_SCORE = {3: 64, 4: 78}
_PROVINCE_BODY = "UBND tỉnh Bắc Ninh"


@dataclass(frozen=True, slots=True)
class QdStep:
    """One thing people do on a day (the runner's ``Step`` without the import cycle)."""

    at: datetime
    label: str
    run: Callable[[], None]


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=VN_TZ)


class Qd26Steps:
    """People's steps from 2026 on; dossiers they open are added to ``ids`` under their ref
    (``qd26/N`` for a new product, ``<plan ref>/2027`` for a re-evaluation)."""

    def __init__(
        self,
        engine: Engine,
        ids: dict[str, UUID],
        fates: dict[str, Fate],
        places: dict[str, Place],
        decision_number: Callable[[], str],
    ) -> None:
        self.engine = engine
        self.ids = ids
        self.fates = fates
        self.places = places
        self.decision_number = decision_number
        self.rounds: dict[str, UUID] = {}

    def place(self, commune: str) -> Place:
        """The plan commune's successor and the province, as they are on the demo's day."""
        today = self.engine.clock.now().date()
        before = REFORM_DATE - timedelta(days=1)  # the units as recorded before the reform
        old = self.places[commune]
        units = self.engine.rules.units
        successor = units.successor_on(old.commune, today, recorded_on=before)[0].code
        province = units.successor_on(old.province, today, recorded_on=before)[0].code
        return Place(commune=successor, district=None, province=province)

    def actor(self, commune: str, role: Role) -> Actor:
        return self.place(commune).actor(role)

    # -- steps --------------------------------------------------------------------------------

    def open_rounds(self) -> None:
        office = self.actor("thị trấn Vôi", Role.PROVINCE_OFFICE)
        for r in ROUNDS_QD26:
            self.rounds[r.key] = self.engine.create_round(
                actor=office,
                year=r.year,
                number=r.number,
                jurisdiction_code=office.jurisdiction,
                name=r.name,
                registration_deadline=r.registration_deadline,
                council_meeting_on=r.council_meeting_on,
                scoring_deadline=r.scoring_deadline,
            ).id

    def register(self, p: NewProduct) -> None:
        place = self.place(p.commune)
        self.ids[p.ref] = self.engine.register(
            actor=place.actor(Role.COMMUNE_OFFICER),
            producer={"name": p.producer, "kind": "cooperative"},
            product={"name": p.product, "group": "food", "product_set": p.product_set},
            commune_code=place.commune,
            province_code=place.province,
        ).id

    def propose(self, ref: str, commune: str) -> None:
        """The commune checks and proposes the dossier: its product code is given here."""
        self.engine.verify_commune(self.ids[ref], actor=self.actor(commune, Role.COMMUNE_COMMITTEE))

    def assign(self, ref: str, commune: str, round_key: str) -> None:
        self.engine.assign_round(
            self.ids[ref],
            actor=self.actor(commune, Role.PROVINCE_OFFICE),
            round_id=self.rounds[round_key],
        )

    def session(self, ref: str, total: int, written: bool) -> CouncilSession:
        d = self.engine.get(self.ids[ref])
        profile = self.engine.rules.profile(d.profile_id)
        sheet = self.engine.rules.sheet(profile.id, d.product_set)
        session = session_for(sheet, profile, [Decimal(total + i) for i in (-1, 0, 1)])
        if not written:
            return session
        return CouncilSession(**{**session.model_dump(), "kind": "written_opinions"})

    def score(self, ref: str, commune: str, total: int, written: bool = False) -> None:
        self.engine.score(
            self.ids[ref],
            actor=self.actor(commune, Role.PROVINCE_COUNCIL),
            session=self.session(ref, total, written),
        )

    def score_written(self, ref: str, commune: str, total: int) -> None:
        """A re-evaluation council decides on its members' written opinions (Art. 7.6d)."""
        self.score(ref, commune, total, written=True)

    def certify(self, ref: str, commune: str, on: date) -> None:
        self.engine.certify(
            self.ids[ref],
            actor=self.actor(commune, Role.PROVINCE_COMMITTEE),
            decision_number=self.decision_number(),
            decision_date=on,
            issuing_body=_PROVINCE_BODY,
        )

    def monitor(self, ref: str, commune: str) -> None:
        self.engine.start_monitoring(self.ids[ref], actor=self.actor(commune, Role.PROVINCE_OFFICE))

    def file_reevaluation(self, plan_ref: str) -> None:
        """The commune files the re-evaluation of a 2024 certificate still held (a revoked
        or lapsed one has nothing to re-evaluate)."""
        old = self.engine.get(self.ids[plan_ref])
        if old.state not in HOLDING_CERTIFICATE:
            return
        commune = self.fates[plan_ref].commune
        self.ids[f"{plan_ref}/2027"] = self.engine.register_reevaluation(
            old.id, actor=self.actor(commune, Role.COMMUNE_OFFICER), kind="re_evaluation"
        ).id

    def _if_filed(self, plan_ref: str, then: Callable[[str, str], None]) -> Callable[[], None]:
        def run() -> None:
            ref = f"{plan_ref}/2027"
            if ref in self.ids:
                then(ref, self.fates[plan_ref].commune)

        return run

    # -- the calendar -------------------------------------------------------------------------

    def steps(self) -> list[QdStep]:
        n, r = NEW_PRODUCT_DATES, REEVALUATION
        out = [QdStep(_at(n.rounds_opened), "Mở các đợt cấp tỉnh 2026–2027", self.open_rounds)]
        for p in NEW_PRODUCTS:
            c = p.commune
            out += [
                QdStep(_at(n.registered), "QĐ 26: đăng ký sản phẩm mới", partial(self.register, p)),
                QdStep(_at(n.proposed), "QĐ 26: UBND xã đề nghị, cấp mã sản phẩm",
                       partial(self.propose, p.ref, c)),
                QdStep(_at(n.assigned), "QĐ 26: xếp vào đợt trước 30/12",
                       partial(self.assign, p.ref, c, "2026-12")),
                QdStep(_at(ROUNDS_QD26[0].council_meeting_on, 10),
                       "QĐ 26: Hội đồng cấp tỉnh chấm trên phiếu chính thức",
                       partial(self.score, p.ref, c, p.score)),
                QdStep(_at(n.certified), "QĐ 26: UBND tỉnh công nhận",
                       partial(self.certify, p.ref, c, n.certified)),
                QdStep(_at(n.monitored), "QĐ 26: giám sát sau công nhận",
                       partial(self.monitor, p.ref, c)),
            ]  # fmt: skip
        for ref in REEVALUATED:
            stars = self.fates[ref].stars or 3
            total = _REEVALUATION_SCORE[stars]
            out += [
                QdStep(_at(r.filed), "QĐ 26: nộp hồ sơ đánh giá lại trong thời hạn",
                       partial(self.file_reevaluation, ref)),
                QdStep(_at(r.proposed), "QĐ 26: UBND xã đề nghị đánh giá lại",
                       self._if_filed(ref, self.propose)),
                QdStep(_at(r.assigned), "QĐ 26: xếp vào đợt 01 năm 2027",
                       self._if_filed(ref, lambda x, c: self.assign(x, c, "2027-06"))),
                QdStep(_at(ROUNDS_QD26[1].council_meeting_on, 10),
                       "QĐ 26: Hội đồng lấy ý kiến bằng văn bản",
                       self._if_filed(ref, partial(self.score_written, total=total))),
                QdStep(_at(r.certified), "QĐ 26: UBND tỉnh công nhận lại",
                       self._if_filed(ref, lambda x, c: self.certify(x, c, r.certified))),
                QdStep(_at(r.monitored), "QĐ 26: giám sát sau công nhận lại",
                       self._if_filed(ref, self.monitor)),
            ]  # fmt: skip
        return out
